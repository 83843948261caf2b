//! Alerts, and the alerts of a host (as source or destination).

use async_graphql::{Context, Object, Result, ID};
use chrono::{DateTime, Utc};
use entities::{alert, flow};
use sea_orm::sea_query::SelectStatement;
use sea_orm::{EntityTrait, QueryFilter};

use super::audit::write;
use super::case::{cases_of_alert, Case};
use super::errors::Gql;
use super::flow::{by_either_end, host_at, Flow};
use super::host::Host;
use super::loaders::{loader, ById, Paged};
use super::pagination::{connection, Conn, PageArgs};
use crate::domain::alerts::{self, AlertFilter, AlertInput, CreateAlertInput, Severity};
use crate::domain::filters::Filter;
use crate::domain::ids::{self, Kind};
use crate::domain::ip;
use crate::domain::values::IpAddr;

/// The alerts of hosts, keyed by address.
pub struct AlertsOfHost;

impl Paged for AlertsOfHost {
    type E = alert::Entity;
    type Key = Vec<u8>;
    fn base(keys: Vec<Vec<u8>>) -> SelectStatement {
        by_either_end::<alert::Entity>(alert::Column::SrcIp, alert::Column::DstIp, keys)
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
    async fn sensor(&self) -> Option<&str> {
        self.0.sensor.as_deref()
    }
    async fn acknowledged(&self) -> bool {
        self.0.acknowledged
    }
    /// Cases the alert is attached to.
    async fn cases(&self, ctx: &Context<'_>) -> Result<Vec<Case>> {
        cases_of_alert(ctx, self.0.id).await
    }
}

#[derive(Default)]
pub struct AlertQuery;

#[Object]
impl AlertQuery {
    /// Alerts in order of arrival, filtered; `last` pages from the newest.
    #[graphql(complexity = "super::pagination::cost(first, last, child_complexity)")]
    async fn alerts(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
        filter: Option<AlertFilter>,
    ) -> Result<Conn<Alert>> {
        let cond = filter.unwrap_or_default().condition().gql()?;
        connection(
            ctx,
            alert::Entity::find().filter(cond),
            PageArgs {
                first,
                after,
                last,
                before,
            },
            Alert,
        )
        .await
    }
}

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
    async fn delete_alert(&self, ctx: &Context<'_>, id: ID) -> Result<ID> {
        let n = ids::decode("id", &id, Kind::Alert).gql()?;
        write(ctx, move |tx| Box::pin(async move { alerts::delete(tx, n).await })).await?;
        Ok(id)
    }
}
