//! Tasks, timeline events and evidences: the work items of a case.

use async_graphql::{Context, Object, Result, ID};
use chrono::{DateTime, Utc};
use entities::{case, task, user};

use super::audit::write;
use super::case::Case;
use super::errors::Gql;
use super::loaders::{loader, ById};
use super::user::User;
use crate::domain::ids::{self, Kind};
use crate::domain::tasks::{self, CreateTaskInput, TaskField, TaskFilter, TaskInput, TaskOrder, TaskStatus};
use crate::domain::text;

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

crate::listing!(
    TaskQuery, Task, TaskFilter, TaskField, TaskOrder, "TaskAggregate",
    /// Tasks that meet `filter`, in `orderBy` order (ties by ID, the way the last field goes; by ID alone, the order of
    /// adding, without one); `last` pages from the end.
    tasks,
    /// Counts, groups and time buckets of the tasks that meet `filter`.
    tasks_aggregate,
);

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
