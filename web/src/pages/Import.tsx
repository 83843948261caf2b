// Files into Pivot: nmap, masscan, Zeek, Suricata and IPDR, sent as GraphQL multipart
// uploads, with the upload's progress and the import's summary (or what was wrong).
import { useState } from "react";
import { Link } from "react-router";
import { useQuery } from "urql";
import { Time } from "../components/Time";
import { Problem } from "../errors";
import { type FragmentOf, graphql, type ResultOf, readFragment } from "../graphql";
import { useCan } from "../session";
import { type Outcome, type Progress, upload } from "../upload";

// What every import answers: one fragment, spread into each format's mutation.
const SummaryFields = graphql(`
  fragment SummaryFields on ImportSummary {
    read inserted updated unchanged skipped
    skippedBecause { reason count }
    counts { kind added updated unchanged }
    badRecords { file location reason }
    imports { id fileName }
    alreadyImported { id fileName startedAt }
  }
`);

const ImportNmap = graphql(
  `
  mutation ImportNmap($file: Upload!, $source: String) {
    importNmap(file: $file, source: $source) {
      ...SummaryFields
    }
  }
`,
  [SummaryFields],
);
const ImportZeek = graphql(
  `
  mutation ImportZeek($file: Upload!, $source: String, $skipBadRecords: Boolean!) {
    importZeek(file: $file, source: $source, skipBadRecords: $skipBadRecords) {
      ...SummaryFields
    }
  }
`,
  [SummaryFields],
);
const ImportSuricata = graphql(
  `
  mutation ImportSuricata($file: Upload!, $source: String, $skipBadRecords: Boolean!) {
    importSuricata(file: $file, source: $source, skipBadRecords: $skipBadRecords) {
      ...SummaryFields
    }
  }
`,
  [SummaryFields],
);
const ImportIpdr = graphql(
  `
  mutation ImportIpdr($file: Upload!, $context: String, $timezone: String, $skipBadRecords: Boolean!) {
    importIpdr(file: $file, context: $context, timezone: $timezone, skipBadRecords: $skipBadRecords) {
      ...SummaryFields
    }
  }
`,
  [SummaryFields],
);

const Recent = graphql(`
  query RecentImports {
    imports(last: 10) { nodes { id format fileName size startedAt read inserted updated skipped badRecords user { id username } } }
  }
`);

type Summary = ResultOf<typeof SummaryFields>;
const FORMATS = {
  nmap: { label: "nmap or masscan XML", capability: "hosts:write" },
  zeek: { label: "Zeek conn.log / dns.log", capability: "flows:write" },
  suricata: { label: "Suricata eve.json", capability: "alerts:write" },
  ipdr: { label: "IPDR records (CSV)", capability: "ipdr:write" },
} as const;
type Format = keyof typeof FORMATS;

export function ImportPage() {
  const [format, setFormat] = useState<Format>("nmap");
  const [file, setFile] = useState<File | null>(null);
  const [source, setSource] = useState("");
  const [skipBad, setSkipBad] = useState(false);
  const [context, setContext] = useState("");
  const [timezone, setTimezone] = useState("");
  const [summary, setSummary] = useState<Summary | null>(null);
  const [progress, setProgress] = useState<Progress | null>(null);
  const [problem, setProblem] = useState<{ message: string; code?: string } | null>(null);
  const [{ data: recent }, refetch] = useQuery({ query: Recent });
  const allowed = {
    nmap: useCan("hosts:write"),
    zeek: useCan("flows:write"),
    suricata: useCan("alerts:write"),
    ipdr: useCan("ipdr:write"),
  };
  const fetching = progress !== null;
  const run = async () => {
    if (!file) return;
    setSummary(null);
    setProblem(null);
    setProgress({ sent: 0, total: file.size });
    const src = source || null;
    const r: Outcome<Record<string, FragmentOf<typeof SummaryFields>>> =
      format === "nmap"
        ? await upload(ImportNmap, { file, source: src }, setProgress)
        : format === "zeek"
          ? await upload(ImportZeek, { file, source: src, skipBadRecords: skipBad }, setProgress)
          : format === "suricata"
            ? await upload(ImportSuricata, { file, source: src, skipBadRecords: skipBad }, setProgress)
            : await upload(
                ImportIpdr,
                { file, context: context || null, timezone: timezone || null, skipBadRecords: skipBad },
                setProgress,
              );
    setProgress(null);
    const first = r.errors?.[0];
    if (first) setProblem({ message: first.message, code: first.extensions?.code });
    const s = r.data ? readFragment(SummaryFields, Object.values(r.data)[0]) : undefined;
    if (s) {
      setSummary(s);
      refetch({ requestPolicy: "network-only" });
    }
  };
  return (
    <section aria-labelledby="import-title">
      <h1 id="import-title">Import</h1>
      <form
        aria-label="Import a file"
        className="stack"
        onSubmit={(e) => {
          e.preventDefault();
          void run();
        }}
      >
        <fieldset>
          <legend>Format</legend>
          {(Object.keys(FORMATS) as Format[]).map((f) => (
            <label key={f} className="radio">
              <input
                type="radio"
                name="format"
                value={f}
                checked={format === f}
                disabled={!allowed[f]}
                onChange={() => setFormat(f)}
              />
              {FORMATS[f].label}
              {!allowed[f] && <span className="muted"> (your role cannot import these)</span>}
            </label>
          ))}
        </fieldset>
        <label>
          File (gzip-compressed or not)
          <input type="file" onChange={(e) => setFile(e.target.files?.[0] ?? null)} required />
        </label>
        {format !== "ipdr" ? (
          <label>
            Source (a scan's or a sensor's name)
            <input value={source} onChange={(e) => setSource(e.target.value)} />
          </label>
        ) : (
          <>
            <label>
              IPDR context
              <input value={context} onChange={(e) => setContext(e.target.value)} placeholder="default" />
            </label>
            <label>
              Timezone of times without an offset
              <input value={timezone} onChange={(e) => setTimezone(e.target.value)} placeholder="UTC" />
            </label>
          </>
        )}
        {format !== "nmap" && (
          <label className="radio">
            <input type="checkbox" checked={skipBad} onChange={(e) => setSkipBad(e.target.checked)} />
            Leave out records that cannot be read (and list them) instead of refusing the file
          </label>
        )}
        <button type="submit" disabled={!file || fetching || !allowed[format]}>
          Import
        </button>
        {progress && (
          <p role="status">
            {progress.sent < progress.total ? (
              <>
                <progress aria-label="Sent" value={progress.sent} max={progress.total} /> Sending {file?.name}
                : {Math.round((100 * progress.sent) / Math.max(1, progress.total))}%
              </>
            ) : (
              <>
                <progress aria-label="Importing" /> Sent; importing {file?.name}…
              </>
            )}
          </p>
        )}
        {problem && <Problem {...problem} />}
      </form>
      {summary && <SummaryView s={summary} />}
      <section aria-labelledby="recent-title">
        <h2 id="recent-title">Latest imports</h2>
        <ul className="plain">
          {[...(recent?.imports.nodes ?? [])].reverse().map((i) => (
            <li key={i.id}>
              <Time at={i.startedAt} /> {i.fileName}{" "}
              <span className="muted">
                ({i.format}, {i.size} bytes, by {i.user?.username ?? "the command line"})
              </span>{" "}
              read {i.read}, inserted {i.inserted}, updated {i.updated}, skipped {i.skipped}
              {i.badRecords > 0 && `, ${i.badRecords} bad records`}
            </li>
          ))}
        </ul>
      </section>
    </section>
  );
}

function SummaryView({ s }: { s: Summary }) {
  return (
    <section aria-labelledby="summary-title" className="summary-box" aria-live="polite">
      <h2 id="summary-title">Imported</h2>
      {s.alreadyImported.length > 0 && (
        <p>
          This file was imported before ({s.alreadyImported.map((i) => i.fileName).join(", ")}): nothing
          changed.
        </p>
      )}
      <dl className="facts">
        <dt>Records read</dt>
        <dd>{s.read}</dd>
        <dt>Inserted</dt>
        <dd>{s.inserted}</dd>
        <dt>Updated</dt>
        <dd>{s.updated}</dd>
        <dt>Unchanged</dt>
        <dd>{s.unchanged}</dd>
        <dt>Skipped</dt>
        <dd>
          {s.skipped}
          {s.skippedBecause.length > 0 &&
            ` (${s.skippedBecause.map((r) => `${r.count} ${r.reason}`).join("; ")})`}
        </dd>
      </dl>
      <table className="grid">
        <caption>By kind</caption>
        <thead>
          <tr>
            <th scope="col">Kind</th>
            <th scope="col">Added</th>
            <th scope="col">Updated</th>
            <th scope="col">Unchanged</th>
          </tr>
        </thead>
        <tbody>
          {s.counts.map((c) => (
            <tr key={c.kind}>
              <td>{c.kind.toLowerCase().replaceAll("_", " ")}</td>
              <td>{c.added}</td>
              <td>{c.updated}</td>
              <td>{c.unchanged}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {s.badRecords.length > 0 && (
        <>
          <h3>Records left out</h3>
          <ul>
            {s.badRecords.map((b) => (
              <li key={`${b.file}:${b.location}`}>
                {b.file} {b.location}: {b.reason}
              </li>
            ))}
          </ul>
        </>
      )}
      <p>
        <Link to="/">Back to the dashboard</Link>
      </p>
    </section>
  );
}
