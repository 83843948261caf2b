// Where an investigator lands: alerts by severity over time, top talkers, open cases,
// the latest imports.
import { useState } from "react";
import { Link } from "react-router";
import { useQuery } from "urql";
import { Histogram } from "../components/Histogram";
import { Time } from "../components/Time";
import { Top } from "../components/Top";
import { ErrorNotice } from "../errors";
import { graphql } from "../graphql";

const Dashboard = graphql(`
  query Dashboard($since: Instant!, $seconds: Int!) {
    alertsAggregate(filter: { occurredAt: { gte: $since } }) {
      count
      bySeverity: groupBy(field: SEVERITY, first: 6) { value count }
    }
    high: alertsAggregate(filter: { occurredAt: { gte: $since }, severity: { gte: ERROR } }) {
      histogram(field: OCCURRED_AT, seconds: $seconds, first: 400) { start count }
    }
    rest: alertsAggregate(filter: { occurredAt: { gte: $since }, severity: { lte: WARNING } }) {
      histogram(field: OCCURRED_AT, seconds: $seconds, first: 400) { start count }
    }
    flowsAggregate(filter: { startedAt: { gte: $since } }) {
      count
      talkers: groupBy(field: SRC, first: 10) { value count }
    }
    cases(filter: { status: { eq: OPEN } }, first: 10, orderBy: [{ field: UPDATED_AT, direction: DESC }]) {
      totalCount
      nodes { id number name updatedAt customer { id name } }
    }
    imports(last: 5) { nodes { id format fileName startedAt read inserted } }
  }
`);

const PERIODS = {
  day: { label: "last 24 hours", seconds: 3600, span: 86400 },
  week: { label: "last 7 days", seconds: 21600, span: 7 * 86400 },
  month: { label: "last 30 days", seconds: 86400, span: 30 * 86400 },
  all: { label: "all time", seconds: 86400, span: 0 },
} as const;
type Period = keyof typeof PERIODS;

export function DashboardPage() {
  const [period, setPeriod] = useState<Period>("all");
  const p = PERIODS[period];
  const [since] = useState(() => Date.now());
  const from = p.span ? new Date(since - p.span * 1000).toISOString() : "1970-01-01T00:00:00Z";
  const [{ data, error, fetching }] = useQuery({
    query: Dashboard,
    variables: { since: from, seconds: p.seconds },
  });
  return (
    <section aria-labelledby="dash-title">
      <h1 id="dash-title">Dashboard</h1>
      <label>
        Period{" "}
        <select value={period} onChange={(e) => setPeriod(e.target.value as Period)}>
          {(Object.keys(PERIODS) as Period[]).map((k) => (
            <option key={k} value={k}>
              {PERIODS[k].label}
            </option>
          ))}
        </select>
      </label>
      <ErrorNotice error={error} />
      {fetching && !data && <p className="loading">Loading…</p>}
      {data && (
        <div className="dashboard">
          <section aria-labelledby="d-alerts">
            <h2 id="d-alerts">
              Alerts <span className="count">{data.alertsAggregate.count}</span>
            </h2>
            <p>
              {data.alertsAggregate.bySeverity.map((s) => (
                <Link key={s.value} to={`/alerts?severity=${s.value}`} className={`sev sev-${s.value}`}>
                  {s.value} {s.count}
                </Link>
              ))}
            </p>
            <Histogram label="Error and above" buckets={data.high.histogram} seconds={p.seconds} />
            <Histogram label="Below error" buckets={data.rest.histogram} seconds={p.seconds} />
          </section>
          <Top
            title={`Top talkers (${data.flowsAggregate.count} flows)`}
            rows={data.flowsAggregate.talkers}
            link={(v) => `/hosts/${v}`}
          />
          <section aria-labelledby="d-cases">
            <h2 id="d-cases">
              Open cases <span className="count">{data.cases.totalCount}</span>
            </h2>
            <ul className="plain">
              {data.cases.nodes.map((c) => (
                <li key={c.id}>
                  <Link to={`/cases/${encodeURIComponent(c.id)}`}>
                    #{c.number} {c.name}
                  </Link>{" "}
                  <span className="muted">
                    {c.customer.name} · <Time at={c.updatedAt} />
                  </span>
                </li>
              ))}
            </ul>
          </section>
          <section aria-labelledby="d-imports">
            <h2 id="d-imports">Latest imports</h2>
            <ul className="plain">
              {[...data.imports.nodes].reverse().map((i) => (
                <li key={i.id}>
                  {i.fileName}{" "}
                  <span className="muted">
                    ({i.format}) · {i.read} read, {i.inserted} new · <Time at={i.startedAt} />
                  </span>
                </li>
              ))}
            </ul>
            <Link to="/import">Import a file</Link>
          </section>
        </div>
      )}
    </section>
  );
}
