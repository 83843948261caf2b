//! Timeline events of cases.

use async_graphql::{Context, Object, Result, ID};
use chrono::{DateTime, Utc};
use entities::{asset, case, timeline_event};

use super::asset::Asset;
use super::audit::write;
use super::case::{Case, EventLinks};
use super::errors::Gql;
use super::loaders::{loader, ById, GroupBy};
use crate::domain::ids::{self, Kind};
use crate::domain::text;
use crate::domain::timeline::{
    self, CreateTimelineEventInput, TimelineEventField, TimelineEventFilter, TimelineEventInput, TimelineEventOrder,
};

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
    /// The source text the event was read from.
    async fn raw(&self) -> Option<&str> {
        self.0.raw.as_deref()
    }
    /// The UTC offset the event was reported in (`+02:00`).
    async fn timezone(&self) -> Option<&str> {
        self.0.timezone.as_deref()
    }
    /// Whether the event belongs in the case's summary.
    async fn in_summary(&self) -> bool {
        self.0.in_summary
    }
    /// Whether the event is drawn in the case's graph.
    async fn in_graph(&self) -> bool {
        self.0.in_graph
    }
    /// Free-form attributes (a JSON object).
    async fn custom_attributes(&self) -> Option<async_graphql::Json<serde_json::Value>> {
        crate::domain::crud::attributes_of(self.0.custom_attributes.as_deref()).map(async_graphql::Json)
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

crate::listing!(
    TimelineQuery, TimelineEvent, TimelineEventFilter, TimelineEventField, TimelineEventOrder,
    "TimelineEventAggregate",
    /// Timeline events that meet `filter`, in `orderBy` order (ties by ID, the way the last field goes; by ID alone,
    /// the order of adding, without one); `last` pages from the end.
    timeline_events,
    /// Counts, groups and time buckets of the timeline events that meet `filter`.
    timeline_events_aggregate,
);

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
