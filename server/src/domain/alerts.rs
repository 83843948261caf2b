//! Alerts from every kind of sensor (ntopng host/flow alerts, Intrudect network and
//! server alerts, IDS alerts), on one severity scale.

use async_graphql::{Enum, InputObject, MaybeUndefined, ID};
use chrono::{DateTime, Utc};
use entities::{alert, case, case_alert, device, flow};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
};
use serde::Serialize;

use super::alert_log::{self, Change};
use super::crud::{self, opt_text, req_text, set, set_opt};
use super::error::{DomainError, DomainResult};
use super::ids::{self, Kind};
use super::inventory::DeviceFilter;
use super::ip;
use super::query::{self, BoolOp, EnumOp, IntOp, IpOp, TextOp, TimeOp};
use super::tenancy::Scope;
use super::text;
use super::values::{IpAddr, MacAddr};

/// Severity, lowest first; stored as its rank so that "at least" is a range.
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, serde::Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Severity {
    Info,
    Notice,
    Warning,
    Error,
    Critical,
    Emergency,
}

impl Severity {
    pub const ALL: [Severity; 6] = [
        Self::Info,
        Self::Notice,
        Self::Warning,
        Self::Error,
        Self::Critical,
        Self::Emergency,
    ];

    /// Its name in the graph (`WARNING`).
    pub fn name(self) -> &'static str {
        ["INFO", "NOTICE", "WARNING", "ERROR", "CRITICAL", "EMERGENCY"][self as usize]
    }

    /// The score an alert gets when none is given.
    pub fn default_score(self) -> i32 {
        [10, 20, 50, 80, 100, 150][self as usize]
    }

    pub fn rank(self) -> i16 {
        self as i16
    }

    pub fn from_rank(rank: i16) -> Self {
        Self::ALL[rank.clamp(0, 5) as usize]
    }
}

/// Which alerts: conditions on their fields, composed with `and`, `or` and `not`.
#[derive(InputObject, Serialize, Clone, Debug, Default)]
pub struct AlertFilter {
    pub and: Option<Vec<AlertFilter>>,
    pub or: Option<Vec<AlertFilter>>,
    pub not: Option<Box<AlertFilter>>,
    /// `host`, `flow`, `network`, `server`, `interface`, `mac`, `system`, `user` ...
    /// (stored lower case).
    pub kind: Option<TextOp>,
    #[graphql(name = "type")]
    pub alert_type: Option<TextOp>,
    pub severity: Option<EnumOp<Severity>>,
    pub score: Option<IntOp>,
    pub title: Option<TextOp>,
    pub message: Option<TextOp>,
    pub sensor: Option<TextOp>,
    pub acknowledged: Option<BoolOp>,
    /// The source or the destination meets it.
    pub host: Option<IpOp>,
    pub src_ip: Option<IpOp>,
    pub dst_ip: Option<IpOp>,
    pub src_port: Option<IntOp>,
    pub dst_port: Option<IntOp>,
    pub src_mac: Option<TextOp>,
    pub dst_mac: Option<TextOp>,
    /// The host a server alert was logged by.
    pub hostname: Option<TextOp>,
    /// The device at the source meets it: the device with the source MAC, or one last
    /// seen at the source address.
    pub src_device: Option<Box<DeviceFilter>>,
    /// Like `srcDevice`, at the destination.
    pub dst_device: Option<Box<DeviceFilter>>,
    pub occurred_at: Option<TimeOp>,
    /// When Pivot received it.
    pub created_at: Option<TimeOp>,
}

crate::where_impl!(AlertFilter, alert::Entity, |f, c| {
    use alert::Column as A;
    c.on("kind", &f.kind, A::Kind)?;
    c.on("type", &f.alert_type, A::AlertType)?;
    c.on("severity", &f.severity, A::Severity)?;
    c.on("score", &f.score, A::Score)?;
    c.on("title", &f.title, A::Title)?;
    c.on("message", &f.message, A::Message)?;
    c.on("sensor", &f.sensor, A::Sensor)?;
    c.on("acknowledged", &f.acknowledged, A::Acknowledged)?;
    c.on_any("host", &f.host, &[A::SrcIp, A::DstIp])?;
    c.on("srcIp", &f.src_ip, A::SrcIp)?;
    c.on("dstIp", &f.dst_ip, A::DstIp)?;
    c.on_port("srcPort", &f.src_port, &[A::SrcPort])?;
    c.on_port("dstPort", &f.dst_port, &[A::DstPort])?;
    c.on("srcMac", &f.src_mac, A::SrcMac)?;
    c.on("dstMac", &f.dst_mac, A::DstMac)?;
    c.on("hostname", &f.hostname, A::Hostname)?;
    use device::Column as D;
    c.related_by(
        "srcDevice",
        f.src_device.as_deref(),
        [(A::SrcMac, D::Mac), (A::SrcIp, D::LastIp)],
    )?;
    c.related_by(
        "dstDevice",
        f.dst_device.as_deref(),
        [(A::DstMac, D::Mac), (A::DstIp, D::LastIp)],
    )?;
    c.on("occurredAt", &f.occurred_at, A::OccurredAt)?;
    c.on("createdAt", &f.created_at, A::CreatedAt)?;
});

crate::fields! {
    /// The fields alerts sort, group and bucket by.
    AlertField, AlertOrder for alert {
        /// The order of arrival.
        Id => Id: Int,
        Kind => Kind: Text,
        Type => AlertType: Text,
        Severity => Severity: Named(|r| Severity::from_rank(r as i16).name()),
        Score => Score: Int,
        Title => Title: Text,
        Message => Message: Text,
        Sensor => Sensor: Text,
        Acknowledged => Acknowledged: Bool,
        SrcIp => SrcIp: Ip,
        DstIp => DstIp: Ip,
        SrcPort => SrcPort: Int,
        DstPort => DstPort: Int,
        SrcMac => SrcMac: Text,
        DstMac => DstMac: Text,
        Hostname => Hostname: Text,
        OccurredAt => OccurredAt: Time,
        CreatedAt => CreatedAt: Time,
    }
}

impl AlertFilter {
    /// Whether `a` meets the filter: the same rule as its SQL, for alerts already in
    /// memory (live subscriptions match each new alert against many filters).
    pub fn matches(&self, a: &alert::Model) -> bool {
        query::matches(self, a).unwrap_or(false)
    }
}

/// The writable fields of an alert; on update, an absent field is left as it is.
#[derive(InputObject, Clone, Debug, Default)]
pub struct AlertInput {
    pub severity: Option<Severity>,
    /// 0-1000; defaults from the severity.
    pub score: Option<i32>,
    pub title: Option<String>,
    pub message: MaybeUndefined<String>,
    pub acknowledged: Option<bool>,
}

#[derive(InputObject, Clone, Debug)]
pub struct CreateAlertInput {
    pub kind: String,
    #[graphql(name = "type")]
    pub alert_type: String,
    pub severity: Severity,
    pub title: String,
    /// When the alert happened; defaults to now.
    pub occurred_at: Option<DateTime<Utc>>,
    pub src_ip: Option<IpAddr>,
    pub dst_ip: Option<IpAddr>,
    pub src_port: Option<i32>,
    pub dst_port: Option<i32>,
    pub flow_id: Option<ID>,
    pub sensor: Option<String>,
    pub score: Option<i32>,
    pub message: Option<String>,
    pub src_mac: Option<MacAddr>,
    pub dst_mac: Option<MacAddr>,
    /// The host a server alert was logged by.
    pub hostname: Option<String>,
}

fn apply(am: &mut alert::ActiveModel, f: AlertInput) -> DomainResult<()> {
    set(&mut am.severity, f.severity.map(Severity::rank));
    if let Some(score) = f.score {
        if !(0..=1000).contains(&score) {
            return Err(DomainError::bad("score", "must be between 0 and 1000"));
        }
        am.score = Set(score);
    }
    set(&mut am.title, req_text("title", f.title, 500)?);
    set_opt(&mut am.message, opt_text("message", f.message, 10_000)?);
    set(&mut am.acknowledged, f.acknowledged);
    Ok(())
}

pub async fn create(db: &impl ConnectionTrait, input: CreateAlertInput) -> DomainResult<alert::Model> {
    let flow_id = ids::decode_opt("flowId", input.flow_id.as_ref(), Kind::Flow)?;
    if let Some(id) = flow_id {
        crud::find::<flow::Entity>(db, "flow", id).await?;
    }
    let mut am = alert::ActiveModel {
        kind: Set(text::required("kind", &input.kind, 32)?.to_lowercase()),
        alert_type: Set(text::required("type", &input.alert_type, 128)?),
        severity: Set(input.severity.rank()),
        score: Set(input.severity.default_score()),
        title: Set(String::new()),
        occurred_at: Set(input.occurred_at.unwrap_or_else(Utc::now)),
        src_ip: Set(input.src_ip.map(|i| ip::to_key(i.0))),
        dst_ip: Set(input.dst_ip.map(|i| ip::to_key(i.0))),
        src_port: Set(input.src_port.map(|p| text::port("srcPort", p)).transpose()?),
        dst_port: Set(input.dst_port.map(|p| text::port("dstPort", p)).transpose()?),
        flow_id: Set(flow_id),
        sensor: Set(text::optional("sensor", input.sensor.as_deref(), 128)?),
        acknowledged: Set(false),
        created_at: Set(Utc::now()),
        src_mac: Set(input.src_mac.map(|m| m.0)),
        dst_mac: Set(input.dst_mac.map(|m| m.0)),
        hostname: Set(text::optional("hostname", input.hostname.as_deref(), 253)?),
        ..Default::default()
    };
    apply(
        &mut am,
        AlertInput {
            severity: None,
            score: input.score,
            title: Some(input.title),
            message: input.message.map_or(MaybeUndefined::Undefined, MaybeUndefined::Value),
            acknowledged: None,
        },
    )?;
    let created = am.insert(db).await?;
    alert_log::record(db, Change::Created, &[created.id]).await?;
    Ok(created)
}

pub async fn update(db: &impl ConnectionTrait, id: i64, input: AlertInput) -> DomainResult<alert::Model> {
    let mut am: alert::ActiveModel = crud::find::<alert::Entity>(db, "alert", id).await?.into();
    apply(&mut am, input)?;
    let updated = am.update(db).await?;
    alert_log::record(db, Change::Updated, &[id]).await?;
    Ok(updated)
}

/// Sets the acknowledged flag of several alerts; returns how many exist.
pub async fn acknowledge(db: &impl ConnectionTrait, ids: &[i64], acknowledged: bool) -> DomainResult<u64> {
    if ids.len() > 1000 {
        return Err(DomainError::bad("ids", "at most 1000 alerts at once"));
    }
    // Only the alerts whose flag changes are updated and logged.
    let found: Vec<(i64, bool)> = alert::Entity::find()
        .filter(alert::Column::Id.is_in(ids.to_vec()))
        .select_only()
        .columns([alert::Column::Id, alert::Column::Acknowledged])
        .into_tuple()
        .all(db)
        .await?;
    let changing: Vec<i64> = found
        .iter()
        .filter(|(_, a)| *a != acknowledged)
        .map(|(id, _)| *id)
        .collect();
    if !changing.is_empty() {
        alert::Entity::update_many()
            .col_expr(
                alert::Column::Acknowledged,
                sea_orm::sea_query::Expr::value(acknowledged),
            )
            .filter(alert::Column::Id.is_in(changing.clone()))
            .exec(db)
            .await?;
    }
    alert_log::record(db, Change::Updated, &changing).await?;
    Ok(found.len() as u64)
}

/// Deletes an alert. One attached to cases is evidence: it is kept (`CONFLICT`, naming
/// the cases `scope` sees) unless `from_cases` asks to take it out of them too — which
/// the audit log records with the mutation's arguments.
pub async fn delete(db: &impl ConnectionTrait, id: i64, from_cases: bool, scope: &Scope) -> DomainResult<()> {
    crud::find::<alert::Entity>(db, "alert", id).await?;
    if !from_cases {
        let cases: Vec<(i64, String)> = case::Entity::find()
            .filter(
                case::Column::Id.in_subquery(
                    sea_orm::sea_query::Query::select()
                        .column(case_alert::Column::CaseId)
                        .from(case_alert::Entity)
                        .and_where(case_alert::Column::AlertId.eq(id))
                        .to_owned(),
                ),
            )
            .order_by_asc(case::Column::Id)
            .select_only()
            .columns([case::Column::Id, case::Column::Name])
            .into_tuple()
            .all(db)
            .await?;
        if !cases.is_empty() {
            let visible = case::Entity::find()
                .filter(case::Column::Id.is_in(cases.iter().map(|(c, _)| *c)))
                .filter(scope.condition::<case::Entity>())
                .select_only()
                .column(case::Column::Id)
                .into_tuple::<i64>()
                .all(db)
                .await?;
            let named: Vec<String> = cases
                .iter()
                .filter(|(c, _)| visible.contains(c))
                .map(|(_, name)| format!("{name:?}"))
                .collect();
            let hidden = cases.len() - named.len();
            let mut which = named.join(", ");
            if hidden > 0 {
                which = if which.is_empty() {
                    format!("{hidden} case(s)")
                } else {
                    format!("{which} and {hidden} other case(s)")
                };
            }
            return Err(DomainError::Conflict(format!(
                "alert {id} is evidence in {which}: detach it first, or delete it from its cases too (fromCases: true)"
            )));
        }
    }
    crud::delete::<alert::Entity>(db, "alert", id).await?;
    alert_log::record(db, Change::Deleted, &[id]).await
}
