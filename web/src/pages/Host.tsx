// Everything Pivot knows of one host, on one page.
import { useState } from "react";
import { Link, useParams } from "react-router";
import { useQuery } from "urql";
import { flowColumns } from "../components/FlowColumns";
import { Notes } from "../components/Notes";
import { Table } from "../components/Table";
import { Time } from "../components/Time";
import { ErrorNotice } from "../errors";
import { graphql, type ResultOf, type VariablesOf } from "../graphql";
import { isIP } from "../ip";
import { tablePages, usePages } from "../paging";
import { useCan } from "../session";

const HostQuery = graphql(`
  query Host($ip: IpAddr!, $ipdr: Boolean!) {
    host(ip: $ip) {
      id ip hostnames mac os status firstSeen lastSeen categories openPortCount
      geo { country city asn asName }
      osMatches { name accuracy }
      scripts { scriptId output }
      traceroute { ttl ip rtt hostname }
      ports(first: 500) {
        totalCount
        nodes {
          id port protocol state reason serviceName serviceProduct serviceVersion serviceExtra cpes firstSeen lastSeen
          scripts { scriptId output }
          sightings { seenAt state }
        }
      }
      alerts(first: 50) { totalCount nodes { id title severity occurredAt srcIp dstIp acknowledged } }
      dnsRecords(first: 50) { totalCount nodes { id name type value firstSeen lastSeen count } }
      ipdrRecords(first: 50) @include(if: $ipdr) {
        totalCount
        nodes { protocol srcIp srcPort dstIp dstPort natIp natPort startTime endTime userId subscriberId }
      }
      iocs { id type value tlp }
      cases { id number name status }
      device { id mac hostname vendor lastIp }
      network { id name cidr }
      imports { id fileName format startedAt }
    }
  }
`);

const HostFlows = graphql(`
  query HostFlows($filter: FlowFilter!, $after: String, $orderBy: [FlowOrder!]) {
    flows(filter: $filter, first: 200, after: $after, orderBy: $orderBy) {
      totalCount
      pageInfo { hasNextPage endCursor }
      nodes { id srcIp srcPort dstIp dstPort protocol application srcBytes dstBytes startedAt endedAt state sensor }
    }
  }
`);

type HostData = NonNullable<ResultOf<typeof HostQuery>["host"]>;
type FlowRow = ResultOf<typeof HostFlows>["flows"]["nodes"][number];
type FlowFilter = VariablesOf<typeof HostFlows>["filter"];

export function HostPage() {
  const ip = useParams().ip ?? "";
  const ipdr = useCan("ipdr:read");
  const [{ data, error, fetching }] = useQuery({ query: HostQuery, variables: { ip, ipdr } });
  if (fetching && !data) return <p className="loading">Loading {ip}…</p>;
  const host = data?.host;
  if (!host)
    return (
      <>
        <ErrorNotice error={error} />
        {!error && <p role="alert">Pivot knows no host {ip}, or it is not yours to see.</p>}
      </>
    );
  return (
    <article aria-labelledby="host-title" className="page">
      <h1 id="host-title">
        {host.ip} {host.hostnames.length > 0 && <span className="muted">{host.hostnames.join(", ")}</span>}
      </h1>
      <p className="actions">
        <Link to={`/graph?start=${encodeURIComponent(host.id)}`}>Open in graph</Link>
        <Link to={`/flows?host=${encodeURIComponent(host.ip)}`}>Flows explorer</Link>
      </p>
      <ErrorNotice error={error} />
      <Facts host={host} />
      <Ports host={host} />
      <section aria-labelledby="alerts-title">
        <h2 id="alerts-title">
          Alerts <span className="count">{host.alerts.totalCount}</span>
        </h2>
        <ul className="plain">
          {host.alerts.nodes.map((a) => (
            <li key={a.id}>
              <span className={`sev sev-${a.severity}`}>{a.severity}</span>{" "}
              <Link to={`/alerts/${encodeURIComponent(a.id)}`}>{a.title}</Link>{" "}
              <span className="muted">
                {a.srcIp} → {a.dstIp} · <Time at={a.occurredAt} />
                {a.acknowledged && " · acknowledged"}
              </span>
            </li>
          ))}
        </ul>
        {host.alerts.totalCount > host.alerts.nodes.length && (
          <Link to={`/alerts?host=${encodeURIComponent(host.ip)}`}>All {host.alerts.totalCount} alerts</Link>
        )}
      </section>
      <Flows ip={host.ip} />
      <section aria-labelledby="dns-title">
        <h2 id="dns-title">
          Passive DNS <span className="count">{host.dnsRecords.totalCount}</span>
        </h2>
        <Table
          label="Passive DNS"
          rows={host.dnsRecords.nodes}
          rowKey={(d) => d.id}
          height={240}
          columns={[
            { header: "Name", cell: (d) => d.name },
            { header: "Type", cell: (d) => d.type, width: "5rem" },
            { header: "Value", cell: (d) => d.value },
            { header: "First seen", cell: (d) => <Time at={d.firstSeen} /> },
            { header: "Last seen", cell: (d) => <Time at={d.lastSeen} /> },
            { header: "Count", cell: (d) => d.count, width: "5rem" },
          ]}
        />
      </section>
      {host.ipdrRecords && (
        <section aria-labelledby="ipdr-title">
          <h2 id="ipdr-title">
            IPDR records <span className="count">{host.ipdrRecords.totalCount}</span>
          </h2>
          <Table
            label="IPDR records"
            rows={host.ipdrRecords.nodes}
            rowKey={(r) => `${r.startTime}-${r.srcIp}-${r.srcPort}-${r.natPort}`}
            height={240}
            columns={[
              { header: "Start", cell: (r) => <Time at={r.startTime} /> },
              { header: "End", cell: (r) => <Time at={r.endTime} /> },
              { header: "Subscriber", cell: (r) => r.subscriberId ?? r.userId ?? "—" },
              { header: "Source", cell: (r) => `${r.srcIp ?? ""}:${r.srcPort ?? ""}` },
              { header: "NAT", cell: (r) => `${r.natIp ?? ""}:${r.natPort ?? ""}` },
              { header: "Destination", cell: (r) => `${r.dstIp ?? ""}:${r.dstPort ?? ""}` },
            ]}
          />
        </section>
      )}
      <section aria-labelledby="iocs-title">
        <h2 id="iocs-title">IOCs that match</h2>
        {host.iocs.length === 0 ? (
          <p className="muted">None.</p>
        ) : (
          <ul className="plain">
            {host.iocs.map((i) => (
              <li key={i.id}>
                {i.value}{" "}
                <span className="muted">
                  {i.type} · TLP:{i.tlp}
                </span>
              </li>
            ))}
          </ul>
        )}
      </section>
      <section aria-labelledby="cases-title">
        <h2 id="cases-title">Cases</h2>
        {host.cases.length === 0 ? (
          <p className="muted">None.</p>
        ) : (
          <ul className="plain">
            {host.cases.map((c) => (
              <li key={c.id}>
                <Link to={`/cases/${encodeURIComponent(c.id)}`}>
                  #{c.number} {c.name}
                </Link>{" "}
                <span className="muted">{c.status.toLowerCase()}</span>
              </li>
            ))}
          </ul>
        )}
      </section>
      <Notes subjectId={host.id} />
    </article>
  );
}

function Facts({ host }: { host: HostData }) {
  return (
    <dl className="facts">
      <dt>Status</dt>
      <dd>{host.status ?? "—"}</dd>
      <dt>MAC</dt>
      <dd>{host.mac ?? "—"}</dd>
      <dt>OS</dt>
      <dd>
        {host.os ?? "—"}
        {host.osMatches.length > 0 && (
          <span className="muted"> ({host.osMatches.map((m) => `${m.name} ${m.accuracy}%`).join("; ")})</span>
        )}
      </dd>
      <dt>First seen</dt>
      <dd>
        <Time at={host.firstSeen} />
      </dd>
      <dt>Last seen</dt>
      <dd>
        <Time at={host.lastSeen} />
      </dd>
      <dt>Location</dt>
      <dd>
        {host.geo
          ? [host.geo.city, host.geo.country, host.geo.asn && `AS${host.geo.asn} ${host.geo.asName ?? ""}`]
              .filter(Boolean)
              .join(" · ")
          : "—"}
      </dd>
      <dt>Device</dt>
      <dd>
        {host.device
          ? `${host.device.hostname ?? host.device.mac} (${host.device.vendor ?? "unknown vendor"})`
          : "—"}
      </dd>
      <dt>Network</dt>
      <dd>{host.network ? `${host.network.name} ${host.network.cidr}` : "—"}</dd>
      <dt>Categories</dt>
      <dd>{host.categories.join(", ") || "—"}</dd>
      <dt>Imported from</dt>
      <dd>{host.imports.map((i) => `${i.fileName} (${i.format})`).join(", ") || "—"}</dd>
    </dl>
  );
}

function Ports({ host }: { host: HostData }) {
  const [open, setOpen] = useState<string | null>(null);
  return (
    <section aria-labelledby="ports-title">
      <h2 id="ports-title">
        Ports <span className="count">{host.ports.totalCount}</span>{" "}
        <span className="muted">{host.openPortCount} open</span>
      </h2>
      <table className="grid">
        <thead>
          <tr>
            <th scope="col">Port</th>
            <th scope="col">State</th>
            <th scope="col">Service</th>
            <th scope="col">Product</th>
            <th scope="col">Version</th>
            <th scope="col">CPEs</th>
            <th scope="col">Seen</th>
            <th scope="col">Scripts</th>
          </tr>
        </thead>
        <tbody>
          {host.ports.nodes.map((p) => (
            <PortRow
              key={p.id}
              port={p}
              open={open === p.id}
              toggle={() => setOpen(open === p.id ? null : p.id)}
            />
          ))}
        </tbody>
      </table>
      {host.scripts.length > 0 && (
        <>
          <h3>Host scripts</h3>
          {host.scripts.map((s) => (
            <details key={s.scriptId}>
              <summary>{s.scriptId}</summary>
              <pre>{s.output}</pre>
            </details>
          ))}
        </>
      )}
    </section>
  );
}

function PortRow({
  port: p,
  open,
  toggle,
}: {
  port: HostData["ports"]["nodes"][number];
  open: boolean;
  toggle: () => void;
}) {
  return (
    <>
      <tr>
        <td>
          {p.port}/{p.protocol.toLowerCase()}
        </td>
        <td>{p.state}</td>
        <td>{p.serviceName ?? ""}</td>
        <td>{p.serviceProduct ?? ""}</td>
        <td>{[p.serviceVersion, p.serviceExtra].filter(Boolean).join(" ")}</td>
        <td>{p.cpes.join(" ")}</td>
        <td title={p.sightings.map((s) => `${s.seenAt} ${s.state}`).join("\n")}>
          {p.sightings.length} × <Time at={p.lastSeen} />
        </td>
        <td>
          {p.scripts.length > 0 && (
            <button type="button" className="link" aria-expanded={open} onClick={toggle}>
              {p.scripts.length} script{p.scripts.length > 1 ? "s" : ""}
            </button>
          )}
        </td>
      </tr>
      {open && (
        <tr>
          <td colSpan={8}>
            {p.scripts.map((s) => (
              <div key={s.scriptId}>
                <strong>{s.scriptId}</strong>
                <pre>{s.output}</pre>
              </div>
            ))}
            <p className="muted">
              Sightings:{" "}
              {p.sightings.map((s) => `${s.seenAt.slice(0, 19).replace("T", " ")} ${s.state}`).join(" · ")}
            </p>
          </td>
        </tr>
      )}
    </>
  );
}

function Flows({ ip }: { ip: string }) {
  const [sort, setSort] = useState({ field: "STARTED_AT", desc: true });
  const [peer, setPeer] = useState("");
  const [port, setPort] = useState("");
  const [protocol, setProtocol] = useState("");
  const all: FlowFilter[] = [{ host: { eq: ip } }];
  if (isIP(peer)) all.push({ or: [{ src: { eq: peer } }, { dst: { eq: peer } }] });
  const portNumber = Number(port);
  if (port && Number.isInteger(portNumber) && portNumber >= 0 && portNumber < 65536)
    all.push({ port: { eq: portNumber } });
  if (protocol === "TCP" || protocol === "UDP" || protocol === "ICMP")
    all.push({ protocol: { eq: protocol } });
  const variables = {
    filter: { and: all },
    orderBy: [
      { field: sort.field as "STARTED_AT", direction: sort.desc ? ("DESC" as const) : ("ASC" as const) },
    ],
  };
  const pages = usePages(HostFlows, variables, (d) => d.flows, JSON.stringify(variables));
  return (
    <section aria-labelledby="flows-title">
      <h2 id="flows-title">
        Flows <span className="count">{pages.total ?? "…"}</span>
      </h2>
      <form className="filters" aria-label="Flow filters" onSubmit={(e) => e.preventDefault()}>
        <label>
          Peer address
          <input value={peer} onChange={(e) => setPeer(e.target.value.trim())} />
        </label>
        <label>
          Port
          <input value={port} inputMode="numeric" onChange={(e) => setPort(e.target.value.trim())} />
        </label>
        <label>
          Protocol
          <select value={protocol} onChange={(e) => setProtocol(e.target.value)}>
            <option value="">any</option>
            <option>TCP</option>
            <option>UDP</option>
            <option>ICMP</option>
          </select>
        </label>
        {peer && !isIP(peer) && <span className="error">not an address yet</span>}
      </form>
      <ErrorNotice error={pages.error} />
      <Table<FlowRow>
        label="Flows"
        {...tablePages(pages)}
        rowKey={(f) => f.id}
        sort={sort}
        onSort={(field) => setSort((s) => ({ field, desc: s.field === field ? !s.desc : true }))}
        columns={flowColumns<FlowRow>(true)}
      />
    </section>
  );
}
