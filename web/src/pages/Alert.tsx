// One alert: what fired, between which hosts, its flow, its packet capture, its cases.
import { Link, useParams } from "react-router";
import { useMutation, useQuery } from "urql";
import { Time } from "../components/Time";
import { ErrorNotice } from "../errors";
import { graphql } from "../graphql";
import { useCan } from "../session";
import { Acknowledge } from "./Alerts";

const AlertQuery = graphql(`
  query Alert($id: ID!) {
    node(id: $id) {
      ... on Alert {
        id kind type title message severity score sensor occurredAt acknowledged hostname
        srcIp dstIp srcPort dstPort srcMac dstMac
        flow { id protocol application srcBytes dstBytes srcPackets dstPackets startedAt endedAt state uid }
        pcap { id packets bytes url }
        cases { id number name status }
        import { id fileName }
      }
    }
  }
`);

export function AlertPage() {
  const id = useParams().id ?? "";
  const [{ data, error, fetching }, refetch] = useQuery({ query: AlertQuery, variables: { id } });
  const [ack, acknowledge] = useMutation(Acknowledge);
  const canWrite = useCan("alerts:write");
  const a = data?.node && "title" in data.node ? data.node : null;
  if (fetching && !data) return <p className="loading">Loading…</p>;
  if (!a)
    return (
      <>
        <ErrorNotice error={error} />
        {!error && <p role="alert">There is no such alert, or it is not yours to see.</p>}
      </>
    );
  return (
    <article aria-labelledby="alert-title" className="page">
      <h1 id="alert-title">
        <span className={`sev sev-${a.severity}`}>{a.severity}</span> {a.title}
      </h1>
      <p className="actions">
        <Link to={`/graph?start=${encodeURIComponent(a.id)}`}>Open in graph</Link>
        {canWrite && (
          <button
            type="button"
            disabled={ack.fetching}
            onClick={async () => {
              await acknowledge({ ids: [a.id], acknowledged: !a.acknowledged });
              refetch({ requestPolicy: "network-only" });
            }}
          >
            {a.acknowledged ? "Mark unacknowledged" : "Acknowledge"}
          </button>
        )}
      </p>
      <ErrorNotice error={ack.error} />
      <dl className="facts">
        <dt>Kind</dt>
        <dd>
          {a.kind} / {a.type} (score {a.score})
        </dd>
        <dt>When</dt>
        <dd>
          <Time at={a.occurredAt} />
        </dd>
        <dt>Source</dt>
        <dd>
          {a.srcIp ? (
            <Link to={`/hosts/${a.srcIp}`}>{`${a.srcIp}${a.srcPort ? `:${a.srcPort}` : ""}`}</Link>
          ) : (
            "—"
          )}{" "}
          {a.srcMac}
        </dd>
        <dt>Destination</dt>
        <dd>
          {a.dstIp ? (
            <Link to={`/hosts/${a.dstIp}`}>{`${a.dstIp}${a.dstPort ? `:${a.dstPort}` : ""}`}</Link>
          ) : (
            "—"
          )}{" "}
          {a.dstMac}
        </dd>
        <dt>Sensor</dt>
        <dd>{a.sensor ?? "—"}</dd>
        <dt>Acknowledged</dt>
        <dd>{a.acknowledged ? "yes" : "no"}</dd>
        <dt>Imported from</dt>
        <dd>{a.import?.fileName ?? "—"}</dd>
      </dl>
      {a.message && <pre className="message">{a.message}</pre>}
      <section aria-labelledby="flow-title">
        <h2 id="flow-title">Flow</h2>
        {a.flow ? (
          <p>
            {a.flow.protocol.toLowerCase()} {a.flow.application ?? ""} · {a.flow.srcBytes} B /{" "}
            {a.flow.srcPackets} packets out, {a.flow.dstBytes} B / {a.flow.dstPackets} packets in ·{" "}
            <Time at={a.flow.startedAt} /> → <Time at={a.flow.endedAt} /> {a.flow.state} {a.flow.uid}
          </p>
        ) : (
          <p className="muted">No flow recorded.</p>
        )}
      </section>
      <section aria-labelledby="pcap-title">
        <h2 id="pcap-title">Packet capture</h2>
        {a.pcap ? (
          <a href={a.pcap.url} download>
            Download ({a.pcap.packets} packets, {a.pcap.bytes} bytes)
          </a>
        ) : (
          <p className="muted">None kept.</p>
        )}
      </section>
      <section aria-labelledby="acases-title">
        <h2 id="acases-title">Cases</h2>
        {a.cases.length === 0 ? (
          <p className="muted">Not attached to a case.</p>
        ) : (
          <ul className="plain">
            {a.cases.map((c) => (
              <li key={c.id}>
                <Link to={`/cases/${encodeURIComponent(c.id)}`}>
                  #{c.number} {c.name}
                </Link>
              </li>
            ))}
          </ul>
        )}
      </section>
    </article>
  );
}
