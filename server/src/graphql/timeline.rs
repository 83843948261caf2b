//! Timeline events of cases.

use async_graphql::{Context, Object, Result, ID};
use chrono::{DateTime, Utc};
use entities::{asset, case, timeline_event};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

use super::asset::Asset;
use super::audit::write;
use super::case::{Case, EventLinks};
use super::errors::Gql;
use super::loaders::{loader, ById, GroupBy};
use super::pagination::{connection, Conn, PageArgs};
use crate::domain::filters::TimeRange;
use crate::domain::ids::{self, Kind};
use crate::domain::text;
use crate::domain::timeline::{self, CreateTimelineEventInput, TimelineEventInput};

pub struct TimelineEvent(pub timeline_event::Model);

#[Object]
impl TimelineEvent {
    pub async fn id(&self) -> ID {
        ids::encode(Kind::TimelineEvent, self.0.id)
    }
    async fn title(&self) -> &str {
        &self.0.title
    }
    async fn content(&self) -> Option<&str> {
        self.0.content.as_deref()
    }
    async fn occurred_at(&self) -> DateTime<Utc> {
        self.0.occurred_at
    }
    async fn category(&self) -> Option<&str> {
        self.0.category.as_deref()
    }
    async fn source(&self) -> Option<&str> {
        self.0.source.as_deref()
    }
    async fn tags(&self) -> Vec<String> {
        text::decode_tags(&self.0.tags)
    }
    async fn color(&self) -> Option<&str> {
        self.0.color.as_deref()
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    async fn case(&self, ctx: &Context<'_>) -> Result<Case> {
        let c = loader::<ById<case::Entity>>(ctx).load_one(self.0.case_id).await.gql()?;
        c.map(Case).ok_or_else(|| "the case of an event is gone".into())
    }
    /// The assets the event is about.
    async fn assets(&self, ctx: &Context<'_>) -> Result<Vec<Asset>> {
        let links = loader::<GroupBy<EventLinks>>(ctx)
            .load_one(self.0.id)
            .await
            .gql()?
            .unwrap_or_default();
        let found = loader::<ById<asset::Entity>>(ctx)
            .load_many(links.iter().map(|l| l.asset_id))
            .await
            .gql()?;
        let mut out: Vec<Asset> = found.into_values().map(Asset).collect();
        out.sort_by_key(|a| a.0.id);
        Ok(out)
    }
}

#[derive(Default)]
pub struct TimelineQuery;

#[Object]
impl TimelineQuery {
    /// Timeline events of one case or all, within a time range.
    #[graphql(complexity = "super::pagination::cost(first, last, child_complexity)")]
    #[allow(clippy::too_many_arguments)]
    async fn timeline_events(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
        case_id: Option<ID>,
        time: Option<TimeRange>,
    ) -> Result<Conn<TimelineEvent>> {
        let mut q = timeline_event::Entity::find();
        if let Some(c) = case_id {
            q = q.filter(timeline_event::Column::CaseId.eq(ids::decode("caseId", &c, Kind::Case).gql()?));
        }
        if let Some(t) = time {
            t.validate("time").gql()?;
            q = q.filter(t.condition((timeline_event::Entity, timeline_event::Column::OccurredAt)));
        }
        connection(
            ctx,
            q,
            PageArgs {
                first,
                after,
                last,
                before,
            },
            TimelineEvent,
        )
        .await
    }
}

#[derive(Default)]
pub struct TimelineMutation;

#[Object]
impl TimelineMutation {
    async fn create_timeline_event(&self, ctx: &Context<'_>, input: CreateTimelineEventInput) -> Result<TimelineEvent> {
        write(ctx, move |tx| {
            Box::pin(async move { timeline::create(tx, input).await })
        })
        .await
        .map(TimelineEvent)
    }
    async fn update_timeline_event(
        &self,
        ctx: &Context<'_>,
        id: ID,
        input: TimelineEventInput,
    ) -> Result<TimelineEvent> {
        let id = ids::decode("id", &id, Kind::TimelineEvent).gql()?;
        write(ctx, move |tx| {
            Box::pin(async move { timeline::update(tx, id, input).await })
        })
        .await
        .map(TimelineEvent)
    }
    async fn delete_timeline_event(&self, ctx: &Context<'_>, id: ID) -> Result<ID> {
        let n = ids::decode("id", &id, Kind::TimelineEvent).gql()?;
        write(ctx, move |tx| Box::pin(async move { timeline::delete(tx, n).await })).await?;
        Ok(id)
    }
}
