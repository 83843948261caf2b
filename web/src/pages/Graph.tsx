// The graph view: start from a host, alert, IOC or case and expand neighbours one hop
// at a time. Each kind of neighbour is capped; what is left out is one "N more" node.
// New nodes are placed around the node expanded (no global layout), so the view stays
// responsive with thousands of nodes. Double-click (or Enter) opens a node's page.
import cytoscape, { type Core, type ElementDefinition } from "cytoscape";
import { useCallback, useEffect, useMemo, useRef, useState } from "react";
import { useNavigate, useSearchParams } from "react-router";
import { useClient } from "urql";
import { graphql, type ResultOf } from "../graphql";
import { isIP } from "../ip";

const CAP = 25;

const shorten = (label: string) => (label.length > 28 ? `${label.slice(0, 27)}…` : label);

const Expand = graphql(`
  query Expand($id: ID!, $ip: IpAddr!, $withFlows: Boolean!) {
    node(id: $id) {
      __typename
      ... on Host {
        id ip hostnames
        alerts(first: 25) { totalCount nodes { id title severity } }
        iocs { id type value }
        cases { id number name }
      }
      ... on Alert {
        id title severity
        srcHost { id ip }
        dstHost { id ip }
        cases { id number name }
      }
      ... on Ioc {
        id type value
        hosts { id ip }
        cases { id number name }
      }
      ... on Case {
        id number name
        caseIocs: iocs(first: 25) { totalCount nodes { id type value } }
        alerts(first: 25) { totalCount nodes { id title severity } }
      }
    }
    out: flowsAggregate(filter: { src: { eq: $ip } }) @include(if: $withFlows) {
      peers: groupBy(field: DST, first: 25) { value count }
      distinct(field: DST, first: 1000) 
    }
    in: flowsAggregate(filter: { dst: { eq: $ip } }) @include(if: $withFlows) {
      peers: groupBy(field: SRC, first: 25) { value count }
      distinct(field: SRC, first: 1000)
    }
  }
`);

const HostByIp = graphql(`
  query HostByIp($ip: IpAddr!) { host(ip: $ip) { id } }
`);

type Data = ResultOf<typeof Expand>;
type Kind = "host" | "alert" | "ioc" | "case" | "more" | "peer";
type Item = { id: string; kind: Kind; label: string; to?: string; ip?: string };

function pageOf(kind: Kind, id: string, ip?: string): string | undefined {
  if (kind === "host" && ip) return `/hosts/${ip}`;
  if (kind === "alert") return `/alerts/${encodeURIComponent(id)}`;
  if (kind === "case") return `/cases/${encodeURIComponent(id)}`;
  return undefined;
}

/** The neighbours of one node, capped per kind, with "N more" placeholders. */
export function neighbours(data: Data): { self?: Item; items: Item[]; edges: [string, string, string][] } {
  const n = data.node;
  const items: Item[] = [];
  const edges: [string, string, string][] = [];
  if (!n) return { items, edges };
  const selfId = "id" in n ? n.id : "";
  const add = (it: Item, label = "") => {
    items.push(it);
    edges.push([selfId, it.id, label]);
  };
  const more = (kind: string, shown: number, total: number) => {
    if (total > shown)
      add({ id: `${selfId}:more:${kind}`, kind: "more", label: `${total - shown} more ${kind}` });
  };
  let self: Item | undefined;
  switch (n.__typename) {
    case "Host": {
      self = { id: n.id, kind: "host", label: n.ip, ip: n.ip, to: `/hosts/${n.ip}` };
      for (const a of n.alerts.nodes)
        add({ id: a.id, kind: "alert", label: a.title, to: pageOf("alert", a.id) });
      more("alerts", n.alerts.nodes.length, n.alerts.totalCount);
      for (const i of n.iocs.slice(0, CAP)) add({ id: i.id, kind: "ioc", label: `${i.type}: ${i.value}` });
      more("IOCs", Math.min(CAP, n.iocs.length), n.iocs.length);
      for (const c of n.cases.slice(0, CAP))
        add({ id: c.id, kind: "case", label: `#${c.number} ${c.name}`, to: pageOf("case", c.id) });
      more("cases", Math.min(CAP, n.cases.length), n.cases.length);
      for (const [dir, agg] of [
        ["→", data.out],
        ["←", data.in],
      ] as const) {
        if (!agg) continue;
        for (const p of agg.peers)
          if (p.value)
            add(
              { id: `peer:${p.value}`, kind: "peer", label: p.value, ip: p.value, to: `/hosts/${p.value}` },
              `${dir} ${p.count} flows`,
            );
        more(dir === "→" ? "peers contacted" : "peers contacting", agg.peers.length, agg.distinct.length);
      }
      break;
    }
    case "Alert": {
      self = { id: n.id, kind: "alert", label: n.title, to: pageOf("alert", n.id) };
      for (const h of [n.srcHost, n.dstHost])
        if (h) add({ id: h.id, kind: "host", label: h.ip, ip: h.ip, to: `/hosts/${h.ip}` });
      for (const c of n.cases)
        add({ id: c.id, kind: "case", label: `#${c.number} ${c.name}`, to: pageOf("case", c.id) });
      break;
    }
    case "Ioc": {
      self = { id: n.id, kind: "ioc", label: `${n.type}: ${n.value}` };
      for (const h of n.hosts.slice(0, CAP))
        add({ id: h.id, kind: "host", label: h.ip, ip: h.ip, to: `/hosts/${h.ip}` });
      more("hosts", Math.min(CAP, n.hosts.length), n.hosts.length);
      for (const c of n.cases.slice(0, CAP))
        add({ id: c.id, kind: "case", label: `#${c.number} ${c.name}`, to: pageOf("case", c.id) });
      more("cases", Math.min(CAP, n.cases.length), n.cases.length);
      break;
    }
    case "Case": {
      self = { id: n.id, kind: "case", label: `#${n.number} ${n.name}`, to: pageOf("case", n.id) };
      for (const i of n.caseIocs.nodes) add({ id: i.id, kind: "ioc", label: `${i.type}: ${i.value}` });
      more("IOCs", n.caseIocs.nodes.length, n.caseIocs.totalCount);
      for (const a of n.alerts.nodes)
        add({ id: a.id, kind: "alert", label: a.title, to: pageOf("alert", a.id) });
      more("alerts", n.alerts.nodes.length, n.alerts.totalCount);
      break;
    }
  }
  return { self, items, edges };
}

// Drawing text is what costs most with thousands of nodes: labels are short (cut in
// JS, not measured for ellipsis), skipped when too small to read, and edges show
// their flow counts only when selected.
const style: cytoscape.StylesheetJson = [
  {
    selector: "node",
    style: {
      label: "data(short)",
      "font-size": 9,
      "min-zoomed-font-size": 7,
      "text-valign": "bottom",
      width: 18,
      height: 18,
      "background-color": "#64748b",
    },
  },
  { selector: "node[kind='host'], node[kind='peer']", style: { "background-color": "#2563eb" } },
  { selector: "node[kind='alert']", style: { "background-color": "#dc2626", shape: "triangle" } },
  { selector: "node[kind='ioc']", style: { "background-color": "#d97706", shape: "diamond" } },
  { selector: "node[kind='case']", style: { "background-color": "#059669", shape: "round-rectangle" } },
  {
    selector: "node[kind='more']",
    style: { "background-color": "#e2e8f0", shape: "ellipse", "border-width": 1, "border-color": "#94a3b8" },
  },
  { selector: "node[?expanded]", style: { "border-width": 3, "border-color": "#0f172a" } },
  { selector: "node:selected", style: { "overlay-opacity": 0.2 } },
  { selector: "edge", style: { width: 1, "line-color": "#cbd5e1", "curve-style": "haystack" } },
  { selector: "edge:selected", style: { label: "data(label)", "font-size": 8, "line-color": "#475569" } },
];

export default function GraphPage() {
  const [params, setParams] = useSearchParams();
  const start = params.get("start") ?? "";
  const box = useRef<HTMLDivElement>(null);
  const cy = useRef<Core | null>(null);
  const nodeOfIp = useRef(new Map<string, string>());
  const client = useClient();
  const navigate = useNavigate();
  const [status, setStatus] = useState("");
  const [selected, setSelected] = useState<Item | null>(null);
  const [nodes, setNodes] = useState(0);
  const [startInput, setStartInput] = useState("");

  const expand = useCallback(
    async (id: string, ip?: string) => {
      const g = cy.current;
      if (!g) return;
      // Tried once is enough: "expand every node" does not come back to it.
      g.getElementById(id).data("expanded", true);
      setStatus("Expanding…");
      let realId = id;
      if (id.startsWith("peer:") && ip) {
        const h = await client.query(HostByIp, { ip }).toPromise();
        if (!h.data?.host) {
          setStatus(`Pivot has no host ${ip}.`);
          return;
        }
        realId = h.data.host.id;
      }
      const r = await client.query(Expand, { id: realId, ip: ip ?? "0.0.0.0", withFlows: !!ip }).toPromise();
      if (r.error || !r.data?.node) {
        setStatus(r.error ? r.error.message : "Nothing to expand: it is gone, or not yours to see.");
        return;
      }
      // A host is expanded again with its flows once its address is known.
      if (r.data.node.__typename === "Host" && !ip) return expand(id, r.data.node.ip);
      const { self, items, edges } = neighbours(r.data);
      if (!self) return;
      const anchor = g.getElementById(id);
      const centre = anchor.nonempty() ? anchor.position() : { x: 0, y: 0 };
      const added: ElementDefinition[] = [];
      if (anchor.empty())
        added.push({
          group: "nodes",
          data: { ...self, short: shorten(self.label), expanded: true },
          position: centre,
        });
      else anchor.data("expanded", true);
      // A host may already be on the graph as a flow peer (or the reverse): one node an
      // address. Which node holds an address is kept in a map, not searched for.
      const byIp = nodeOfIp.current;
      const nodeOf = (it: Item) =>
        g.getElementById(it.id).nonempty() ? it.id : it.ip ? byIp.get(it.ip) : undefined;
      const fresh: Item[] = [];
      const freshIds = new Map<string, string>();
      for (const it of items) {
        const existing =
          nodeOf(it) ?? freshIds.get(it.id) ?? (it.ip ? freshIds.get(`ip:${it.ip}`) : undefined);
        if (existing) continue;
        fresh.push(it);
        freshIds.set(it.id, it.id);
        if (it.ip) freshIds.set(`ip:${it.ip}`, it.id);
      }
      const radius = 80 + fresh.length * 6;
      fresh.forEach((it, k) => {
        const angle = (2 * Math.PI * k) / Math.max(1, fresh.length);
        added.push({
          group: "nodes",
          data: { ...it, short: shorten(it.label) },
          position: { x: centre.x + radius * Math.cos(angle), y: centre.y + radius * Math.sin(angle) },
        });
      });
      const selfId = anchor.nonempty() ? id : self.id;
      if (self.ip && !byIp.has(self.ip)) byIp.set(self.ip, selfId);
      for (const it of fresh) if (it.ip) byIp.set(it.ip, it.id);
      const itemsById = new Map(items.map((i) => [i.id, i]));
      for (const [, to, label] of edges) {
        const item = itemsById.get(to);
        const target = item ? (nodeOf(item) ?? freshIds.get(to)) : undefined;
        if (!target || target === selfId) continue;
        const eid = `${selfId}->${target}`;
        if (
          g.getElementById(eid).empty() &&
          g.getElementById(`${target}->${selfId}`).empty() &&
          !added.some((a) => a.data.id === eid)
        )
          added.push({ group: "edges", data: { id: eid, source: selfId, target, label } });
      }
      g.add(added);
      if (anchor.empty()) g.fit(undefined, 40);
      setNodes(g.nodes().length);
      setStatus(`${fresh.length} added.`);
    },
    [client],
  );

  // One more hop everywhere: every node not yet expanded, at most 100 at a time.
  const [busy, setBusy] = useState(false);
  // How many "expand every node" runs have finished (for whoever waits for one).
  const [runs, setRuns] = useState(0);
  const expandAll = useCallback(async () => {
    const g = cy.current;
    if (!g) return;
    setBusy(true);
    const leaves = g
      .nodes()
      .filter((n) => !n.data("expanded") && n.data("kind") !== "more")
      .slice(0, 100)
      .map((n) => n.data() as Item);
    // Drawn every 20 expansions rather than after each one.
    g.startBatch();
    for (const [k, it] of leaves.entries()) {
      await expand(it.id, it.ip);
      if (k % 20 === 19) {
        g.endBatch();
        g.startBatch();
      }
    }
    g.endBatch();
    setBusy(false);
    setRuns((n) => n + 1);
    setStatus(`${leaves.length} expanded; ${g.nodes().length} nodes.`);
  }, [expand]);

  useEffect(() => {
    if (!box.current) return;
    const g = cytoscape({
      container: box.current,
      style,
      minZoom: 0.05,
      maxZoom: 4,
      wheelSensitivity: 0.3,
      // While the view moves, edges and labels are left out of the drawing.
      hideEdgesOnViewport: true,
      hideLabelsOnViewport: true,
      motionBlur: false,
      pixelRatio: 1,
    });
    cy.current = g;
    g.on("tap", "node", (e) => setSelected(e.target.data() as Item));
    g.on("dbltap", "node", (e) => {
      const d = e.target.data() as Item;
      if (d.to) navigate(d.to);
    });
    return () => {
      g.destroy();
      cy.current = null;
    };
  }, [navigate]);

  useEffect(() => {
    cy.current?.elements().remove();
    nodeOfIp.current.clear();
    setSelected(null);
    if (start) void expand(start);
  }, [start, expand]);

  return (
    <section aria-labelledby="graph-title" className="graph-page">
      <h1 id="graph-title">Graph</h1>
      <form
        className="filters"
        aria-label="Start the graph"
        onSubmit={async (e) => {
          e.preventDefault();
          const v = startInput.trim();
          if (isIP(v)) {
            const h = await client.query(HostByIp, { ip: v }).toPromise();
            if (h.data?.host) setParams({ start: h.data.host.id });
            else setStatus(`Pivot has no host ${v}.`);
          } else if (v) setParams({ start: v });
        }}
      >
        <label>
          Start from (an address, or an object's ID)
          <input value={startInput} onChange={(e) => setStartInput(e.target.value)} />
        </label>
        <button type="submit">Start</button>
      </form>
      <div className="graph-layout">
        <div ref={box} className="graph" role="img" aria-label={`Graph of ${nodes} nodes`} />
        <aside aria-label="Selected node" aria-busy={busy} data-runs={runs}>
          <p role="status">{status}</p>
          <p>{nodes} nodes</p>
          <NodeList cy={cy} nodes={nodes} runs={runs} onSelect={setSelected} />
          <button type="button" onClick={expandAll} disabled={nodes === 0 || busy}>
            Expand every node one hop
          </button>
          {selected ? (
            <>
              <h2>{selected.label}</h2>
              <p className="muted">{selected.kind}</p>
              {selected.kind !== "more" && (
                <button type="button" onClick={() => expand(selected.id, selected.ip)}>
                  Expand
                </button>
              )}
              {selected.to && (
                <button type="button" onClick={() => navigate(selected.to as string)}>
                  Open page
                </button>
              )}
            </>
          ) : (
            <p className="muted">
              Click a node (or pick it in the list) to select it; double-click opens its page.
            </p>
          )}
        </aside>
      </div>
    </section>
  );
}

// The canvas is a picture: the same nodes as a list, for keyboards and screen readers
// (and for whoever checks what the graph holds). Built only while it is open.
const LIST_MAX = 500;
function NodeList({
  cy,
  nodes,
  runs,
  onSelect,
}: {
  cy: { current: Core | null };
  nodes: number;
  runs: number;
  onSelect: (it: Item) => void;
}) {
  const [open, setOpen] = useState(false);
  // `nodes` and `runs` change when the graph does: the list is read again then.
  const items = useMemo(
    () =>
      open && nodes >= 0 && runs >= 0
        ? (cy.current?.nodes().map((n) => n.data() as Item) ?? []).slice(0, LIST_MAX)
        : [],
    [open, nodes, runs, cy],
  );
  return (
    <details onToggle={(e) => setOpen(e.currentTarget.open)}>
      <summary>Nodes as a list</summary>
      <ul className="plain node-list" aria-label="Nodes">
        {items.map((it) => (
          <li key={it.id}>
            <button type="button" className="link" onClick={() => onSelect(it)}>
              {it.label}
            </button>{" "}
            <span className="muted">{it.kind}</span>
          </li>
        ))}
      </ul>
      {nodes > LIST_MAX && (
        <p className="muted">
          The first {LIST_MAX} of {nodes}.
        </p>
      )}
    </details>
  );
}
