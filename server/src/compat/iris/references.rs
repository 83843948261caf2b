//! The reference lists (`/manage/*/list`) and the handshake (`/api/ping`,
//! `/api/versions`). The lists Pivot keeps as data (classifications, IOC types, asset
//! types, analysis statuses, event categories) are read from the graph; TLP levels,
//! task and compromise statuses are the graph's enumerations, numbered as IRIS numbers
//! them — the tables below are the one place those numbers are written.

use serde::Deserialize;
use serde_json::{json, Value};

use super::super::{Answer, Context, Params, Refusal, Reply};
use super::shapes::number;
use super::success;

/// IRIS's TLP ids (v1.2's three, then v2's two), Pivot's level, IRIS's name and colour.
pub const TLPS: [(i64, &str, &str, &str); 5] = [
    (1, "RED", "red", "danger"),
    (2, "AMBER", "amber", "warning"),
    (3, "GREEN", "green", "success"),
    (4, "CLEAR", "clear", "black"),
    (5, "AMBER_STRICT", "amber+strict", "warning"),
];

/// IRIS's task status ids and names, Pivot's statuses.
pub const TASK_STATUSES: [(i64, &str, &str, &str); 5] = [
    (1, "TODO", "To do", "danger"),
    (2, "IN_PROGRESS", "In progress", "warning"),
    (3, "ON_HOLD", "On hold", "muted"),
    (4, "DONE", "Done", "success"),
    (5, "CANCELED", "Canceled", "muted"),
];

/// IRIS's asset compromise statuses (v2), Pivot's.
pub const COMPROMISE_STATUSES: [(i64, &str, &str); 4] = [
    (0, "TO_BE_DETERMINED", "To be determined"),
    (1, "COMPROMISED", "Compromised"),
    (2, "NOT_COMPROMISED", "Not compromised"),
    (3, "UNKNOWN", "Unknown"),
];

/// IRIS's case outcome ("status") ids (v2), Pivot's outcomes, and IRIS's names.
pub const OUTCOMES: [(i64, &str, &str); 6] = [
    (0, "UNKNOWN", "Unknown"),
    (1, "FALSE_POSITIVE", "False positive"),
    (2, "TRUE_POSITIVE_WITH_IMPACT", "True positive with impact"),
    (3, "NOT_APPLICABLE", "Not applicable"),
    (4, "TRUE_POSITIVE_WITHOUT_IMPACT", "True positive without impact"),
    (5, "LEGITIMATE", "Legitimate"),
];

/// IRIS v2's case states: Pivot keeps a case open or closed (3 and 9); the stages
/// between are IRIS's own and no Pivot case is in them.
pub const CASE_STATES: [(i64, &str, &str); 9] = [
    (1, "Unspecified", "Unspecified"),
    (2, "In progress", "Case is being investigated"),
    (3, "Open", "Case is open"),
    (4, "Containment", "Containment is in progress"),
    (5, "Eradication", "Eradication is in progress"),
    (6, "Recovery", "Recovery is in progress"),
    (7, "Post-Incident", "Post-incident phase"),
    (8, "Reporting", "Reporting is in progress"),
    (9, "Closed", "Case is closed"),
];

pub(super) const IOC_TYPES: &str = "query { r: iocTypes { id name description } }";
pub(super) const CLASSIFICATIONS: &str = "query { r: caseClassifications { id name expandedName description } }";
pub(super) const ASSET_TYPES: &str = "query { r: assetTypes { id name description } }";
pub(super) const ANALYSIS_STATUSES: &str = "query { r: analysisStatuses { id name } }";
pub(super) const EVENT_CATEGORIES: &str = "query { r: eventCategories { id name } }";

#[derive(Deserialize)]
struct List<T> {
    r: Vec<T>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Listed {
    id: Value,
    name: String,
    #[serde(default)]
    expanded_name: String,
    #[serde(default)]
    description: String,
}

fn listed(a: &Answer) -> Result<Vec<Listed>, Refusal> {
    Ok(a.read::<List<Listed>>()?.r)
}

/// A reference list's integer id (the graph gives some as global IDs).
fn id_of(v: &Value) -> i64 {
    v.as_i64().unwrap_or_else(|| number(v.as_str().unwrap_or_default()))
}

pub(super) fn pong(_: Answer, _: &Params, _: &Context) -> Result<Reply, Refusal> {
    Ok(success("pong", json!([])))
}

/// The API levels IRIS v2.4 serves: the 2.0.4 client checks it falls between them.
pub(super) fn versions(_: Answer, _: &Params, _: &Context) -> Result<Reply, Refusal> {
    Ok(success(
        "",
        json!({
            "iris_current": "v2.4.20",
            "api_min": "2.0.4",
            "api_current": "2.0.5",
            "server": format!("Pivot {}", env!("CARGO_PKG_VERSION")),
        }),
    ))
}

pub(super) fn tlps(_: Answer, _: &Params, _: &Context) -> Result<Reply, Refusal> {
    let rows: Vec<Value> = TLPS
        .iter()
        .map(|(id, _, name, colour)| json!({ "tlp_id": id, "tlp_name": name, "tlp_bscolor": colour, "registry": null }))
        .collect();
    Ok(success("", json!(rows)))
}

pub(super) fn task_statuses(_: Answer, _: &Params, _: &Context) -> Result<Reply, Refusal> {
    let rows: Vec<Value> = TASK_STATUSES
        .iter()
        .map(|(id, _, name, colour)| {
            json!({ "id": id, "status_name": name, "status_description": "", "status_bscolor": colour })
        })
        .collect();
    Ok(success("", json!(rows)))
}

pub(super) fn compromise_statuses(_: Answer, _: &Params, _: &Context) -> Result<Reply, Refusal> {
    let rows: Vec<Value> = COMPROMISE_STATUSES
        .iter()
        .map(|(value, _, name)| json!({ "value": value, "name": name }))
        .collect();
    Ok(success("", json!(rows)))
}

pub(super) fn outcomes(_: Answer, _: &Params, _: &Context) -> Result<Reply, Refusal> {
    let rows: Vec<Value> = OUTCOMES
        .iter()
        .map(|(value, _, name)| json!({ "value": value, "name": name }))
        .collect();
    Ok(success("", json!(rows)))
}

pub(super) fn case_states(_: Answer, _: &Params, _: &Context) -> Result<Reply, Refusal> {
    let rows: Vec<Value> = CASE_STATES
        .iter()
        .map(|(id, name, description)| {
            let protected = [1, 3, 9].contains(id);
            json!({ "state_id": id, "state_name": name, "state_description": description, "protected": protected })
        })
        .collect();
    Ok(success("", json!(rows)))
}

pub(super) fn ioc_types(a: Answer, _: &Params, _: &Context) -> Result<Reply, Refusal> {
    let rows: Vec<Value> = listed(&a)?
        .into_iter()
        .map(|t| {
            json!({
                "type_id": id_of(&t.id),
                "type_name": t.name,
                "type_description": t.description,
                "type_taxonomy": null,
                "type_validation_regex": null,
                "type_validation_expect": null,
            })
        })
        .collect();
    Ok(success("", json!(rows)))
}

pub(super) fn classifications(a: Answer, _: &Params, _: &Context) -> Result<Reply, Refusal> {
    let rows: Vec<Value> = listed(&a)?
        .into_iter()
        .map(|c| {
            json!({
                "id": id_of(&c.id),
                "name": c.name,
                "name_expanded": c.expanded_name,
                "description": c.description,
                "creation_date": null,
                "created_by_id": null,
            })
        })
        .collect();
    Ok(success("", json!(rows)))
}

/// v2's asset types (`/manage/asset-type/list`): objects.
pub(super) fn asset_types(a: Answer, _: &Params, _: &Context) -> Result<Reply, Refusal> {
    let rows: Vec<Value> = listed(&a)?
        .into_iter()
        .map(|t| {
            json!({
                "asset_id": id_of(&t.id),
                "asset_name": t.name,
                "asset_description": t.description,
                "asset_icon_compromised": null,
                "asset_icon_not_compromised": null,
                "asset_icon_compromised_path": null,
                "asset_icon_not_compromised_path": null,
            })
        })
        .collect();
    Ok(success("", json!(rows)))
}

/// v1.2's asset types (`/manage/assettype/list`): rows as arrays, `[name, description, id]`.
pub(super) fn asset_type_rows(a: Answer, _: &Params, _: &Context) -> Result<Reply, Refusal> {
    let rows: Vec<Value> = listed(&a)?
        .into_iter()
        .map(|t| json!([t.name, t.description, id_of(&t.id)]))
        .collect();
    Ok(success("", json!(rows)))
}

pub(super) fn analysis_statuses(a: Answer, _: &Params, _: &Context) -> Result<Reply, Refusal> {
    let rows: Vec<Value> = listed(&a)?
        .into_iter()
        .map(|s| json!({ "id": id_of(&s.id), "name": s.name }))
        .collect();
    Ok(success("", json!(rows)))
}

pub(super) fn event_categories(a: Answer, _: &Params, _: &Context) -> Result<Reply, Refusal> {
    let rows: Vec<Value> = listed(&a)?
        .into_iter()
        .map(|c| json!({ "id": id_of(&c.id), "name": c.name }))
        .collect();
    Ok(success("", json!(rows)))
}
