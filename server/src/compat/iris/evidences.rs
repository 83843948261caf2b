//! A case's evidences (`/case/evidences/*`): Pivot's evidences — what was received,
//! registered by name, size and digest (Pivot keeps no file: it records evidence).

use serde::Deserialize;
use serde_json::{json, Map, Value};

use super::super::{read_data, Answer, Context, Params, Refusal, Reply};
use super::form::Form;
use super::shapes::{global, http_date, iso, number};
use super::success;
use crate::domain::ids::Kind;

macro_rules! evidence_fields {
    () => {
        "fragment E on Evidence { id filename size hash description customAttributes addedAt \
         addedBy { username } case { id } }"
    };
}

pub(super) const EVIDENCES: &str = concat!(
    "query($caseId: ID!) { r: node(id: $caseId) { ... on Case { evidences { ...E } ",
    super::states::states_of_case!(),
    " } } } ",
    evidence_fields!()
);
pub(super) const EVIDENCE: &str = concat!("query($id: ID!) { r: node(id: $id) { ...E } } ", evidence_fields!());
/// The evidence's case (the step before an update or deletion).
pub(super) const EVIDENCE_CASE: &str = "query($id: ID!) { r: node(id: $id) { ... on Evidence { id case { id } } } }";
pub(super) const ADD_EVIDENCE: &str = concat!(
    "mutation($input: CreateEvidenceInput!) { r: createEvidence(input: $input) { ...E } } ",
    evidence_fields!()
);
pub(super) const UPDATE_EVIDENCE: &str = concat!(
    "mutation($id: ID!, $input: EvidenceInput!, $inCase: Boolean!) { r: updateEvidence(id: $id, input: $input) @include(if: $inCase) { ...E } } ",
    evidence_fields!()
);
pub(super) const DELETE_EVIDENCE: &str =
    "mutation($id: ID!, $inCase: Boolean!) { r: deleteEvidence(id: $id) @include(if: $inCase) }";

pub const INVALID: &str = "Invalid evidence ID for this case";

#[derive(Deserialize)]
struct Who {
    username: String,
}

/// An evidence as the fragment selects it.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Evidence {
    id: String,
    filename: String,
    size: Option<i64>,
    hash: Option<String>,
    description: Option<String>,
    custom_attributes: Option<Value>,
    added_at: chrono::DateTime<chrono::Utc>,
    added_by: Option<Who>,
}

impl Evidence {
    /// What IRIS's schema dumps (a read, an addition, an update).
    fn dump(&self) -> Value {
        json!({
            "id": number(&self.id),
            "file_uuid": self.id,
            "filename": self.filename,
            "date_added": iso(&self.added_at),
            "file_hash": self.hash.clone().unwrap_or_default(),
            "file_description": self.description.clone().unwrap_or_default(),
            "file_size": self.size.unwrap_or(0),
            "custom_attributes": self.custom_attributes.clone().unwrap_or_else(|| json!({})),
        })
    }

    /// A row of the case's list (raw rows: RFC 1123 dates, the adder's name).
    fn row(&self) -> Value {
        let mut v = self.dump();
        v["date_added"] = json!(http_date(&self.added_at));
        v["username"] = json!(self.added_by.as_ref().map(|u| u.username.clone()));
        v
    }
}

#[derive(Deserialize)]
struct Listed {
    r: Evidences,
}

#[derive(Deserialize)]
struct Evidences {
    evidences: Vec<Evidence>,
}

pub(super) fn evidence_list(a: Answer, _: &Params, _: &Context) -> Result<Reply, Refusal> {
    let mut list = a.read::<Listed>()?.r.evidences;
    // Newest first.
    list.sort_by(|x, y| {
        y.added_at
            .cmp(&x.added_at)
            .then_with(|| number(&y.id).cmp(&number(&x.id)))
    });
    let rows: Vec<Value> = list.iter().map(Evidence::row).collect();
    let state = super::states::state_in(&a.data["r"], "EVIDENCES");
    Ok(success("", json!({ "evidences": rows, "state": state })))
}

pub(super) fn evidence_id(p: &Params, _: &Context) -> Result<Value, Refusal> {
    Ok(json!({ "id": global(Kind::Evidence, p.path("id"), INVALID)?, "inCase": false }))
}

pub(super) fn one_evidence(a: Answer, _: &Params, _: &Context) -> Result<Reply, Refusal> {
    let e: Evidence = super::context::of_case(&a, INVALID)?;
    Ok(success("", e.dump()))
}

/// The fields an evidence is written with: `filename` (at least 2 long) always.
fn evidence_input(p: &Params) -> Result<Map<String, Value>, Refusal> {
    let mut f = Form::new(
        p,
        &[
            "filename",
            "file_size",
            "file_hash",
            "file_description",
            "custom_attributes",
        ],
    )?;
    let mut input = Map::new();
    if let Some(name) = f.required_text("filename", 2) {
        input.insert("filename".into(), json!(name));
    }
    if f.has("file_size") {
        match f.int("file_size") {
            Some(n) if n < 0 => f.fail("file_size", "Must be greater than or equal to 0."),
            n => {
                input.insert("size".into(), json!(n));
            }
        }
    }
    if f.has("file_hash") {
        match f
            .text("file_hash", 0)
            .map(|h| h.trim().to_string())
            .filter(|h| !h.is_empty())
        {
            None => {
                input.insert("hash".into(), Value::Null);
            }
            Some(h) if [32, 40, 64, 128].contains(&h.len()) && h.chars().all(|c| c.is_ascii_hexdigit()) => {
                input.insert("hash".into(), json!(h));
            }
            Some(_) => f.fail("file_hash", "Not a hex digest (MD5, SHA-1, SHA-256 or SHA-512)."),
        }
    }
    if f.has("file_description") {
        input.insert("description".into(), json!(f.text("file_description", 0)));
    }
    if f.has("custom_attributes") {
        input.insert("customAttributes".into(), json!(f.object("custom_attributes")));
    }
    f.finish()?;
    Ok(input)
}

pub(super) fn new_evidence(p: &Params, _: &Context) -> Result<Value, Refusal> {
    let mut input = evidence_input(p)?;
    // Filled by the case context.
    input.insert("caseId".into(), Value::Null);
    Ok(json!({ "input": input }))
}

pub(super) fn added_evidence(a: Answer, _: &Params, _: &Context) -> Result<Reply, Refusal> {
    Ok(success("", read_data::<Evidence>(&a.data["r"])?.dump()))
}

pub(super) fn evidence_update(p: &Params, c: &Context) -> Result<Value, Refusal> {
    let mut v = evidence_id(p, c)?;
    v["input"] = Value::Object(evidence_input(p)?);
    Ok(v)
}

pub(super) fn updated_evidence(a: Answer, _: &Params, _: &Context) -> Result<Reply, Refusal> {
    super::context::owned(&a, INVALID)?;
    Ok(success("", read_data::<Evidence>(&a.data["r"])?.dump()))
}

pub(super) fn deleted_evidence(a: Answer, _: &Params, _: &Context) -> Result<Reply, Refusal> {
    super::context::owned(&a, INVALID)?;
    Ok(success("Evidence deleted", json!([])))
}
