//! Tasks: a case's (`/case/tasks/*`) and global ones, of no case (`/global/tasks/*`).
//! Statuses are named (v1.2's `task_status`) or given by id (v2's `task_status_id`,
//! `references::TASK_STATUSES`); assignees are one user (v1.2's `task_assignee_id`, or
//! `task_assignee` for a global task) or several (v2's `task_assignees_id`). IRIS's
//! lists left out tasks without an assignee; Pivot lists them all.

use serde::Deserialize;
use serde_json::{json, Map, Value};

use super::super::{read_data, Answer, Context, Params, Refusal, Reply};
use super::form::Form;
use super::references::TASK_STATUSES;
use super::shapes::{global, global_of, http_date, iso, number};
use super::success;
use crate::domain::ids::Kind;

macro_rules! task_fields {
    () => {
        "fragment T on Task { id title description status tags customAttributes createdAt updatedAt \
         case { id } assignees { id username displayName } }"
    };
}

pub(super) const CASE_TASKS: &str = concat!(
    "query($caseId: ID!) { r: node(id: $caseId) { ... on Case { tasks { ...T } ",
    super::states::states_of_case!(),
    " } } } ",
    task_fields!()
);
pub(super) const GLOBAL_TASKS: &str = concat!(
    "query($after: String) { r: tasks(filter: { caseId: { isNull: true } }, first: 1000, after: $after) ",
    "{ pageInfo { hasNextPage endCursor } nodes { ...T } } } ",
    task_fields!()
);
pub(super) const TASK: &str = concat!("query($id: ID!) { r: node(id: $id) { ...T } } ", task_fields!());
/// The task's case (the step before a change).
pub(super) const TASK_CASE: &str = "query($id: ID!) { r: node(id: $id) { ... on Task { id case { id } } } }";
pub(super) const ADD_TASK: &str = concat!(
    "mutation($input: CreateTaskInput!) { r: createTask(input: $input) { ...T } } ",
    task_fields!()
);
pub(super) const UPDATE_TASK: &str = concat!(
    "mutation($id: ID!, $input: TaskInput!, $inCase: Boolean!) { r: updateTask(id: $id, input: $input) @include(if: $inCase) { ...T } } ",
    task_fields!()
);
pub(super) const DELETE_TASK: &str =
    "mutation($id: ID!, $inCase: Boolean!) { r: deleteTask(id: $id) @include(if: $inCase) }";

pub const INVALID: &str = "Invalid task ID for this case";
pub const UNKNOWN_GLOBAL: &str = "Unknown task ID !";

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct User {
    id: String,
    username: String,
    display_name: Option<String>,
}

#[derive(Deserialize)]
struct CaseRef {
    id: String,
}

/// A task as the fragment selects it.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Task {
    id: String,
    title: String,
    description: Option<String>,
    status: String,
    tags: Vec<String>,
    custom_attributes: Option<Value>,
    created_at: chrono::DateTime<chrono::Utc>,
    updated_at: chrono::DateTime<chrono::Utc>,
    case: Option<CaseRef>,
    assignees: Vec<User>,
}

fn status_of(status: &str) -> (i64, &'static str) {
    TASK_STATUSES
        .iter()
        .find(|s| s.1 == status)
        .map_or((1, "To do"), |s| (s.0, s.2))
}

impl Task {
    fn assignees(&self) -> Value {
        json!(self
            .assignees
            .iter()
            .map(|u| json!({
                "id": number(&u.id),
                "user": u.username,
                "name": u.display_name.clone().unwrap_or_else(|| u.username.clone()),
            }))
            .collect::<Vec<_>>())
    }

    fn first_assignee(&self) -> Option<&User> {
        self.assignees.first()
    }

    /// What IRIS dumps of a task (a read, an addition, an update).
    fn dump(&self) -> Value {
        let (status_id, status) = status_of(&self.status);
        json!({
            "id": number(&self.id),
            "task_id": number(&self.id),
            "task_uuid": self.id,
            "task_title": self.title,
            "task_description": self.description.clone().unwrap_or_default(),
            "task_tags": self.tags.join(","),
            "task_status": status,
            "task_status_id": status_id,
            "task_open_date": iso(&self.created_at),
            "task_close_date": null,
            "task_last_update": iso(&self.updated_at),
            "task_assignee_id": self.first_assignee().map(|u| number(&u.id)),
            "task_assignees": self.assignees(),
            "task_case_id": self.case.as_ref().map(|c| number(&c.id)),
            "custom_attributes": self.custom_attributes.clone().unwrap_or_else(|| json!({})),
        })
    }

    /// A row of a list (raw rows: RFC 1123 dates, the assignee's name).
    fn row(&self) -> Value {
        let (status_id, status) = status_of(&self.status);
        json!({
            "task_id": number(&self.id),
            "task_uuid": self.id,
            "task_title": self.title,
            "task_description": self.description.clone().unwrap_or_default(),
            "task_open_date": http_date(&self.created_at),
            "task_last_update": http_date(&self.updated_at),
            "task_tags": self.tags.join(","),
            "user_name": self.first_assignee().map(|u| u.display_name.clone().unwrap_or_else(|| u.username.clone())),
            "task_status": status,
            "task_status_id": status_id,
            "task_assignees": self.assignees(),
        })
    }
}

#[derive(Deserialize)]
struct CaseTasks {
    r: TaskList,
}

#[derive(Deserialize)]
struct TaskList {
    tasks: Vec<Task>,
}

#[derive(Deserialize)]
struct Page {
    r: Nodes,
}

#[derive(Deserialize)]
struct Nodes {
    nodes: Vec<Task>,
}

pub(super) fn case_task_list(a: Answer, _: &Params, _: &Context) -> Result<Reply, Refusal> {
    let rows: Vec<Value> = a.read::<CaseTasks>()?.r.tasks.iter().map(Task::row).collect();
    let state = super::states::state_in(&a.data["r"], "TASKS");
    Ok(success("", json!({ "tasks": rows, "state": state })))
}

pub(super) fn global_task_list(a: Answer, _: &Params, _: &Context) -> Result<Reply, Refusal> {
    let mut tasks = Vec::new();
    for page in std::iter::once(&a.data).chain(&a.pages) {
        tasks.extend(read_data::<Page>(page)?.r.nodes);
    }
    // IRIS ordered them by status.
    tasks.sort_by_key(|t| (status_of(&t.status).0, number(&t.id)));
    Ok(success("", json!(tasks.iter().map(Task::row).collect::<Vec<_>>())))
}

pub(super) fn task_id(p: &Params, _: &Context) -> Result<Value, Refusal> {
    Ok(json!({ "id": global(Kind::Task, p.path("id"), INVALID)?, "inCase": false }))
}

/// A task of the case the route acts in (`$caseId`), or of none (`$caseId` absent).
fn the_task(a: &Answer, invalid: &str) -> Result<Task, Refusal> {
    let v = &a.data["r"];
    if v.get("id").is_none() {
        return Err(Refusal::bad(invalid));
    }
    let t: Task = read_data(v)?;
    if t.case.as_ref().map(|c| c.id.as_str()) != a.variables["caseId"].as_str() {
        return Err(Refusal::bad(invalid));
    }
    Ok(t)
}

pub(super) fn one_task(a: Answer, _: &Params, _: &Context) -> Result<Reply, Refusal> {
    Ok(success("", the_task(&a, INVALID)?.dump()))
}

pub(super) fn one_global_task(a: Answer, _: &Params, _: &Context) -> Result<Reply, Refusal> {
    Ok(success("", the_task(&a, UNKNOWN_GLOBAL)?.dump()))
}

/// The fields a task is written with. `global`: v1.2's global tasks name their
/// assignee `task_assignee` and must have one, and a status from the list.
fn task_input(p: &Params, create: bool, global: bool) -> Result<Map<String, Value>, Refusal> {
    let mut f = Form::new(
        p,
        &[
            "task_title",
            "task_description",
            "task_status",
            "task_status_id",
            "task_tags",
            "task_assignee",
            "task_assignee_id",
            "task_assignees_id",
            "custom_attributes",
        ],
    )?;
    let mut input = Map::new();
    let title = if create {
        f.required_text("task_title", 2)
    } else {
        f.text("task_title", 2)
    };
    if let Some(t) = title {
        input.insert("title".into(), json!(t));
    }
    if f.has("task_description") {
        input.insert("description".into(), json!(f.text("task_description", 0)));
    }
    let status = match (f.int("task_status_id"), f.text("task_status", 0)) {
        (Some(id), _) => TASK_STATUSES
            .iter()
            .find(|s| s.0 == id)
            .map(|s| s.1)
            .ok_or("task_status_id"),
        (None, Some(name)) => TASK_STATUSES
            .iter()
            .find(|s| s.2.eq_ignore_ascii_case(name.trim()))
            .map(|s| s.1)
            .ok_or("task_status"),
        (None, None) => Ok(""),
    };
    match status {
        Ok("") if create && global => f.fail("task_status", super::form::MISSING),
        Ok("") => {}
        Ok(s) => {
            input.insert("status".into(), json!(s));
        }
        Err(field) => f.fail(field, "Invalid status string"),
    }
    if let Some(tags) = f.text("task_tags", 0) {
        let list: Vec<&str> = tags.split(',').map(str::trim).filter(|t| !t.is_empty()).collect();
        input.insert("tags".into(), json!(list));
    }
    let many = f.ints("task_assignees_id");
    let one = f.int("task_assignee_id").or_else(|| f.int("task_assignee"));
    let users = match (many, one) {
        (Some(list), _) => Some(list),
        (None, Some(u)) => Some(vec![u]),
        (None, None) => None,
    };
    match users {
        Some(list) => {
            let ids: Vec<String> = list.iter().map(|u| global_of(Kind::User, *u).0).collect();
            input.insert("assigneeIds".into(), json!(ids));
        }
        None if create && global => f.fail("task_assignee", super::form::MISSING),
        None => {}
    }
    if f.has("custom_attributes") {
        input.insert("customAttributes".into(), json!(f.object("custom_attributes")));
    }
    f.finish()?;
    Ok(input)
}

pub(super) fn new_task(p: &Params, _: &Context) -> Result<Value, Refusal> {
    let mut input = task_input(p, true, false)?;
    // Filled by the case context.
    input.insert("caseId".into(), Value::Null);
    Ok(json!({ "input": input }))
}

pub(super) fn new_global_task(p: &Params, _: &Context) -> Result<Value, Refusal> {
    Ok(json!({ "input": task_input(p, true, true)? }))
}

pub(super) fn added_task(a: Answer, _: &Params, _: &Context) -> Result<Reply, Refusal> {
    Ok(success("", read_data::<Task>(&a.data["r"])?.dump()))
}

pub(super) fn added_global_task(_: Answer, _: &Params, _: &Context) -> Result<Reply, Refusal> {
    Ok(success("Saved !", json!([])))
}

pub(super) fn task_update(p: &Params, c: &Context) -> Result<Value, Refusal> {
    let mut v = task_id(p, c)?;
    v["input"] = Value::Object(task_input(p, false, false)?);
    Ok(v)
}

pub(super) fn global_task_update(p: &Params, c: &Context) -> Result<Value, Refusal> {
    let mut v = task_id(p, c)?;
    v["input"] = Value::Object(task_input(p, false, true)?);
    Ok(v)
}

/// `POST /global/tasks/update-status`: the task's id and status in the body.
pub(super) fn global_status_update(p: &Params, _: &Context) -> Result<Value, Refusal> {
    let id = p.body.get("task_id").and_then(super::form::integer);
    let status = p.body.get("task_status").and_then(Value::as_str);
    let (Some(id), Some(status)) = (id, status) else {
        return Err(Refusal::bad("Missing parameter"));
    };
    let Some(s) = TASK_STATUSES.iter().find(|s| s.2.eq_ignore_ascii_case(status.trim())) else {
        return Err(Refusal::bad("Invalid data"));
    };
    Ok(json!({ "id": global_of(Kind::Task, id).0, "input": { "status": s.1 }, "inCase": false }))
}

/// Whether a global task is one: of no case.
pub(super) fn feed_global(v: &Value, variables: &mut Value) {
    let global = v["r"]["id"].as_str().is_some() && v["r"]["case"].is_null();
    variables["inCase"] = json!(global);
}

pub(super) fn updated_task(a: Answer, _: &Params, _: &Context) -> Result<Reply, Refusal> {
    super::context::owned(&a, INVALID)?;
    Ok(success("", read_data::<Task>(&a.data["r"])?.dump()))
}

pub(super) fn updated_global_task(a: Answer, _: &Params, _: &Context) -> Result<Reply, Refusal> {
    super::context::owned(&a, UNKNOWN_GLOBAL)?;
    Ok(success("Updated !", json!([])))
}

pub(super) fn updated_global_status(a: Answer, _: &Params, _: &Context) -> Result<Reply, Refusal> {
    super::context::owned(&a, "Invalid data")?;
    Ok(success("Updated", json!([])))
}

pub(super) fn deleted_task(a: Answer, _: &Params, _: &Context) -> Result<Reply, Refusal> {
    super::context::owned(&a, INVALID)?;
    Ok(success("Task deleted", json!([])))
}

pub(super) fn deleted_global_task(a: Answer, _: &Params, _: &Context) -> Result<Reply, Refusal> {
    super::context::owned(&a, UNKNOWN_GLOBAL)?;
    Ok(success("Task deleted", json!([])))
}
