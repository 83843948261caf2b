//! Customers as tenants. A user limited to some customers sees only their cases and
//! what is reached through them (IOCs, assets, notes, tasks, timeline, evidences):
//! everything else of that family is, to that user, as if it did not exist. The rule
//! is one condition per table ([`Scoped`]), applied by the loaders every edge and
//! `node(id:)` go through, by every root connection, and to every ID a mutation names.

use std::sync::Arc;

use entities::*;
use sea_orm::sea_query::{Condition, Expr, Query, SelectStatement};
use sea_orm::{ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};

use super::crud;
use super::error::{DomainError, DomainResult};
use super::ids::{self, Kind};

/// The customers a request may see: all of them, or some.
#[derive(Clone, Debug, Default)]
pub struct Scope(Option<Arc<[i64]>>);

impl Scope {
    pub fn everything() -> Self {
        Self(None)
    }

    pub fn customers(&self) -> Option<&[i64]> {
        self.0.as_deref()
    }

    /// The condition rows of `E` must meet to be seen.
    pub fn condition<E: Scoped>(&self) -> Condition {
        match &self.0 {
            None => Condition::all(),
            Some(ids) => E::within(ids).unwrap_or_else(Condition::all),
        }
    }
}

/// A table, and whether its rows belong to customers. Every table has a rule, and a
/// test (`tests/tests/blackbox/security.rs`, `s4_tenancy_rules_follow_the_foreign_keys`) checks the rules against the foreign keys of the migrated
/// database: a table that reaches `customers` through its references must be scoped,
/// so a new path to a customer's data cannot be forgotten.
pub trait Scoped: EntityTrait {
    /// Whether the rows belong to customers (then [`Scoped::within`] says which).
    const OWNED: bool;

    /// The condition for rows of these customers; `None` for tables every user sees.
    fn within(customers: &[i64]) -> Option<Condition>;
}

/// `SELECT id FROM cases WHERE customer_id IN (...)`.
fn cases_of(customers: &[i64]) -> SelectStatement {
    Query::select()
        .column(case::Column::Id)
        .from(case::Entity)
        .and_where(case::Column::CustomerId.is_in(customers.to_vec()))
        .to_owned()
}

/// `SELECT id FROM E WHERE <E's rule>`: the rows of `E` these customers' users see;
/// `None` when every user sees every row.
fn ids_within<E: Scoped>(customers: &[i64]) -> Option<SelectStatement> {
    let condition = E::within(customers)?;
    Some(
        Query::select()
            .column(crud::id_column::<E>())
            .from(E::default())
            .cond_where(condition)
            .to_owned(),
    )
}

/// The rows of the table behind `kind` that these customers' users see (`None`: all).
/// The match is exhaustive, so a new kind of node must say where it belongs.
fn kind_within(kind: Kind, customers: &[i64]) -> Option<SelectStatement> {
    match kind {
        Kind::Host => ids_within::<host::Entity>(customers),
        Kind::Port => ids_within::<port::Entity>(customers),
        Kind::Scan => ids_within::<scan::Entity>(customers),
        Kind::Flow => ids_within::<flow::Entity>(customers),
        Kind::Alert => ids_within::<alert::Entity>(customers),
        Kind::AlertPcap => ids_within::<alert_pcap::Entity>(customers),
        Kind::Customer => ids_within::<customer::Entity>(customers),
        Kind::Case => ids_within::<case::Entity>(customers),
        Kind::Ioc => ids_within::<ioc::Entity>(customers),
        Kind::Note => ids_within::<note::Entity>(customers),
        Kind::NoteGroup => ids_within::<note_group::Entity>(customers),
        Kind::Asset => ids_within::<asset::Entity>(customers),
        Kind::AssetType => ids_within::<asset_type::Entity>(customers),
        Kind::Task => ids_within::<task::Entity>(customers),
        Kind::TimelineEvent => ids_within::<timeline_event::Entity>(customers),
        Kind::Evidence => ids_within::<evidence::Entity>(customers),
        Kind::Device => ids_within::<device::Entity>(customers),
        Kind::Network => ids_within::<network::Entity>(customers),
        Kind::Service => ids_within::<service::Entity>(customers),
        Kind::DnsRecord => ids_within::<dns_record::Entity>(customers),
        Kind::User => ids_within::<user::Entity>(customers),
        Kind::ApiToken => ids_within::<api_token::Entity>(customers),
        Kind::AuditEvent => ids_within::<audit_event::Entity>(customers),
        Kind::IpdrQuery => ids_within::<ipdr_query::Entity>(customers),
        Kind::Import => ids_within::<import::Entity>(customers),
    }
}

impl Scoped for customer::Entity {
    const OWNED: bool = true;
    fn within(customers: &[i64]) -> Option<Condition> {
        Some(Condition::all().add(customer::Column::Id.is_in(customers.to_vec())))
    }
}

impl Scoped for case::Entity {
    const OWNED: bool = true;
    fn within(customers: &[i64]) -> Option<Condition> {
        Some(Condition::all().add(case::Column::CustomerId.is_in(customers.to_vec())))
    }
}

impl Scoped for ioc::Entity {
    const OWNED: bool = true;
    /// An IOC is seen through any case it is linked to.
    fn within(customers: &[i64]) -> Option<Condition> {
        let links = Query::select()
            .column(ioc_case::Column::IocId)
            .from(ioc_case::Entity)
            .and_where(ioc_case::Column::CaseId.in_subquery(cases_of(customers)))
            .to_owned();
        Some(Condition::all().add(ioc::Column::Id.in_subquery(links)))
    }
}

impl Scoped for note::Entity {
    const OWNED: bool = true;
    /// A note follows its case, if it has one, and its subject: a note about a customer,
    /// an IOC or anything else that belongs to customers is seen where its subject is.
    /// The subject's rule is that of its kind's table ([`kind_within`]), so a new kind
    /// of subject brings its rule along. Notes are never about notes.
    fn within(customers: &[i64]) -> Option<Condition> {
        let case = Condition::any()
            .add(note::Column::CaseId.is_null())
            .add(note::Column::CaseId.in_subquery(cases_of(customers)));
        let subject = Kind::ALL
            .iter()
            .filter(|k| **k != Kind::Note)
            .fold(Condition::any(), |any, kind| {
                let of_kind = Condition::all().add(note::Column::SubjectType.eq(kind.name()));
                any.add(match kind_within(*kind, customers) {
                    Some(ids) => of_kind.add(note::Column::SubjectId.in_subquery(ids)),
                    None => of_kind,
                })
            });
        Some(Condition::all().add(case).add(subject))
    }
}

/// Tables owned by one case.
macro_rules! owned_by_case {
    ($($entity:ident),*) => {$(
        impl Scoped for $entity::Entity {
            const OWNED: bool = true;
            fn within(customers: &[i64]) -> Option<Condition> {
                Some(Condition::all().add($entity::Column::CaseId.in_subquery(cases_of(customers))))
            }
        }
    )*};
}
owned_by_case!(
    asset,
    timeline_event,
    evidence,
    note_group,
    ioc_case,
    case_alert,
    case_object_state,
    case_activity
);

/// Tables whose rows may belong to a case (then they follow it) or to none (a task of
/// no case: seen by all).
macro_rules! maybe_owned_by_case {
    ($($entity:ident),*) => {$(
        impl Scoped for $entity::Entity {
            const OWNED: bool = true;
            fn within(customers: &[i64]) -> Option<Condition> {
                Some(
                    Condition::any()
                        .add($entity::Column::CaseId.is_null())
                        .add($entity::Column::CaseId.in_subquery(cases_of(customers))),
                )
            }
        }
    )*};
}
maybe_owned_by_case!(task);

/// Tables whose rows follow a row of another scoped table (`table: parent by column`).
macro_rules! follows {
    ($($entity:ident: $parent:ident by $column:ident),* $(,)?) => {$(
        impl Scoped for $entity::Entity {
            const OWNED: bool = true;
            fn within(customers: &[i64]) -> Option<Condition> {
                let parents = ids_within::<$parent::Entity>(customers)?;
                Some(Condition::all().add($entity::Column::$column.in_subquery(parents)))
            }
        }
    )*};
}
follows!(
    note_revision: note by NoteId,
    ioc_asset: asset by AssetId,
    timeline_event_asset: timeline_event by EventId,
    task_assignee: task by TaskId,
);

/// Tables every user sees (within their capabilities), or that only administrators
/// and their owners reach (`users`, tokens, sessions, the audit log, the links of
/// users to customers and IPDR contexts): none of them belongs to a customer.
macro_rules! unscoped {
    ($($entity:ident),*) => {$(
        impl Scoped for $entity::Entity {
            const OWNED: bool = false;
            fn within(_customers: &[i64]) -> Option<Condition> {
                None
            }
        }
    )*};
}
unscoped!(
    host_script,
    os_match,
    port_sighting,
    port_tally,
    trace_hop,
    alert,
    alert_pcap,
    alert_change,
    analysis_status,
    api_token,
    asset_type,
    audit_event,
    case_classification,
    event_category,
    ioc_type,
    device,
    dns_record,
    flow,
    host,
    hostname,
    network,
    port,
    scan,
    script_result,
    service,
    session,
    user,
    user_customer,
    ipdr_context,
    ipdr_query,
    ipdr_query_row,
    ipdr_record,
    user_ipdr_context,
    user_preference,
    import,
    host_import
);

/// Every table with whether its rows belong to customers, for the test that checks
/// the rules against the database's foreign keys.
pub fn tables() -> Vec<(String, bool)> {
    fn row<E: Scoped + Default>() -> (String, bool) {
        (sea_orm::EntityName::table_name(&E::default()).to_string(), E::OWNED)
    }
    vec![
        row::<customer::Entity>(),
        row::<case::Entity>(),
        row::<ioc::Entity>(),
        row::<note::Entity>(),
        row::<asset::Entity>(),
        row::<timeline_event::Entity>(),
        row::<evidence::Entity>(),
        row::<task_assignee::Entity>(),
        row::<case_object_state::Entity>(),
        row::<case_activity::Entity>(),
        row::<note_group::Entity>(),
        row::<ioc_case::Entity>(),
        row::<case_alert::Entity>(),
        row::<task::Entity>(),
        row::<note_revision::Entity>(),
        row::<ioc_asset::Entity>(),
        row::<timeline_event_asset::Entity>(),
        row::<host_script::Entity>(),
        row::<os_match::Entity>(),
        row::<port_sighting::Entity>(),
        row::<port_tally::Entity>(),
        row::<trace_hop::Entity>(),
        row::<alert::Entity>(),
        row::<alert_pcap::Entity>(),
        row::<alert_change::Entity>(),
        row::<analysis_status::Entity>(),
        row::<api_token::Entity>(),
        row::<asset_type::Entity>(),
        row::<audit_event::Entity>(),
        row::<case_classification::Entity>(),
        row::<event_category::Entity>(),
        row::<ioc_type::Entity>(),
        row::<device::Entity>(),
        row::<dns_record::Entity>(),
        row::<flow::Entity>(),
        row::<host::Entity>(),
        row::<hostname::Entity>(),
        row::<network::Entity>(),
        row::<port::Entity>(),
        row::<scan::Entity>(),
        row::<script_result::Entity>(),
        row::<service::Entity>(),
        row::<session::Entity>(),
        row::<user::Entity>(),
        row::<user_customer::Entity>(),
        row::<ipdr_context::Entity>(),
        row::<ipdr_query::Entity>(),
        row::<ipdr_query_row::Entity>(),
        row::<ipdr_record::Entity>(),
        row::<user_ipdr_context::Entity>(),
        row::<user_preference::Entity>(),
        row::<import::Entity>(),
        row::<host_import::Entity>(),
    ]
}

/// The customers a user is limited to (none: every customer).
pub async fn of_user(db: &impl ConnectionTrait, user_id: i64) -> DomainResult<Scope> {
    let ids: Vec<i64> = user_customer::Entity::find()
        .filter(user_customer::Column::UserId.eq(user_id))
        .order_by_asc(user_customer::Column::CustomerId)
        .all(db)
        .await?
        .into_iter()
        .map(|l| l.customer_id)
        .collect();
    Ok(Scope(if ids.is_empty() { None } else { Some(ids.into()) }))
}

/// Limits a user to these customers (an empty list lifts the limit).
pub async fn limit_user(db: &impl ConnectionTrait, user_id: i64, customers: &[i64]) -> DomainResult<()> {
    crud::require_all::<customer::Entity>(db, "customer", customers).await?;
    user_customer::Entity::delete_many()
        .filter(user_customer::Column::UserId.eq(user_id))
        .exec(db)
        .await?;
    let mut wanted = customers.to_vec();
    wanted.sort_unstable();
    wanted.dedup();
    if !wanted.is_empty() {
        user_customer::Entity::insert_many(wanted.into_iter().map(|customer_id| user_customer::ActiveModel {
            user_id: Set(user_id),
            customer_id: Set(customer_id),
        }))
        .exec_without_returning(db)
        .await?;
    }
    Ok(())
}

/// Fails with `NOT_FOUND` (as if it did not exist) when `field` names an object
/// outside the scope. Every kind is checked by its table's rule.
pub async fn require_visible(db: &impl ConnectionTrait, scope: &Scope, field: &str, id: &str) -> DomainResult<()> {
    let Some(customers) = scope.customers() else {
        return Ok(());
    };
    let Ok((kind, n)) = ids::decode_any(field, id) else {
        return Ok(());
    };
    let Some(ids) = kind_within(kind, customers) else {
        return Ok(());
    };
    let seen = Query::select()
        .expr(Expr::val(1))
        .and_where(Expr::val(n).in_subquery(ids))
        .to_owned();
    let backend = db.get_database_backend();
    if db.query_one(backend.build(&seen)).await?.is_some() {
        Ok(())
    } else {
        // Named as the domain names a missing object, so that the two read the same.
        Err(DomainError::not_found(format!("{} {n}", missing_name(kind))))
    }
}

/// How the domain names a missing object of `kind` ("IOC 3 not found").
fn missing_name(kind: Kind) -> &'static str {
    match kind {
        Kind::Customer => "customer",
        Kind::Case => "case",
        Kind::Ioc => "IOC",
        Kind::Asset => "asset",
        Kind::Task => "task",
        Kind::TimelineEvent => "timeline event",
        Kind::Evidence => "evidence",
        Kind::NoteGroup => "note group",
        Kind::Note => "note",
        other => other.name(),
    }
}
