//! Timeline events of a case, and the assets each is about.

use std::str::FromStr;

use async_graphql::{InputObject, MaybeUndefined, ID};
use chrono::{DateTime, Utc};
use entities::{asset, case, timeline_event, timeline_event_asset};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter,
    TransactionTrait,
};
use serde::Serialize;

use super::crud::{self, opt_text, req_text, set, set_opt};
use super::error::{DomainError, DomainResult};
use super::ids::{self, Kind};
use super::query::{IdOp, TextOp, TimeOp};
use super::text;

/// Which timeline events: conditions on their fields, composed with `and`, `or` and
/// `not`.
#[derive(InputObject, Serialize, Clone, Debug, Default)]
pub struct TimelineEventFilter {
    pub and: Option<Vec<TimelineEventFilter>>,
    pub or: Option<Vec<TimelineEventFilter>>,
    pub not: Option<Box<TimelineEventFilter>>,
    pub title: Option<TextOp>,
    pub content: Option<TextOp>,
    pub category: Option<TextOp>,
    pub source: Option<TextOp>,
    pub color: Option<TextOp>,
    /// Has this tag.
    pub tag: Option<String>,
    pub case_id: Option<IdOp>,
    pub occurred_at: Option<TimeOp>,
    pub created_at: Option<TimeOp>,
}

crate::where_impl!(TimelineEventFilter, timeline_event::Entity, |f, c| {
    use timeline_event::Column as C;
    c.on("title", &f.title, C::Title)?;
    c.on("content", &f.content, C::Content)?;
    c.on("category", &f.category, C::Category)?;
    c.on("source", &f.source, C::Source)?;
    c.on("color", &f.color, C::Color)?;
    c.tagged("tag", &f.tag, C::Tags)?;
    c.on_id("caseId", &f.case_id, Kind::Case, C::CaseId)?;
    c.on("occurredAt", &f.occurred_at, C::OccurredAt)?;
    c.on("createdAt", &f.created_at, C::CreatedAt)?;
});

crate::fields! {
    /// The fields timeline events sort, group and bucket by.
    TimelineEventField, TimelineEventOrder for timeline_event {
        Title => Title: Text,
        Category => Category: Text,
        Source => Source: Text,
        Case => CaseId: Int,
        OccurredAt => OccurredAt: Time,
        CreatedAt => CreatedAt: Time,
    }
}

/// The writable fields of an event; on update, an absent field is left as it is.
#[derive(InputObject, Clone, Debug, Default)]
pub struct TimelineEventInput {
    pub title: Option<String>,
    pub content: MaybeUndefined<String>,
    pub occurred_at: Option<DateTime<Utc>>,
    pub category: MaybeUndefined<String>,
    pub source: MaybeUndefined<String>,
    /// Replaces the tags.
    pub tags: Option<Vec<String>>,
    /// `#rrggbb`.
    pub color: MaybeUndefined<String>,
    /// Replaces the assets the event is about (assets of the same case).
    pub asset_ids: Option<Vec<ID>>,
    /// The source text the event was read from (a log line...).
    pub raw: MaybeUndefined<String>,
    /// The UTC offset the event was reported in, `+02:00` (for display: `occurredAt`
    /// is the instant).
    pub timezone: MaybeUndefined<String>,
    /// Whether the event belongs in the case's summary (false unless said).
    pub in_summary: Option<bool>,
    /// Whether the event is drawn in the case's graph (true unless said).
    pub in_graph: Option<bool>,
    /// Free-form attributes: a JSON object (replaced whole).
    pub custom_attributes: MaybeUndefined<async_graphql::Json<serde_json::Value>>,
}

#[derive(InputObject, Clone, Debug)]
pub struct CreateTimelineEventInput {
    pub case_id: ID,
    /// The shared fields first: `title` and `occurredAt` below replace their optional
    /// forms, so that the schema says what creating requires.
    #[graphql(flatten)]
    pub fields: TimelineEventInput,
    pub title: String,
    pub occurred_at: DateTime<Utc>,
}

fn apply(am: &mut timeline_event::ActiveModel, f: TimelineEventInput) -> DomainResult<Option<Vec<i64>>> {
    set(&mut am.title, req_text("title", f.title, 500)?);
    set_opt(&mut am.content, opt_text("content", f.content, 100_000)?);
    set(&mut am.occurred_at, f.occurred_at);
    set_opt(&mut am.category, opt_text("category", f.category, 100)?);
    set_opt(&mut am.source, opt_text("source", f.source, 200)?);
    set(&mut am.tags, f.tags.map(|t| text::encode_tags("tags", &t)).transpose()?);
    let color = opt_text("color", f.color, 9)?;
    if let MaybeUndefined::Value(c) = &color {
        let ok =
            (c.len() == 7 || c.len() == 9) && c.starts_with('#') && c[1..].chars().all(|ch| ch.is_ascii_hexdigit());
        if !ok {
            return Err(DomainError::bad(
                "color",
                format!("{c:?} is not a colour like #1f77b4 (or, with opacity, #1f77b480)"),
            ));
        }
    }
    set_opt(&mut am.color, color);
    set_opt(&mut am.raw, opt_text("raw", f.raw, 100_000)?);
    let timezone = opt_text("timezone", f.timezone, 6)?;
    if let MaybeUndefined::Value(z) = &timezone {
        if chrono::FixedOffset::from_str(z).is_err() || z.len() != 6 {
            return Err(DomainError::bad(
                "timezone",
                format!("{z:?} is not a UTC offset like +02:00"),
            ));
        }
    }
    set_opt(&mut am.timezone, timezone);
    set(&mut am.in_summary, f.in_summary);
    set(&mut am.in_graph, f.in_graph);
    set_opt(
        &mut am.custom_attributes,
        crud::attributes("customAttributes", f.custom_attributes)?,
    );
    f.asset_ids
        .map(|a| ids::decode_all("assetIds", &a, Kind::Asset))
        .transpose()
}

async fn set_assets(db: &impl ConnectionTrait, event: &timeline_event::Model, assets: Vec<i64>) -> DomainResult<()> {
    let mut assets = assets;
    assets.sort_unstable();
    assets.dedup();
    let same_case = asset::Entity::find()
        .filter(asset::Column::Id.is_in(assets.clone()))
        .filter(asset::Column::CaseId.eq(event.case_id))
        .count(db)
        .await?;
    if same_case as usize != assets.len() {
        return Err(DomainError::bad(
            "assetIds",
            "every asset must exist and belong to the event's case",
        ));
    }
    timeline_event_asset::Entity::delete_many()
        .filter(timeline_event_asset::Column::EventId.eq(event.id))
        .exec(db)
        .await?;
    if !assets.is_empty() {
        timeline_event_asset::Entity::insert_many(assets.into_iter().map(|a| timeline_event_asset::ActiveModel {
            event_id: Set(event.id),
            asset_id: Set(a),
        }))
        .exec_without_returning(db)
        .await?;
    }
    Ok(())
}

pub async fn create(
    db: &impl TransactionTrait,
    input: CreateTimelineEventInput,
) -> DomainResult<timeline_event::Model> {
    let case_id = ids::decode("caseId", &input.case_id, Kind::Case)?;
    let tx = db.begin().await?;
    crud::find::<case::Entity>(&tx, "case", case_id).await?;
    let mut am = timeline_event::ActiveModel {
        case_id: Set(case_id),
        tags: Set(String::new()),
        created_at: Set(Utc::now()),
        in_summary: Set(false),
        in_graph: Set(true),
        ..Default::default()
    };
    let mut fields = input.fields;
    fields.title = Some(input.title);
    fields.occurred_at = Some(input.occurred_at);
    let assets = apply(&mut am, fields)?;
    let model = am.insert(&tx).await?;
    if let Some(a) = assets {
        set_assets(&tx, &model, a).await?;
    }
    super::case_states::bump(&tx, [model.case_id], super::case_states::CaseObjects::Timeline).await?;
    tx.commit().await?;
    Ok(model)
}

pub async fn update(
    db: &impl TransactionTrait,
    id: i64,
    input: TimelineEventInput,
) -> DomainResult<timeline_event::Model> {
    let tx = db.begin().await?;
    let mut am: timeline_event::ActiveModel = crud::find::<timeline_event::Entity>(&tx, "timeline event", id)
        .await?
        .into();
    let assets = apply(&mut am, input)?;
    let model = am.update(&tx).await?;
    if let Some(a) = assets {
        set_assets(&tx, &model, a).await?;
    }
    super::case_states::bump(&tx, [model.case_id], super::case_states::CaseObjects::Timeline).await?;
    tx.commit().await?;
    Ok(model)
}

pub async fn delete(db: &impl ConnectionTrait, id: i64) -> DomainResult<()> {
    let e = crud::find::<timeline_event::Entity>(db, "timeline event", id).await?;
    crud::delete::<timeline_event::Entity>(db, "timeline event", id).await?;
    super::case_states::bump(db, [e.case_id], super::case_states::CaseObjects::Timeline).await
}
