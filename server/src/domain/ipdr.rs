//! IPDR: contexts and who may reach them, and the queries that look one address up in
//! a context's records within a time window (Trisul's IPDR Query API). A query is a
//! row; the workers of `jobs::ipdr` claim it, copy the matching records into its result
//! a batch at a time, and leave a cursor behind each batch, so that a query cut off by
//! a crash goes on where it stopped. The rules and the SQL are here.
//!
//! What matches: a record of the context whose source, destination, NAT or device
//! address is the queried one, and whose span `[start, end]` (end = start without one)
//! overlaps the window. A record may start before the window and still overlap it: each
//! context keeps its longest span, so the scans stay index ranges on
//! `(context, address, start)` from `from - longest` to `to`.
//!
//! The `flows` context reads Zeek's flows (and every other flow) as records without NAT
//! columns: protocol, addresses, ports, start, end and duration.

use std::net::IpAddr;

use chrono::{DateTime, Duration, Utc};
use entities::{flow, ipdr_context, ipdr_query, ipdr_query_row, ipdr_record, user_ipdr_context};
use sea_orm::sea_query::{Alias, Asterisk, Condition, Expr, Func, Query, SelectStatement, UnionType};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DbBackend, EntityTrait, FromQueryResult, QueryFilter, QueryOrder,
    Statement, TransactionTrait, UpdateMany,
};

use super::error::{DomainError, DomainResult};
use super::ip;
use super::query::{stored, EnumOp, IdOp, IntOp, IpOp, TextOp, TimeOp};
use crate::domain::access::Principal;
use crate::domain::access::{Capability, Level};

pub const DEFAULT_CONTEXT: &str = "default";
/// Trisul's other name of `default`.
pub const DEFAULT_ALIAS: &str = "context0";
/// Sources of a context's records.
pub const SOURCE_RECORDS: &str = "records";
pub const SOURCE_FLOWS: &str = "flows";

/// IPDR queries waiting for a worker, and running (the queue `/metrics` shows).
pub async fn queue_depth(db: &impl ConnectionTrait) -> DomainResult<(u64, u64)> {
    use sea_orm::PaginatorTrait;
    let count = |s: Status| {
        entities::ipdr_query::Entity::find()
            .filter(entities::ipdr_query::Column::Status.eq(s.as_str()))
            .count(db)
    };
    Ok((count(Status::New).await?, count(Status::InProgress).await?))
}

/// Where a query stands.
// (The names are Trisul's.)
#[derive(async_graphql::Enum, Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[graphql(name = "IpdrQueryStatus")]
pub enum Status {
    /// Submitted, waiting for a worker.
    #[graphql(name = "NEW")]
    New,
    /// A worker is copying its matching records.
    #[graphql(name = "INPROGRESS")]
    InProgress,
    /// Every matching record is in its result.
    #[graphql(name = "COMPLETED")]
    Completed,
    /// Stopped by its owner (or given up on); the result holds what was found until then.
    #[graphql(name = "CANCELED")]
    Canceled,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::New => "NEW",
            Self::InProgress => "INPROGRESS",
            Self::Completed => "COMPLETED",
            Self::Canceled => "CANCELED",
        }
    }

    pub fn parse(s: &str) -> Self {
        match s {
            "INPROGRESS" => Self::InProgress,
            "COMPLETED" => Self::Completed,
            "CANCELED" => Self::Canceled,
            _ => Self::New,
        }
    }

    /// Whether its result can be read (what it holds will not change any more).
    pub fn finished(self) -> bool {
        matches!(self, Self::Completed | Self::Canceled)
    }
}

/// A claimed query is given up (CANCELED with a reason) after this many runs that did
/// not finish: a query that crashes its worker must not crash every replica in turn.
pub const MAX_ATTEMPTS: i32 = 5;

/// The stored name a context is asked for by (`context0` and none are `default`).
pub fn canonical_name(name: Option<&str>) -> &str {
    match name.map(str::trim) {
        None | Some("") | Some(DEFAULT_ALIAS) => DEFAULT_CONTEXT,
        Some(n) => n,
    }
}

/// A context's name as stored, owned ([`canonical_name`] of a given name).
pub fn context_name(name: &str) -> String {
    canonical_name(Some(name)).to_string()
}

/// Administrators see every user's queries.
pub fn is_admin(p: &Principal) -> bool {
    p.can(Capability::Users, Level::Write)
}

/// Which IPDR queries: conditions on their fields, composed with `and`, `or` and `not`.
#[derive(async_graphql::InputObject, serde::Serialize, Clone, Debug, Default)]
pub struct IpdrQueryFilter {
    pub and: Option<Vec<IpdrQueryFilter>>,
    pub or: Option<Vec<IpdrQueryFilter>>,
    pub not: Option<Box<IpdrQueryFilter>>,
    /// The context's name (`context0` is `default`).
    pub context: Option<TextOp>,
    /// Who submitted it.
    pub user_id: Option<IdOp>,
    /// The address looked up.
    pub ip: Option<IpOp>,
    /// The window's start.
    pub from: Option<TimeOp>,
    /// The window's end.
    pub to: Option<TimeOp>,
    pub status: Option<EnumOp<Status>>,
    pub found: Option<IntOp>,
    pub submitted_at: Option<TimeOp>,
    pub finished_at: Option<TimeOp>,
}

crate::where_impl!(IpdrQueryFilter, ipdr_query::Entity, |f, c| {
    use ipdr_query::Column as C;
    let context = stored(&f.context, context_name);
    c.on_related::<ipdr_context::Entity, _>(
        "context",
        &context,
        C::ContextId,
        ipdr_context::Column::Id,
        ipdr_context::Column::Name,
    )?;
    c.on_id("userId", &f.user_id, super::ids::Kind::User, C::UserId)?;
    c.on("ip", &f.ip, C::Ip)?;
    c.on("from", &f.from, C::FromTime)?;
    c.on("to", &f.to, C::ToTime)?;
    c.on("status", &f.status, C::Status)?;
    c.on("found", &f.found, C::Found)?;
    c.on("submittedAt", &f.submitted_at, C::CreatedAt)?;
    c.on("finishedAt", &f.finished_at, C::FinishedAt)?;
});

crate::fields! {
    /// The fields IPDR queries sort, group and bucket by.
    IpdrQueryField, IpdrQueryOrder for ipdr_query {
        Context => ContextId: Int,
        User => UserId: Int,
        Ip => Ip: Ip,
        From => FromTime: Time,
        To => ToTime: Time,
        Status => Status: Text,
        Found => Found: Int,
        SubmittedAt => CreatedAt: Time,
        FinishedAt => FinishedAt: Time,
    }
}

/// Which IPDR records: conditions on their fields, composed with `and`, `or` and `not`.
#[derive(async_graphql::InputObject, serde::Serialize, Clone, Debug, Default)]
pub struct IpdrRecordFilter {
    pub and: Option<Vec<IpdrRecordFilter>>,
    pub or: Option<Vec<IpdrRecordFilter>>,
    pub not: Option<Box<IpdrRecordFilter>>,
    /// The context's name (`context0` is `default`).
    pub context: Option<TextOp>,
    /// `tcp`, `udp`, `icmp` ... as recorded.
    pub protocol: Option<TextOp>,
    /// The source, destination, NAT or device address meets it.
    pub ip: Option<IpOp>,
    pub src_ip: Option<IpOp>,
    pub src_port: Option<IntOp>,
    pub dst_ip: Option<IpOp>,
    pub dst_port: Option<IntOp>,
    pub nat_ip: Option<IpOp>,
    pub nat_port: Option<IntOp>,
    pub device_ip: Option<IpOp>,
    /// The subscriber's user name, as recorded.
    pub user_id: Option<TextOp>,
    pub subscriber_id: Option<TextOp>,
    pub start_time: Option<TimeOp>,
    pub end_time: Option<TimeOp>,
}

crate::where_impl!(IpdrRecordFilter, ipdr_record::Entity, |f, c| {
    use ipdr_record::Column as C;
    let context = stored(&f.context, context_name);
    c.on_related::<ipdr_context::Entity, _>(
        "context",
        &context,
        C::ContextId,
        ipdr_context::Column::Id,
        ipdr_context::Column::Name,
    )?;
    c.on("protocol", &f.protocol, C::Protocol)?;
    c.on_any("ip", &f.ip, &[C::SrcIp, C::DstIp, C::NatIp, C::DeviceIp])?;
    c.on("srcIp", &f.src_ip, C::SrcIp)?;
    c.on_port("srcPort", &f.src_port, &[C::SrcPort])?;
    c.on("dstIp", &f.dst_ip, C::DstIp)?;
    c.on_port("dstPort", &f.dst_port, &[C::DstPort])?;
    c.on("natIp", &f.nat_ip, C::NatIp)?;
    c.on_port("natPort", &f.nat_port, &[C::NatPort])?;
    c.on("deviceIp", &f.device_ip, C::DeviceIp)?;
    c.on("userId", &f.user_id, C::UserId)?;
    c.on("subscriberId", &f.subscriber_id, C::SubscriberId)?;
    c.on("startTime", &f.start_time, C::StartTime)?;
    c.on("endTime", &f.end_time, C::EndTime)?;
});

crate::fields! {
    /// The fields IPDR records sort, group and bucket by.
    IpdrRecordField, IpdrRecordOrder for ipdr_record {
        Context => ContextId: Int,
        Protocol => Protocol: Text,
        SrcIp => SrcIp: Ip,
        SrcPort => SrcPort: Int,
        DstIp => DstIp: Ip,
        DstPort => DstPort: Int,
        NatIp => NatIp: Ip,
        DeviceIp => DeviceIp: Ip,
        UserId => UserId: Text,
        SubscriberId => SubscriberId: Text,
        StartTime => StartTime: Time,
        EndTime => EndTime: Time,
    }
}

/// The rows of `E` (queries or records, by their `context` column) in the contexts `p`
/// reaches.
pub async fn in_reach(
    db: &impl ConnectionTrait,
    p: &Principal,
    context: impl sea_orm::sea_query::IntoColumnRef,
) -> DomainResult<Condition> {
    Ok(match limits(db, p.user.id).await? {
        Some(ids) => Condition::all().add(Expr::col(context).is_in(ids)),
        None => Condition::all(),
    })
}

/// The IPDR queries `p` may read: its own (every one for an administrator), in the
/// contexts it reaches.
pub async fn visible_queries(db: &impl ConnectionTrait, p: &Principal) -> DomainResult<Condition> {
    let mut c = in_reach(db, p, (ipdr_query::Entity, ipdr_query::Column::ContextId)).await?;
    if !is_admin(p) {
        c = c.add(ipdr_query::Column::UserId.eq(p.user.id));
    }
    Ok(c)
}

/// The contexts a user is limited to; `None`: every context.
pub async fn limits(db: &impl ConnectionTrait, user_id: i64) -> DomainResult<Option<Vec<i64>>> {
    let ids: Vec<i64> = user_ipdr_context::Entity::find()
        .filter(user_ipdr_context::Column::UserId.eq(user_id))
        .all(db)
        .await?
        .into_iter()
        .map(|l| l.context_id)
        .collect();
    Ok((!ids.is_empty()).then_some(ids))
}

/// The contexts `p` may reach, by name.
pub async fn reachable(db: &impl ConnectionTrait, p: &Principal) -> DomainResult<Vec<ipdr_context::Model>> {
    let mut select = ipdr_context::Entity::find().order_by_asc(ipdr_context::Column::Name);
    if let Some(ids) = limits(db, p.user.id).await? {
        select = select.filter(ipdr_context::Column::Id.is_in(ids));
    }
    Ok(select.all(db).await?)
}

/// The context `name` (see [`canonical_name`]), if it exists; `Forbidden` when `p` is
/// limited to other contexts.
pub async fn context(
    db: &impl ConnectionTrait,
    p: &Principal,
    name: Option<&str>,
) -> DomainResult<Option<ipdr_context::Model>> {
    let stored = canonical_name(name);
    let Some(context) = ipdr_context::Entity::find()
        .filter(ipdr_context::Column::Name.eq(stored))
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    if limits(db, p.user.id)
        .await?
        .is_some_and(|ids| !ids.contains(&context.id))
    {
        let asked = name.map(str::trim).filter(|n| !n.is_empty()).unwrap_or(DEFAULT_CONTEXT);
        return Err(DomainError::Forbidden(format!("no access to the IPDR context {asked}")));
    }
    Ok(Some(context))
}

/// Whether `p` may import into the context `name`: anyone with IPDR write access,
/// except that a user limited to some contexts writes only into those (never into a
/// new one).
pub async fn may_import_into(db: &impl ConnectionTrait, p: &Principal, name: Option<&str>) -> DomainResult<()> {
    if context(db, p, name).await?.is_none() && limits(db, p.user.id).await?.is_some() {
        return Err(DomainError::Forbidden(format!(
            "no access to the IPDR context {}: you may import only into the contexts you are limited to",
            canonical_name(name)
        )));
    }
    Ok(())
}

/// A timezone given by name (an IANA name such as Europe/Paris); none when blank.
pub fn timezone(field: &str, name: Option<&str>) -> DomainResult<Option<chrono_tz::Tz>> {
    match name.map(str::trim).filter(|n| !n.is_empty()) {
        None => Ok(None),
        Some(n) => n.parse().map(Some).map_err(|_| {
            DomainError::bad(
                field,
                format!("must be an IANA timezone name such as Europe/Paris, not {n:?}"),
            )
        }),
    }
}

/// [`context`], which must exist (`NOT_FOUND` otherwise).
pub async fn existing_context(
    db: &impl ConnectionTrait,
    p: &Principal,
    name: Option<&str>,
) -> DomainResult<ipdr_context::Model> {
    let asked = name.map(str::trim).filter(|n| !n.is_empty()).unwrap_or(DEFAULT_CONTEXT);
    context(db, p, name)
        .await?
        .ok_or_else(|| DomainError::not_found(format!("IPDR context {asked}")))
}

/// Limits a user to the contexts named (an empty list lifts the limit).
pub async fn limit_user(db: &impl ConnectionTrait, user_id: i64, names: &[String]) -> DomainResult<()> {
    let mut ids = Vec::with_capacity(names.len());
    for name in names {
        let stored = canonical_name(Some(name));
        let found = ipdr_context::Entity::find()
            .filter(ipdr_context::Column::Name.eq(stored))
            .one(db)
            .await?
            .ok_or_else(|| DomainError::bad("input.ipdrContexts", format!("there is no IPDR context {name:?}")))?;
        ids.push(found.id);
    }
    ids.sort_unstable();
    ids.dedup();
    user_ipdr_context::Entity::delete_many()
        .filter(user_ipdr_context::Column::UserId.eq(user_id))
        .exec(db)
        .await?;
    if !ids.is_empty() {
        user_ipdr_context::Entity::insert_many(ids.into_iter().map(|context_id| user_ipdr_context::ActiveModel {
            user_id: Set(user_id),
            context_id: Set(context_id),
        }))
        .exec_without_returning(db)
        .await?;
    }
    Ok(())
}

/// What a new query asks.
#[derive(Clone, Debug)]
pub struct Submission {
    /// The context's name (none: `default`).
    pub context: Option<String>,
    pub ip: IpAddr,
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
}

/// Records a new query of `p`'s, NEW: a worker picks it up.
pub async fn submit(db: &impl ConnectionTrait, p: &Principal, s: Submission) -> DomainResult<ipdr_query::Model> {
    if s.to < s.from {
        return Err(DomainError::bad("input.to", "must not be before from"));
    }
    let context = existing_context(db, p, s.context.as_deref()).await?;
    // Flows read as records are still flows.
    if context.source == SOURCE_FLOWS && !p.can(Capability::Flows, Level::Read) {
        return Err(DomainError::Forbidden(format!(
            "no access to the IPDR context {}: its records are flows",
            context.name
        )));
    }
    let model = ipdr_query::ActiveModel {
        user_id: Set(p.user.id),
        context_id: Set(context.id),
        ip: Set(ip::to_key(s.ip)),
        from_time: Set(s.from),
        to_time: Set(s.to),
        status: Set(Status::New.as_str().into()),
        message: Set(String::new()),
        found: Set(0),
        attempts: Set(0),
        created_at: Set(Utc::now()),
        ..Default::default()
    };
    Ok(ipdr_query::Entity::insert(model).exec_with_returning(db).await?)
}

/// Why a query is refused to someone not allowed to see it ([`may_see`]).
pub const NOT_YOURS: &str = "only its owner and administrators may see an IPDR query";

/// Whether `p` may see query `q`: its owner and administrators may, within the
/// contexts they reach (an administrator limited to some contexts is limited too).
pub async fn may_see(db: &impl ConnectionTrait, p: &Principal, q: &ipdr_query::Model) -> DomainResult<bool> {
    if q.user_id != p.user.id && !is_admin(p) {
        return Ok(false);
    }
    Ok(limits(db, p.user.id)
        .await?
        .is_none_or(|ids| ids.contains(&q.context_id)))
}

/// Query `id`, if it exists; `Forbidden` when `p` may not see it.
pub async fn query(db: &impl ConnectionTrait, p: &Principal, id: i64) -> DomainResult<Option<ipdr_query::Model>> {
    match ipdr_query::Entity::find_by_id(id).one(db).await? {
        Some(q) if !may_see(db, p, &q).await? => Err(DomainError::Forbidden(NOT_YOURS.into())),
        found => Ok(found),
    }
}

/// Cancels a NEW or INPROGRESS query: its worker stops after the batch it is on (that
/// batch is not written), and its result keeps what was found before.
pub async fn cancel(db: &impl ConnectionTrait, p: &Principal, id: i64) -> DomainResult<ipdr_query::Model> {
    query(db, p, id)
        .await?
        .ok_or_else(|| DomainError::not_found(format!("IPDR query {id}")))?;
    let done = set_status(ipdr_query::Entity::update_many(), Status::Canceled, "")
        .filter(ipdr_query::Column::Id.eq(id))
        .filter(ipdr_query::Column::Status.is_in([Status::New.as_str(), Status::InProgress.as_str()]))
        .exec(db)
        .await?;
    if done.rows_affected == 0 {
        return Err(DomainError::Conflict(
            "only a NEW or INPROGRESS query can be canceled".into(),
        ));
    }
    super::crud::find::<ipdr_query::Entity>(db, "IPDR query", id).await
}

/// How much of the window a query has gone through, from 0 to 1.
pub fn progress(q: &ipdr_query::Model) -> f64 {
    match Status::parse(&q.status) {
        Status::Completed => 1.0,
        Status::New => 0.0,
        _ => {
            let Some(at) = q.cursor_time else { return 0.0 };
            let span = (q.to_time - q.from_time).num_milliseconds().max(1) as f64;
            ((at - q.from_time).num_milliseconds() as f64 / span).clamp(0.0, 1.0)
        }
    }
}

// --- Partitions and retention --------------------------------------------------------

/// Months of range partitions kept ready before the current one (and one after it).
pub const PARTITION_MONTHS_BACK: i32 = 12;

/// The first instant of the month `offset` months from the month of `t` (UTC).
fn month_start(t: DateTime<Utc>, offset: i32) -> DateTime<Utc> {
    use chrono::{Datelike, TimeZone};
    let months = t.year() * 12 + t.month0() as i32 + offset;
    Utc.with_ymd_and_hms(months.div_euclid(12), months.rem_euclid(12) as u32 + 1, 1, 0, 0, 0)
        .single()
        .expect("the first of a month exists")
}

fn partition_name(start: DateTime<Utc>) -> String {
    format!("ipdr_records_p{}", start.format("%Y%m"))
}

/// The monthly partitions of `ipdr_records` there are (PostgreSQL), by name, oldest first.
async fn partitions(db: &impl ConnectionTrait) -> DomainResult<Vec<String>> {
    Ok(db
        .query_all(Statement::from_string(
            DbBackend::Postgres,
            "SELECT c.relname AS name FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid \
             JOIN pg_class p ON p.oid = i.inhparent \
             WHERE p.relname = 'ipdr_records' AND c.relname LIKE 'ipdr_records_p%' ORDER BY c.relname",
        ))
        .await?
        .iter()
        .filter_map(|r| r.try_get::<String>("", "name").ok())
        .collect())
}

/// The monthly range partitions of `ipdr_records` on PostgreSQL: from
/// [`PARTITION_MONTHS_BACK`] months before `now` to the month after it. Records outside
/// land in the DEFAULT partition. Each missing month is created in a short transaction
/// of its own, before an import's (creating one locks the table for a moment, and
/// cannot wait for a transaction that is writing into it); a month the DEFAULT
/// partition already holds records of is left to it. SQLite has one table: nothing to do.
pub async fn ensure_partitions<C: ConnectionTrait + TransactionTrait>(db: &C, now: DateTime<Utc>) -> DomainResult<()> {
    if db.get_database_backend() != DbBackend::Postgres {
        return Ok(());
    }
    let existing = partitions(db).await?;
    for offset in -PARTITION_MONTHS_BACK..=1 {
        let (start, end) = (month_start(now, offset), month_start(now, offset + 1));
        let name = partition_name(start);
        if existing.contains(&name) || default_holds(db, start, end).await? {
            continue;
        }
        let tx = db.begin().await?;
        let created = tx
            .execute_unprepared(&format!(
                "CREATE TABLE IF NOT EXISTS {name} PARTITION OF ipdr_records FOR VALUES FROM ('{}') TO ('{}')",
                start.to_rfc3339(),
                end.to_rfc3339()
            ))
            .await;
        match created {
            Ok(_) => tx.commit().await?,
            Err(e) => tracing::warn!(partition = name, error = %e, "IPDR partition left to the default one"),
        }
    }
    Ok(())
}

/// Whether the DEFAULT partition holds records of [start, end): a partition for them
/// cannot be created (nor should the attempt lock the table every import).
async fn default_holds(db: &impl ConnectionTrait, start: DateTime<Utc>, end: DateTime<Utc>) -> DomainResult<bool> {
    let row = db
        .query_one(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "SELECT EXISTS (SELECT 1 FROM ipdr_records_default WHERE start_time >= $1 AND start_time < $2) AS held",
            [start.into(), end.into()],
        ))
        .await?;
    Ok(row.map(|r| r.try_get::<bool>("", "held")).transpose()?.unwrap_or(false))
}

/// What [`prune`] removed.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Pruned {
    /// Whole monthly partitions dropped (PostgreSQL).
    pub partitions: u64,
    /// Records deleted one by one (from partly older partitions, the default one, SQLite).
    pub records: u64,
}

/// Removes the IPDR records that started before `before`: on PostgreSQL whole monthly
/// partitions that end by then are dropped (no row by row deletion), the rest deleted.
/// Query results are copies and stay.
pub async fn prune<C: ConnectionTrait + TransactionTrait>(db: &C, before: DateTime<Utc>) -> DomainResult<Pruned> {
    let mut pruned = Pruned::default();
    if db.get_database_backend() == DbBackend::Postgres {
        // Names are fixed-width months: a month ends by `before` when it comes before
        // the month `before` falls in.
        let first_kept = partition_name(month_start(before, 0));
        for name in partitions(db).await?.into_iter().filter(|n| *n < first_kept) {
            db.execute_unprepared(&format!("DROP TABLE {name}")).await?;
            pruned.partitions += 1;
        }
    }
    let deleted = ipdr_record::Entity::delete_many()
        .filter(ipdr_record::Column::StartTime.lt(before))
        .exec(db)
        .await?;
    pruned.records = deleted.rows_affected;
    Ok(pruned)
}

// --- The workers' side -------------------------------------------------------------

/// Claims the oldest NEW query, or an INPROGRESS one whose worker has not been heard of
/// since `stale_before` (it crashed or was cut off), for `worker`. On PostgreSQL,
/// `FOR UPDATE SKIP LOCKED` lets the workers of several replicas claim side by side;
/// on SQLite the statement holds the database's one write lock.
pub async fn claim(
    db: &impl ConnectionTrait,
    worker: &str,
    stale_before: DateTime<Utc>,
) -> DomainResult<Option<ipdr_query::Model>> {
    let backend = db.get_database_backend();
    let now = Utc::now();
    // One statement on both backends: SQLite numbers its parameters `?N`, and needs no
    // row lock (its write lock serialises claims).
    let (mark, lock) = match backend {
        DbBackend::Postgres => ("$", " FOR UPDATE SKIP LOCKED"),
        _ => ("?", ""),
    };
    let sql = format!(
        "UPDATE ipdr_queries SET status = 'INPROGRESS', message = {mark}1, claimed_by = {mark}2, \
         heartbeat_at = {mark}3, started_at = COALESCE(started_at, {mark}3), attempts = attempts + 1 \
         WHERE id = (SELECT id FROM ipdr_queries WHERE status = 'NEW' \
         OR (status = 'INPROGRESS' AND heartbeat_at < {mark}4) ORDER BY id LIMIT 1{lock}) \
         RETURNING *"
    );
    let statement = Statement::from_sql_and_values(
        backend,
        sql,
        ["".into(), worker.into(), now.into(), stale_before.into()],
    );
    Ok(ipdr_query::Model::find_by_statement(statement).one(db).await?)
}

/// An update of query `id` that changes it only while `worker` holds it.
fn held(id: i64, worker: &str) -> UpdateMany<ipdr_query::Entity> {
    ipdr_query::Entity::update_many()
        .filter(ipdr_query::Column::Id.eq(id))
        .filter(ipdr_query::Column::Status.eq(Status::InProgress.as_str()))
        .filter(ipdr_query::Column::ClaimedBy.eq(worker))
}

/// `update` also moves the query to `status` with `message` (empty: the status says
/// it all; else why, as when a query is given up), out of any worker's hands;
/// COMPLETED and CANCELED finish it now.
fn set_status(update: UpdateMany<ipdr_query::Entity>, status: Status, message: &str) -> UpdateMany<ipdr_query::Entity> {
    let update = update
        .col_expr(ipdr_query::Column::Status, Expr::value(status.as_str()))
        .col_expr(ipdr_query::Column::Message, Expr::value(message))
        .col_expr(ipdr_query::Column::ClaimedBy, Expr::value(Option::<String>::None));
    match status {
        Status::Completed | Status::Canceled => {
            update.col_expr(ipdr_query::Column::FinishedAt, Expr::value(Utc::now()))
        }
        Status::New | Status::InProgress => update,
    }
}

/// Renews the heartbeat of a query `worker` holds.
pub async fn heartbeat(db: &impl ConnectionTrait, id: i64, worker: &str) -> DomainResult<()> {
    held(id, worker)
        .col_expr(ipdr_query::Column::HeartbeatAt, Expr::value(Utc::now()))
        .exec(db)
        .await?;
    Ok(())
}

/// Gives a query `worker` holds up: CANCELED, with `why`.
pub async fn give_up(db: &impl ConnectionTrait, q: &ipdr_query::Model, worker: &str, why: &str) -> DomainResult<()> {
    set_status(held(q.id, worker), Status::Canceled, why).exec(db).await?;
    Ok(())
}

/// Hands a claimed query back (its run failed): NEW again, for any worker to retry.
pub async fn release(db: &impl ConnectionTrait, q: &ipdr_query::Model, worker: &str) -> DomainResult<()> {
    set_status(held(q.id, worker), Status::New, "").exec(db).await?;
    Ok(())
}

/// One batch of a query's matches, in (start, id) order, and where the next begins.
pub struct Batch {
    pub rows: Vec<ipdr_query_row::ActiveModel>,
    /// The (start, id) of the last record: the next batch starts after it.
    pub cursor: Option<(DateTime<Utc>, i64)>,
}

/// The next `limit` matches of query `q` in `context` after its cursor.
pub async fn next_batch(
    db: &impl ConnectionTrait,
    q: &ipdr_query::Model,
    context: &ipdr_context::Model,
    limit: u64,
) -> DomainResult<Batch> {
    let backend = db.get_database_backend();
    let after = match (q.cursor_time, q.cursor_id) {
        (Some(t), Some(id)) => Some((t, id)),
        _ => None,
    };
    if context.source == SOURCE_FLOWS {
        let statement = flows_lookup(q, after, limit);
        let flows = flow::Model::find_by_statement(backend.build(&statement))
            .all(db)
            .await?;
        let cursor = flows.last().map(|f| (f.started_at, f.id));
        let rows = flows.into_iter().map(|f| row_of_flow(q.id, f)).collect();
        return Ok(Batch { rows, cursor });
    }
    let statement = records_lookup(q, context, after, limit);
    let records = ipdr_record::Model::find_by_statement(backend.build(&statement))
        .all(db)
        .await?;
    let cursor = records.last().map(|r| (r.start_time, r.id));
    let rows = records.into_iter().map(|r| row_of_record(q.id, r)).collect();
    Ok(Batch { rows, cursor })
}

/// `coalesce(end, start) >= from`: the record (or flow) has not ended before `from`.
pub fn ends_from<C: sea_orm::ColumnTrait>(end: C, start: C, from: DateTime<Utc>) -> sea_orm::sea_query::SimpleExpr {
    Expr::expr(Func::coalesce([Expr::col(end).into(), Expr::col(start).into()])).gte(from)
}

/// The earliest start of a record that can overlap a window beginning at `from`.
fn earliest_start(from: DateTime<Utc>, longest_seconds: f64) -> DateTime<Utc> {
    let back = Duration::milliseconds((longest_seconds.max(0.0) * 1000.0).ceil().min(1e15) as i64);
    from.checked_sub_signed(back).unwrap_or(from)
}

/// One index range scan per address column, each in (start, id) order and at most
/// `limit` long, merged without duplicates (a record may hold the address twice).
pub fn records_lookup(
    q: &ipdr_query::Model,
    context: &ipdr_context::Model,
    after: Option<(DateTime<Utc>, i64)>,
    limit: u64,
) -> SelectStatement {
    use ipdr_record::Column as C;
    let lowest = earliest_start(q.from_time, context.longest_seconds);
    let (from_start, after_id) = match after {
        Some((t, id)) => (t.max(lowest), Some((t, id))),
        None => (lowest, None),
    };
    let branch = |column: C, n: usize| {
        let mut s = Query::select();
        s.column(Asterisk)
            .from(ipdr_record::Entity)
            .and_where(C::ContextId.eq(context.id))
            .and_where(Expr::col(column).eq(q.ip.clone()))
            .and_where(C::StartTime.gte(from_start))
            .and_where(C::StartTime.lte(q.to_time))
            .and_where(ends_from(C::EndTime, C::StartTime, q.from_time));
        if let Some((t, id)) = after_id {
            s.cond_where(Condition::any().add(C::StartTime.gt(t)).add(C::Id.gt(id)));
        }
        s.order_by(C::StartTime, sea_orm::Order::Asc)
            .order_by(C::Id, sea_orm::Order::Asc)
            .limit(limit);
        // Wrapped: SQLite takes no ORDER BY or LIMIT on a member of a UNION.
        Query::select()
            .column(Asterisk)
            .from_subquery(s, Alias::new(format!("b{n}")))
            .to_owned()
    };
    let mut union = branch(C::SrcIp, 0);
    for (n, column) in [C::DstIp, C::NatIp, C::DeviceIp].into_iter().enumerate() {
        union.union(UnionType::Distinct, branch(column, n + 1));
    }
    Query::select()
        .column(Asterisk)
        .from_subquery(union, Alias::new("matches"))
        .order_by(Alias::new("start_time"), sea_orm::Order::Asc)
        .order_by(Alias::new("id"), sea_orm::Order::Asc)
        .limit(limit)
        .to_owned()
}

/// Flows with the address at either end that overlap the window. Flows are indexed by
/// address alone, so the scan reads every flow of the address.
fn flows_lookup(q: &ipdr_query::Model, after: Option<(DateTime<Utc>, i64)>, limit: u64) -> SelectStatement {
    use flow::Column as C;
    let mut s = Query::select();
    s.column(Asterisk)
        .from(flow::Entity)
        .cond_where(
            Condition::any()
                .add(C::SrcIp.eq(q.ip.clone()))
                .add(C::DstIp.eq(q.ip.clone())),
        )
        .and_where(C::StartedAt.lte(q.to_time))
        .and_where(ends_from(C::EndedAt, C::StartedAt, q.from_time));
    if let Some((t, id)) = after {
        s.and_where(C::StartedAt.gte(t))
            .cond_where(Condition::any().add(C::StartedAt.gt(t)).add(C::Id.gt(id)));
    }
    s.order_by(C::StartedAt, sea_orm::Order::Asc)
        .order_by(C::Id, sea_orm::Order::Asc)
        .limit(limit)
        .to_owned()
}

fn row_of_record(query_id: i64, r: ipdr_record::Model) -> ipdr_query_row::ActiveModel {
    ipdr_query_row::ActiveModel {
        query_id: Set(query_id),
        protocol: Set(r.protocol),
        src_ip: Set(r.src_ip),
        src_port: Set(r.src_port),
        dst_ip: Set(r.dst_ip),
        dst_port: Set(r.dst_port),
        start_time: Set(r.start_time),
        end_time: Set(r.end_time),
        duration: Set(r.duration),
        user_id: Set(r.user_id),
        subscriber_id: Set(r.subscriber_id),
        nat_ip: Set(r.nat_ip),
        nat_port: Set(r.nat_port),
        device_ip: Set(r.device_ip),
        ..Default::default()
    }
}

fn row_of_flow(query_id: i64, f: flow::Model) -> ipdr_query_row::ActiveModel {
    let duration = f
        .ended_at
        .map(|end| (end - f.started_at).num_milliseconds() as f64 / 1000.0);
    ipdr_query_row::ActiveModel {
        query_id: Set(query_id),
        protocol: Set(f.protocol.to_ascii_uppercase()),
        src_ip: Set(f.src_ip),
        src_port: Set(f.src_port),
        dst_ip: Set(f.dst_ip),
        dst_port: Set(f.dst_port),
        start_time: Set(f.started_at),
        end_time: Set(f.ended_at),
        duration: Set(duration),
        user_id: Set(None),
        subscriber_id: Set(None),
        nat_ip: Set(None),
        nat_port: Set(None),
        device_ip: Set(None),
        ..Default::default()
    }
}

/// Result rows per insert statement (14 values each: far below the bind limits).
const ROWS_PER_INSERT: usize = 1000;

/// Writes a batch into the result of query `q` and moves its cursor, in one
/// transaction, if `worker` still holds the query; `done` completes it. `false` when it
/// is not held any more (canceled, or claimed by another worker after a stall): then
/// nothing is written.
pub async fn write_batch<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    q: &ipdr_query::Model,
    worker: &str,
    batch: Batch,
    done: bool,
) -> DomainResult<bool> {
    let tx = db.begin().await?;
    let n = batch.rows.len() as i64;
    // The claim is checked (and on PostgreSQL the row locked) before anything is written.
    let mut update = held(q.id, worker)
        .col_expr(ipdr_query::Column::Found, Expr::col(ipdr_query::Column::Found).add(n))
        .col_expr(ipdr_query::Column::HeartbeatAt, Expr::value(Utc::now()));
    if let Some((t, id)) = batch.cursor {
        update = update
            .col_expr(ipdr_query::Column::CursorTime, Expr::value(t))
            .col_expr(ipdr_query::Column::CursorId, Expr::value(id));
    }
    if done {
        update = set_status(update, Status::Completed, "");
    }
    if update.exec(&tx).await?.rows_affected == 0 {
        return Ok(false);
    }
    let mut rows = batch.rows.into_iter().peekable();
    while rows.peek().is_some() {
        let chunk: Vec<_> = rows.by_ref().take(ROWS_PER_INSERT).collect();
        ipdr_query_row::Entity::insert_many(chunk)
            .exec_without_returning(&tx)
            .await?;
    }
    tx.commit().await?;
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;
    use sea_orm::sea_query::{PostgresQueryBuilder, SqliteQueryBuilder};

    fn query() -> ipdr_query::Model {
        let at = |s: &str| DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc);
        ipdr_query::Model {
            id: 1,
            user_id: 1,
            context_id: 1,
            ip: ip::to_key("100.64.0.1".parse().unwrap()),
            from_time: at("2026-04-01T00:00:00Z"),
            to_time: at("2026-04-01T23:59:59Z"),
            status: "INPROGRESS".into(),
            message: String::new(),
            found: 0,
            cursor_time: None,
            cursor_id: None,
            claimed_by: None,
            heartbeat_at: None,
            attempts: 1,
            created_at: at("2026-04-02T00:00:00Z"),
            started_at: None,
            finished_at: None,
        }
    }

    fn context(longest: f64) -> ipdr_context::Model {
        ipdr_context::Model {
            id: 7,
            name: "ipdr".into(),
            created_at: Utc::now(),
            longest_seconds: longest,
            source: SOURCE_RECORDS.into(),
        }
    }

    #[test]
    fn windows_reach_back_by_the_longest_record() {
        let q = query();
        let lowest = earliest_start(q.from_time, 3600.0);
        assert_eq!((q.from_time - lowest).num_seconds(), 3600);
        assert_eq!(earliest_start(q.from_time, 0.0), q.from_time);
        // Absurd spans do not overflow.
        assert!(earliest_start(q.from_time, f64::MAX) <= q.from_time);
    }

    #[test]
    fn lookups_are_four_ranges_merged() {
        let q = query();
        let sql = records_lookup(&q, &context(60.0), None, 500).to_string(SqliteQueryBuilder);
        for column in ["src_ip", "dst_ip", "nat_ip", "device_ip"] {
            assert!(sql.contains(&format!("\"{column}\" = ")), "{sql}");
        }
        assert_eq!(sql.matches(" UNION ").count(), 3, "{sql}");
        assert!(!sql.contains("UNION ALL"), "duplicates merge: {sql}");
        assert!(sql.contains("'2026-03-31 23:59:00"), "a minute back: {sql}");
        let pg = records_lookup(&q, &context(60.0), Some((q.from_time, 9)), 500).to_string(PostgresQueryBuilder);
        assert!(pg.contains("\"id\" > 9"), "{pg}");
    }

    #[test]
    fn progress_follows_the_cursor() {
        let mut q = query();
        assert_eq!(progress(&q), 0.0);
        q.cursor_time = Some(q.from_time + (q.to_time - q.from_time) / 2);
        assert!((progress(&q) - 0.5).abs() < 0.01);
        q.status = "COMPLETED".into();
        assert_eq!(progress(&q), 1.0);
    }

    #[test]
    fn months_and_their_partitions() {
        let at = |s: &str| DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc);
        let now = at("2026-12-15T10:00:00Z");
        assert_eq!(month_start(now, 0), at("2026-12-01T00:00:00Z"));
        assert_eq!(month_start(now, 1), at("2027-01-01T00:00:00Z"));
        assert_eq!(month_start(now, -12), at("2025-12-01T00:00:00Z"));
        assert_eq!(partition_name(month_start(now, -11)), "ipdr_records_p202601");
    }

    #[test]
    fn context_names() {
        assert_eq!(canonical_name(None), "default");
        assert_eq!(canonical_name(Some("context0")), "default");
        assert_eq!(canonical_name(Some(" ipdr ")), "ipdr");
    }
}
