// One box for everything: an address, a network, a MAC, a case number, or any text
// (hostnames, IOC values, case names, alert signatures, DNS names). Results are
// grouped by kind; arrow keys move through them, Enter opens one.
import { type KeyboardEvent, useEffect, useMemo, useRef, useState } from "react";
import { useNavigate, useSearchParams } from "react-router";
import { useQuery } from "urql";
import { ErrorNotice } from "../errors";
import { graphql } from "../graphql";
import { classify, contains } from "../search";

const Search = graphql(`
  query Search(
    $hosts: HostFilter!
    $iocs: IocFilter!
    $cases: CaseFilter!
    $alerts: AlertFilter!
    $dns: DnsRecordFilter!
    $withAlerts: Boolean!
    $withDns: Boolean!
  ) {
    hosts(filter: $hosts, first: 10) { totalCount nodes { id ip hostnames os openPortCount } }
    iocs(filter: $iocs, first: 10) { totalCount nodes { id type value tlp } }
    cases(filter: $cases, first: 10) { totalCount nodes { id number name status customer { id name } } }
    alerts(filter: $alerts, first: 10, orderBy: [{ field: OCCURRED_AT, direction: DESC }]) @include(if: $withAlerts) {
      totalCount
      nodes { id title severity srcIp dstIp occurredAt }
    }
    dnsRecords(filter: $dns, first: 10) @include(if: $withDns) {
      totalCount
      nodes { id name type value host { id ip } }
    }
  }
`);

const never = { ip: { isNull: true } };

function variables(q: string) {
  const { kind, value } = classify(q);
  const like = { like: contains(value) };
  switch (kind) {
    case "ip":
      return {
        hosts: { ip: { eq: value } },
        iocs: { value: { eq: value } },
        cases: { name: like },
        alerts: { host: { eq: value } },
        dns: { value: { eq: value } },
        withAlerts: true,
        withDns: true,
      };
    case "cidr":
      return {
        hosts: { ip: { within: [value] } },
        iocs: { value: { eq: value } },
        cases: { name: like },
        alerts: { or: [{ srcIp: { within: [value] } }, { dstIp: { within: [value] } }] },
        dns: { value: { eq: value } },
        withAlerts: true,
        withDns: false,
      };
    case "mac":
      return {
        hosts: { mac: { eq: value } },
        iocs: { value: { eq: value } },
        cases: { name: like },
        alerts: { or: [{ srcMac: { eq: value } }, { dstMac: { eq: value } }] },
        dns: { value: { eq: value } },
        withAlerts: true,
        withDns: false,
      };
    case "number":
      return {
        hosts: never,
        iocs: { value: like },
        cases: { or: [{ number: { eq: Number(value) } }, { name: like }] },
        alerts: { title: like },
        dns: { name: like },
        withAlerts: false,
        withDns: false,
      };
    default:
      return {
        hosts: { hostnames: { name: like } },
        iocs: { value: like },
        cases: { or: [{ name: like }, { socId: { eq: value } }] },
        alerts: { title: like },
        dns: { name: like },
        withAlerts: true,
        withDns: true,
      };
  }
}

export function SearchBox({ onSearch }: { onSearch: (q: string) => void }) {
  const [q, setQ] = useState("");
  const input = useRef<HTMLInputElement>(null);
  // "/" anywhere outside a text field jumps to the search box.
  useEffect(() => {
    const onKey = (e: globalThis.KeyboardEvent) => {
      const t = e.target as HTMLElement;
      if (e.key === "/" && !["INPUT", "TEXTAREA", "SELECT"].includes(t.tagName) && !t.isContentEditable) {
        e.preventDefault();
        input.current?.focus();
      }
    };
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, []);
  return (
    <search>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          if (q.trim()) onSearch(q.trim());
        }}
      >
        <input
          ref={input}
          type="search"
          aria-label="Search hosts, networks, MACs, IOCs, cases, signatures"
          placeholder="Search (press /)"
          value={q}
          onChange={(e) => setQ(e.target.value)}
        />
      </form>
    </search>
  );
}

type Hit = { key: string; kind: string; to: string; label: string; detail?: string };

export function SearchPage() {
  const [params] = useSearchParams();
  const q = params.get("q") ?? "";
  const vars = useMemo(() => variables(q), [q]);
  const [{ data, error, fetching }] = useQuery({ query: Search, variables: vars, pause: !q });
  const navigate = useNavigate();
  const [active, setActive] = useState(0);
  const list = useRef<HTMLDivElement>(null);

  const groups: { kind: string; total: number; hits: Hit[] }[] = [];
  if (data) {
    groups.push({
      kind: "Hosts",
      total: data.hosts.totalCount,
      hits: data.hosts.nodes.map((h) => ({
        key: h.id,
        kind: "host",
        to: `/hosts/${h.ip}`,
        label: h.ip,
        detail: [h.hostnames.join(", "), h.os, `${h.openPortCount} open ports`].filter(Boolean).join(" · "),
      })),
    });
    groups.push({
      kind: "IOCs",
      total: data.iocs.totalCount,
      hits: data.iocs.nodes.map((i) => ({
        key: i.id,
        kind: "ioc",
        to: `/graph?start=${encodeURIComponent(i.id)}`,
        label: i.value,
        detail: `${i.type} · TLP:${i.tlp}`,
      })),
    });
    groups.push({
      kind: "Cases",
      total: data.cases.totalCount,
      hits: data.cases.nodes.map((c) => ({
        key: c.id,
        kind: "case",
        to: `/cases/${encodeURIComponent(c.id)}`,
        label: `#${c.number} ${c.name}`,
        detail: `${c.customer.name} · ${c.status.toLowerCase()}`,
      })),
    });
    if (data.alerts)
      groups.push({
        kind: "Alerts",
        total: data.alerts.totalCount,
        hits: data.alerts.nodes.map((a) => ({
          key: a.id,
          kind: "alert",
          to: `/alerts/${encodeURIComponent(a.id)}`,
          label: a.title,
          detail: `${a.severity.toLowerCase()} · ${a.srcIp ?? "?"} → ${a.dstIp ?? "?"} · ${a.occurredAt}`,
        })),
      });
    if (data.dnsRecords)
      groups.push({
        kind: "Passive DNS",
        total: data.dnsRecords.totalCount,
        hits: data.dnsRecords.nodes.map((d) => ({
          key: d.id,
          kind: "dns",
          to: d.host ? `/hosts/${d.host.ip}` : `/search?q=${encodeURIComponent(d.value)}`,
          label: `${d.name} ${d.type} ${d.value}`,
        })),
      });
  }
  const hits = groups.flatMap((g) => g.hits);
  const onKey = (e: KeyboardEvent) => {
    if (e.key === "ArrowDown" || e.key === "ArrowUp") {
      e.preventDefault();
      const next = Math.max(0, Math.min(hits.length - 1, active + (e.key === "ArrowDown" ? 1 : -1)));
      setActive(next);
      list.current?.querySelector<HTMLAnchorElement>(`[data-index="${next}"]`)?.focus();
    } else if (e.key === "Enter" && hits[active]) {
      navigate(hits[active].to);
    }
  };
  let index = 0;
  return (
    <section aria-labelledby="search-title">
      <h1 id="search-title">Search: {q}</h1>
      <p className="muted">
        Looked for as {classify(q).kind === "text" ? "text" : `a ${classify(q).kind}`}. Arrow keys move, Enter
        opens.
      </p>
      <ErrorNotice error={error} />
      {fetching && !data && <p className="loading">Searching…</p>}
      {/* biome-ignore lint/a11y/noStaticElementInteractions: arrow keys move between the links inside */}
      <div ref={list} onKeyDown={onKey} className="results">
        {groups.map((g) => (
          <section key={g.kind} aria-label={g.kind}>
            <h2>
              {g.kind} <span className="count">{g.total}</span>
            </h2>
            {g.hits.length === 0 ? (
              <p className="muted">None.</p>
            ) : (
              <ul>
                {g.hits.map((h) => {
                  const i = index++;
                  return (
                    <li key={h.key}>
                      <a
                        href={h.to}
                        data-index={i}
                        className={i === active ? "active" : undefined}
                        onFocus={() => setActive(i)}
                        onClick={(e) => {
                          e.preventDefault();
                          navigate(h.to);
                        }}
                      >
                        <span className={`kind kind-${h.kind}`}>{h.kind}</span> {h.label}
                      </a>{" "}
                      {h.detail && <span className="muted">{h.detail}</span>}
                    </li>
                  );
                })}
              </ul>
            )}
          </section>
        ))}
      </div>
    </section>
  );
}
