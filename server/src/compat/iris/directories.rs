//! A case's note directories (IRIS v2, `/case/notes/directories/*`): Pivot's note
//! groups, which may sit inside one another. IRIS v2 ignores unknown body fields here.

use std::collections::HashMap;

use serde::Deserialize;
use serde_json::{json, Value};

use super::super::{read_data, Answer, Context, Params, Refusal, Reply};
use super::form::Form;
use super::shapes::{global, global_of, number};
use super::success;
use crate::domain::ids::Kind;

pub(super) const DIRECTORIES: &str = "query($caseId: ID!) { r: node(id: $caseId) { ... on Case { \
     noteGroups { id title parent { id } notes { id title } } } } }";
pub(super) const ADD_DIRECTORY: &str = "mutation($caseId: ID!, $title: String!, $parentId: ID) { \
     r: createNoteGroup(caseId: $caseId, title: $title, parentId: $parentId) { id title parent { id } } }";
pub(super) const UPDATE_DIRECTORY: &str = "mutation($id: ID!, $title: String, $parentId: ID, $inCase: Boolean!) { \
     r: updateNoteGroup(id: $id, title: $title, parentId: $parentId) @include(if: $inCase) { id title parent { id } } }";
/// The case's directories and where each is (the step before an update).
pub(super) const DIRECTORY_PARENTS: &str =
    "query($caseId: ID!) { r: node(id: $caseId) { ... on Case { noteGroups { id parent { id } } } } }";
pub(super) const DELETE_DIRECTORY: &str =
    "mutation($id: ID!, $inCase: Boolean!) { r: deleteNoteGroup(id: $id, deleteNotes: true) @include(if: $inCase) }";

pub const INVALID_DIRECTORY: &str = "Invalid directory ID";

#[derive(Deserialize)]
struct Ref {
    id: String,
}

#[derive(Deserialize)]
struct Directory {
    id: String,
    title: String,
    parent: Option<Ref>,
    #[serde(default)]
    notes: Vec<Titled>,
}

#[derive(Deserialize)]
struct Titled {
    id: String,
    title: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Groups {
    note_groups: Vec<Directory>,
}

#[derive(Deserialize)]
struct InCase {
    r: Groups,
}

/// Every directory of the case by name, each with its notes by title and the tree of
/// directories inside it (with their note counts), as IRIS lists them.
pub(super) fn directory_list(a: Answer, _: &Params, _: &Context) -> Result<Reply, Refusal> {
    let mut all = a.read::<InCase>()?.r.note_groups;
    all.sort_by(|x, y| x.title.cmp(&y.title).then(x.id.cmp(&y.id)));
    // Each directory's children, found once (by name, as the list is).
    let mut inside: HashMap<&str, Vec<&Directory>> = HashMap::new();
    for d in &all {
        if let Some(p) = &d.parent {
            inside.entry(p.id.as_str()).or_default().push(d);
        }
    }
    fn tree(d: &Directory, inside: &HashMap<&str, Vec<&Directory>>, depth: usize) -> Value {
        let children: Vec<Value> = match inside.get(d.id.as_str()) {
            Some(cs) if depth < 32 => cs.iter().map(|c| tree(c, inside, depth + 1)).collect(),
            _ => Vec::new(),
        };
        json!({ "id": number(&d.id), "name": d.title, "note_count": d.notes.len(), "subdirectories": children })
    }
    let rows: Vec<Value> = all
        .iter()
        .map(|d| {
            let mut row = tree(d, &inside, 0);
            let mut notes: Vec<(String, i64)> = d
                .notes
                .iter()
                .map(|n| (n.title.clone().unwrap_or_default(), number(&n.id)))
                .collect();
            notes.sort();
            row["notes"] = json!(notes
                .into_iter()
                .map(|(title, id)| json!({ "id": id, "title": title }))
                .collect::<Vec<_>>());
            row
        })
        .collect();
    Ok(success("", json!(rows)))
}

/// `name` and `parent_id` (null: at the top), read as IRIS v2 reads them.
fn directory_input(p: &Params, create: bool) -> Result<Value, Refusal> {
    let mut f = Form::lenient(p)?;
    let name = if create {
        f.required_text("name", 1)
    } else {
        f.text("name", 1)
    };
    // Pivot's limit, said here: the operation's errors read as a bad parent.
    if name.as_ref().is_some_and(|n| n.chars().count() > 300) {
        f.fail("name", "Longer than maximum length 300.");
    }
    let mut vars = json!({ "title": name });
    if f.has("parent_id") {
        vars["parentId"] = json!(f.int("parent_id").map(|n| global_of(Kind::NoteGroup, n).0));
    }
    f.finish()?;
    Ok(vars)
}

pub(super) fn new_directory(p: &Params, _: &Context) -> Result<Value, Refusal> {
    directory_input(p, true)
}

pub(super) fn directory_update(p: &Params, c: &Context) -> Result<Value, Refusal> {
    let mut vars = directory_input(p, false)?;
    let id = directory_id(p, c)?;
    vars["id"] = id["id"].clone();
    vars["inCase"] = json!(false);
    Ok(vars)
}

/// Whether the directory is the case's (the update runs only then); a directory that
/// is not moved keeps its parent (an absent `$parentId` would read as null).
pub(super) fn feed_directory_in_case(v: &Value, variables: &mut Value) {
    let id = variables["id"].clone();
    let found = v["r"]["noteGroups"]
        .as_array()
        .and_then(|gs| gs.iter().find(|g| g["id"] == id));
    variables["inCase"] = json!(found.is_some());
    if variables.get("parentId").is_none() {
        variables["parentId"] = found.map_or(Value::Null, |g| g["parent"]["id"].clone());
    }
}

pub(super) fn directory_id(p: &Params, _: &Context) -> Result<Value, Refusal> {
    Ok(json!({ "id": global(Kind::NoteGroup, p.path("id"), INVALID_DIRECTORY)?, "inCase": false }))
}

/// A directory as IRIS's schema dumps it.
fn dump(a: &Answer) -> Result<Value, Refusal> {
    let d: Directory = read_data(&a.data["r"])?;
    let case = a.variables["caseId"].as_str().map(number);
    Ok(json!({
        "id": number(&d.id),
        "name": d.title,
        "parent_id": d.parent.map(|p| number(&p.id)),
        "case_id": case,
    }))
}

pub(super) fn added_directory(a: Answer, _: &Params, _: &Context) -> Result<Reply, Refusal> {
    Ok(success("Directory added", dump(&a)?))
}

pub(super) fn updated_directory(a: Answer, _: &Params, _: &Context) -> Result<Reply, Refusal> {
    super::context::owned(&a, INVALID_DIRECTORY)?;
    Ok(success("Directory modified", dump(&a)?))
}

pub(super) fn deleted_directory(a: Answer, _: &Params, _: &Context) -> Result<Reply, Refusal> {
    super::context::owned(&a, INVALID_DIRECTORY)?;
    Ok(success("Directory deleted", json!([])))
}
