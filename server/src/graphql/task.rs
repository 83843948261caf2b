//! Tasks, timeline events and evidences: the work items of a case.

use async_graphql::{Context, Object, Result, ID};
use chrono::{DateTime, Utc};
use entities::{case, task, task_assignee, user};

use super::audit::write;
use super::case::Case;
use super::errors::Gql;
use super::loaders::{loader, ById, GroupBy};
use super::user::User;
use crate::domain::ids::{self, Kind};
use crate::domain::tasks::{self, CreateTaskInput, TaskField, TaskFilter, TaskInput, TaskOrder, TaskStatus};
use crate::domain::text;
use crate::group;

group!(
    AssigneesOfTask,
    task_assignee::Entity,
    task_assignee::Column::TaskId,
    i64
);

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
    /// The users the task is assigned to.
    async fn assignees(&self, ctx: &Context<'_>) -> Result<Vec<User>> {
        let links = loader::<GroupBy<AssigneesOfTask>>(ctx)
            .load_one(self.0.id)
            .await
            .gql()?
            .unwrap_or_default();
        let found = loader::<ById<user::Entity>>(ctx)
            .load_many(links.iter().map(|l| l.user_id))
            .await
            .gql()?;
        let mut out: Vec<User> = found.into_values().map(User).collect();
        out.sort_by(|a, b| a.0.username.cmp(&b.0.username));
        Ok(out)
    }
    /// Free-form attributes (a JSON object).
    async fn custom_attributes(&self) -> Option<async_graphql::Json<serde_json::Value>> {
        crate::domain::crud::attributes_of(self.0.custom_attributes.as_deref()).map(async_graphql::Json)
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
