//! Object states (`state` in a case's lists, `/case/{family}/state`): how many times a
//! family of a case's objects has changed and when last (Pivot's `Case.objectStates`).

use serde_json::{json, Value};

use super::super::{Answer, Context, Params, Refusal, Reply};
use super::shapes::http_date;
use super::success;

/// The selection every list's operation adds to its case: `objectStates`.
macro_rules! states_of_case {
    () => {
        "objectStates { family state updatedAt }"
    };
}
pub(super) use states_of_case;

pub(super) const STATES: &str = concat!(
    "query($caseId: ID!) { r: node(id: $caseId) { ... on Case { ",
    states_of_case!(),
    " } } }"
);

/// A family's state, as IRIS writes it, from a case's `objectStates`; null if it never
/// changed.
pub(super) fn state_in(case: &Value, family: &str) -> Value {
    let found = case["objectStates"]
        .as_array()
        .and_then(|all| all.iter().find(|s| s["family"] == family));
    match found {
        Some(s) => {
            let at = s["updatedAt"]
                .as_str()
                .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
                .map(|t| http_date(&t.with_timezone(&chrono::Utc)));
            json!({ "object_state": s["state"], "object_last_update": at })
        }
        None => Value::Null,
    }
}

fn reply(a: &Answer, family: &str, what: &str) -> Result<Reply, Refusal> {
    match state_in(&a.data["r"], family) {
        Value::Null => Err(Refusal::bad(format!(
            "No {what} state for this case. Add an object to begin"
        ))),
        state => Ok(success("", state)),
    }
}

pub(super) fn ioc_state(a: Answer, _: &Params, _: &Context) -> Result<Reply, Refusal> {
    reply(&a, "IOCS", "IOC")
}

pub(super) fn asset_state(a: Answer, _: &Params, _: &Context) -> Result<Reply, Refusal> {
    reply(&a, "ASSETS", "assets")
}

pub(super) fn evidence_state(a: Answer, _: &Params, _: &Context) -> Result<Reply, Refusal> {
    reply(&a, "EVIDENCES", "evidences")
}

pub(super) fn note_state(a: Answer, _: &Params, _: &Context) -> Result<Reply, Refusal> {
    reply(&a, "NOTES", "notes")
}

pub(super) fn task_state(a: Answer, _: &Params, _: &Context) -> Result<Reply, Refusal> {
    reply(&a, "TASKS", "tasks")
}

/// IRIS's own words for the timeline.
pub(super) fn timeline_state(a: Answer, _: &Params, _: &Context) -> Result<Reply, Refusal> {
    match state_in(&a.data["r"], "TIMELINE") {
        Value::Null => Err(Refusal::bad("No timeline state for this case. Add an event to begin")),
        state => Ok(success("", state)),
    }
}
