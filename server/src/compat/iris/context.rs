//! The case a case-scoped route acts on — IRIS's `cid`: from the query string, else
//! from the JSON body, else the caller's current case (Pivot's `useCase`, kept per
//! user in the database so that every replica agrees). A case named is made the
//! caller's current one, as IRIS does. No case, an id that is no number, or a case
//! the caller cannot see (another customer's): "Invalid case ID".

use serde_json::{json, Value};

use super::super::{Context, Params, Refusal, Route};
use super::form::integer;
use super::shapes::global_of;
use crate::domain::ids::Kind;

const USE_CASE: &str = "mutation($cid: ID) { c: useCase(id: $cid) { id number } }";

pub const INVALID: &str = "Invalid case ID";

/// `route`, run in the case the call names (or the caller's current case): its
/// operation gets the case's ID as `$caseId`.
pub fn in_case(route: Route) -> Route {
    route.first(USE_CASE, cid, found, feed)
}

fn cid(p: &Params, _: &Context) -> Result<Value, Refusal> {
    let given = match p.query("cid") {
        Some(q) => Some(json!(q)),
        None => p.body.get("cid").filter(|v| !v.is_null()).cloned(),
    };
    match given {
        None => Ok(json!({ "cid": null })),
        Some(v) => match integer(&v) {
            Some(n) if n > 0 => Ok(json!({ "cid": global_of(Kind::Case, n).0 })),
            _ => Err(Refusal::bad(INVALID)),
        },
    }
}

fn found(v: &Value, _: &Params, _: &Context) -> Result<(), Refusal> {
    match v["c"]["id"] {
        Value::String(_) => Ok(()),
        _ => Err(Refusal::bad(INVALID)),
    }
}

/// `$caseId`, and the `caseId` (or `subjectId`) of an input that has one to fill (a
/// creation's).
fn feed(v: &Value, variables: &mut Value) {
    let case = v["c"]["id"].clone();
    if let Some(input) = variables.get_mut("input").and_then(Value::as_object_mut) {
        for key in ["caseId", "subjectId"] {
            if input.contains_key(key) {
                input.insert(key.into(), case.clone());
            }
        }
    }
    if let Some(vars) = variables.as_object_mut() {
        vars.insert("caseId".into(), case);
    }
}

/// For a step reading an object's case (`r { case { id } }`): whether it is the case
/// the route acts in (`$inCase`); the change runs only then.
pub fn feed_owned(v: &Value, variables: &mut Value) {
    variables["inCase"] = json!(case_of(&v["r"], variables));
}

/// Whether `object` (selecting `case { id }`) is of the case the route acts in.
fn case_of(object: &Value, variables: &Value) -> bool {
    object["case"]["id"].as_str().is_some() && object["case"]["id"] == variables["caseId"]
}

/// The route's object (`r`, selecting `case { id }`) read as `T` when it is the case's;
/// `invalid` otherwise (no such object, another kind's, another case's).
pub fn of_case<T: serde::de::DeserializeOwned>(a: &super::super::Answer, invalid: &str) -> Result<T, Refusal> {
    match case_of(&a.data["r"], &a.variables) {
        true => super::super::read_data(&a.data["r"]),
        false => Err(Refusal::bad(invalid)),
    }
}

/// The route's object was the case's (`$inCase`, fed by a step before); `invalid` if not.
pub fn owned(a: &super::super::Answer, invalid: &str) -> Result<(), Refusal> {
    match a.variables["inCase"] == true {
        true => Ok(()),
        false => Err(Refusal::bad(invalid)),
    }
}

/// The check of a step that only feeds.
pub fn fine(_: &Value, _: &Params, _: &Context) -> Result<(), Refusal> {
    Ok(())
}
