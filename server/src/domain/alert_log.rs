//! The log of alert changes (table `alert_changes`): written in the transaction that
//! changes alerts, read by the live bus (`crate::live`) in `seq` order.
//!
//! `seq` must be in commit order, or a reader that has seen `seq` 11 would skip a
//! 10 committed after it. SQLite has one writer at a time, so it is. On PostgreSQL
//! every transaction takes one advisory lock right before it appends to the log, and
//! holds it to its commit: appends are serialised, so a later `seq` is never visible
//! before an earlier one. The lock is taken last (after the transaction's other work),
//! so an import holds it only for its final statements.
//!
//! The log keeps the last changes only (the buses [`prune`] it): a subscriber resumes
//! from within it, or reads what it missed with the `alerts` query.

use async_graphql::Enum;
use entities::{alert, alert_change};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DbBackend, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
};

use super::error::DomainResult;

/// The advisory lock key of the log (any constant of Pivot's own: "PIVOTALR").
const LOG_LOCK: i64 = 0x5049_564f_5441_4c52;

/// Appends in statements of at most this many rows (bind-parameter limits).
const ROWS: usize = 5000;
/// Prunes in statements of at most this many `seq`s.
const PRUNE_ROWS: i64 = 10_000;

/// What happened to an alert.
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
#[graphql(name = "AlertChange")]
pub enum Change {
    Created,
    /// Its fields changed (acknowledged, severity, title ...).
    Updated,
    /// Attached to or detached from a case.
    CasesChanged,
    Deleted,
}

impl Change {
    pub fn code(self) -> i16 {
        self as i16
    }

    pub fn from_code(code: i16) -> Option<Self> {
        [Self::Created, Self::Updated, Self::CasesChanged, Self::Deleted]
            .get(usize::try_from(code).ok()?)
            .copied()
    }
}

/// Records that `alerts` underwent `change`, as the last writes of the transaction `tx`
/// (see the module's note on ordering).
pub async fn record(tx: &impl ConnectionTrait, change: Change, alerts: &[i64]) -> DomainResult<()> {
    append(tx, change, alerts, None).await
}

/// Records that `alerts` were attached to or detached from a case of `customer`: only
/// subscribers who may see that customer's cases are told.
pub async fn record_cases(tx: &impl ConnectionTrait, alerts: &[i64], customer: i64) -> DomainResult<()> {
    append(tx, Change::CasesChanged, alerts, Some(customer)).await
}

async fn append(tx: &impl ConnectionTrait, change: Change, alerts: &[i64], customer: Option<i64>) -> DomainResult<()> {
    if alerts.is_empty() {
        return Ok(());
    }
    if tx.get_database_backend() == DbBackend::Postgres {
        tx.execute_unprepared(&format!("SELECT pg_advisory_xact_lock({LOG_LOCK})"))
            .await?;
    }
    for chunk in alerts.chunks(ROWS) {
        alert_change::Entity::insert_many(chunk.iter().map(|&id| alert_change::ActiveModel {
            alert_id: Set(id),
            change: Set(change.code()),
            customer_id: Set(customer),
            ..Default::default()
        }))
        .exec_without_returning(tx)
        .await?;
    }
    Ok(())
}

/// The last `seq` of the log (0 when empty).
pub async fn high_water(db: &impl ConnectionTrait) -> DomainResult<i64> {
    seq_bound(db, alert_change::Column::Seq.max()).await
}

/// The first `seq` the log still holds (0 when empty): [`prune`] removes older ones.
pub async fn oldest(db: &impl ConnectionTrait) -> DomainResult<i64> {
    seq_bound(db, alert_change::Column::Seq.min()).await
}

/// `MIN` or `MAX` of `seq` (each alone in its statement, which SQLite then answers
/// from the primary key's end), 0 when the log is empty.
async fn seq_bound(db: &impl ConnectionTrait, bound: sea_orm::sea_query::SimpleExpr) -> DomainResult<i64> {
    let found = alert_change::Entity::find()
        .select_only()
        .column_as(bound, "bound")
        .into_tuple::<Option<i64>>()
        .one(db)
        .await?;
    Ok(found.flatten().unwrap_or(0))
}

/// Whether changes after `seq` were pruned before a page read after it, starting at
/// `first`, was read: a page that starts right after `seq` lost none; otherwise the
/// log's start tells. PostgreSQL's sequence skips the numbers of rolled-back appends,
/// so a page may start further on without a loss: only a log that starts past
/// `seq + 1` counts (which, at a skipped number, errs towards a loss).
pub async fn pruned_past(db: &impl ConnectionTrait, seq: i64, first: Option<i64>) -> DomainResult<bool> {
    if first == Some(seq + 1) {
        return Ok(false);
    }
    Ok(oldest(db).await? > seq + 1)
}

/// Deletes the changes up to `seq` `through`, oldest first, [`PRUNE_ROWS`] per
/// statement (a SQLite writer waits for each): the number deleted.
pub async fn prune(db: &impl ConnectionTrait, through: i64) -> DomainResult<u64> {
    let mut deleted = 0;
    let first = oldest(db).await?;
    if first == 0 {
        return Ok(0);
    }
    // Deleted so far: everything up to `upto`.
    let mut upto = first - 1;
    while upto < through {
        let from = upto;
        upto = through.min(upto.saturating_add(PRUNE_ROWS));
        // Bounded below too: an index scan from the start would wade through the
        // entries of rows already deleted (PostgreSQL keeps them until a vacuum).
        deleted += alert_change::Entity::delete_many()
            .filter(alert_change::Column::Seq.gt(from))
            .filter(alert_change::Column::Seq.lte(upto))
            .exec(db)
            .await?
            .rows_affected;
    }
    Ok(deleted)
}

/// Up to `limit` changes after `seq` (and up to `until`, if given), oldest first, each
/// with its alert as it is now (none once deleted).
pub async fn after(
    db: &impl ConnectionTrait,
    seq: i64,
    until: Option<i64>,
    limit: u64,
) -> DomainResult<Vec<(alert_change::Model, Option<alert::Model>)>> {
    let mut q = alert_change::Entity::find().filter(alert_change::Column::Seq.gt(seq));
    if let Some(until) = until {
        q = q.filter(alert_change::Column::Seq.lte(until));
    }
    Ok(q.order_by_asc(alert_change::Column::Seq)
        .limit(limit)
        .find_also_related(alert::Entity)
        .all(db)
        .await?)
}

/// The `seq` at which `alert` was created, if the log knows it.
pub async fn created_at_seq(db: &impl ConnectionTrait, alert: i64) -> DomainResult<Option<i64>> {
    Ok(alert_change::Entity::find()
        .filter(alert_change::Column::AlertId.eq(alert))
        .filter(alert_change::Column::Change.eq(Change::Created.code()))
        .one(db)
        .await?
        .map(|c| c.seq))
}
