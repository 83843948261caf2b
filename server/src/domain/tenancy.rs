//! Customers as tenants. A user limited to some customers sees only their cases and
//! what is reached through them (IOCs, assets, notes, tasks, timeline, evidences):
//! everything else of that family is, to that user, as if it did not exist. The rule
//! is one condition per table ([`Scoped`]), applied by the loaders every edge and
//! `node(id:)` go through, by every root connection, and to every ID a mutation names.

use std::sync::Arc;

use entities::*;
use sea_orm::sea_query::{Condition, Query, SelectStatement};
use sea_orm::{ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder};

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

/// A table whose rows belong to customers.
pub trait Scoped: EntityTrait {
    /// The condition for rows of these customers; `None` for tables every user sees.
    fn within(_customers: &[i64]) -> Option<Condition> {
        None
    }
}

/// `SELECT id FROM cases WHERE customer_id IN (...)`.
fn cases_of(customers: &[i64]) -> SelectStatement {
    Query::select()
        .column(case::Column::Id)
        .from(case::Entity)
        .and_where(case::Column::CustomerId.is_in(customers.to_vec()))
        .to_owned()
}

impl Scoped for customer::Entity {
    fn within(customers: &[i64]) -> Option<Condition> {
        Some(Condition::all().add(customer::Column::Id.is_in(customers.to_vec())))
    }
}

impl Scoped for case::Entity {
    fn within(customers: &[i64]) -> Option<Condition> {
        Some(Condition::all().add(case::Column::CustomerId.is_in(customers.to_vec())))
    }
}

impl Scoped for ioc::Entity {
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

/// Tables owned by one case.
macro_rules! owned_by_case {
    ($($entity:ident),*) => {$(
        impl Scoped for $entity::Entity {
            fn within(customers: &[i64]) -> Option<Condition> {
                Some(Condition::all().add($entity::Column::CaseId.in_subquery(cases_of(customers))))
            }
        }
    )*};
}
owned_by_case!(asset, timeline_event, evidence, note_group, ioc_case, case_alert);

/// Tables whose rows may belong to a case (then they follow it) or to none (a note
/// about a host, a task of no case: seen by all).
macro_rules! maybe_owned_by_case {
    ($($entity:ident),*) => {$(
        impl Scoped for $entity::Entity {
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
maybe_owned_by_case!(task, note);

macro_rules! unscoped {
    ($($entity:ident),*) => {$( impl Scoped for $entity::Entity {} )*};
}
unscoped!(
    host_script,
    os_match,
    port_sighting,
    trace_hop,
    alert,
    analysis_status,
    api_token,
    asset_type,
    audit_event,
    device,
    dns_record,
    flow,
    host,
    hostname,
    ioc_asset,
    network,
    note_revision,
    port,
    scan,
    script_result,
    service,
    session,
    timeline_event_asset,
    user,
    user_customer,
    ipdr_context,
    ipdr_query,
    ipdr_query_row,
    ipdr_record,
    user_ipdr_context
);

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

/// Whether the object with this global ID exists within the scope (objects of tables
/// every user sees are not checked here).
async fn visible<E: Scoped>(db: &impl ConnectionTrait, scope: &Scope, id: i64) -> DomainResult<bool>
where
    E::Model: Sync,
{
    Ok(E::find()
        .filter(crud::id_column::<E>().eq(id))
        .filter(scope.condition::<E>())
        .count(db)
        .await?
        > 0)
}

/// Fails with `NOT_FOUND` (as if it did not exist) when `field` names an object
/// outside the scope.
pub async fn require_visible(db: &impl ConnectionTrait, scope: &Scope, field: &str, id: &str) -> DomainResult<()> {
    if scope.customers().is_none() {
        return Ok(());
    }
    let Ok((kind, n)) = ids::decode_any(field, id) else {
        return Ok(());
    };
    // Named as the domain names a missing object, so that the two read the same.
    let (seen, what) = match kind {
        Kind::Customer => (visible::<customer::Entity>(db, scope, n).await?, "customer"),
        Kind::Case => (visible::<case::Entity>(db, scope, n).await?, "case"),
        Kind::Ioc => (visible::<ioc::Entity>(db, scope, n).await?, "IOC"),
        Kind::Asset => (visible::<asset::Entity>(db, scope, n).await?, "asset"),
        Kind::Task => (visible::<task::Entity>(db, scope, n).await?, "task"),
        Kind::TimelineEvent => (visible::<timeline_event::Entity>(db, scope, n).await?, "timeline event"),
        Kind::Evidence => (visible::<evidence::Entity>(db, scope, n).await?, "evidence"),
        Kind::NoteGroup => (visible::<note_group::Entity>(db, scope, n).await?, "note group"),
        Kind::Note => (visible::<note::Entity>(db, scope, n).await?, "note"),
        _ => (true, ""),
    };
    if seen {
        Ok(())
    } else {
        Err(DomainError::not_found(format!("{what} {n}")))
    }
}
