//! Cases (`/manage/cases/*`): Pivot's cases. An IRIS case id is the case's number; its
//! name is shown as `#<id> - <name>`. IRIS v2 states a case is in are Pivot's status:
//! 3 "Open" or 9 "Closed" (Pivot keeps no finer stages).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use super::super::{read_data, read_text, Answer, Context, Params, Refusal, Reply};
use super::form::Form;
use super::references::OUTCOMES;
use super::shapes::{bare_case_name, case_name, day, global, global_of, iso, number, us_day};
use super::{success, success_of};
use crate::domain::ids::Kind;

macro_rules! case_fields {
    () => {
        "fragment K on Case { id number name description socId status outcome openedAt closedAt customAttributes \
         customer { id name } openedBy { id username displayName } classification { id name } }"
    };
}

/// A table, not a connection: its rows hold what the fragment selects, for thousands of cases.
pub(super) const CASES: &str = "query($after: String) { r: caseTable(first: 20000, after: $after, \
     orderBy: [{ field: OPENED_AT, direction: ASC }]) { pageInfo { hasNextPage endCursor } rows } }";
pub(super) const CASE: &str = concat!("query($id: ID!) { r: node(id: $id) { ...K } } ", case_fields!());
pub(super) const CREATE_CASE: &str = concat!(
    "mutation($input: CreateCaseInput!) { r: createCase(input: $input) { ...K } } ",
    case_fields!()
);
pub(super) const UPDATE_CASE: &str = concat!(
    "mutation($id: ID!, $input: CaseInput!) { r: updateCase(id: $id, input: $input) { ...K } } ",
    case_fields!()
);
pub(super) const CLOSE_CASE: &str = concat!("mutation($id: ID!) { r: closeCase(id: $id) { ...K } } ", case_fields!());
pub(super) const REOPEN_CASE: &str = concat!(
    "mutation($id: ID!) { r: reopenCase(id: $id) { ...K } } ",
    case_fields!()
);
pub(super) const DELETE_CASE: &str = "mutation($id: ID!) { r: deleteCase(id: $id) }";

#[derive(Deserialize)]
struct Named {
    id: String,
    name: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Opener {
    id: String,
    username: String,
    display_name: Option<String>,
}

#[derive(Deserialize)]
struct Classification {
    id: i64,
    name: String,
}

/// A case as the fragment selects it.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Case {
    id: String,
    number: i64,
    name: String,
    description: String,
    soc_id: Option<String>,
    status: String,
    outcome: String,
    opened_at: DateTime<Utc>,
    closed_at: Option<DateTime<Utc>>,
    custom_attributes: Option<Value>,
    customer: Named,
    opened_by: Option<Opener>,
    classification: Option<Classification>,
}

#[derive(Deserialize)]
struct One {
    r: Option<Value>,
}

#[derive(Deserialize)]
struct Page {
    r: Rows,
}

#[derive(Deserialize)]
struct Rows {
    /// JSON text.
    rows: String,
}

impl Rows {
    fn read(&self) -> Result<Vec<Case>, Refusal> {
        read_text(&self.rows)
    }
}

impl Case {
    fn state(&self) -> (i64, &'static str) {
        if self.status == "CLOSED" {
            (9, "Closed")
        } else {
            (3, "Open")
        }
    }

    /// IRIS's outcome id and name.
    fn outcome(&self) -> (i64, &'static str) {
        OUTCOMES
            .iter()
            .find(|(_, pivot, _)| *pivot == self.outcome)
            .map_or((0, "Unknown"), |(id, _, name)| (*id, *name))
    }

    fn opener_id(&self) -> Option<i64> {
        self.opened_by.as_ref().map(|u| number(&u.id))
    }

    fn opener_name(&self) -> Option<&str> {
        self.opened_by
            .as_ref()
            .map(|u| u.display_name.as_deref().unwrap_or(&u.username))
    }

    /// The case object IRIS's schema dumps (creation, update, closing, reopening).
    fn dump(&self) -> Value {
        json!({
            "case_id": self.number,
            "case_uuid": self.id,
            "case_name": case_name(self.number, &self.name),
            "case_description": self.description,
            "case_soc_id": self.soc_id.clone().unwrap_or_default(),
            "case_customer": number(&self.customer.id),
            "classification_id": self.classification.as_ref().map(|c| c.id),
            "open_date": day(&self.opened_at),
            "close_date": self.closed_at.as_ref().map(day),
            "closing_note": null,
            "user_id": self.opener_id(),
            "owner_id": self.opener_id(),
            "reviewer_id": null,
            "review_status_id": null,
            "severity_id": null,
            "status_id": self.outcome().0,
            "state_id": self.state().0,
            "modification_history": {},
            "custom_attributes": self.custom_attributes.clone().unwrap_or_else(|| json!({})),
        })
    }

    /// A case read on its own (`/manage/cases/{id}`): names beside ids.
    fn detail(&self) -> Value {
        let (state_id, state_name) = self.state();
        json!({
            "case_id": self.number,
            "case_uuid": self.id,
            "case_name": case_name(self.number, &self.name),
            "case_description": self.description,
            "case_soc_id": self.soc_id.clone().unwrap_or_default(),
            "customer_id": number(&self.customer.id),
            "customer_name": self.customer.name,
            "open_date": day(&self.opened_at),
            "close_date": self.closed_at.as_ref().map(day),
            "initial_date": iso(&self.opened_at),
            "open_by_user_id": self.opener_id(),
            "open_by_user": self.opened_by.as_ref().map(|u| u.username.clone()),
            "owner_id": self.opener_id(),
            "owner": self.opener_name(),
            "classification_id": self.classification.as_ref().map(|c| c.id),
            "classification": self.classification.as_ref().map(|c| c.name.clone()),
            "reviewer_id": null,
            "reviewer": null,
            "state_id": state_id,
            "state_name": state_name,
            "status_id": self.outcome().0,
            "status_name": self.outcome().1,
            "case_tags": "",
            "protagonists": [],
            "modification_history": {},
            "custom_attributes": self.custom_attributes.clone().unwrap_or_else(|| json!({})),
        })
    }

    /// A row of the cases list.
    fn row(&self) -> ListRow<'_> {
        let (state_id, state_name) = self.state();
        ListRow {
            case_id: self.number,
            case_uuid: &self.id,
            case_name: case_name(self.number, &self.name),
            case_description: &self.description,
            client_name: &self.customer.name,
            case_open_date: us_day(&self.opened_at),
            case_close_date: self.closed_at.as_ref().map(us_day).unwrap_or_default(),
            case_soc_id: self.soc_id.as_deref().unwrap_or_default(),
            opened_by: self.opened_by.as_ref().map(|u| u.username.as_str()),
            opened_by_user_id: self.opener_id(),
            owner: self.opener_name(),
            owner_id: self.opener_id(),
            classification_id: self.classification.as_ref().map(|c| c.id),
            classification: self.classification.as_ref().map(|c| c.name.as_str()),
            state_id,
            state_name,
            access_level: 4,
        }
    }
}

/// A row of the cases list, written straight into the answer (thousands of them).
#[derive(Serialize)]
struct ListRow<'a> {
    case_id: i64,
    case_uuid: &'a str,
    case_name: String,
    case_description: &'a str,
    client_name: &'a str,
    case_open_date: String,
    case_close_date: String,
    case_soc_id: &'a str,
    opened_by: Option<&'a str>,
    opened_by_user_id: Option<i64>,
    owner: Option<&'a str>,
    owner_id: Option<i64>,
    classification_id: Option<i64>,
    classification: Option<&'a str>,
    state_id: i64,
    state_name: &'static str,
    access_level: i64,
}

/// The one case of a route's answer (`r`), or IRIS's refusal.
fn the_case(a: &Answer) -> Result<Case, Refusal> {
    match a.read::<One>()?.r {
        Some(v) if v.get("id").is_some() => read_data(&v),
        _ => Err(Refusal::bad("Invalid case ID")),
    }
}

pub(super) fn case_id(p: &Params, _: &Context) -> Result<Value, Refusal> {
    Ok(json!({ "id": global(Kind::Case, p.path("id"), "Invalid case ID")? }))
}

/// The fields a case is created and updated with (v1.2's and v2's); `create` makes
/// the name, description, SOC id and customer required, as IRIS does.
fn case_input(p: &Params, create: bool) -> Result<Value, Refusal> {
    let mut f = Form::new(
        p,
        &[
            "case_name",
            "case_description",
            "case_soc_id",
            "case_customer",
            "classification_id",
            "custom_attributes",
        ],
    )?;
    let mut input = serde_json::Map::new();
    let (name, description) = if create {
        (f.required_text("case_name", 2), f.required_text("case_description", 2))
    } else {
        (f.text("case_name", 2), f.text("case_description", 2))
    };
    if let Some(n) = name {
        input.insert("name".into(), json!(bare_case_name(&n)));
    }
    if let Some(d) = description {
        input.insert("description".into(), json!(d));
    }
    let soc = if create {
        f.required_text("case_soc_id", 0)
    } else {
        f.text("case_soc_id", 0)
    };
    if f.has("case_soc_id") {
        input.insert("socId".into(), json!(soc.filter(|s| !s.is_empty())));
    }
    let customer = if create {
        f.required_int("case_customer")
    } else {
        f.int("case_customer")
    };
    if let Some(c) = customer {
        input.insert("customerId".into(), json!(global_of(Kind::Customer, c).0));
    }
    if f.has("classification_id") {
        input.insert("classificationId".into(), json!(f.int("classification_id")));
    }
    if f.has("custom_attributes") {
        input.insert("customAttributes".into(), json!(f.object("custom_attributes")));
    }
    f.finish()?;
    Ok(Value::Object(input))
}

pub(super) fn new_case(p: &Params, _: &Context) -> Result<Value, Refusal> {
    Ok(json!({ "input": case_input(p, true)? }))
}

pub(super) fn case_update(p: &Params, c: &Context) -> Result<Value, Refusal> {
    let id = case_id(p, c)?["id"].clone();
    Ok(json!({ "id": id, "input": case_input(p, false)? }))
}

pub(super) fn case_list(a: Answer, _: &Params, _: &Context) -> Result<Reply, Refusal> {
    let mut cases = Vec::new();
    for page in std::iter::once(&a.data).chain(&a.pages) {
        cases.extend(read_data::<Page>(page)?.r.read()?);
    }
    let rows: Vec<ListRow> = cases.iter().map(Case::row).collect();
    success_of("", &rows)
}

pub(super) fn one_case(a: Answer, _: &Params, _: &Context) -> Result<Reply, Refusal> {
    Ok(success("", the_case(&a)?.detail()))
}

pub(super) fn added_case(a: Answer, _: &Params, _: &Context) -> Result<Reply, Refusal> {
    Ok(success("Case created", the_case(&a)?.dump()))
}

pub(super) fn updated_case(a: Answer, _: &Params, _: &Context) -> Result<Reply, Refusal> {
    Ok(success("updated", the_case(&a)?.dump()))
}

pub(super) fn closed_case(a: Answer, _: &Params, _: &Context) -> Result<Reply, Refusal> {
    Ok(success("Case closed successfully", the_case(&a)?.dump()))
}

pub(super) fn reopened_case(a: Answer, _: &Params, _: &Context) -> Result<Reply, Refusal> {
    Ok(success("Case reopened successfully", the_case(&a)?.dump()))
}

pub(super) fn deleted_case(_: Answer, _: &Params, _: &Context) -> Result<Reply, Refusal> {
    Ok(success("Case successfully deleted", json!([])))
}

pub(super) const SET_OUTCOME: &str =
    "mutation($caseId: ID!, $input: CaseInput!) { r: updateCase(id: $caseId, input: $input) { outcome } }";
pub(super) const LOG_ACTIVITY: &str =
    "mutation($caseId: ID!, $text: String!) { r: logCaseActivity(caseId: $caseId, text: $text) { text createdAt user { id } } }";

/// `/case/update-status`: the case's outcome, by IRIS's id (`status_id`), which IRIS
/// reads alone from the body.
pub(super) fn outcome_update(p: &Params, _: &Context) -> Result<Value, Refusal> {
    let id = match p.body.get("status_id") {
        Some(Value::Number(n)) => n.as_i64(),
        Some(Value::String(s)) => Some(s.trim().parse::<i64>().map_err(|_| Refusal::bad("Invalid status"))?),
        _ => return Err(Refusal::bad("Invalid status. Expected int")),
    };
    let outcome = OUTCOMES
        .iter()
        .find(|(n, _, _)| Some(*n) == id)
        .ok_or_else(|| Refusal::bad("Invalid status"))?;
    Ok(json!({ "input": { "outcome": outcome.1 } }))
}

pub(super) fn outcome_set(a: Answer, _: &Params, _: &Context) -> Result<Reply, Refusal> {
    #[derive(Deserialize)]
    struct Set {
        r: Outcome,
    }
    #[derive(Deserialize)]
    struct Outcome {
        outcome: String,
    }
    let pivot = a.read::<Set>()?.r.outcome;
    let id = OUTCOMES.iter().find(|(_, p, _)| *p == pivot).map_or(0, |o| o.0);
    Ok(success("Case status updated", json!(id)))
}

/// `/case/tasklog/add`: a line of the case's activity, in the author's words.
pub(super) fn task_log(p: &Params, _: &Context) -> Result<Value, Refusal> {
    let mut f = Form::new(p, &["log_content"])?;
    let text = f.required_text("log_content", 1);
    f.finish()?;
    Ok(json!({ "text": text }))
}

/// IRIS v2 answers the activity it saved (v1.2 answered `[]`, which no script reads).
pub(super) fn task_logged(a: Answer, _: &Params, _: &Context) -> Result<Reply, Refusal> {
    #[derive(Deserialize)]
    struct Logged {
        r: Activity,
    }
    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Activity {
        text: String,
        created_at: DateTime<Utc>,
        user: Option<Id>,
    }
    #[derive(Deserialize)]
    struct Id {
        id: String,
    }
    let case = a.variables["caseId"].as_str().map(number);
    let logged = a.read::<Logged>()?.r;
    Ok(success(
        "Log saved",
        json!({
            "case_id": case,
            "user_id": logged.user.map(|u| number(&u.id)),
            "activity_date": iso(&logged.created_at),
            "activity_desc": logged.text,
            "user_input": true,
            "is_from_api": true,
            "display_in_ui": true,
        }),
    ))
}
