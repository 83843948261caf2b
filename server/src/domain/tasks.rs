//! Tasks: of a case, or global (no case).

use async_graphql::{Enum, InputObject, MaybeUndefined, ID};
use chrono::Utc;
use entities::{case, task, task_assignee, user};
use sea_orm::{ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use serde::Serialize;

use super::crud::{self, opt_text, req_text, set, set_opt};
use super::error::DomainResult;
use super::ids::{self, Kind};
use super::query::{EnumOp, IdOp, TextOp, TimeOp};
use super::text;

#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum TaskStatus {
    Todo,
    InProgress,
    OnHold,
    Done,
    Canceled,
}

impl TaskStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Todo => "todo",
            Self::InProgress => "in_progress",
            Self::OnHold => "on_hold",
            Self::Done => "done",
            Self::Canceled => "canceled",
        }
    }

    pub fn parse(s: &str) -> Self {
        match s {
            "in_progress" => Self::InProgress,
            "on_hold" => Self::OnHold,
            "done" => Self::Done,
            "canceled" => Self::Canceled,
            _ => Self::Todo,
        }
    }
}

/// Which tasks: conditions on their fields, composed with `and`, `or` and `not`.
#[derive(InputObject, Serialize, Clone, Debug, Default)]
pub struct TaskFilter {
    pub and: Option<Vec<TaskFilter>>,
    pub or: Option<Vec<TaskFilter>>,
    pub not: Option<Box<TaskFilter>>,
    pub title: Option<TextOp>,
    pub description: Option<TextOp>,
    pub status: Option<EnumOp<TaskStatus>>,
    /// The task's case; `isNull: true` finds the global tasks (of no case).
    pub case_id: Option<IdOp>,
    /// Assigned to a user that meets it.
    pub assignee_id: Option<IdOp>,
    /// Has this tag.
    pub tag: Option<String>,
    pub created_at: Option<TimeOp>,
    pub updated_at: Option<TimeOp>,
}

crate::where_impl!(TaskFilter, task::Entity, |f, c| {
    use task::Column as C;
    c.on("title", &f.title, C::Title)?;
    c.on("description", &f.description, C::Description)?;
    c.on("status", &f.status, C::Status)?;
    c.on_id("caseId", &f.case_id, Kind::Case, C::CaseId)?;
    c.linked::<task_assignee::Entity>(
        "assigneeId",
        &f.assignee_id,
        Kind::User,
        C::Id,
        task_assignee::Column::TaskId,
        task_assignee::Column::UserId,
    )?;
    c.tagged("tag", &f.tag, C::Tags)?;
    c.on("createdAt", &f.created_at, C::CreatedAt)?;
    c.on("updatedAt", &f.updated_at, C::UpdatedAt)?;
});

crate::fields! {
    /// The fields tasks sort, group and bucket by.
    TaskField, TaskOrder for task {
        Title => Title: Text,
        Status => Status: Text,
        Case => CaseId: Int,
        CreatedAt => CreatedAt: Time,
        UpdatedAt => UpdatedAt: Time,
    }
}

/// The writable fields of a task; on update, an absent field is left as it is.
#[derive(InputObject, Clone, Debug, Default)]
pub struct TaskInput {
    pub title: Option<String>,
    pub description: MaybeUndefined<String>,
    pub status: Option<TaskStatus>,
    /// Replaces the users the task is assigned to.
    pub assignee_ids: Option<Vec<ID>>,
    /// Replaces the tags.
    pub tags: Option<Vec<String>>,
    /// Free-form attributes: a JSON object (replaced whole).
    pub custom_attributes: MaybeUndefined<async_graphql::Json<serde_json::Value>>,
}

#[derive(InputObject, Clone, Debug)]
pub struct CreateTaskInput {
    /// The case of the task; none for a global task.
    pub case_id: Option<ID>,
    pub title: String,
    #[graphql(flatten)]
    pub fields: TaskInput,
}

/// Applies the fields; answers the assignees to set, once the task is written.
async fn apply(db: &impl ConnectionTrait, am: &mut task::ActiveModel, f: TaskInput) -> DomainResult<Option<Vec<i64>>> {
    set(&mut am.title, req_text("title", f.title, 300)?);
    set_opt(&mut am.description, opt_text("description", f.description, 100_000)?);
    set(&mut am.status, f.status.map(|s| s.as_str().to_string()));
    let assignees = match f.assignee_ids {
        Some(list) => {
            let mut ids = ids::decode_all("assigneeIds", &list, Kind::User)?;
            ids.sort_unstable();
            ids.dedup();
            crud::require_all::<user::Entity>(db, "user", &ids).await?;
            Some(ids)
        }
        None => None,
    };
    set(&mut am.tags, f.tags.map(|t| text::encode_tags("tags", &t)).transpose()?);
    set_opt(
        &mut am.custom_attributes,
        crud::attributes("customAttributes", f.custom_attributes)?,
    );
    am.updated_at = Set(Utc::now());
    Ok(assignees)
}

/// Replaces the users task `task_id` is assigned to.
async fn set_assignees(db: &impl ConnectionTrait, task_id: i64, users: Vec<i64>) -> DomainResult<()> {
    task_assignee::Entity::delete_many()
        .filter(task_assignee::Column::TaskId.eq(task_id))
        .exec(db)
        .await?;
    if !users.is_empty() {
        task_assignee::Entity::insert_many(users.into_iter().map(|user_id| task_assignee::ActiveModel {
            task_id: Set(task_id),
            user_id: Set(user_id),
        }))
        .exec_without_returning(db)
        .await?;
    }
    Ok(())
}

pub async fn create(db: &impl ConnectionTrait, input: CreateTaskInput) -> DomainResult<task::Model> {
    let case_id = ids::decode_opt("caseId", input.case_id.as_ref(), Kind::Case)?;
    if let Some(c) = case_id {
        crud::find::<case::Entity>(db, "case", c).await?;
    }
    let mut am = task::ActiveModel {
        case_id: Set(case_id),
        status: Set(TaskStatus::Todo.as_str().into()),
        tags: Set(String::new()),
        created_at: Set(Utc::now()),
        ..Default::default()
    };
    let mut fields = input.fields;
    fields.title = Some(input.title);
    let assignees = apply(db, &mut am, fields).await?;
    let model = am.insert(db).await?;
    if let Some(users) = assignees {
        set_assignees(db, model.id, users).await?;
    }
    super::case_states::bump(db, model.case_id, super::case_states::CaseObjects::Tasks).await?;
    Ok(model)
}

pub async fn update(db: &impl ConnectionTrait, id: i64, input: TaskInput) -> DomainResult<task::Model> {
    let mut am: task::ActiveModel = crud::find::<task::Entity>(db, "task", id).await?.into();
    let assignees = apply(db, &mut am, input).await?;
    let model = am.update(db).await?;
    if let Some(users) = assignees {
        set_assignees(db, model.id, users).await?;
    }
    super::case_states::bump(db, model.case_id, super::case_states::CaseObjects::Tasks).await?;
    Ok(model)
}

pub async fn delete(db: &impl ConnectionTrait, id: i64) -> DomainResult<()> {
    let t = crud::find::<task::Entity>(db, "task", id).await?;
    crud::delete::<task::Entity>(db, "task", id).await?;
    super::case_states::bump(db, t.case_id, super::case_states::CaseObjects::Tasks).await
}
