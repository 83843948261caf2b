// The alerts list: filtered from the URL, new alerts added live at the top, many
// selected at once to acknowledge or attach to a case.
import { useCallback, useMemo, useState } from "react";
import { Link } from "react-router";
import { useMutation, useQuery } from "urql";
import { TimeRange, timeConditions, useUrlFilters } from "../components/Filters";
import { type Column, Table } from "../components/Table";
import { Time } from "../components/Time";
import { ErrorNotice } from "../errors";
import { graphql, type ResultOf, type VariablesOf } from "../graphql";
import { isIP } from "../ip";
import { type LiveAlert, useLiveAlerts } from "../live";
import { usePages } from "../paging";
import { useCan } from "../session";

const AlertsQuery = graphql(`
  query Alerts($filter: AlertFilter, $after: String) {
    alerts(filter: $filter, first: 100, after: $after, orderBy: [{ field: ID, direction: DESC }]) {
      totalCount
      pageInfo { hasNextPage endCursor }
      nodes { id kind type title severity sensor srcIp dstIp srcPort dstPort occurredAt acknowledged }
    }
  }
`);

const OpenCases = graphql(`
  query OpenCases {
    cases(filter: { status: { eq: OPEN } }, first: 100, orderBy: [{ field: NUMBER, direction: DESC }]) {
      nodes { id number name }
    }
  }
`);

export const Acknowledge = graphql(`
  mutation Acknowledge($ids: [ID!]!, $acknowledged: Boolean!) {
    acknowledgeAlerts(ids: $ids, acknowledged: $acknowledged)
  }
`);

const Attach = graphql(`
  mutation Attach($caseId: ID!, $alertIds: [ID!]!) {
    attachAlerts(caseId: $caseId, alertIds: $alertIds) { id number }
  }
`);

type Row = ResultOf<typeof AlertsQuery>["alerts"]["nodes"][number] | LiveAlert;
type Filter = NonNullable<VariablesOf<typeof AlertsQuery>["filter"]>;
const SEVERITIES = ["INFO", "NOTICE", "WARNING", "ERROR", "CRITICAL", "EMERGENCY"] as const;
type Severity = (typeof SEVERITIES)[number];

function filterOf(p: URLSearchParams): { filter: Filter; problem?: string } {
  const all: Filter[] = [];
  const sev = p.get("severity");
  if (sev && (SEVERITIES as readonly string[]).includes(sev))
    all.push({ severity: { gte: sev as Severity } });
  for (const field of ["kind", "type", "sensor"] as const) {
    const v = p.get(field);
    if (v) all.push({ [field]: { eq: v } });
  }
  const host = p.get("host");
  if (host) {
    if (!isIP(host)) return { filter: {}, problem: `"${host}" is not an IP address` };
    all.push({ host: { eq: host } });
  }
  all.push(...timeConditions(p, "occurredAt"));
  const ack = p.get("acknowledged");
  if (ack === "yes" || ack === "no") all.push({ acknowledged: { eq: ack === "yes" } });
  return { filter: all.length ? { and: all } : {} };
}

export function AlertsPage() {
  const [live, setLive] = useState<Row[]>([]);
  const [selected, setSelected] = useState<Set<string>>(new Set());
  // A new filter starts the list (and the live part of it) again.
  const restart = useCallback(() => {
    setLive([]);
    setSelected(new Set());
  }, []);
  const filters = useUrlFilters(restart);
  const { params, set } = filters;
  const { filter, problem } = useMemo(() => filterOf(params), [params]);
  const key = JSON.stringify(filter);
  const pages = usePages(AlertsQuery, { filter }, (d) => d.alerts, key);
  const canWrite = useCan("alerts:write");
  const canCase = useCan("cases:write");
  const [{ data: cases }] = useQuery({ query: OpenCases, pause: !canCase });
  const [caseId, setCaseId] = useState("");
  const [ack, acknowledge] = useMutation(Acknowledge);
  const [att, attach] = useMutation(Attach);
  const [done, setDone] = useState("");

  // The subscription starts once the first page is in, from its newest alert.
  const newest =
    pages.fetching && pages.rows.length === 0 && live.length === 0
      ? undefined
      : (live[0]?.id ?? pages.rows[0]?.id ?? null);
  const state = useLiveAlerts(filter, pages.total === undefined ? undefined : newest, (a) =>
    setLive((l) => (l.some((x) => x.id === a.id) ? l : [a, ...l])),
  );
  const rows = useMemo(() => {
    const seen = new Set(live.map((a) => a.id));
    return [...live, ...pages.rows.filter((a) => !seen.has(a.id))];
  }, [live, pages.rows]);

  const ids = [...selected];
  const columns: Column<Row>[] = [
    {
      header: "Severity",
      cell: (a) => <span className={`sev sev-${a.severity}`}>{a.severity}</span>,
      width: "7rem",
    },
    { header: "Time", cell: (a) => <Time at={a.occurredAt} />, width: "11rem" },
    {
      header: "Title",
      cell: (a) => <Link to={`/alerts/${encodeURIComponent(a.id)}`}>{a.title}</Link>,
      width: "minmax(12rem, 3fr)",
    },
    { header: "Kind", cell: (a) => `${a.kind}/${a.type}`, width: "8rem" },
    { header: "Source", cell: (a) => (a.srcIp ? <Link to={`/hosts/${a.srcIp}`}>{a.srcIp}</Link> : "—") },
    { header: "Destination", cell: (a) => (a.dstIp ? <Link to={`/hosts/${a.dstIp}`}>{a.dstIp}</Link> : "—") },
    { header: "Sensor", cell: (a) => a.sensor ?? "", width: "7rem" },
    { header: "Ack", cell: (a) => (a.acknowledged ? "yes" : ""), width: "3rem" },
  ];
  return (
    <section aria-labelledby="alerts-title">
      <h1 id="alerts-title">
        Alerts{" "}
        <span className={`live live-${state}`} role="status">
          {state === "live" ? "● live" : state === "connecting" ? "○ connecting…" : "○ reconnecting…"}
        </span>
      </h1>
      <form className="filters" aria-label="Alert filters" onSubmit={(e) => e.preventDefault()}>
        <label>
          Severity at least
          <select value={params.get("severity") ?? ""} onChange={(e) => set("severity", e.target.value)}>
            <option value="">any</option>
            {SEVERITIES.map((s) => (
              <option key={s}>{s}</option>
            ))}
          </select>
        </label>
        {(["kind", "type", "sensor", "host"] as const).map((f) => (
          <label key={f}>
            {f[0].toUpperCase() + f.slice(1)}
            <input
              defaultValue={params.get(f) ?? ""}
              onBlur={(e) => set(f, e.target.value.trim())}
              onKeyDown={(e) => e.key === "Enter" && set(f, e.currentTarget.value.trim())}
            />
          </label>
        ))}
        <TimeRange {...filters} />
        <label>
          Acknowledged
          <select
            value={params.get("acknowledged") ?? ""}
            onChange={(e) => set("acknowledged", e.target.value)}
          >
            <option value="">either</option>
            <option value="no">no</option>
            <option value="yes">yes</option>
          </select>
        </label>
      </form>
      {problem && (
        <p role="alert" className="error">
          {problem}
        </p>
      )}
      <ErrorNotice error={pages.error} />
      {(canWrite || canCase) && (
        <div className="bulk" role="toolbar" aria-label="Selected alerts">
          <span>{ids.length} selected</span>
          {canWrite && (
            <button
              type="button"
              disabled={ids.length === 0 || ack.fetching}
              onClick={async () => {
                const r = await acknowledge({ ids, acknowledged: true });
                if (!r.error) {
                  setDone(`${r.data?.acknowledgeAlerts} acknowledged`);
                  setSelected(new Set());
                  setLive([]);
                  pages.reload();
                }
              }}
            >
              Acknowledge
            </button>
          )}
          {canCase && (
            <>
              <label>
                Case
                <select value={caseId} onChange={(e) => setCaseId(e.target.value)}>
                  <option value="">choose an open case</option>
                  {cases?.cases.nodes.map((c) => (
                    <option key={c.id} value={c.id}>
                      #{c.number} {c.name}
                    </option>
                  ))}
                </select>
              </label>
              <button
                type="button"
                disabled={ids.length === 0 || !caseId || att.fetching}
                onClick={async () => {
                  const r = await attach({ caseId, alertIds: ids });
                  if (!r.error) {
                    setDone(`${ids.length} attached to case #${r.data?.attachAlerts.number}`);
                    setSelected(new Set());
                  }
                }}
              >
                Attach to case
              </button>
            </>
          )}
          <span role="status">{done}</span>
          <ErrorNotice error={ack.error ?? att.error} />
        </div>
      )}
      <Table<Row>
        label="Alerts"
        columns={columns}
        rows={rows}
        rowKey={(a) => a.id}
        total={pages.total === undefined ? undefined : pages.total + live.length}
        hasMore={pages.hasMore}
        loadMore={pages.loadMore}
        fetching={pages.fetching}
        height={600}
        selected={canWrite || canCase ? selected : undefined}
        onSelect={
          canWrite || canCase
            ? (id, on) =>
                setSelected((s) => {
                  const n = new Set(s);
                  if (on) n.add(id);
                  else n.delete(id);
                  return n;
                })
            : undefined
        }
      />
    </section>
  );
}
