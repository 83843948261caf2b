//! A case's summary (`/case/summary/*`): IRIS keeps one text, the case description,
//! which is Pivot's case description too.

use serde::Deserialize;
use serde_json::{json, Value};

use super::super::{Answer, Context, Params, Refusal, Reply};
use super::form::Form;
use super::success;

pub(super) const SUMMARY: &str = "query($caseId: ID!) { r: node(id: $caseId) { ... on Case { description } } }";
pub(super) const UPDATE_SUMMARY: &str =
    "mutation($caseId: ID!, $input: CaseInput!) { r: updateCase(id: $caseId, input: $input) { id } }";

#[derive(Deserialize)]
struct Described {
    r: Description,
}

#[derive(Deserialize)]
struct Description {
    description: String,
}

pub(super) fn fetched_summary(a: Answer, _: &Params, _: &Context) -> Result<Reply, Refusal> {
    let text = a.read::<Described>()?.r.description;
    let crc = crc32fast::hash(text.as_bytes());
    Ok(success("", json!({ "case_description": text, "crc32": crc })))
}

pub(super) fn summary_update(p: &Params, _: &Context) -> Result<Value, Refusal> {
    let mut f = Form::new(p, &["case_description"])?;
    let text = f.required_text("case_description", 0);
    f.finish()?;
    Ok(json!({ "input": { "description": text } }))
}

pub(super) fn updated_summary(_: Answer, _: &Params, _: &Context) -> Result<Reply, Refusal> {
    Ok(success("Summary updated", json!([])))
}
