//! IPDR: contexts, queries run in the background (submit, watch, cancel, read the
//! result page by page) and the records where a host's address appears.

use async_graphql::{Context, InputObject, Object, Result, ID};
use chrono::{DateTime, Utc};
use entities::{ipdr_context, ipdr_query, ipdr_query_row, ipdr_record, user, user_ipdr_context};
use sea_orm::sea_query::{Alias, Asterisk, Condition, Expr, Func, Query, SelectStatement, UnionType};
use sea_orm::{ColumnTrait, DatabaseConnection};
use serde::Serialize;

use super::audit::write;
use super::errors::Gql;
use super::loaders::{loader, ById, Paged};
use super::pagination::{edge_connection, edge_count, Conn, PageArgs};
use super::user::{principal, User};
use crate::domain::error::DomainResult;
use crate::domain::filters::{Filter, TimeRange};
use crate::domain::ids::{self, Kind};
use crate::domain::ip;
use crate::domain::ipdr::{
    self, IpdrQueryField, IpdrQueryFilter, IpdrQueryOrder, IpdrRecordField, IpdrRecordFilter, IpdrRecordOrder, Status,
    Submission,
};
use crate::domain::values::{Instant, IpAddr};
use crate::jobs::ipdr::Queue;

/// A partition of IPDR records.
// (Trisul's `contextname`.)
pub struct IpdrContext(pub ipdr_context::Model);

#[Object]
impl IpdrContext {
    async fn name(&self) -> &str {
        &self.0.name
    }
    /// `records` (imported with `pivot import ipdr`) or `flows` (the flows table, read
    /// as records without NAT columns).
    async fn source(&self) -> &str {
        &self.0.source
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
}

/// One IPDR record: who had which address and port, when, and through which NAT.
pub struct IpdrRecord {
    protocol: String,
    src_ip: Vec<u8>,
    src_port: Option<i32>,
    dst_ip: Vec<u8>,
    dst_port: Option<i32>,
    start_time: DateTime<Utc>,
    end_time: Option<DateTime<Utc>>,
    duration: Option<f64>,
    user_id: Option<String>,
    subscriber_id: Option<String>,
    nat_ip: Option<Vec<u8>>,
    nat_port: Option<i32>,
    device_ip: Option<Vec<u8>>,
}

macro_rules! record_from {
    ($($model:path),*) => {$(
        impl From<$model> for IpdrRecord {
            fn from(r: $model) -> Self {
                Self {
                    protocol: r.protocol,
                    src_ip: r.src_ip,
                    src_port: r.src_port,
                    dst_ip: r.dst_ip,
                    dst_port: r.dst_port,
                    start_time: r.start_time,
                    end_time: r.end_time,
                    duration: r.duration,
                    user_id: r.user_id,
                    subscriber_id: r.subscriber_id,
                    nat_ip: r.nat_ip,
                    nat_port: r.nat_port,
                    device_ip: r.device_ip,
                }
            }
        }
    )*};
}
record_from!(ipdr_record::Model, ipdr_query_row::Model);

fn address(key: &[u8]) -> Option<IpAddr> {
    ip::from_key(key).map(IpAddr)
}

#[Object]
impl IpdrRecord {
    /// `TCP`, `UDP`, `ICMP` …
    async fn protocol(&self) -> &str {
        &self.protocol
    }
    async fn src_ip(&self) -> Option<IpAddr> {
        address(&self.src_ip)
    }
    async fn src_port(&self) -> Option<i32> {
        self.src_port
    }
    async fn dst_ip(&self) -> Option<IpAddr> {
        address(&self.dst_ip)
    }
    async fn dst_port(&self) -> Option<i32> {
        self.dst_port
    }
    async fn start_time(&self) -> DateTime<Utc> {
        self.start_time
    }
    async fn end_time(&self) -> Option<DateTime<Utc>> {
        self.end_time
    }
    /// Seconds.
    async fn duration(&self) -> Option<f64> {
        self.duration
    }
    async fn user_id(&self) -> Option<&str> {
        self.user_id.as_deref()
    }
    async fn subscriber_id(&self) -> Option<&str> {
        self.subscriber_id.as_deref()
    }
    /// The public address the subscriber's traffic left through.
    async fn nat_ip(&self) -> Option<IpAddr> {
        self.nat_ip.as_deref().and_then(address)
    }
    async fn nat_port(&self) -> Option<i32> {
        self.nat_port
    }
    /// The reporting device (a CGNAT, say).
    async fn device_ip(&self) -> Option<IpAddr> {
        self.device_ip.as_deref().and_then(address)
    }
}

/// A background lookup of one address in one context within a time window.
pub struct IpdrQuery(pub ipdr_query::Model);

#[Object]
impl IpdrQuery {
    pub async fn id(&self) -> ID {
        ids::encode(Kind::IpdrQuery, self.0.id)
    }
    /// The query's number.
    // (Trisul's `query_id`.)
    async fn number(&self) -> i64 {
        self.0.id
    }
    /// The context's name.
    async fn context(&self, ctx: &Context<'_>) -> Result<String> {
        let found = loader::<ById<ipdr_context::Entity>>(ctx)
            .load_one(self.0.context_id)
            .await
            .gql()?;
        Ok(found.map(|c| c.name).unwrap_or_default())
    }
    async fn ip(&self) -> Option<IpAddr> {
        address(&self.0.ip)
    }
    async fn from(&self) -> DateTime<Utc> {
        self.0.from_time
    }
    async fn to(&self) -> DateTime<Utc> {
        self.0.to_time
    }
    async fn status(&self) -> Status {
        Status::parse(&self.0.status)
    }
    /// Why the query stands as it does when its status does not say it all (why it was
    /// given up); empty otherwise.
    async fn status_message(&self) -> &str {
        &self.0.message
    }
    /// Matching records found so far.
    async fn found(&self) -> i64 {
        self.0.found
    }
    /// How much of the window has been gone through, from 0 to 1 (poll this, with
    /// `status` and `found`, to follow a query).
    async fn progress(&self) -> f64 {
        ipdr::progress(&self.0)
    }
    /// Runs started: more than one when a worker was cut off and another went on.
    async fn attempts(&self) -> i32 {
        self.0.attempts
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    async fn started_at(&self) -> Option<DateTime<Utc>> {
        self.0.started_at
    }
    async fn finished_at(&self) -> Option<DateTime<Utc>> {
        self.0.finished_at
    }
    /// Who submitted it.
    async fn owner(&self, ctx: &Context<'_>) -> Result<Option<User>> {
        Ok(loader::<ById<user::Entity>>(ctx)
            .load_one(self.0.user_id)
            .await
            .gql()?
            .map(User))
    }
    /// Whether the whole result is there to read: the query has finished and none of
    /// its rows has been removed since (by `pivot ipdr prune`, say).
    async fn result_available(&self, ctx: &Context<'_>) -> Result<bool> {
        if !Status::parse(&self.0.status).finished() {
            return Ok(false);
        }
        let kept = edge_count::<RowsOfQuery, RecordsWithin>(ctx, self.0.id, None).await?;
        Ok(kept == self.0.found)
    }
    /// The result: the matching records in the order of their start.
    #[graphql(complexity = "super::pagination::cost(first, None, child_complexity)")]
    async fn records(&self, ctx: &Context<'_>, first: Option<i32>, after: Option<String>) -> Result<Conn<IpdrRecord>> {
        let args = PageArgs::forward(first, after);
        edge_connection::<RowsOfQuery, RecordsWithin, _>(ctx, self.0.id, None, args, IpdrRecord::from).await
    }
}

/// The result rows of queries.
pub struct RowsOfQuery;

impl Paged for RowsOfQuery {
    type E = ipdr_query_row::Entity;
    type Key = i64;
    fn base(keys: Vec<i64>) -> SelectStatement {
        Query::select()
            .column(Asterisk)
            .expr_as(Expr::col(ipdr_query_row::Column::QueryId), Alias::new("pk"))
            .from(ipdr_query_row::Entity)
            .and_where(ipdr_query_row::Column::QueryId.is_in(keys))
            .to_owned()
    }
}

/// The records where hosts' addresses appear: as source, destination, NAT or device
/// address (each record once, whichever it holds the address as).
pub struct RecordsOfHost;

impl Paged for RecordsOfHost {
    type E = ipdr_record::Entity;
    type Key = Vec<u8>;
    fn base(keys: Vec<Vec<u8>>) -> SelectStatement {
        use ipdr_record::Column as C;
        let columns = [C::SrcIp, C::DstIp, C::NatIp, C::DeviceIp];
        let side = |n: usize| {
            let mut s = Query::select();
            s.column(Asterisk)
                .expr_as(Expr::col(columns[n]), Alias::new("pk"))
                .from(ipdr_record::Entity)
                .and_where(columns[n].is_in(keys.clone()));
            // A record that held the address in an earlier column is there already.
            for earlier in &columns[..n] {
                s.and_where(
                    Expr::expr(Func::coalesce([
                        Expr::col(*earlier).into(),
                        Expr::val(Vec::<u8>::new()).into(),
                    ]))
                    .ne(Expr::col(columns[n])),
                );
            }
            s
        };
        let mut out = side(0);
        for n in 1..columns.len() {
            out.union(UnionType::All, side(n));
        }
        out
    }
}

/// The records of some contexts within a time range (used internally: contexts come
/// from the caller's access, not from the client).
#[derive(Serialize)]
pub struct RecordsWithin {
    contexts: Vec<i64>,
    from: Option<DateTime<Utc>>,
    to: Option<DateTime<Utc>>,
}

impl Filter for RecordsWithin {
    fn condition(&self) -> DomainResult<Condition> {
        use ipdr_record::Column as C;
        let mut c = Condition::all().add(C::ContextId.is_in(self.contexts.clone()));
        if let Some(from) = self.from {
            c = c.add(ipdr::ends_from(C::EndTime, C::StartTime, from));
        }
        if let Some(to) = self.to {
            c = c.add(C::StartTime.lt(to));
        }
        Ok(c)
    }
}

/// The IPDR records of `contexts` (or of every context of records the caller reaches)
/// where `key` appears, overlapping `window`.
pub async fn records_of_host(
    ctx: &Context<'_>,
    key: Vec<u8>,
    context: Option<String>,
    window: Option<TimeRange>,
    args: PageArgs,
) -> Result<Conn<IpdrRecord>> {
    let db = ctx.data_unchecked::<DatabaseConnection>();
    let p = principal(ctx)?;
    let contexts: Vec<i64> = match context {
        Some(name) => vec![ipdr::existing_context(db, p, Some(&name)).await.gql()?.id],
        None => ipdr::reachable(db, p).await.gql()?.into_iter().map(|c| c.id).collect(),
    };
    let window = window.unwrap_or_default();
    let filter = RecordsWithin {
        contexts,
        from: window.from.map(|i| i.0),
        to: window.to.map(|i| i.0),
    };
    edge_connection::<RecordsOfHost, _, _>(ctx, key, Some(filter), args, IpdrRecord::from).await
}

use crate::group;

group!(
    ContextLinksOfUser,
    user_ipdr_context::Entity,
    user_ipdr_context::Column::UserId,
    i64
);

/// The IPDR context names a user is limited to (empty: every context).
pub async fn contexts_of_user(ctx: &Context<'_>, user_id: i64) -> Result<Vec<String>> {
    let links = loader::<super::loaders::GroupBy<ContextLinksOfUser>>(ctx)
        .load_one(user_id)
        .await
        .gql()?
        .unwrap_or_default();
    let found = loader::<ById<ipdr_context::Entity>>(ctx)
        .load_many(links.into_iter().map(|l| l.context_id))
        .await
        .gql()?;
    let mut names: Vec<String> = found.into_values().map(|c| c.name).collect();
    names.sort();
    Ok(names)
}

#[derive(Default)]
pub struct IpdrQueryRoot;

#[Object]
impl IpdrQueryRoot {
    /// The IPDR contexts the caller reaches.
    async fn ipdr_contexts(&self, ctx: &Context<'_>) -> Result<Vec<IpdrContext>> {
        let db = ctx.data_unchecked::<DatabaseConnection>();
        let p = principal(ctx)?;
        Ok(ipdr::reachable(db, p)
            .await
            .gql()?
            .into_iter()
            .map(IpdrContext)
            .collect())
    }

    /// The context of this name (`context0` is `default`); null when there is none.
    async fn ipdr_context(&self, ctx: &Context<'_>, name: String) -> Result<Option<IpdrContext>> {
        let db = ctx.data_unchecked::<DatabaseConnection>();
        let p = principal(ctx)?;
        Ok(ipdr::context(db, p, Some(&name)).await.gql()?.map(IpdrContext))
    }
}

crate::listing!(
    IpdrQueryListing, IpdrQuery, IpdrQueryFilter, IpdrQueryField, IpdrQueryOrder, "IpdrQueryAggregate",
    /// IPDR queries that meet `filter`, in `orderBy` order (ties by ID, the way the last field goes; by ID alone,
    /// oldest first, without one: `last` for the newest): the caller's own, or
    /// everyone's for an administrator, in the contexts the caller reaches.
    ipdr_queries,
    /// Counts, groups and time buckets of the IPDR queries that meet `filter`.
    ipdr_queries_aggregate,
    visible = visible_queries,
);

crate::listing!(
    IpdrRecordListing, IpdrRecord via IpdrRecord::from, IpdrRecordFilter, IpdrRecordField, IpdrRecordOrder, "IpdrRecordAggregate",
    /// IPDR records imported into the contexts the caller reaches that meet `filter`, in
    /// `orderBy` order (ties by ID, the way the last field goes). The `flows` context's records are Pivot's flows:
    /// read them with `flows`.
    ipdr_records,
    /// Counts, groups and time buckets of the IPDR records that meet `filter`.
    ipdr_records_aggregate,
    visible = records_in_reach,
);

async fn visible_queries(ctx: &Context<'_>) -> Result<Condition> {
    let db = ctx.data_unchecked::<DatabaseConnection>();
    ipdr::visible_queries(db, principal(ctx)?).await.gql()
}

async fn records_in_reach(ctx: &Context<'_>) -> Result<Condition> {
    let db = ctx.data_unchecked::<DatabaseConnection>();
    let context = (ipdr_record::Entity, ipdr_record::Column::ContextId);
    ipdr::in_reach(db, principal(ctx)?, context).await.gql()
}

/// What `submitIpdrQuery` asks for.
#[derive(InputObject)]
pub struct SubmitIpdrQueryInput {
    /// The context's name; `default` unless given (`context0` is `default`).
    pub context: Option<String>,
    pub ip: IpAddr,
    pub from: Instant,
    pub to: Instant,
}

#[derive(Default)]
pub struct IpdrMutation;

#[Object]
impl IpdrMutation {
    /// Submits a lookup of `ip` in a context within [from, to]; it runs in the
    /// background (follow it with `node(id:)`).
    async fn submit_ipdr_query(&self, ctx: &Context<'_>, input: SubmitIpdrQueryInput) -> Result<IpdrQuery> {
        let p = principal(ctx)?.clone();
        let submission = Submission {
            context: input.context,
            ip: input.ip.0,
            from: input.from.0,
            to: input.to.0,
        };
        let query = write(ctx, move |tx| {
            Box::pin(async move { ipdr::submit(tx, &p, submission).await })
        })
        .await?;
        // Committed: a worker of this process picks it up now.
        if let Some(queue) = ctx.data_opt::<Queue>() {
            queue.submitted();
        }
        Ok(IpdrQuery(query))
    }

    /// Cancels a NEW or INPROGRESS query; its result keeps what was found until then.
    async fn cancel_ipdr_query(&self, ctx: &Context<'_>, id: ID) -> Result<IpdrQuery> {
        let p = principal(ctx)?.clone();
        let n = ids::decode("id", &id, Kind::IpdrQuery).gql()?;
        let query = write(ctx, move |tx| Box::pin(async move { ipdr::cancel(tx, &p, n).await })).await?;
        Ok(IpdrQuery(query))
    }
}
