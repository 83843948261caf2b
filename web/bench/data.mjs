// Writes the browser benchmark's data as Zeek conn.log JSON lines (what `pivot import
// zeek` reads): one host with 100,000 flows to 500 peers over a day, and a mesh of
// 3,000 hosts that each talked to 20 others (for a graph of thousands of nodes).
import { createWriteStream } from "node:fs";

const [, , busyFile, meshFile] = process.argv;
const day = Date.parse("2026-03-01T00:00:00Z") / 1000;
let uid = 0;
function line(src, dst, dport, ts) {
  uid += 1;
  return `${JSON.stringify({
    ts,
    uid: `B${uid}`,
    "id.orig_h": src,
    "id.orig_p": 1024 + (uid % 60000),
    "id.resp_h": dst,
    "id.resp_p": dport,
    proto: "tcp",
    service: dport === 443 ? "ssl" : "http",
    duration: 1.5,
    orig_bytes: 100 + (uid % 5000),
    resp_bytes: 2000 + (uid % 50000),
    conn_state: "SF",
    orig_pkts: 10,
    resp_pkts: 12,
  })}\n`;
}
async function write(file, lines) {
  const out = createWriteStream(file);
  for (const l of lines) if (!out.write(l)) await new Promise((r) => out.once("drain", r));
  await new Promise((r) => out.end(r));
}
function* busy() {
  for (let i = 0; i < 100_000; i++) {
    const peer = `10.2.${Math.floor((i % 500) / 250)}.${(i % 250) + 1}`;
    yield line("10.1.0.1", peer, i % 3 ? 443 : 80, day + (i * 86400) / 100_000);
  }
}
// Deterministic pseudo-random peers (mulberry32, in 32-bit integer arithmetic), so
// every run measures the same graph.
let seed = 42;
const next = () => {
  seed = (seed + 0x6d2b79f5) | 0;
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
  return (t ^ (t >>> 14)) >>> 0;
};
const meshHost = (n) => `10.3.${Math.floor(n / 250)}.${(n % 250) + 1}`;
function* mesh() {
  for (let h = 0; h < 3000; h++)
    for (let k = 0; k < 20; k++) yield line(meshHost(h), meshHost(next() % 3000), 443, day + h * 20 + k);
}
await write(busyFile, busy());
await write(meshFile, mesh());
