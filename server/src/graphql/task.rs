//! Tasks, timeline events and evidences: the work items of a case.

use async_graphql::{Context, InputObject, Object, Result, ID};
use chrono::{DateTime, Utc};
use entities::{case, task, user};
use sea_orm::sea_query::Condition;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde::Serialize;

use super::audit::write;
use super::case::Case;
use super::errors::Gql;
use super::loaders::{loader, ById};
use super::pagination::{connection, Conn, PageArgs};
use super::user::User;
use crate::domain::error::DomainResult;
use crate::domain::ids::{self, Kind};
use crate::domain::tasks::{self, CreateTaskInput, TaskInput, TaskStatus};
use crate::domain::text;

#[derive(InputObject, Serialize, Clone, Debug, Default)]
pub struct TaskFilter {
    pub case_id: Option<ID>,
    /// Only global tasks (true) or only case tasks (false).
    pub global: Option<bool>,
    pub status: Option<TaskStatus>,
    pub assignee_id: Option<ID>,
}

impl TaskFilter {
    fn condition(&self) -> DomainResult<Condition> {
        let mut c = Condition::all();
        if let Some(id) = &self.case_id {
            c = c.add(task::Column::CaseId.eq(ids::decode("filter.caseId", id, Kind::Case)?));
        }
        match self.global {
            Some(true) => c = c.add(task::Column::CaseId.is_null()),
            Some(false) => c = c.add(task::Column::CaseId.is_not_null()),
            None => {}
        }
        if let Some(s) = self.status {
            c = c.add(task::Column::Status.eq(s.as_str()));
        }
        if let Some(id) = &self.assignee_id {
            c = c.add(task::Column::AssigneeId.eq(ids::decode("filter.assigneeId", id, Kind::User)?));
        }
        Ok(c)
    }
}

pub struct Task(pub task::Model);

#[Object]
impl Task {
    pub async fn id(&self) -> ID {
        ids::encode(Kind::Task, self.0.id)
    }
    async fn title(&self) -> &str {
        &self.0.title
    }
    async fn description(&self) -> Option<&str> {
        self.0.description.as_deref()
    }
    async fn status(&self) -> TaskStatus {
        TaskStatus::parse(&self.0.status)
    }
    async fn tags(&self) -> Vec<String> {
        text::decode_tags(&self.0.tags)
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.updated_at
    }
    /// The case of the task; null for a global task.
    async fn case(&self, ctx: &Context<'_>) -> Result<Option<Case>> {
        let Some(id) = self.0.case_id else {
            return Ok(None);
        };
        Ok(loader::<ById<case::Entity>>(ctx).load_one(id).await.gql()?.map(Case))
    }
    async fn assignee(&self, ctx: &Context<'_>) -> Result<Option<User>> {
        let Some(id) = self.0.assignee_id else {
            return Ok(None);
        };
        Ok(loader::<ById<user::Entity>>(ctx).load_one(id).await.gql()?.map(User))
    }
}

#[derive(Default)]
pub struct TaskQuery;

#[Object]
impl TaskQuery {
    #[graphql(complexity = "super::pagination::cost(first, last, child_complexity)")]
    async fn tasks(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
        filter: Option<TaskFilter>,
    ) -> Result<Conn<Task>> {
        let cond = filter.unwrap_or_default().condition().gql()?;
        connection(
            ctx,
            task::Entity::find().filter(cond),
            PageArgs {
                first,
                after,
                last,
                before,
            },
            Task,
        )
        .await
    }
}

#[derive(Default)]
pub struct TaskMutation;

#[Object]
impl TaskMutation {
    async fn create_task(&self, ctx: &Context<'_>, input: CreateTaskInput) -> Result<Task> {
        write(ctx, move |tx| Box::pin(async move { tasks::create(tx, input).await }))
            .await
            .map(Task)
    }
    async fn update_task(&self, ctx: &Context<'_>, id: ID, input: TaskInput) -> Result<Task> {
        let id = ids::decode("id", &id, Kind::Task).gql()?;
        write(ctx, move |tx| {
            Box::pin(async move { tasks::update(tx, id, input).await })
        })
        .await
        .map(Task)
    }
    async fn delete_task(&self, ctx: &Context<'_>, id: ID) -> Result<ID> {
        let n = ids::decode("id", &id, Kind::Task).gql()?;
        write(ctx, move |tx| Box::pin(async move { tasks::delete(tx, n).await })).await?;
        Ok(id)
    }
}
