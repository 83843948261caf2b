// A case's workspace: summary, IOCs, assets, tasks (a board by status), notes in
// groups, the timeline, evidences and linked alerts; close and reopen.
import { useState } from "react";
import { Link, useParams } from "react-router";
import { useMutation, useQuery } from "urql";
import { Notes } from "../components/Notes";
import { Time } from "../components/Time";
import { ErrorNotice } from "../errors";
import { graphql, type ResultOf } from "../graphql";
import { useCan } from "../session";

const CaseQuery = graphql(`
  query Case($id: ID!) {
    node(id: $id) {
      ... on Case {
        id number name description summary socId status outcome openedAt closedAt
        customer { id name }
        openedBy { id username }
        iocs(first: 200) { totalCount nodes { id type value tlp description } }
        alerts(first: 100) { totalCount nodes { id title severity occurredAt srcIp dstIp } }
        assets { id name ip domain compromiseStatus type { id name } }
        tasks { id title status assignees { id username } }
        noteGroups { id title parent { id } }
        timeline { id title content occurredAt category source }
        evidences { id filename size hash description addedAt }
        activities { text createdAt user { id username } }
      }
    }
    assetTypes { id name }
  }
`);

const SetStatus = graphql(`
  mutation SetCaseStatus($id: ID!, $close: Boolean!) {
    closeCase(id: $id) @include(if: $close) { id status closedAt }
    reopenCase(id: $id) @skip(if: $close) { id status closedAt }
  }
`);

const SetOutcome = graphql(`
  mutation SetOutcome($id: ID!, $outcome: CaseOutcome!) {
    updateCase(id: $id, input: { outcome: $outcome }) { id outcome }
  }
`);

const LogActivity = graphql(`
  mutation LogActivity($caseId: ID!, $text: String!) {
    logCaseActivity(caseId: $caseId, text: $text) { createdAt }
  }
`);

const AddIoc = graphql(`
  mutation AddIoc($input: CreateIocInput!) {
    addIoc(input: $input) { id type value tlp }
  }
`);

const AddTask = graphql(`
  mutation AddTask($input: CreateTaskInput!) {
    createTask(input: $input) { id title status }
  }
`);

const MoveTask = graphql(`
  mutation MoveTask($id: ID!, $input: TaskInput!) {
    updateTask(id: $id, input: $input) { id status }
  }
`);

const AddEvent = graphql(`
  mutation AddEvent($input: CreateTimelineEventInput!) {
    createTimelineEvent(input: $input) { id }
  }
`);

const AddGroup = graphql(`
  mutation AddGroup($caseId: ID!, $title: String!) {
    createNoteGroup(caseId: $caseId, title: $title) { id title }
  }
`);

const AddAsset = graphql(`
  mutation AddAsset($input: CreateAssetInput!) {
    createAsset(input: $input) { id }
  }
`);

const AddEvidence = graphql(`
  mutation AddEvidence($input: CreateEvidenceInput!) {
    createEvidence(input: $input) { id }
  }
`);

type CaseData = Extract<NonNullable<ResultOf<typeof CaseQuery>["node"]>, { number: number }>;
const TLPS = ["CLEAR", "GREEN", "AMBER", "AMBER_STRICT", "RED"] as const;
const IOC_TYPES = [
  "ip-dst",
  "ip-src",
  "domain",
  "hostname",
  "url",
  "md5",
  "sha1",
  "sha256",
  "email",
  "filename",
  "mac",
];
const TASK_STATES = ["TODO", "IN_PROGRESS", "ON_HOLD", "DONE", "CANCELED"] as const;
const OUTCOMES = [
  "UNKNOWN",
  "FALSE_POSITIVE",
  "TRUE_POSITIVE_WITH_IMPACT",
  "TRUE_POSITIVE_WITHOUT_IMPACT",
  "NOT_APPLICABLE",
  "LEGITIMATE",
] as const;
const label = (s: string) => s.charAt(0) + s.slice(1).toLowerCase().replaceAll("_", " ");

export function CasePage() {
  const id = useParams().id ?? "";
  const [{ data, error, fetching }, refetch] = useQuery({ query: CaseQuery, variables: { id } });
  const reload = () => refetch({ requestPolicy: "network-only" });
  const canWrite = useCan("cases:write");
  const [status, setStatus] = useMutation(SetStatus);
  const [outcome, setOutcome] = useMutation(SetOutcome);
  const c = data?.node && "number" in data.node ? (data.node as CaseData) : null;
  if (fetching && !data) return <p className="loading">Loading…</p>;
  if (!c)
    return (
      <>
        <ErrorNotice error={error} />
        {!error && <p role="alert">There is no such case, or it belongs to a customer you cannot see.</p>}
      </>
    );
  return (
    <article aria-labelledby="case-title" className="page">
      <h1 id="case-title">
        #{c.number} {c.name} <span className={`state state-${c.status}`}>{c.status.toLowerCase()}</span>
      </h1>
      <p className="muted">
        {c.customer.name} · opened <Time at={c.openedAt} /> by {c.openedBy?.username ?? "someone"}
        {c.closedAt && (
          <>
            {" "}
            · closed <Time at={c.closedAt} />
          </>
        )}
        {c.socId && ` · SOC ticket ${c.socId}`}
      </p>
      <p className="actions">
        <Link to={`/graph?start=${encodeURIComponent(c.id)}`}>Open in graph</Link>
        {canWrite && (
          <button
            type="button"
            disabled={status.fetching}
            onClick={async () => {
              await setStatus({ id: c.id, close: c.status === "OPEN" });
              reload();
            }}
          >
            {c.status === "OPEN" ? "Close case" : "Reopen case"}
          </button>
        )}
        <label>
          Outcome{" "}
          <select
            value={c.outcome}
            disabled={!canWrite || outcome.fetching}
            onChange={(e) =>
              void setOutcome({ id: c.id, outcome: e.target.value as (typeof OUTCOMES)[number] })
            }
          >
            {OUTCOMES.map((o) => (
              <option key={o} value={o}>
                {label(o)}
              </option>
            ))}
          </select>
        </label>
      </p>
      <ErrorNotice error={status.error ?? outcome.error ?? error} />
      {c.description && <p className="note-body">{c.description}</p>}
      {c.summary && <p className="note-body">{c.summary}</p>}
      <Iocs c={c} canWrite={canWrite} reload={reload} />
      <Assets c={c} types={data?.assetTypes ?? []} canWrite={canWrite} reload={reload} />
      <Tasks c={c} canWrite={canWrite} reload={reload} />
      <NoteGroups c={c} canWrite={canWrite} reload={reload} />
      <Timeline c={c} canWrite={canWrite} reload={reload} />
      <Evidences c={c} canWrite={canWrite} reload={reload} />
      <section aria-labelledby="calerts-title">
        <h2 id="calerts-title">
          Linked alerts <span className="count">{c.alerts.totalCount}</span>
        </h2>
        <ul className="plain">
          {c.alerts.nodes.map((a) => (
            <li key={a.id}>
              <span className={`sev sev-${a.severity}`}>{a.severity}</span>{" "}
              <Link to={`/alerts/${encodeURIComponent(a.id)}`}>{a.title}</Link>{" "}
              <span className="muted">
                {a.srcIp} → {a.dstIp} · <Time at={a.occurredAt} />
              </span>
            </li>
          ))}
        </ul>
        {c.alerts.totalCount === 0 && <p className="muted">None: attach alerts from the alerts list.</p>}
      </section>
      <Activity c={c} canWrite={canWrite} reload={reload} />
    </article>
  );
}

type Part = { c: CaseData; canWrite: boolean; reload: () => void };

function Iocs({ c, canWrite, reload }: Part) {
  const [type, setType] = useState("ip-dst");
  const [value, setValue] = useState("");
  const [tlp, setTlp] = useState<(typeof TLPS)[number]>("AMBER");
  const [{ fetching, error }, add] = useMutation(AddIoc);
  return (
    <section aria-labelledby="iocs-title">
      <h2 id="iocs-title">
        IOCs <span className="count">{c.iocs.totalCount}</span>
      </h2>
      <table className="grid">
        <thead>
          <tr>
            <th scope="col">Type</th>
            <th scope="col">Value</th>
            <th scope="col">TLP</th>
            <th scope="col">Description</th>
          </tr>
        </thead>
        <tbody>
          {c.iocs.nodes.map((i) => (
            <tr key={i.id}>
              <td>{i.type}</td>
              <td>
                <Link to={`/search?q=${encodeURIComponent(i.value)}`}>{i.value}</Link>
              </td>
              <td>
                <span className={`tlp tlp-${i.tlp}`}>TLP:{i.tlp.replace("_", "+")}</span>
              </td>
              <td>{i.description ?? ""}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {canWrite && (
        <form
          aria-label="Add IOC"
          className="inline"
          onSubmit={async (e) => {
            e.preventDefault();
            const r = await add({ input: { type, value, tlp, caseIds: [c.id] } });
            if (!r.error) {
              setValue("");
              reload();
            }
          }}
        >
          <label>
            Type
            <select value={type} onChange={(e) => setType(e.target.value)}>
              {IOC_TYPES.map((t) => (
                <option key={t}>{t}</option>
              ))}
            </select>
          </label>
          <label>
            Value
            <input value={value} onChange={(e) => setValue(e.target.value)} required />
          </label>
          <label>
            TLP
            <select value={tlp} onChange={(e) => setTlp(e.target.value as (typeof TLPS)[number])}>
              {TLPS.map((t) => (
                <option key={t}>{t}</option>
              ))}
            </select>
          </label>
          <button type="submit" disabled={fetching}>
            Add IOC
          </button>
          <ErrorNotice error={error} />
        </form>
      )}
    </section>
  );
}

function Assets({ c, types, canWrite, reload }: Part & { types: readonly { id: string; name: string }[] }) {
  const [name, setName] = useState("");
  const [ip, setIp] = useState("");
  const [typeId, setTypeId] = useState("");
  const [{ fetching, error }, add] = useMutation(AddAsset);
  return (
    <section aria-labelledby="assets-title">
      <h2 id="assets-title">
        Assets <span className="count">{c.assets.length}</span>
      </h2>
      <ul className="plain">
        {c.assets.map((a) => (
          <li key={a.id}>
            {a.name} <span className="muted">{a.type.name}</span>{" "}
            {a.ip && <Link to={`/hosts/${a.ip}`}>{a.ip}</Link>} {a.domain}{" "}
            <span className="muted">{a.compromiseStatus.toLowerCase().replaceAll("_", " ")}</span>
          </li>
        ))}
      </ul>
      {canWrite && (
        <form
          aria-label="Add asset"
          className="inline"
          onSubmit={async (e) => {
            e.preventDefault();
            const r = await add({
              input: { caseId: c.id, name, assetTypeId: typeId || (types[0]?.id ?? ""), ip: ip || null },
            });
            if (!r.error) {
              setName("");
              setIp("");
              reload();
            }
          }}
        >
          <label>
            Name
            <input value={name} onChange={(e) => setName(e.target.value)} required />
          </label>
          <label>
            Type
            <select value={typeId} onChange={(e) => setTypeId(e.target.value)}>
              {types.map((t) => (
                <option key={t.id} value={t.id}>
                  {t.name}
                </option>
              ))}
            </select>
          </label>
          <label>
            IP
            <input value={ip} onChange={(e) => setIp(e.target.value)} />
          </label>
          <button type="submit" disabled={fetching}>
            Add asset
          </button>
          <ErrorNotice error={error} />
        </form>
      )}
    </section>
  );
}

function Tasks({ c, canWrite, reload }: Part) {
  const [title, setTitle] = useState("");
  const [add, addTask] = useMutation(AddTask);
  const [move, moveTask] = useMutation(MoveTask);
  return (
    <section aria-labelledby="tasks-title">
      <h2 id="tasks-title">Tasks</h2>
      <div className="board">
        {TASK_STATES.map((s) => (
          <section key={s} aria-label={s.toLowerCase().replace("_", " ")} className="column">
            <h3>
              {s.toLowerCase().replace("_", " ")}{" "}
              <span className="count">{c.tasks.filter((t) => t.status === s).length}</span>
            </h3>
            <ul className="plain">
              {c.tasks
                .filter((t) => t.status === s)
                .map((t) => (
                  <li key={t.id} className="card">
                    {t.title}
                    {t.assignees.length > 0 && (
                      <span className="muted"> · {t.assignees.map((u) => u.username).join(", ")}</span>
                    )}
                    {canWrite && (
                      <select
                        aria-label={`Status of ${t.title}`}
                        value={t.status}
                        onChange={async (e) => {
                          await moveTask({
                            id: t.id,
                            input: { status: e.target.value as (typeof TASK_STATES)[number] },
                          });
                          reload();
                        }}
                      >
                        {TASK_STATES.map((x) => (
                          <option key={x} value={x}>
                            {x.toLowerCase().replace("_", " ")}
                          </option>
                        ))}
                      </select>
                    )}
                  </li>
                ))}
            </ul>
          </section>
        ))}
      </div>
      <ErrorNotice error={move.error} />
      {canWrite && (
        <form
          aria-label="Add task"
          className="inline"
          onSubmit={async (e) => {
            e.preventDefault();
            const r = await addTask({ input: { caseId: c.id, title } });
            if (!r.error) {
              setTitle("");
              reload();
            }
          }}
        >
          <label>
            Task
            <input value={title} onChange={(e) => setTitle(e.target.value)} required />
          </label>
          <button type="submit" disabled={add.fetching}>
            Add task
          </button>
          <ErrorNotice error={add.error} />
        </form>
      )}
    </section>
  );
}

/** Each group titled with the groups it is inside ("Triage / Servers"), in that order. */
function groupPaths(groups: CaseData["noteGroups"]) {
  const byId = new Map(groups.map((g) => [g.id, g]));
  const path = (g: CaseData["noteGroups"][number]): string[] => {
    const seen = new Set<string>();
    const titles: string[] = [];
    for (let at: typeof g | undefined = g; at && !seen.has(at.id); at = byId.get(at.parent?.id ?? "")) {
      seen.add(at.id);
      titles.unshift(at.title);
    }
    return titles;
  };
  return groups
    .map((g) => ({ id: g.id, title: path(g).join(" / ") }))
    .sort((a, b) => a.title.localeCompare(b.title));
}

function NoteGroups({ c, canWrite, reload }: Part) {
  const [title, setTitle] = useState("");
  const [{ fetching, error }, addGroup] = useMutation(AddGroup);
  return (
    <>
      <Notes subjectId={c.id} groups={groupPaths(c.noteGroups)} />
      {canWrite && (
        <form
          aria-label="New note group"
          className="inline"
          onSubmit={async (e) => {
            e.preventDefault();
            const r = await addGroup({ caseId: c.id, title });
            if (!r.error) {
              setTitle("");
              reload();
            }
          }}
        >
          <label>
            New group
            <input value={title} onChange={(e) => setTitle(e.target.value)} required />
          </label>
          <button type="submit" disabled={fetching}>
            Add group
          </button>
          <ErrorNotice error={error} />
        </form>
      )}
    </>
  );
}

function Timeline({ c, canWrite, reload }: Part) {
  const [text, setText] = useState("");
  const [category, setCategory] = useState("");
  const [title, setTitle] = useState("");
  const [at, setAt] = useState("");
  const [{ fetching, error }, addEvent] = useMutation(AddEvent);
  const categories = [...new Set(c.timeline.map((e) => e.category).filter((x): x is string => !!x))];
  const shown = [...c.timeline]
    .filter((e) => !category || e.category === category)
    .filter((e) => !text || `${e.title} ${e.content ?? ""}`.toLowerCase().includes(text.toLowerCase()))
    .sort((a, b) => a.occurredAt.localeCompare(b.occurredAt));
  return (
    <section aria-labelledby="timeline-title">
      <h2 id="timeline-title">
        Timeline <span className="count">{c.timeline.length}</span>
      </h2>
      <form className="filters" aria-label="Timeline filters" onSubmit={(e) => e.preventDefault()}>
        <label>
          Contains
          <input value={text} onChange={(e) => setText(e.target.value)} />
        </label>
        <label>
          Category
          <select value={category} onChange={(e) => setCategory(e.target.value)}>
            <option value="">any</option>
            {categories.map((x) => (
              <option key={x}>{x}</option>
            ))}
          </select>
        </label>
      </form>
      <ol className="timeline">
        {shown.map((e) => (
          <li key={e.id}>
            <Time at={e.occurredAt} /> <strong>{e.title}</strong>{" "}
            {e.category && <span className="muted">[{e.category}]</span>}
            {e.content && <p className="note-body">{e.content}</p>}
          </li>
        ))}
      </ol>
      {canWrite && (
        <form
          aria-label="Add timeline event"
          className="inline"
          onSubmit={async (e) => {
            e.preventDefault();
            const r = await addEvent({
              input: {
                caseId: c.id,
                title,
                occurredAt: new Date(at).toISOString(),
                category: category || null,
              },
            });
            if (!r.error) {
              setTitle("");
              reload();
            }
          }}
        >
          <label>
            Event
            <input value={title} onChange={(e) => setTitle(e.target.value)} required />
          </label>
          <label>
            When
            <input type="datetime-local" value={at} onChange={(e) => setAt(e.target.value)} required />
          </label>
          <button type="submit" disabled={fetching}>
            Add event
          </button>
          <ErrorNotice error={error} />
        </form>
      )}
    </section>
  );
}

function Evidences({ c, canWrite, reload }: Part) {
  const [filename, setFilename] = useState("");
  const [hash, setHash] = useState("");
  const [{ fetching, error }, add] = useMutation(AddEvidence);
  return (
    <section aria-labelledby="evidences-title">
      <h2 id="evidences-title">
        Evidences <span className="count">{c.evidences.length}</span>
      </h2>
      <ul className="plain">
        {c.evidences.map((e) => (
          <li key={e.id}>
            {e.filename}{" "}
            <span className="muted">
              {[e.size && `${e.size} bytes`, e.hash, e.description].filter(Boolean).join(" · ")}
            </span>
          </li>
        ))}
      </ul>
      {canWrite && (
        <form
          aria-label="Register evidence"
          className="inline"
          onSubmit={async (e) => {
            e.preventDefault();
            const r = await add({ input: { caseId: c.id, filename, hash: hash || null } });
            if (!r.error) {
              setFilename("");
              setHash("");
              reload();
            }
          }}
        >
          <label>
            File name
            <input value={filename} onChange={(e) => setFilename(e.target.value)} required />
          </label>
          <label>
            Hash
            <input value={hash} onChange={(e) => setHash(e.target.value)} />
          </label>
          <button type="submit" disabled={fetching}>
            Register evidence
          </button>
          <ErrorNotice error={error} />
        </form>
      )}
    </section>
  );
}

function Activity({ c, canWrite, reload }: Part) {
  const [text, setText] = useState("");
  const [{ fetching, error }, log] = useMutation(LogActivity);
  return (
    <section aria-labelledby="activity-title">
      <h2 id="activity-title">
        Activity <span className="count">{c.activities.length}</span>
      </h2>
      <ol className="plain">
        {c.activities.map((a) => (
          <li key={`${a.createdAt}-${a.text}`}>
            <Time at={a.createdAt} /> <span className="muted">{a.user?.username ?? "someone"}:</span> {a.text}
          </li>
        ))}
      </ol>
      {canWrite && (
        <form
          aria-label="Write down an activity"
          className="inline"
          onSubmit={async (e) => {
            e.preventDefault();
            const r = await log({ caseId: c.id, text });
            if (!r.error) {
              setText("");
              reload();
            }
          }}
        >
          <label>
            Done
            <input value={text} onChange={(e) => setText(e.target.value)} required />
          </label>
          <button type="submit" disabled={fetching}>
            Write down
          </button>
          <ErrorNotice error={error} />
        </form>
      )}
    </section>
  );
}
