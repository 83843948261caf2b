//! The audit log in the graph: how every mutation writes its change and its audit event
//! in one transaction ([`write`]), and the `auditEvents` connection.

use async_graphql::{Context, Json, Object, Result, ID};
use chrono::{DateTime, Utc};
use entities::audit_event;
use futures_util::future::BoxFuture;
use sea_orm::sea_query::Condition;
use sea_orm::{ColumnTrait, DatabaseConnection, DatabaseTransaction, TransactionTrait};
use serde_json::Value;

use super::errors::Gql;
use super::loaders::{loader, ById};
use super::user::{principal, User};
use crate::domain::access::Principal;
use crate::domain::access::{Capability, Level};
use crate::domain::audit::{self, AuditEventField, AuditEventFilter, AuditEventOrder, Event};
use crate::domain::error::{DomainError, DomainResult};
use crate::domain::ids::{self, Kind};
use crate::domain::tenancy;

/// The address a request came from, as the audit log records it.
#[derive(Clone, Debug, Default)]
pub struct Peer(pub Option<String>);

pub fn peer(ctx: &Context<'_>) -> Option<String> {
    ctx.data_opt::<Peer>().and_then(|p| p.0.clone())
}

/// What a mutation's result says about the object it touched.
pub trait Touched {
    fn touched(&self) -> Option<(Kind, i64)>;
}

macro_rules! touched {
    ($($model:path => $kind:ident),* $(,)?) => {$(
        impl Touched for $model {
            fn touched(&self) -> Option<(Kind, i64)> {
                Some((Kind::$kind, self.id))
            }
        }
    )*};
}

touched!(
    entities::host::Model => Host, entities::port::Model => Port, entities::flow::Model => Flow,
    entities::alert::Model => Alert, entities::customer::Model => Customer, entities::case::Model => Case,
    entities::ioc::Model => Ioc, entities::note::Model => Note, entities::note_group::Model => NoteGroup,
    entities::asset::Model => Asset, entities::task::Model => Task,
    entities::timeline_event::Model => TimelineEvent, entities::evidence::Model => Evidence,
    entities::device::Model => Device, entities::network::Model => Network, entities::service::Model => Service,
    entities::dns_record::Model => DnsRecord, entities::user::Model => User, entities::api_token::Model => ApiToken,
    entities::ipdr_query::Model => IpdrQuery,
);

/// Results that name no object: the mutation's `id` argument names it, if any.
impl Touched for () {
    fn touched(&self) -> Option<(Kind, i64)> {
        None
    }
}

/// An import's event names the import recorded (or, for a file imported before, that one).
impl Touched for crate::ingest::Summary {
    fn touched(&self) -> Option<(Kind, i64)> {
        self.imports
            .first()
            .or(self.already_imported.first())
            .map(|&id| (Kind::Import, id))
    }
}

impl Touched for crate::domain::data::Deleted {
    fn touched(&self) -> Option<(Kind, i64)> {
        None
    }
}

impl Touched for u64 {
    fn touched(&self) -> Option<(Kind, i64)> {
        None
    }
}

impl<T: Touched, S> Touched for (T, S) {
    fn touched(&self) -> Option<(Kind, i64)> {
        self.0.touched()
    }
}

/// Runs a mutation's change in one transaction together with its audit event (who,
/// which mutation, which object, from where, with its arguments less any secret). A
/// change that fails is rolled back and leaves no event. Every mutation writes
/// through here.
pub async fn write<T: Touched + Send>(
    ctx: &Context<'_>,
    change: impl for<'t> FnOnce(&'t DatabaseTransaction) -> BoxFuture<'t, DomainResult<T>> + Send,
) -> Result<T> {
    let db = ctx.data_unchecked::<DatabaseConnection>();
    let field = ctx.field();
    let arguments: serde_json::Map<String, Value> = field
        .arguments()?
        .into_iter()
        .map(|(name, v)| (name.to_string(), serde_json::to_value(v).unwrap_or(Value::Null)))
        .collect();
    // On SQLite, wait for the turn to write without holding a connection.
    let _turn = match ctx.data_opt::<crate::db::WriteGate>() {
        Some(gate) => {
            let bulk = super::BULK.contains(&ctx.field().name());
            gate.enter(bulk)
                .await
                .map_err(|()| super::errors::gql(DomainError::Busy))?
        }
        None => None,
    };
    let tx = db.begin().await.gql()?;
    crate::db::write_lock(&tx).await.gql()?;
    // Every object the arguments name must be within the caller's customers: one
    // outside them is not found, whatever the mutation would do with it.
    let scope = super::pagination::scope(ctx);
    if scope.customers().is_some() {
        for (name, id) in named_ids(&arguments) {
            tenancy::require_visible(&tx, &scope, &name, &id).await.gql()?;
        }
    }
    let value = change(&tx).await.gql()?;
    let object = value.touched().or_else(|| {
        arguments
            .get("id")
            .and_then(Value::as_str)
            .and_then(|id| ids::decode_any("id", id).ok())
    });
    let mut event = Event::new(ctx.data_opt::<Principal>().map(|p| p.user.id), field.name(), peer(ctx))
        .detail(audit::redact(Value::Object(arguments)));
    if let Some((kind, id)) = object {
        event = event.on(kind, id);
    }
    audit::record(&tx, event).await.gql()?;
    tx.commit().await.gql()?;
    // Live subscribers learn of alerts only once they are committed.
    if let Some(bus) = ctx.data_opt::<crate::live::Bus>() {
        bus.committed();
    }
    Ok(value)
}

/// The IDs in the arguments (the values of `id`, `ids`, `…Id` and `…Ids` fields at any
/// depth), with the name of the field holding each.
fn named_ids(arguments: &serde_json::Map<String, Value>) -> Vec<(String, String)> {
    fn walk(name: &str, v: &Value, out: &mut Vec<(String, String)>) {
        match v {
            Value::String(s) if name == "id" || name == "ids" || name.ends_with("Id") || name.ends_with("Ids") => {
                out.push((name.to_string(), s.clone()))
            }
            Value::Array(items) => items.iter().for_each(|i| walk(name, i, out)),
            Value::Object(map) => map.iter().for_each(|(k, v)| walk(k, v, out)),
            _ => {}
        }
    }
    let mut out = Vec::new();
    arguments.iter().for_each(|(k, v)| walk(k, v, &mut out));
    out
}

/// One entry of the audit log.
pub struct AuditEvent(pub audit_event::Model);

#[Object]
impl AuditEvent {
    pub async fn id(&self) -> ID {
        ids::encode(Kind::AuditEvent, self.0.id)
    }
    async fn at(&self) -> DateTime<Utc> {
        self.0.at
    }
    /// Who acted; none for failed sign-ins.
    async fn user(&self, ctx: &Context<'_>) -> Result<Option<User>> {
        let Some(id) = self.0.user_id else { return Ok(None) };
        Ok(loader::<ById<entities::user::Entity>>(ctx)
            .load_one(id)
            .await
            .gql()?
            .map(User))
    }
    /// The mutation's name, or `login`, `loginFailed`, `logout`, `forbidden`.
    async fn action(&self) -> &str {
        &self.0.action
    }
    /// The type of the object acted on.
    async fn object_type(&self) -> Option<&str> {
        self.0.object_type.as_deref()
    }
    /// The object's global ID (for a failed sign-in: the username tried).
    async fn object_id(&self) -> Option<&str> {
        self.0.object_id.as_deref()
    }
    /// The client's address.
    async fn address(&self) -> Option<&str> {
        self.0.address.as_deref()
    }
    /// The mutation's arguments (secrets redacted), or what else the event records.
    async fn detail(&self) -> Option<Json<Value>> {
        self.0.detail.clone().map(Json)
    }
}

crate::listing!(
    AuditQuery, AuditEvent, AuditEventFilter, AuditEventField, AuditEventOrder, "AuditEventAggregate",
    /// The audit log's events that meet `filter`, in `orderBy` order (ties by ID, the way the last field goes; by ID
    /// alone, oldest first, without one: `last: N` for the newest). Administrators read
    /// every event; anyone else reads only their own.
    audit_events,
    /// Counts, groups and time buckets of the audit events that meet `filter`.
    audit_events_aggregate,
    visible = own_events,
);

/// The events a caller may read: all of them with user administration, else its own.
async fn own_events(ctx: &Context<'_>) -> Result<Condition> {
    let me = principal(ctx)?;
    Ok(if me.can(Capability::Users, Level::Read) {
        Condition::all()
    } else {
        Condition::all().add(audit_event::Column::UserId.eq(me.user.id))
    })
}
