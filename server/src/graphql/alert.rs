//! Alerts, and the alerts of a host (as source or destination).

use std::collections::HashMap;
use std::sync::Arc;

use async_graphql::{Context, Object, Result, Subscription, ID};
use chrono::{DateTime, Utc};
use entities::{alert, flow};
use futures_util::stream::BoxStream;
use futures_util::StreamExt;
use sea_orm::sea_query::SelectStatement;
use sea_orm::DatabaseConnection;

use super::audit::write;
use super::batching::BatchLoad;
use super::case::{cases_of_alert, Case};
use super::errors::{coded, Gql, BAD_USER_INPUT, FORBIDDEN, INTERNAL, NOT_FOUND};
use super::flow::{by_either_end, host_at, Flow};
use super::host::Host;
use super::inventory::{device_of, network_of, Device, Network};
use super::loaders::{loader, ById, LoadError, Paged};
use crate::domain::access::Principal;
use crate::domain::access::{Capability, Level};
use crate::domain::alert_log::{self, Change};
use crate::domain::alerts::{self, AlertField, AlertFilter, AlertInput, AlertOrder, CreateAlertInput, Severity};
use crate::domain::filters::Filter;
use crate::domain::ids::{self, Kind};
use crate::domain::ip;
use crate::domain::pcaps::{self, PcapInfo};
use crate::domain::values::IpAddr;
use crate::live::bus;
use crate::live::groups::Grouped;
use crate::live::subscription::{Setup, Spec};
use crate::live::{Event, Feed};

/// The alerts of hosts, keyed by address.
pub struct AlertsOfHost;

impl Paged for AlertsOfHost {
    type E = alert::Entity;
    type Key = Vec<u8>;
    fn base(keys: Vec<Vec<u8>>) -> SelectStatement {
        by_either_end::<alert::Entity>(alert::Column::SrcIp, alert::Column::DstIp, keys)
    }
}

/// The packet capture of alerts, keyed by alert: what it holds, not its bytes.
pub struct PcapOfAlert(DatabaseConnection);

impl PcapOfAlert {
    /// Alerts are seen by every user with the alerts capability: no scope.
    pub fn new(db: DatabaseConnection, _scope: crate::domain::tenancy::Scope) -> Self {
        Self(db)
    }
}

impl BatchLoad for PcapOfAlert {
    type Key = i64;
    type Value = PcapInfo;

    async fn load(&self, keys: &[i64]) -> Result<HashMap<i64, PcapInfo>, LoadError> {
        Ok(pcaps::of_alerts(&self.0, keys).await?)
    }
}

/// The packets a sensor captured with an alert, as a libpcap file.
pub struct AlertPcap(PcapInfo);

#[Object]
impl AlertPcap {
    async fn id(&self) -> ID {
        ids::encode(Kind::AlertPcap, self.0.id)
    }
    async fn packets(&self) -> i32 {
        self.0.packets
    }
    /// Bytes of packet data, without the file's headers.
    async fn bytes(&self) -> i64 {
        self.0.bytes
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    /// Where the file downloads (`application/vnd.tcpdump.pcap`), with the same
    /// credentials as this API.
    async fn url(&self) -> String {
        format!("/alerts/{}/pcap", ids::encode(Kind::Alert, self.0.alert_id).0)
    }
}

pub struct Alert(pub alert::Model);

#[Object]
impl Alert {
    pub async fn id(&self) -> ID {
        ids::encode(Kind::Alert, self.0.id)
    }
    /// `host`, `flow`, `network`, `server`, `interface`, `mac`, `system`, `user` ...
    async fn kind(&self) -> &str {
        &self.0.kind
    }
    #[graphql(name = "type")]
    async fn alert_type(&self) -> &str {
        &self.0.alert_type
    }
    async fn severity(&self) -> Severity {
        Severity::from_rank(self.0.severity)
    }
    async fn score(&self) -> i32 {
        self.0.score
    }
    async fn title(&self) -> &str {
        &self.0.title
    }
    async fn message(&self) -> Option<&str> {
        self.0.message.as_deref()
    }
    async fn occurred_at(&self) -> DateTime<Utc> {
        self.0.occurred_at
    }
    async fn src_ip(&self) -> Option<IpAddr> {
        self.0.src_ip.as_deref().and_then(ip::from_key).map(IpAddr)
    }
    async fn dst_ip(&self) -> Option<IpAddr> {
        self.0.dst_ip.as_deref().and_then(ip::from_key).map(IpAddr)
    }
    async fn src_port(&self) -> Option<i32> {
        self.0.src_port
    }
    async fn dst_port(&self) -> Option<i32> {
        self.0.dst_port
    }
    /// The host at the source address, when Pivot knows it.
    async fn src_host(&self, ctx: &Context<'_>) -> Result<Option<Host>> {
        match &self.0.src_ip {
            Some(key) => host_at(ctx, key).await,
            None => Ok(None),
        }
    }
    async fn dst_host(&self, ctx: &Context<'_>) -> Result<Option<Host>> {
        match &self.0.dst_ip {
            Some(key) => host_at(ctx, key).await,
            None => Ok(None),
        }
    }
    async fn flow(&self, ctx: &Context<'_>) -> Result<Option<Flow>> {
        let Some(id) = self.0.flow_id else {
            return Ok(None);
        };
        Ok(loader::<ById<flow::Entity>>(ctx).load_one(id).await.gql()?.map(Flow))
    }
    /// The import that brought it, if it was imported.
    async fn import(&self, ctx: &Context<'_>) -> Result<Option<super::import::Import>> {
        super::import::import_of(ctx, self.0.import_id).await
    }
    async fn sensor(&self) -> Option<&str> {
        self.0.sensor.as_deref()
    }
    /// The packet capture the sensor logged with the alert; deleted with it.
    async fn pcap(&self, ctx: &Context<'_>) -> Result<Option<AlertPcap>> {
        let info = loader::<PcapOfAlert>(ctx).load_one(self.0.id).await.gql()?;
        Ok(info.map(AlertPcap))
    }
    async fn src_mac(&self) -> Option<&str> {
        self.0.src_mac.as_deref()
    }
    async fn dst_mac(&self) -> Option<&str> {
        self.0.dst_mac.as_deref()
    }
    /// The host a server alert was logged by.
    async fn hostname(&self) -> Option<&str> {
        self.0.hostname.as_deref()
    }
    /// The device at the source: by MAC, else the one last seen at the address.
    async fn src_device(&self, ctx: &Context<'_>) -> Result<Option<Device>> {
        match &self.0.src_ip {
            Some(key) => device_of(ctx, self.0.src_mac.as_deref(), key).await,
            None => Ok(None),
        }
    }
    async fn dst_device(&self, ctx: &Context<'_>) -> Result<Option<Device>> {
        match &self.0.dst_ip {
            Some(key) => device_of(ctx, self.0.dst_mac.as_deref(), key).await,
            None => Ok(None),
        }
    }
    /// The network holding the source address.
    async fn src_network(&self, ctx: &Context<'_>) -> Result<Option<Network>> {
        match &self.0.src_ip {
            Some(key) => network_of(ctx, key).await,
            None => Ok(None),
        }
    }
    async fn dst_network(&self, ctx: &Context<'_>) -> Result<Option<Network>> {
        match &self.0.dst_ip {
            Some(key) => network_of(ctx, key).await,
            None => Ok(None),
        }
    }
    async fn acknowledged(&self) -> bool {
        self.0.acknowledged
    }
    /// Cases the alert is attached to.
    async fn cases(&self, ctx: &Context<'_>) -> Result<Vec<Case>> {
        cases_of_alert(ctx, self.0.id).await
    }
}

crate::listing!(
    AlertListing, Alert, AlertFilter, AlertField, AlertOrder, "AlertAggregate",
    /// Alerts that meet `filter`, in `orderBy` order (ties by ID, the way the last field goes; by ID alone, the order
    /// of arrival, without one); `last` pages from the end.
    alerts,
    /// Counts, groups and time buckets of the alerts that meet `filter`.
    alerts_aggregate,
);

#[derive(Default)]
pub struct AlertMutation;

#[Object]
impl AlertMutation {
    async fn create_alert(&self, ctx: &Context<'_>, input: CreateAlertInput) -> Result<Alert> {
        write(ctx, move |tx| Box::pin(async move { alerts::create(tx, input).await }))
            .await
            .map(Alert)
    }
    async fn update_alert(&self, ctx: &Context<'_>, id: ID, input: AlertInput) -> Result<Alert> {
        let id = ids::decode("id", &id, Kind::Alert).gql()?;
        write(ctx, move |tx| {
            Box::pin(async move { alerts::update(tx, id, input).await })
        })
        .await
        .map(Alert)
    }
    /// Sets (or clears) the acknowledged flag of alerts; returns how many were found.
    async fn acknowledge_alerts(
        &self,
        ctx: &Context<'_>,
        ids: Vec<ID>,
        #[graphql(default = true)] acknowledged: bool,
    ) -> Result<i64> {
        let ids = ids::decode_all("ids", &ids, Kind::Alert).gql()?;
        let n = write(ctx, move |tx| {
            Box::pin(async move { alerts::acknowledge(tx, &ids, acknowledged).await })
        })
        .await?;
        Ok(n as i64)
    }
    /// Deletes an alert. One attached to cases is evidence: `CONFLICT` names the cases,
    /// unless `fromCases` asks to delete it from them too (audited like every mutation).
    async fn delete_alert(
        &self,
        ctx: &Context<'_>,
        id: ID,
        #[graphql(default = false)] from_cases: bool,
    ) -> Result<ID> {
        let n = ids::decode("id", &id, Kind::Alert).gql()?;
        let scope = super::pagination::scope(ctx);
        write(ctx, move |tx| {
            Box::pin(async move { alerts::delete(tx, n, from_cases, &scope).await })
        })
        .await?;
        Ok(id)
    }
}

/// A change of an alert, as `alertUpdated` sends it.
pub struct AlertUpdate(pub Arc<Event>);

#[Object]
impl AlertUpdate {
    /// Where this change sits in the stream: pass it as `after` to resume after it.
    async fn cursor(&self) -> String {
        bus::encode_cursor(self.0.seq)
    }
    async fn change(&self) -> Change {
        self.0.change
    }
    async fn alert_id(&self) -> ID {
        ids::encode(Kind::Alert, self.0.alert_id)
    }
    /// The alert as it is now; none once deleted.
    async fn alert(&self) -> Option<Alert> {
        self.0.alert.clone().map(Alert)
    }
}

#[derive(Default)]
pub struct AlertSubscription;

/// Checks a subscription for the transport opening it (which then follows the bus
/// itself, see `crate::live::subscription`), or, in a group's execution, the events
/// the group resolves.
enum Follow {
    Checked,
    Grouped(BoxStream<'static, Arc<Event>>),
}

/// In a group's execution: its events. Otherwise checks the subscription (`spec`,
/// which only runs here) and records it for the transport, or refuses a transport that
/// cannot follow the bus (plain HTTP).
async fn follow(ctx: &Context<'_>, spec: impl std::future::Future<Output = Result<Spec>>) -> Result<Follow> {
    if let Some(events) = ctx.data_opt::<Grouped>().and_then(Grouped::take) {
        return Ok(Follow::Grouped(events));
    }
    let Some(setup) = ctx.data_opt::<Setup>() else {
        return Err(coded(
            "subscriptions are served over WebSocket at /graphql/ws (or as server-sent events at /alerts/stream)",
            BAD_USER_INPUT,
        ));
    };
    setup.record(spec.await?);
    Ok(Follow::Checked)
}

fn checked(filter: Option<AlertFilter>) -> Result<AlertFilter> {
    let filter = filter.unwrap_or_default();
    filter.condition().gql()?;
    Ok(filter)
}

/// The access extension does not see subscription fields: they are checked here, as
/// it would check them, before anything else.
fn may_subscribe(ctx: &Context<'_>) -> Result<()> {
    let may = ctx
        .data_opt::<Principal>()
        .is_some_and(|p| p.can(Capability::Alerts, Level::Read));
    if may {
        Ok(())
    } else {
        Err(coded(
            format!("{}: needs read access to alerts", ctx.field().name()),
            FORBIDDEN,
        ))
    }
}

#[Subscription]
impl AlertSubscription {
    /// Alerts as their transactions commit, filtered like `alerts`. With `after` (the
    /// ID of the last alert received), first the alerts committed since then. Ends with
    /// an error when the subscriber falls behind (`OVERFLOW`, with `missed` and
    /// `resumeAfter` in its extensions) or may no longer read alerts.
    async fn alert_created(
        &self,
        ctx: &Context<'_>,
        filter: Option<AlertFilter>,
        after: Option<ID>,
    ) -> Result<BoxStream<'static, Result<Alert>>> {
        may_subscribe(ctx)?;
        let spec = async {
            let resume = after.as_ref().map(|id| id.to_string());
            let after = match &after {
                Some(id) => {
                    let n = ids::decode("after", id, Kind::Alert).gql()?;
                    let db = ctx.data_unchecked::<DatabaseConnection>();
                    let seq = alert_log::created_at_seq(db, n).await.gql()?;
                    Some(seq.ok_or_else(|| {
                        coded(
                            format!(
                                "after: alert {} is not in the live log (unknown, or older than the log keeps): \
                             read what was missed with the `alerts` query",
                                id.as_str()
                            ),
                            NOT_FOUND,
                        )
                    })?)
                }
                None => None,
            };
            Ok(Spec {
                feed: Feed::Created,
                filter: checked(filter)?,
                after,
                resume,
            })
        };
        Ok(match follow(ctx, spec).await? {
            Follow::Checked => futures_util::stream::empty().boxed(),
            // Exactly one item per event: created events carry their alert.
            Follow::Grouped(events) => events
                .map(|e| {
                    e.alert
                        .clone()
                        .map(Alert)
                        .ok_or_else(|| coded("a new alert without its row", INTERNAL))
                })
                .boxed(),
        })
    }

    /// Changes of alerts (updated, acknowledged, linked to or unlinked from a case,
    /// deleted) as their transactions commit; `after` is the `cursor` of the last one
    /// received. Deletions reach every subscriber: a deleted alert has no fields left
    /// to filter on.
    async fn alert_updated(
        &self,
        ctx: &Context<'_>,
        filter: Option<AlertFilter>,
        after: Option<String>,
    ) -> Result<BoxStream<'static, Result<AlertUpdate>>> {
        may_subscribe(ctx)?;
        let spec = async {
            let after = after.map(|c| bus::decode_cursor("after", &c)).transpose().gql()?;
            Ok(Spec {
                feed: Feed::Updated,
                filter: checked(filter)?,
                after,
                resume: after.map(bus::encode_cursor),
            })
        };
        Ok(match follow(ctx, spec).await? {
            Follow::Checked => futures_util::stream::empty().boxed(),
            Follow::Grouped(events) => events.map(|e| Ok(AlertUpdate(e))).boxed(),
        })
    }
}
