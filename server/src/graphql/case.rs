//! Cases and the edges to what they own and reference.

use async_graphql::{Context, Object, Result, ID};
use chrono::{DateTime, Utc};
use entities::{
    alert, asset, case, case_activity, case_alert, case_classification, case_object_state, customer, evidence, ioc,
    ioc_case, note, note_group, task, timeline_event, timeline_event_asset, user,
};
use sea_orm::sea_query::{Alias, Asterisk, Expr, Query, SelectStatement};
use sea_orm::{DatabaseConnection, EntityTrait};
use serde::Serialize;
use serde_json::Value;
use std::collections::HashMap;

use super::alert::Alert;
use super::asset::Asset;
use super::audit::write;
use super::customer::Customer;
use super::errors::Gql;
use super::evidence::Evidence;
use super::ioc::Ioc;
use super::loaders::{loader, ById, GroupBy, LoadError, Paged};
use super::note::{Note, NoteGroup};
use super::pagination::{edge_connection, Conn, PageArgs};
use super::references::CaseClassification;
use super::table::{by_id, graphql, Rows};
use super::task::Task;
use super::timeline::TimelineEvent;
use super::user::principal;
use super::user::User;
use crate::domain::alerts::AlertFilter;
use crate::domain::case_activities;
use crate::domain::case_states::CaseObjects;
use crate::domain::cases::{
    self, CaseField, CaseFilter, CaseInput, CaseOrder, CaseOutcome, CaseStatus, CreateCaseInput,
};
use crate::domain::ids::{self, Kind};
use crate::domain::iocs::IocFilter;
use crate::domain::tenancy::Scope;
use crate::group;

group!(AssetsOfCase, asset::Entity, asset::Column::CaseId, i64);
group!(TasksOfCase, task::Entity, task::Column::CaseId, i64);
group!(NotesOfCase, note::Entity, note::Column::CaseId, i64);
group!(GroupsOfCase, note_group::Entity, note_group::Column::CaseId, i64);
group!(
    EventsOfCase,
    timeline_event::Entity,
    timeline_event::Column::CaseId,
    i64
);
group!(
    EventLinks,
    timeline_event_asset::Entity,
    timeline_event_asset::Column::EventId,
    i64
);
group!(EvidencesOfCase, evidence::Entity, evidence::Column::CaseId, i64);
group!(
    StatesOfCase,
    case_object_state::Entity,
    case_object_state::Column::CaseId,
    i64
);
group!(
    ActivitiesOfCase,
    case_activity::Entity,
    case_activity::Column::CaseId,
    i64
);
group!(CaseLinksOfAlert, case_alert::Entity, case_alert::Column::AlertId, i64);
group!(CaseLinksOfIoc, ioc_case::Entity, ioc_case::Column::IocId, i64);

/// Rows of `E` linked to cases through the link table `L` (`L.case_id`, `L.<link>`).
fn linked<E: EntityTrait, L: EntityTrait>(link: L::Column, case: L::Column, keys: Vec<i64>) -> SelectStatement {
    Query::select()
        .column((E::default(), Asterisk))
        .expr_as(Expr::col((L::default(), case)), Alias::new("pk"))
        .from(E::default())
        .inner_join(
            L::default(),
            Expr::col((L::default(), link)).equals((E::default(), Alias::new("id"))),
        )
        .and_where(Expr::col((L::default(), case)).is_in(keys))
        .to_owned()
}

/// The IOCs of cases.
pub struct IocsOfCase;

impl Paged for IocsOfCase {
    type E = ioc::Entity;
    type Key = i64;
    fn base(keys: Vec<i64>) -> SelectStatement {
        linked::<ioc::Entity, ioc_case::Entity>(ioc_case::Column::IocId, ioc_case::Column::CaseId, keys)
    }
}

/// The alerts attached to cases.
pub struct AlertsOfCase;

impl Paged for AlertsOfCase {
    type E = alert::Entity;
    type Key = i64;
    fn base(keys: Vec<i64>) -> SelectStatement {
        linked::<alert::Entity, case_alert::Entity>(case_alert::Column::AlertId, case_alert::Column::CaseId, keys)
    }
}

/// The cases with these ids, in the order given, through the case loader.
pub async fn cases_by_id(ctx: &Context<'_>, ids: impl IntoIterator<Item = i64>) -> Result<Vec<Case>> {
    let mut ids: Vec<i64> = ids.into_iter().collect();
    ids.sort_unstable();
    ids.dedup();
    let found = loader::<ById<case::Entity>>(ctx)
        .load_many(ids.iter().copied())
        .await
        .gql()?;
    Ok(ids
        .into_iter()
        .filter_map(|id| found.get(&id).cloned().map(Case))
        .collect())
}

pub struct Case(pub case::Model);

#[Object]
impl Case {
    pub async fn id(&self) -> ID {
        ids::encode(Kind::Case, self.0.id)
    }
    /// The case number investigators refer to.
    async fn number(&self) -> i64 {
        self.0.id
    }
    async fn name(&self) -> &str {
        &self.0.name
    }
    async fn description(&self) -> &str {
        &self.0.description
    }
    async fn soc_id(&self) -> Option<&str> {
        self.0.soc_id.as_deref()
    }
    async fn status(&self) -> CaseStatus {
        CaseStatus::parse(&self.0.status)
    }
    /// How the case ended (UNKNOWN until someone says).
    async fn outcome(&self) -> CaseOutcome {
        CaseOutcome::parse(&self.0.outcome)
    }
    async fn opened_at(&self) -> DateTime<Utc> {
        self.0.opened_at
    }
    async fn closed_at(&self) -> Option<DateTime<Utc>> {
        self.0.closed_at
    }
    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.updated_at
    }
    async fn summary(&self) -> Option<&str> {
        self.0.summary.as_deref()
    }
    async fn customer(&self, ctx: &Context<'_>) -> Result<Customer> {
        let c = loader::<ById<customer::Entity>>(ctx)
            .load_one(self.0.customer_id)
            .await
            .gql()?;
        c.map(Customer).ok_or_else(|| "the customer of a case is gone".into())
    }
    async fn opened_by(&self, ctx: &Context<'_>) -> Result<Option<User>> {
        let Some(id) = self.0.opened_by else {
            return Ok(None);
        };
        Ok(loader::<ById<user::Entity>>(ctx).load_one(id).await.gql()?.map(User))
    }
    /// Free-form attributes (a JSON object).
    async fn custom_attributes(&self) -> Option<async_graphql::Json<serde_json::Value>> {
        crate::domain::crud::attributes_of(self.0.custom_attributes.as_deref()).map(async_graphql::Json)
    }
    /// What kind of incident it is.
    async fn classification(&self, ctx: &Context<'_>) -> Result<Option<CaseClassification>> {
        let Some(id) = self.0.classification_id else {
            return Ok(None);
        };
        Ok(loader::<ById<case_classification::Entity>>(ctx)
            .load_one(id)
            .await
            .gql()?
            .map(Into::into))
    }
    #[graphql(complexity = "super::pagination::cost(first, None, child_complexity)")]
    async fn iocs(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        filter: Option<IocFilter>,
    ) -> Result<Conn<Ioc>> {
        let args = PageArgs::forward(first, after);
        edge_connection::<IocsOfCase, _, _>(ctx, self.0.id, filter, args, Ioc).await
    }
    #[graphql(complexity = "super::pagination::cost(first, None, child_complexity)")]
    async fn alerts(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        filter: Option<AlertFilter>,
    ) -> Result<Conn<Alert>> {
        let args = PageArgs::forward(first, after);
        edge_connection::<AlertsOfCase, _, _>(ctx, self.0.id, filter, args, Alert).await
    }
    async fn assets(&self, ctx: &Context<'_>) -> Result<Vec<Asset>> {
        let rows = loader::<GroupBy<AssetsOfCase>>(ctx).load_one(self.0.id).await.gql()?;
        Ok(rows.unwrap_or_default().into_iter().map(Asset).collect())
    }
    async fn tasks(&self, ctx: &Context<'_>) -> Result<Vec<Task>> {
        let rows = loader::<GroupBy<TasksOfCase>>(ctx).load_one(self.0.id).await.gql()?;
        Ok(rows.unwrap_or_default().into_iter().map(Task).collect())
    }
    /// Every note of the case, including notes about what it owns.
    async fn notes(&self, ctx: &Context<'_>) -> Result<Vec<Note>> {
        let rows = loader::<GroupBy<NotesOfCase>>(ctx).load_one(self.0.id).await.gql()?;
        Ok(rows.unwrap_or_default().into_iter().map(Note).collect())
    }
    async fn note_groups(&self, ctx: &Context<'_>) -> Result<Vec<NoteGroup>> {
        let rows = loader::<GroupBy<GroupsOfCase>>(ctx).load_one(self.0.id).await.gql()?;
        Ok(rows.unwrap_or_default().into_iter().map(NoteGroup).collect())
    }
    /// Events in time order; with `assetId`, only events about that asset.
    async fn timeline(&self, ctx: &Context<'_>, asset_id: Option<ID>) -> Result<Vec<TimelineEvent>> {
        let asset = ids::decode_opt("assetId", asset_id.as_ref(), Kind::Asset).gql()?;
        let mut rows = loader::<GroupBy<EventsOfCase>>(ctx)
            .load_one(self.0.id)
            .await
            .gql()?
            .unwrap_or_default();
        if let Some(asset) = asset {
            let links = loader::<GroupBy<EventLinks>>(ctx)
                .load_many(rows.iter().map(|e| e.id))
                .await
                .gql()?;
            rows.retain(|e| links.get(&e.id).is_some_and(|l| l.iter().any(|l| l.asset_id == asset)));
        }
        rows.sort_by_key(|e| (e.occurred_at, e.id));
        Ok(rows.into_iter().map(TimelineEvent).collect())
    }
    /// How many times each family of the case's objects has changed, and when last
    /// (a family never changed is not listed): poll it to know what to read again.
    async fn object_states(&self, ctx: &Context<'_>) -> Result<Vec<CaseObjectState>> {
        let rows = loader::<GroupBy<StatesOfCase>>(ctx).load_one(self.0.id).await.gql()?;
        let mut out: Vec<CaseObjectState> = rows
            .unwrap_or_default()
            .into_iter()
            .filter_map(|r| {
                Some(CaseObjectState {
                    family: CaseObjects::parse(&r.family)?,
                    state: r.state,
                    updated_at: r.updated_at,
                })
            })
            .collect();
        out.sort_by_key(|s| s.family.as_str());
        Ok(out)
    }
    async fn evidences(&self, ctx: &Context<'_>) -> Result<Vec<Evidence>> {
        let rows = loader::<GroupBy<EvidencesOfCase>>(ctx)
            .load_one(self.0.id)
            .await
            .gql()?;
        Ok(rows.unwrap_or_default().into_iter().map(Evidence).collect())
    }
    /// What investigators wrote down as they worked the case, oldest first.
    async fn activities(&self, ctx: &Context<'_>) -> Result<Vec<CaseActivity>> {
        let mut rows = loader::<GroupBy<ActivitiesOfCase>>(ctx)
            .load_one(self.0.id)
            .await
            .gql()?
            .unwrap_or_default();
        rows.sort_by_key(|a| (a.created_at, a.id));
        Ok(rows.into_iter().map(CaseActivity).collect())
    }
}

/// Something done in a case, in the words of whoever did it (a task log).
pub struct CaseActivity(pub case_activity::Model);

#[Object]
impl CaseActivity {
    async fn text(&self) -> &str {
        &self.0.text
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    async fn user(&self, ctx: &Context<'_>) -> Result<Option<User>> {
        let Some(id) = self.0.user_id else {
            return Ok(None);
        };
        Ok(loader::<ById<user::Entity>>(ctx).load_one(id).await.gql()?.map(User))
    }
}

impl super::audit::Touched for case_activity::Model {
    fn touched(&self) -> Option<(Kind, i64)> {
        Some((Kind::Case, self.case_id))
    }
}

crate::listing!(
    CaseQuery, Case, CaseFilter, CaseField, CaseOrder, "CaseAggregate",
    /// Cases that meet `filter`, in `orderBy` order (ties by ID, the way the last field goes; by ID alone, the order
    /// of opening, without one); `last` pages from the end.
    cases,
    /// Counts, groups and time buckets of the cases that meet `filter`.
    cases_aggregate,
);

crate::table!(
    CaseTableQuery, CaseTable, Case, CaseFilter, CaseField, CaseOrder,
    /// The cases `cases` lists, as a table (for reading thousands at once): each row is
    /// `{id, number, name, description, socId, status, outcome, openedAt, closedAt,
    /// updatedAt, summary, customAttributes, customer: {id, name}, openedBy: {id,
    /// username, displayName} or null, classification: {id, name} or null}`.
    case_table,
);

/// A row of `caseTable`.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CaseRow {
    id: String,
    number: i64,
    name: String,
    description: String,
    soc_id: Option<String>,
    status: Value,
    outcome: Value,
    opened_at: Value,
    closed_at: Value,
    updated_at: Value,
    summary: Option<String>,
    custom_attributes: Option<Value>,
    customer: Option<CustomerSummary>,
    opened_by: Option<UserSummary>,
    classification: Option<ClassificationSummary>,
}

/// A customer in a table's row.
#[derive(Serialize, Clone)]
pub struct CustomerSummary {
    id: String,
    name: String,
}

impl CustomerSummary {
    fn of(c: &customer::Model) -> Self {
        Self {
            id: ids::encode(Kind::Customer, c.id).to_string(),
            name: c.name.clone(),
        }
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct UserSummary {
    id: String,
    username: String,
    display_name: Option<String>,
}

#[derive(Serialize)]
pub struct ClassificationSummary {
    id: i64,
    name: String,
}

/// A case in a table's row: `{id, number, name, customer: {id, name}}`.
#[derive(Serialize, Clone)]
pub struct CaseSummary {
    id: String,
    number: i64,
    name: String,
    customer: Option<CustomerSummary>,
}

impl Rows for Case {
    type E = case::Entity;
    type Row = CaseRow;

    async fn rows(db: &DatabaseConnection, scope: &Scope, models: Vec<case::Model>) -> Result<Vec<CaseRow>, LoadError> {
        let customers = by_id::<customer::Entity>(db, scope, models.iter().map(|m| m.customer_id)).await?;
        let users = by_id::<user::Entity>(db, scope, models.iter().filter_map(|m| m.opened_by)).await?;
        let classes =
            by_id::<case_classification::Entity>(db, scope, models.iter().filter_map(|m| m.classification_id)).await?;
        Ok(models
            .into_iter()
            .map(|m| CaseRow {
                id: ids::encode(Kind::Case, m.id).to_string(),
                number: m.id,
                status: graphql(&CaseStatus::parse(&m.status)),
                outcome: graphql(&CaseOutcome::parse(&m.outcome)),
                opened_at: graphql(&m.opened_at),
                closed_at: graphql(&m.closed_at),
                updated_at: graphql(&m.updated_at),
                custom_attributes: crate::domain::crud::attributes_of(m.custom_attributes.as_deref()),
                customer: customers.get(&m.customer_id).map(CustomerSummary::of),
                opened_by: m.opened_by.and_then(|id| users.get(&id)).map(|u| UserSummary {
                    id: ids::encode(Kind::User, u.id).to_string(),
                    username: u.username.clone(),
                    display_name: u.display_name.clone(),
                }),
                classification: m
                    .classification_id
                    .and_then(|id| classes.get(&id))
                    .map(|c| ClassificationSummary {
                        id: c.id,
                        name: c.name.clone(),
                    }),
                name: m.name,
                description: m.description,
                soc_id: m.soc_id,
                summary: m.summary,
            })
            .collect())
    }
}

/// Cases as tables show them, by id (one statement for the cases, one for their
/// customers).
pub async fn case_summaries(
    db: &DatabaseConnection,
    scope: &Scope,
    ids: impl IntoIterator<Item = i64>,
) -> Result<HashMap<i64, CaseSummary>, LoadError> {
    let cases = by_id::<case::Entity>(db, scope, ids).await?;
    let customers = by_id::<customer::Entity>(db, scope, cases.values().map(|c| c.customer_id)).await?;
    Ok(cases
        .into_values()
        .map(|c| {
            let summary = CaseSummary {
                id: ids::encode(Kind::Case, c.id).to_string(),
                number: c.id,
                customer: customers.get(&c.customer_id).map(CustomerSummary::of),
                name: c.name,
            };
            (c.id, summary)
        })
        .collect())
}

#[derive(Default)]
pub struct CaseMutation;

#[Object]
impl CaseMutation {
    /// Makes case `id` the caller's current case: the one an investigator works in, kept
    /// per user in the database (every replica agrees), for clients that act on "the
    /// current case" (DFIR-IRIS's). Without `id`, answers the current case, or null
    /// when there is none (or it is gone). NOT_FOUND for a case the caller cannot see.
    async fn use_case(&self, ctx: &Context<'_>, id: Option<ID>) -> Result<Option<Case>> {
        let db = ctx.data_unchecked::<sea_orm::DatabaseConnection>();
        let me = principal(ctx)?.user.id;
        let current = cases::current(db, me).await.gql()?;
        let wanted = match &id {
            Some(id) => Some(ids::decode("id", id, Kind::Case).gql()?),
            None => current,
        };
        let Some(n) = wanted else { return Ok(None) };
        let visible = loader::<ById<case::Entity>>(ctx).load_one(n).await.gql()?;
        match (visible, id.is_some()) {
            (None, true) => Err(super::errors::gql(crate::domain::error::DomainError::not_found(
                format!("case {n}"),
            ))),
            (None, false) => Ok(None),
            // Written only when it changes: clients name their case on every call.
            (Some(c), true) if current != Some(n) => write(ctx, move |tx| {
                Box::pin(async move { cases::make_current(tx, me, n).await })
            })
            .await
            .map(|_| Some(Case(c))),
            (Some(c), _) => Ok(Some(Case(c))),
        }
    }
    async fn create_case(&self, ctx: &Context<'_>, input: CreateCaseInput) -> Result<Case> {
        let me = principal(ctx)?.user.id;
        write(ctx, move |tx| {
            Box::pin(async move { cases::create(tx, input, Some(me)).await })
        })
        .await
        .map(Case)
    }
    async fn update_case(&self, ctx: &Context<'_>, id: ID, input: CaseInput) -> Result<Case> {
        let id = ids::decode("id", &id, Kind::Case).gql()?;
        write(ctx, move |tx| {
            Box::pin(async move { cases::update(tx, id, input).await })
        })
        .await
        .map(Case)
    }
    async fn close_case(&self, ctx: &Context<'_>, id: ID) -> Result<Case> {
        let id = ids::decode("id", &id, Kind::Case).gql()?;
        let input = CaseInput {
            status: Some(CaseStatus::Closed),
            ..Default::default()
        };
        write(ctx, move |tx| {
            Box::pin(async move { cases::update(tx, id, input).await })
        })
        .await
        .map(Case)
    }
    async fn reopen_case(&self, ctx: &Context<'_>, id: ID) -> Result<Case> {
        let id = ids::decode("id", &id, Kind::Case).gql()?;
        let input = CaseInput {
            status: Some(CaseStatus::Open),
            ..Default::default()
        };
        write(ctx, move |tx| {
            Box::pin(async move { cases::update(tx, id, input).await })
        })
        .await
        .map(Case)
    }
    /// Deletes a case and everything it owns, in one transaction.
    async fn delete_case(&self, ctx: &Context<'_>, id: ID) -> Result<ID> {
        let n = ids::decode("id", &id, Kind::Case).gql()?;
        write(ctx, move |tx| Box::pin(async move { cases::delete(tx, n).await })).await?;
        Ok(id)
    }
    /// Writes down, in the case's activity, something done in it (a task log).
    async fn log_case_activity(&self, ctx: &Context<'_>, case_id: ID, text: String) -> Result<CaseActivity> {
        let me = principal(ctx)?.user.id;
        let n = ids::decode("caseId", &case_id, Kind::Case).gql()?;
        write(ctx, move |tx| {
            Box::pin(async move { case_activities::log(tx, n, &text, Some(me)).await })
        })
        .await
        .map(CaseActivity)
    }
    async fn attach_alerts(&self, ctx: &Context<'_>, case_id: ID, alert_ids: Vec<ID>) -> Result<Case> {
        let case_id = ids::decode("caseId", &case_id, Kind::Case).gql()?;
        let alert_ids = ids::decode_all("alertIds", &alert_ids, Kind::Alert).gql()?;
        write(ctx, move |tx| {
            Box::pin(async move {
                cases::attach_alerts(tx, case_id, &alert_ids).await?;
                crate::domain::crud::find::<case::Entity>(tx, "case", case_id).await
            })
        })
        .await
        .map(Case)
    }
    async fn detach_alerts(&self, ctx: &Context<'_>, case_id: ID, alert_ids: Vec<ID>) -> Result<Case> {
        let case_id = ids::decode("caseId", &case_id, Kind::Case).gql()?;
        let alert_ids = ids::decode_all("alertIds", &alert_ids, Kind::Alert).gql()?;
        write(ctx, move |tx| {
            Box::pin(async move {
                cases::detach_alerts(tx, case_id, &alert_ids).await?;
                crate::domain::crud::find::<case::Entity>(tx, "case", case_id).await
            })
        })
        .await
        .map(Case)
    }
}

/// Cases an alert is attached to.
pub async fn cases_of_alert(ctx: &Context<'_>, alert_id: i64) -> Result<Vec<Case>> {
    let links = loader::<GroupBy<CaseLinksOfAlert>>(ctx)
        .load_one(alert_id)
        .await
        .gql()?
        .unwrap_or_default();
    cases_by_id(ctx, links.into_iter().map(|l| l.case_id)).await
}

/// Cases an IOC is linked to.
pub async fn cases_of_ioc(ctx: &Context<'_>, ioc_id: i64) -> Result<Vec<Case>> {
    let links = loader::<GroupBy<CaseLinksOfIoc>>(ctx)
        .load_one(ioc_id)
        .await
        .gql()?
        .unwrap_or_default();
    cases_by_id(ctx, links.into_iter().map(|l| l.case_id)).await
}

/// How many times a family of a case's objects has changed, and when last.
#[derive(async_graphql::SimpleObject)]
pub struct CaseObjectState {
    pub family: CaseObjects,
    pub state: i64,
    pub updated_at: DateTime<Utc>,
}
