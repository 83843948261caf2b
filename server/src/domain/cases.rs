//! Cases: filters, writes, the alerts attached to them, and deletion of everything a
//! case owns in one transaction.

use async_graphql::{Enum, InputObject, Json, MaybeUndefined, ID};
use chrono::Utc;
use entities::{alert, case, case_alert, case_classification, customer, ioc, ioc_case, user};
use sea_orm::sea_query::{Expr, OnConflict, Query};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect,
    TransactionTrait,
};
use serde::Serialize;

use super::alert_log;
use super::crud::{self, attributes, opt_text, req_text, set, set_opt};
use super::error::{DomainError, DomainResult};
use super::ids::{self, Kind};
use super::query::{EnumOp, IdOp, IntOp, TextOp, TimeOp};
use super::text::required;

#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum CaseStatus {
    Open,
    Closed,
}

impl CaseStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Open => "open",
            Self::Closed => "closed",
        }
    }

    pub fn parse(s: &str) -> Self {
        if s == "closed" {
            Self::Closed
        } else {
            Self::Open
        }
    }
}

/// How a case ended (DFIR-IRIS's outcome statuses, in their order).
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum CaseOutcome {
    Unknown,
    FalsePositive,
    TruePositiveWithImpact,
    NotApplicable,
    TruePositiveWithoutImpact,
    Legitimate,
}

impl CaseOutcome {
    pub const ALL: [Self; 6] = [
        Self::Unknown,
        Self::FalsePositive,
        Self::TruePositiveWithImpact,
        Self::NotApplicable,
        Self::TruePositiveWithoutImpact,
        Self::Legitimate,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Unknown => "unknown",
            Self::FalsePositive => "false_positive",
            Self::TruePositiveWithImpact => "true_positive_with_impact",
            Self::NotApplicable => "not_applicable",
            Self::TruePositiveWithoutImpact => "true_positive_without_impact",
            Self::Legitimate => "legitimate",
        }
    }

    pub fn parse(s: &str) -> Self {
        Self::ALL.into_iter().find(|o| o.as_str() == s).unwrap_or(Self::Unknown)
    }
}

/// Which cases: conditions on their fields, composed with `and`, `or` and `not`.
#[derive(InputObject, Serialize, Clone, Debug, Default)]
pub struct CaseFilter {
    pub and: Option<Vec<CaseFilter>>,
    pub or: Option<Vec<CaseFilter>>,
    pub not: Option<Box<CaseFilter>>,
    /// The case number investigators refer to.
    pub number: Option<IntOp>,
    pub name: Option<TextOp>,
    pub description: Option<TextOp>,
    /// The ticket number in the SOC's tracker.
    pub soc_id: Option<TextOp>,
    pub summary: Option<TextOp>,
    pub status: Option<EnumOp<CaseStatus>>,
    pub outcome: Option<EnumOp<CaseOutcome>>,
    pub customer_id: Option<IdOp>,
    pub opened_by_id: Option<IdOp>,
    pub opened_at: Option<TimeOp>,
    pub closed_at: Option<TimeOp>,
    pub updated_at: Option<TimeOp>,
}

crate::where_impl!(CaseFilter, case::Entity, |f, c| {
    use case::Column as C;
    c.on("number", &f.number, C::Id)?;
    c.on("name", &f.name, C::Name)?;
    c.on("description", &f.description, C::Description)?;
    c.on("socId", &f.soc_id, C::SocId)?;
    c.on("summary", &f.summary, C::Summary)?;
    c.on("status", &f.status, C::Status)?;
    c.on("outcome", &f.outcome, C::Outcome)?;
    c.on_id("customerId", &f.customer_id, Kind::Customer, C::CustomerId)?;
    c.on_id("openedById", &f.opened_by_id, Kind::User, C::OpenedBy)?;
    c.on("openedAt", &f.opened_at, C::OpenedAt)?;
    c.on("closedAt", &f.closed_at, C::ClosedAt)?;
    c.on("updatedAt", &f.updated_at, C::UpdatedAt)?;
});

crate::fields! {
    /// The fields cases sort, group and bucket by.
    CaseField, CaseOrder for case {
        Number => Id: Int,
        Name => Name: Text,
        SocId => SocId: Text,
        Status => Status: Text,
        Outcome => Outcome: Text,
        Customer => CustomerId: Int,
        OpenedAt => OpenedAt: Time,
        ClosedAt => ClosedAt: Time,
        UpdatedAt => UpdatedAt: Time,
    }
}

/// The writable fields of a case; on update, an absent field is left as it is.
#[derive(InputObject, Clone, Debug, Default)]
pub struct CaseInput {
    pub name: Option<String>,
    pub description: Option<String>,
    /// The ticket number in the SOC's tracker.
    pub soc_id: MaybeUndefined<String>,
    pub summary: MaybeUndefined<String>,
    pub customer_id: Option<ID>,
    /// Closing sets `closedAt`; reopening clears it.
    pub status: Option<CaseStatus>,
    /// How the case ended.
    pub outcome: Option<CaseOutcome>,
    /// What kind of incident it is (`caseClassifications`); null clears it.
    pub classification_id: MaybeUndefined<i64>,
    /// Free-form attributes: a JSON object (replaced whole).
    pub custom_attributes: MaybeUndefined<Json<serde_json::Value>>,
}

#[derive(InputObject, Clone, Debug)]
pub struct CreateCaseInput {
    pub name: String,
    pub customer_id: ID,
    #[graphql(flatten)]
    pub fields: CaseInput,
}

async fn apply(db: &impl ConnectionTrait, am: &mut case::ActiveModel, f: CaseInput) -> DomainResult<()> {
    set(&mut am.name, req_text("name", f.name, 300)?);
    if let Some(d) = f.description {
        am.description = Set(super::text::optional("description", Some(&d), 100_000)?.unwrap_or_default());
    }
    set_opt(&mut am.soc_id, opt_text("socId", f.soc_id, 100)?);
    set_opt(&mut am.summary, opt_text("summary", f.summary, 100_000)?);
    if let Some(id) = f.customer_id {
        let id = ids::decode("customerId", &id, Kind::Customer)?;
        crud::find::<customer::Entity>(db, "customer", id).await?;
        am.customer_id = Set(id);
    }
    set_opt(
        &mut am.custom_attributes,
        attributes("customAttributes", f.custom_attributes)?,
    );
    match f.classification_id {
        MaybeUndefined::Value(id) => {
            crud::find::<case_classification::Entity>(db, "classification", id).await?;
            am.classification_id = Set(Some(id));
        }
        MaybeUndefined::Null => am.classification_id = Set(None),
        MaybeUndefined::Undefined => {}
    }
    if let Some(outcome) = f.outcome {
        am.outcome = Set(outcome.as_str().into());
    }
    if let Some(status) = f.status {
        let was_closed = am.closed_at.try_as_ref().map(Option::is_some).unwrap_or(false);
        am.status = Set(status.as_str().into());
        match status {
            CaseStatus::Closed if !was_closed => am.closed_at = Set(Some(Utc::now())),
            CaseStatus::Open => am.closed_at = Set(None),
            _ => {}
        }
    }
    Ok(())
}

pub async fn create(
    db: &impl ConnectionTrait,
    input: CreateCaseInput,
    opened_by: Option<i64>,
) -> DomainResult<case::Model> {
    let now = Utc::now();
    if let Some(u) = opened_by {
        crud::find::<user::Entity>(db, "user", u).await?;
    }
    let mut am = case::ActiveModel {
        name: Set(required("name", &input.name, 300)?),
        description: Set(String::new()),
        status: Set(CaseStatus::Open.as_str().into()),
        outcome: Set(CaseOutcome::Unknown.as_str().into()),
        opened_at: Set(now),
        closed_at: Set(None),
        opened_by: Set(opened_by),
        updated_at: Set(now),
        ..Default::default()
    };
    let mut fields = input.fields;
    fields.customer_id = Some(input.customer_id);
    apply(db, &mut am, fields).await?;
    Ok(am.insert(db).await?)
}

pub async fn update(db: &impl ConnectionTrait, id: i64, input: CaseInput) -> DomainResult<case::Model> {
    let mut am: case::ActiveModel = crud::find::<case::Entity>(db, "case", id).await?.into();
    apply(db, &mut am, input).await?;
    am.updated_at = Set(Utc::now());
    Ok(am.update(db).await?)
}

/// Deletes a case and everything it owns (assets, tasks, notes, note groups, timeline,
/// evidences, IOC and alert links) in one transaction. IOCs linked to no other case
/// go with it; an IOC still linked to another case survives.
pub async fn delete(db: &impl TransactionTrait, id: i64) -> DomainResult<()> {
    let tx = db.begin().await?;
    let case = crud::find::<case::Entity>(&tx, "case", id).await?;
    let others = Query::select()
        .column(ioc_case::Column::IocId)
        .from(ioc_case::Entity)
        .and_where(ioc_case::Column::CaseId.ne(id))
        .to_owned();
    let only_here = Query::select()
        .column(ioc_case::Column::IocId)
        .from(ioc_case::Entity)
        .and_where(ioc_case::Column::CaseId.eq(id))
        .to_owned();
    ioc::Entity::delete_many()
        .filter(Expr::col((ioc::Entity, ioc::Column::Id)).in_subquery(only_here))
        .filter(Expr::col((ioc::Entity, ioc::Column::Id)).not_in_subquery(others))
        .exec(&tx)
        .await?;
    let attached: Vec<i64> = case_alert::Entity::find()
        .filter(case_alert::Column::CaseId.eq(id))
        .select_only()
        .column(case_alert::Column::AlertId)
        .into_tuple()
        .all(&tx)
        .await?;
    // Everything else the case owns goes through ON DELETE CASCADE.
    crud::delete::<case::Entity>(&tx, "case", id).await?;
    alert_log::record_cases(&tx, &attached, case.customer_id).await?;
    tx.commit().await?;
    Ok(())
}

/// Attaches alerts to a case (idempotent).
pub async fn attach_alerts(db: &impl TransactionTrait, case_id: i64, alert_ids: &[i64]) -> DomainResult<()> {
    if alert_ids.len() > 1000 {
        return Err(DomainError::bad("alertIds", "at most 1000 alerts at once"));
    }
    let tx = db.begin().await?;
    let case = crud::find::<case::Entity>(&tx, "case", case_id).await?;
    crud::require_all::<alert::Entity>(&tx, "alert", alert_ids).await?;
    if !alert_ids.is_empty() {
        case_alert::Entity::insert_many(alert_ids.iter().map(|a| case_alert::ActiveModel {
            case_id: Set(case_id),
            alert_id: Set(*a),
        }))
        .on_conflict(
            OnConflict::columns([case_alert::Column::CaseId, case_alert::Column::AlertId])
                .do_nothing()
                .to_owned(),
        )
        .exec_without_returning(&tx)
        .await?;
    }
    alert_log::record_cases(&tx, &dedup(alert_ids), case.customer_id).await?;
    tx.commit().await?;
    Ok(())
}

pub async fn detach_alerts(db: &impl ConnectionTrait, case_id: i64, alert_ids: &[i64]) -> DomainResult<()> {
    let case = crud::find::<case::Entity>(db, "case", case_id).await?;
    let attached: Vec<i64> = case_alert::Entity::find()
        .filter(case_alert::Column::CaseId.eq(case_id))
        .filter(case_alert::Column::AlertId.is_in(alert_ids.to_vec()))
        .select_only()
        .column(case_alert::Column::AlertId)
        .into_tuple()
        .all(db)
        .await?;
    case_alert::Entity::delete_many()
        .filter(case_alert::Column::CaseId.eq(case_id))
        .filter(case_alert::Column::AlertId.is_in(attached.clone()))
        .exec(db)
        .await?;
    alert_log::record_cases(db, &attached, case.customer_id).await
}

fn dedup(ids: &[i64]) -> Vec<i64> {
    let mut ids = ids.to_vec();
    ids.sort_unstable();
    ids.dedup();
    ids
}

/// The preference a user's current case is kept as (`domain::preferences`).
const CURRENT: &str = "case.current";

/// The number of the user's current case, if one was chosen.
pub async fn current(db: &impl ConnectionTrait, user_id: i64) -> DomainResult<Option<i64>> {
    let found = super::preferences::get(db, user_id, Some(&[CURRENT.to_string()])).await?;
    Ok(found.first().and_then(|(_, v)| v.as_i64()))
}

/// Makes case `id` the user's current case.
pub async fn make_current(db: &impl ConnectionTrait, user_id: i64, id: i64) -> DomainResult<case::Model> {
    let case = crud::find::<case::Entity>(db, "case", id).await?;
    super::preferences::set(db, user_id, CURRENT, &serde_json::json!(id)).await?;
    Ok(case)
}
