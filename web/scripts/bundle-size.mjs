// The main bundle's weight, gzipped: what index.html loads before the first page
// (its script, the chunks it preloads, its styles). Fails over the budget; prints the
// chunks loaded later (the explorer, the graph view, charts) for the record.
import { readdirSync, readFileSync } from "node:fs";
import { gzipSync } from "node:zlib";

const BUDGET = 300 * 1024;
const gz = (f) => gzipSync(readFileSync(`dist/${f}`), { level: 9 }).length;
const html = readFileSync("dist/index.html", "utf8");
const initial = [...html.matchAll(/(?:src|href)="\/(assets\/[^"]+)"/g)].map((m) => m[1]);
const total = initial.reduce((n, f) => n + gz(f), 0);
for (const f of initial) console.log(`initial  ${String(gz(f)).padStart(8)}  ${f}`);
const later = readdirSync("dist/assets")
  .map((f) => `assets/${f}`)
  .filter((f) => !initial.includes(f) && /\.(js|css)$/.test(f));
const laterTotal = later.reduce((n, f) => n + gz(f), 0);
console.log(`main bundle: ${(total / 1024).toFixed(1)} KiB gzipped (budget ${BUDGET / 1024} KiB)`);
console.log(
  `loaded on demand (explorer, graph, charts): ${(laterTotal / 1024).toFixed(1)} KiB gzipped in ${later.length} files`,
);
if (total > BUDGET) {
  console.error("the main bundle is over its budget");
  process.exit(1);
}
