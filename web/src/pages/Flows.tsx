// The flows explorer: filter by address or network, port, protocol and time; top
// talkers and ports, a time histogram, and the flows themselves (keyset pages).
import { useMemo } from "react";
import { useQuery } from "urql";
import { TimeRange, timeConditions, useUrlFilters } from "../components/Filters";
import { flowColumns } from "../components/FlowColumns";
import { Histogram } from "../components/Histogram";
import { Table } from "../components/Table";
import { Top } from "../components/Top";
import { ErrorNotice } from "../errors";
import { graphql, type ResultOf, type VariablesOf } from "../graphql";
import { tablePages, usePages } from "../paging";
import { classify } from "../search";

const FlowsList = graphql(`
  query FlowsList($filter: FlowFilter, $after: String) {
    flows(filter: $filter, first: 200, after: $after, orderBy: [{ field: STARTED_AT, direction: DESC }]) {
      totalCount
      pageInfo { hasNextPage endCursor }
      nodes { id srcIp srcPort dstIp dstPort protocol application srcBytes dstBytes startedAt state sensor }
    }
  }
`);

const FlowsSummary = graphql(`
  query FlowsSummary($filter: FlowFilter, $seconds: Int!) {
    flowsAggregate(filter: $filter) {
      count
      talkers: groupBy(field: SRC, first: 10) { value count }
      ports: groupBy(field: DST_PORT, first: 10) { value count }
      protocols: groupBy(field: PROTOCOL, first: 5) { value count }
      histogram(field: STARTED_AT, seconds: $seconds, first: 500) { start count }
    }
  }
`);

type Filter = NonNullable<VariablesOf<typeof FlowsList>["filter"]>;
type Row = ResultOf<typeof FlowsList>["flows"]["nodes"][number];
const PROTOCOLS = ["TCP", "UDP", "ICMP"] as const;

function filterOf(p: URLSearchParams): { filter: Filter; problem?: string } {
  const all: Filter[] = [];
  const host = p.get("host")?.trim();
  if (host) {
    const c = classify(host);
    if (c.kind === "ip") all.push({ host: { eq: host } });
    else if (c.kind === "cidr") all.push({ or: [{ src: { within: [host] } }, { dst: { within: [host] } }] });
    else return { filter: {}, problem: `"${host}" is neither an address nor a network (CIDR)` };
  }
  const port = p.get("port")?.trim();
  if (port) {
    const n = Number(port);
    if (!Number.isInteger(n) || n < 0 || n > 65535)
      return { filter: {}, problem: `"${port}" is not a port number` };
    all.push({ port: { eq: n } });
  }
  const proto = p.get("protocol");
  if (proto && (PROTOCOLS as readonly string[]).includes(proto))
    all.push({ protocol: { eq: proto as (typeof PROTOCOLS)[number] } });
  all.push(...timeConditions(p, "startedAt"));
  return { filter: all.length ? { and: all } : {} };
}

export function FlowsPage() {
  const filters = useUrlFilters();
  const { params, set } = filters;
  const { filter, problem } = useMemo(() => filterOf(params), [params]);
  const key = JSON.stringify(filter);
  const pages = usePages(FlowsList, { filter }, (d) => d.flows, key);
  const seconds = Number(params.get("bucket") ?? 3600);
  const [{ data, error }] = useQuery({ query: FlowsSummary, variables: { filter, seconds } });
  const agg = data?.flowsAggregate;
  return (
    <section aria-labelledby="flows-title">
      <h1 id="flows-title">Flows</h1>
      <form className="filters" aria-label="Flow filters" onSubmit={(e) => e.preventDefault()}>
        <label>
          Address or network
          <input
            defaultValue={params.get("host") ?? ""}
            placeholder="10.0.0.5 or 10.0.0.0/24"
            onBlur={(e) => set("host", e.target.value)}
            onKeyDown={(e) => e.key === "Enter" && set("host", e.currentTarget.value)}
          />
        </label>
        <label>
          Port
          <input
            defaultValue={params.get("port") ?? ""}
            inputMode="numeric"
            onBlur={(e) => set("port", e.target.value)}
            onKeyDown={(e) => e.key === "Enter" && set("port", e.currentTarget.value)}
          />
        </label>
        <label>
          Protocol
          <select value={params.get("protocol") ?? ""} onChange={(e) => set("protocol", e.target.value)}>
            <option value="">any</option>
            {PROTOCOLS.map((p) => (
              <option key={p}>{p}</option>
            ))}
          </select>
        </label>
        <TimeRange {...filters} />
        <label>
          Buckets
          <select value={String(seconds)} onChange={(e) => set("bucket", e.target.value)}>
            <option value="60">1 minute</option>
            <option value="3600">1 hour</option>
            <option value="86400">1 day</option>
          </select>
        </label>
      </form>
      {problem && (
        <p role="alert" className="error">
          {problem}
        </p>
      )}
      <ErrorNotice error={error ?? pages.error} />
      {agg && (
        <div className="summary">
          <Histogram
            label={`Flows per ${seconds === 60 ? "minute" : seconds === 3600 ? "hour" : "day"}`}
            buckets={agg.histogram}
            seconds={seconds}
          />
          <Top title="Top talkers" rows={agg.talkers} link={(v) => `/hosts/${v}`} />
          <Top title="Top destination ports" rows={agg.ports} />
          <Top title="Protocols" rows={agg.protocols} />
        </div>
      )}
      <Table<Row>
        label="Flows"
        {...tablePages(pages)}
        rowKey={(f) => f.id}
        height={520}
        columns={flowColumns<Row>()}
      />
    </section>
  );
}
