// Notes on any object, with their revisions. A save names the revision it was written
// over; if someone saved meanwhile the server says CONFLICT and the text typed here is
// kept, beside theirs, to merge by hand.
import { useState } from "react";
import { useMutation, useQuery } from "urql";
import { codes } from "../client";
import { ErrorNotice } from "../errors";
import { graphql, type ResultOf } from "../graphql";
import { useCan } from "../session";
import { Time } from "./Time";

const NotesQuery = graphql(`
  query Notes($filter: NoteFilter!) {
    notes(filter: $filter, first: 100) {
      totalCount
      nodes {
        id title body revision updatedAt
        author { id username }
        group { id title }
        revisions { revision title body createdAt author { id username } }
      }
    }
  }
`);

const CreateNote = graphql(`
  mutation CreateNote($input: CreateNoteInput!) {
    createNote(input: $input) { id title body revision }
  }
`);

const UpdateNote = graphql(`
  mutation UpdateNote($id: ID!, $input: UpdateNoteInput!) {
    updateNote(id: $id, input: $input) { id title body revision updatedAt }
  }
`);

type Note = ResultOf<typeof NotesQuery>["notes"]["nodes"][number];

export function Notes({
  subjectId,
  groups,
}: {
  subjectId: string;
  groups?: readonly { id: string; title: string }[];
}) {
  const [{ data, error }, refetch] = useQuery({ query: NotesQuery, variables: { filter: { subjectId } } });
  // Notes, on any object, are case work.
  const canWrite = useCan("cases:write");
  const notes = data?.notes.nodes ?? [];
  const grouped = new Map<string, Note[]>();
  for (const n of notes) {
    // A group's title as the caller gives it (with the groups it is inside), else its own.
    const g = groups?.find((x) => x.id === n.group?.id)?.title ?? n.group?.title ?? "";
    grouped.set(g, [...(grouped.get(g) ?? []), n]);
  }
  return (
    <section aria-labelledby={`notes-${subjectId}`}>
      <h2 id={`notes-${subjectId}`}>
        Notes <span className="count">{data?.notes.totalCount ?? ""}</span>
      </h2>
      <ErrorNotice error={error} />
      {[...grouped.entries()].map(([group, list]) => (
        <div key={group || "-"}>
          {group && <h3>{group}</h3>}
          {list.map((n) => (
            <NoteView
              key={n.id}
              note={n}
              canWrite={canWrite}
              onSaved={() => refetch({ requestPolicy: "network-only" })}
            />
          ))}
        </div>
      ))}
      {canWrite && (
        <NewNote
          subjectId={subjectId}
          groups={groups}
          onSaved={() => refetch({ requestPolicy: "network-only" })}
        />
      )}
    </section>
  );
}

function NewNote({
  subjectId,
  groups,
  onSaved,
}: {
  subjectId: string;
  groups?: readonly { id: string; title: string }[];
  onSaved: () => void;
}) {
  const [title, setTitle] = useState("");
  const [body, setBody] = useState("");
  const [groupId, setGroupId] = useState("");
  const [{ fetching, error }, create] = useMutation(CreateNote);
  return (
    <form
      aria-label="New note"
      className="stack"
      onSubmit={async (e) => {
        e.preventDefault();
        const r = await create({
          input: { subjectId, title: title || null, body, groupId: groupId || null },
        });
        if (!r.error) {
          setTitle("");
          setBody("");
          onSaved();
        }
      }}
    >
      <h3>New note</h3>
      <label>
        Title
        <input value={title} onChange={(e) => setTitle(e.target.value)} />
      </label>
      {groups && groups.length > 0 && (
        <label>
          Group
          <select value={groupId} onChange={(e) => setGroupId(e.target.value)}>
            <option value="">(none)</option>
            {groups.map((g) => (
              <option key={g.id} value={g.id}>
                {g.title}
              </option>
            ))}
          </select>
        </label>
      )}
      <label>
        Text
        <textarea value={body} onChange={(e) => setBody(e.target.value)} required rows={4} />
      </label>
      <ErrorNotice error={error} />
      <button type="submit" disabled={fetching}>
        Add note
      </button>
    </form>
  );
}

function NoteView({ note, canWrite, onSaved }: { note: Note; canWrite: boolean; onSaved: () => void }) {
  const [editing, setEditing] = useState(false);
  const [title, setTitle] = useState(note.title ?? "");
  const [body, setBody] = useState(note.body);
  const [base, setBase] = useState(note.revision);
  const [{ fetching, error }, update] = useMutation(UpdateNote);
  const conflict = codes(error).includes("CONFLICT");
  // Saves over revision `over`: the one the edit started from, or, once the editor has
  // merged a conflicting save, that save's.
  const save = async (over: number) => {
    setBase(over);
    const r = await update({ id: note.id, input: { title: title || null, body, expectedRevision: over } });
    if (!r.error) setEditing(false);
    // Saved, or refused as stale: either way, read the note as it is now (on a
    // conflict, the other writer's text is then shown beside this one).
    if (!r.error || codes(r.error).includes("CONFLICT")) onSaved();
  };
  return (
    <article className="note" aria-label={note.title ?? "Note"}>
      {editing ? (
        <form
          className="stack"
          onSubmit={(e) => {
            e.preventDefault();
            void save(base);
          }}
        >
          <label>
            Title
            <input value={title} onChange={(e) => setTitle(e.target.value)} />
          </label>
          <label>
            Text
            <textarea value={body} onChange={(e) => setBody(e.target.value)} rows={6} />
          </label>
          {conflict ? (
            <div role="alert" className="error">
              Someone saved revision {note.revision} while you were editing. Their text is below; yours is
              kept in the editor. Merge them, then save again.
              <pre>{note.body}</pre>
              <button type="button" disabled={fetching} onClick={() => void save(note.revision)}>
                I have merged: save over revision {note.revision}
              </button>
            </div>
          ) : (
            <ErrorNotice error={error} />
          )}
          <p className="actions">
            <button type="submit" disabled={fetching}>
              Save
            </button>
            <button type="button" onClick={() => setEditing(false)}>
              Cancel
            </button>
          </p>
        </form>
      ) : (
        <>
          <h4>{note.title ?? "(untitled)"}</h4>
          {/* Notes are text: rendered as text, never as HTML. */}
          <p className="note-body">{note.body}</p>
          <p className="muted">
            revision {note.revision} · {note.author?.username ?? "someone"} · <Time at={note.updatedAt} />
            {canWrite && (
              <button
                type="button"
                className="link"
                onClick={() => {
                  setTitle(note.title ?? "");
                  setBody(note.body);
                  setBase(note.revision);
                  setEditing(true);
                }}
              >
                Edit
              </button>
            )}
          </p>
          {note.revisions.length > 0 && (
            <details>
              <summary>
                History ({note.revisions.length} earlier revision{note.revisions.length > 1 ? "s" : ""})
              </summary>
              <ol>
                {note.revisions.map((r) => (
                  <li key={r.revision}>
                    revision {r.revision} · {r.author?.username ?? "someone"} · <Time at={r.createdAt} />
                    <pre>{r.body}</pre>
                  </li>
                ))}
              </ol>
            </details>
          )}
        </>
      )}
    </article>
  );
}
