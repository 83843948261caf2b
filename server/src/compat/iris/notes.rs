//! A case's notes and note groups (`/case/notes/*`): Pivot's notes about the case, in
//! its note groups. IRIS v2's note directories are Pivot's groups too (`directory_id`
//! is taken for `group_id`; Pivot's groups do not nest). Deleting a group deletes its
//! notes, as IRIS does. A note search matches every word of the term in a note's title
//! or text, whatever the case (IRIS matched the text with `LIKE`).

use serde::Deserialize;
use serde_json::{json, Map, Value};

use super::super::{read_data, Answer, Context, Params, Refusal, Reply};
use super::form::Form;
use super::shapes::{global, global_of, iso, number};
use super::success;
use crate::domain::ids::Kind;

macro_rules! note_fields {
    () => {
        "fragment N on Note { id title body customAttributes createdAt updatedAt \
         author { username } group { id title } subject { id } }"
    };
}

pub(super) const GROUPS: &str = concat!(
    "query($caseId: ID!) { r: node(id: $caseId) { ... on Case { noteGroups { ",
    "id title createdAt notes { id title updatedAt author { username } } } ",
    super::states::states_of_case!(),
    " } } }"
);
pub(super) const NOTE: &str = concat!("query($id: ID!) { r: node(id: $id) { ...N } } ", note_fields!());
/// What a note is about (the step before an update or deletion).
pub(super) const NOTE_SUBJECT: &str = "query($id: ID!) { r: node(id: $id) { ... on Note { id subject { id } } } }";
/// The case's groups (the step before a group's deletion).
pub(super) const GROUP_IDS: &str = "query($caseId: ID!) { r: node(id: $caseId) { ... on Case { noteGroups { id } } } }";
pub(super) const ADD_GROUP: &str =
    "mutation($caseId: ID!, $title: String!) { r: createNoteGroup(caseId: $caseId, title: $title) { id title createdAt } }";
pub(super) const DELETE_GROUP: &str =
    "mutation($id: ID!, $inCase: Boolean!) { r: deleteNoteGroup(id: $id, deleteNotes: true) @include(if: $inCase) }";
pub(super) const ADD_NOTE: &str = concat!(
    "mutation($input: CreateNoteInput!) { r: createNote(input: $input) { ...N } } ",
    note_fields!()
);
pub(super) const UPDATE_NOTE: &str = concat!(
    "mutation($id: ID!, $input: UpdateNoteInput!, $inCase: Boolean!) { r: updateNote(id: $id, input: $input) @include(if: $inCase) { ...N } } ",
    note_fields!()
);
pub(super) const DELETE_NOTE: &str =
    "mutation($id: ID!, $inCase: Boolean!) { r: deleteNote(id: $id) @include(if: $inCase) }";
pub(super) const SEARCH_NOTES: &str = "query($caseId: ID!, $term: String!, $any: Boolean!) { \
     r: notes(filter: { and: [{ caseId: { eq: $caseId } }, { search: $term }] }, first: 1000) @include(if: $any) { nodes { id title } } }";

pub const INVALID_NOTE: &str = "Invalid note ID for this case";
pub const INVALID_GROUP: &str = "Invalid group ID";

#[derive(Deserialize)]
struct Who {
    username: String,
}

#[derive(Deserialize)]
struct Idd {
    id: String,
}

#[derive(Deserialize)]
struct GroupRef {
    id: String,
}

/// A note as the fragment selects it.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Note {
    id: String,
    title: Option<String>,
    body: String,
    custom_attributes: Option<Value>,
    created_at: chrono::DateTime<chrono::Utc>,
    updated_at: chrono::DateTime<chrono::Utc>,
    group: Option<GroupRef>,
    subject: Option<Idd>,
}

impl Note {
    fn dump(&self) -> Value {
        let group = self.group.as_ref().map(|g| number(&g.id));
        json!({
            "note_id": number(&self.id),
            "note_uuid": self.id,
            "note_title": self.title.clone().unwrap_or_default(),
            "note_content": self.body,
            "note_creationdate": iso(&self.created_at),
            "note_lastupdate": iso(&self.updated_at),
            "group_id": group,
            "directory_id": group,
            "custom_attributes": self.custom_attributes.clone().unwrap_or_else(|| json!({})),
        })
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Listed {
    id: String,
    title: Option<String>,
    updated_at: chrono::DateTime<chrono::Utc>,
    author: Option<Who>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Group {
    id: String,
    title: String,
    created_at: chrono::DateTime<chrono::Utc>,
    notes: Vec<Listed>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Groups {
    note_groups: Vec<Group>,
}

#[derive(Deserialize)]
struct InCase {
    r: Groups,
}

/// v1.2's groups: one row per note, with its group; a row per empty group.
pub(super) fn group_rows(a: Answer, _: &Params, _: &Context) -> Result<Reply, Refusal> {
    let mut rows = Vec::new();
    for g in a.read::<InCase>()?.r.note_groups {
        let group = json!({ "group_id": number(&g.id), "group_title": g.title });
        if g.notes.is_empty() {
            rows.push(group.clone());
        }
        for n in g.notes {
            let mut row = group.clone();
            row["note_id"] = json!(number(&n.id));
            row["note_title"] = json!(n.title.unwrap_or_default());
            row["user"] = json!(n.author.map(|u| u.username));
            row["note_lastupdate"] = json!(iso(&n.updated_at));
            rows.push(row);
        }
    }
    let state = super::states::state_in(&a.data["r"], "NOTES");
    Ok(success("", json!({ "groups": rows, "state": state })))
}

/// API 1.0.1's groups: each with its notes.
pub(super) fn group_list(a: Answer, _: &Params, _: &Context) -> Result<Reply, Refusal> {
    let groups: Vec<Value> = a
        .read::<InCase>()?
        .r
        .note_groups
        .into_iter()
        .map(|g| {
            let notes: Vec<Value> = g
                .notes
                .into_iter()
                .map(|n| {
                    json!({
                        "note_id": number(&n.id),
                        "note_title": n.title.unwrap_or_default(),
                        "note_lastupdate": iso(&n.updated_at),
                        "user": n.author.map(|u| u.username),
                    })
                })
                .collect();
            json!({
                "group_id": number(&g.id),
                "group_uuid": g.id,
                "group_title": g.title,
                "group_creationdate": iso(&g.created_at),
                "notes": notes,
            })
        })
        .collect();
    let state = super::states::state_in(&a.data["r"], "NOTES");
    Ok(success("", json!({ "groups": groups, "state": state })))
}

/// IRIS reads only the title of a new group (other fields are ignored, as IRIS does).
pub(super) fn new_group(p: &Params, _: &Context) -> Result<Value, Refusal> {
    let title = match p.body.get("group_title") {
        None | Some(Value::Null) => String::new(),
        Some(Value::String(s)) => s.trim().to_string(),
        Some(_) => return Err(Refusal::bad("Invalid request")),
    };
    // IRIS names an untitled group after itself; Pivot's groups need a title to be made.
    let title = if title.is_empty() {
        "Untitled group".to_string()
    } else {
        title
    };
    Ok(json!({ "title": title }))
}

pub(super) fn added_group(a: Answer, _: &Params, _: &Context) -> Result<Reply, Refusal> {
    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Made {
        id: String,
        title: String,
        created_at: chrono::DateTime<chrono::Utc>,
    }
    let g: Made = read_data(&a.data["r"])?;
    Ok(success(
        "",
        json!({
            "group_id": number(&g.id),
            "group_uuid": g.id,
            "group_title": g.title,
            "group_creationdate": iso(&g.created_at),
            "group_lastupdate": iso(&g.created_at),
        }),
    ))
}

pub(super) fn group_id(p: &Params, _: &Context) -> Result<Value, Refusal> {
    Ok(json!({ "id": global(Kind::NoteGroup, p.path("id"), INVALID_GROUP)?, "inCase": false }))
}

/// Whether the group is one of the case's: its deletion runs only then.
pub(super) fn feed_group_in_case(v: &Value, variables: &mut Value) {
    let id = variables["id"].clone();
    let here = v["r"]["noteGroups"]
        .as_array()
        .is_some_and(|gs| gs.iter().any(|g| g["id"] == id));
    variables["inCase"] = json!(here);
}

pub(super) fn deleted_group(a: Answer, p: &Params, _: &Context) -> Result<Reply, Refusal> {
    super::context::owned(&a, INVALID_GROUP)?;
    Ok(success(&format!("Group ID {} deleted", p.path("id").trim()), json!([])))
}

pub(super) fn note_id(p: &Params, _: &Context) -> Result<Value, Refusal> {
    Ok(json!({ "id": global(Kind::Note, p.path("id"), INVALID_NOTE)?, "inCase": false }))
}

pub(super) fn one_note(a: Answer, _: &Params, _: &Context) -> Result<Reply, Refusal> {
    let v = &a.data["r"];
    if v.get("id").is_none() {
        return Err(Refusal::bad("Invalid note ID"));
    }
    let n: Note = read_data(v)?;
    if n.subject.as_ref().map(|s| s.id.as_str()) != a.variables["caseId"].as_str() {
        return Err(Refusal::bad("Invalid note ID"));
    }
    Ok(success("", n.dump()))
}

/// The fields a note is written with; `group_id` (v1.2) or `directory_id` (v2).
fn note_input(p: &Params, create: bool) -> Result<Map<String, Value>, Refusal> {
    let mut f = Form::new(
        p,
        &[
            "note_title",
            "note_content",
            "group_id",
            "directory_id",
            "custom_attributes",
        ],
    )?;
    let mut input = Map::new();
    if let Some(t) = f.required_text("note_title", 1) {
        input.insert("title".into(), json!(t));
    }
    let content = f.text("note_content", 0);
    if create || content.is_some() {
        input.insert("body".into(), json!(content.unwrap_or_default()));
    }
    let group = f.int("group_id").or_else(|| f.int("directory_id"));
    match group {
        Some(g) => {
            input.insert("groupId".into(), json!(global_of(Kind::NoteGroup, g).0));
        }
        None if create && !f.has("group_id") && !f.has("directory_id") => f.fail("group_id", super::form::MISSING),
        None => {}
    }
    if f.has("custom_attributes") {
        input.insert("customAttributes".into(), json!(f.object("custom_attributes")));
    }
    f.finish()?;
    Ok(input)
}

pub(super) fn new_note(p: &Params, _: &Context) -> Result<Value, Refusal> {
    let mut input = note_input(p, true)?;
    // Filled by the case context: a case's notes are about the case.
    input.insert("subjectId".into(), Value::Null);
    Ok(json!({ "input": input }))
}

pub(super) fn added_note(a: Answer, _: &Params, _: &Context) -> Result<Reply, Refusal> {
    Ok(success("", read_data::<Note>(&a.data["r"])?.dump()))
}

pub(super) fn note_update(p: &Params, c: &Context) -> Result<Value, Refusal> {
    let mut v = note_id(p, c)?;
    v["input"] = Value::Object(note_input(p, false)?);
    Ok(v)
}

/// Whether the note is about the case: the change runs only then.
pub(super) fn feed_note_in_case(v: &Value, variables: &mut Value) {
    let here = v["r"]["subject"]["id"].as_str().is_some() && v["r"]["subject"]["id"] == variables["caseId"];
    variables["inCase"] = json!(here);
}

pub(super) fn saved_note(a: Answer, p: &Params, _: &Context) -> Result<Reply, Refusal> {
    super::context::owned(&a, INVALID_NOTE)?;
    Ok(success(&format!("Note ID {} saved", p.path("id").trim()), json!([])))
}

/// v2's update answers the note (v1.2's save answered nothing).
pub(super) fn updated_note(a: Answer, p: &Params, _: &Context) -> Result<Reply, Refusal> {
    super::context::owned(&a, INVALID_NOTE)?;
    let note: Note = read_data(&a.data["r"])?;
    Ok(success(&format!("Note ID {} saved", p.path("id").trim()), note.dump()))
}

pub(super) fn deleted_note(a: Answer, _: &Params, _: &Context) -> Result<Reply, Refusal> {
    super::context::owned(&a, INVALID_NOTE)?;
    Ok(success("Deleted", json!([])))
}

pub(super) fn search_vars(p: &Params, _: &Context) -> Result<Value, Refusal> {
    let term = match p.body.get("search_term") {
        None | Some(Value::Null) => String::new(),
        Some(Value::String(s)) => s.trim().to_string(),
        Some(_) => return Err(Refusal::bad("Invalid request")),
    };
    Ok(json!({ "any": !term.is_empty(), "term": term }))
}

pub(super) fn found_notes(a: Answer, _: &Params, _: &Context) -> Result<Reply, Refusal> {
    let rows: Vec<Value> = a.data["r"]["nodes"]
        .as_array()
        .map(|ns| {
            ns.iter()
                .map(|n| {
                    json!({
                        "note_id": number(n["id"].as_str().unwrap_or_default()),
                        "note_title": n["title"].as_str().unwrap_or_default(),
                    })
                })
                .collect()
        })
        .unwrap_or_default();
    Ok(success("", json!(rows)))
}
