//! The audit log: who did what, to which object, when and from where. Events are
//! written in the transaction of the change they record, so a rolled-back change
//! leaves no event; failed sign-ins are counted from it to rate-limit them.

use async_graphql::InputObject;
use chrono::{Duration, Utc};
use entities::audit_event;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter,
};
use serde::Serialize;
use serde_json::Value;

use super::error::DomainResult;
use super::ids::{self, Kind};
use super::query::{IdOp, TextOp, TimeOp};

/// Actions that are not mutations of the graph (those are named after the mutation).
pub const LOGIN: &str = "login";
pub const LOGIN_FAILED: &str = "loginFailed";
pub const LOGOUT: &str = "logout";
/// A request refused for lack of a capability.
pub const FORBIDDEN: &str = "forbidden";

/// One event to record.
#[derive(Clone, Debug, Default)]
pub struct Event {
    pub user_id: Option<i64>,
    pub action: String,
    /// The object acted on: its type and its identifier (a global ID, or the username
    /// a sign-in was attempted for).
    pub object: Option<(String, String)>,
    pub address: Option<String>,
    pub detail: Option<Value>,
}

impl Event {
    pub fn new(user_id: Option<i64>, action: impl Into<String>, address: Option<String>) -> Self {
        Self {
            user_id,
            action: action.into(),
            address,
            ..Default::default()
        }
    }

    pub fn on(mut self, kind: Kind, id: i64) -> Self {
        self.object = Some((kind.name().into(), ids::encode(kind, id).0));
        self
    }

    pub fn detail(mut self, detail: Value) -> Self {
        self.detail = Some(detail);
        self
    }
}

pub async fn record(db: &impl ConnectionTrait, e: Event) -> DomainResult<audit_event::Model> {
    let (object_type, object_id) = e.object.unzip();
    Ok(audit_event::ActiveModel {
        at: Set(Utc::now()),
        user_id: Set(e.user_id),
        action: Set(e.action),
        object_type: Set(object_type),
        object_id: Set(object_id),
        address: Set(e.address),
        detail: Set(e.detail),
        ..Default::default()
    }
    .insert(db)
    .await?)
}

/// Arguments whose values never reach the log.
const SECRET_KEYS: [&str; 3] = ["password", "token", "secret"];

/// A copy of `value` with every secret-looking field replaced by `"[redacted]"`.
pub fn redact(value: Value) -> Value {
    match value {
        Value::Object(map) => Value::Object(
            map.into_iter()
                .map(|(k, v)| {
                    let lower = k.to_ascii_lowercase();
                    if SECRET_KEYS.iter().any(|s| lower.contains(s)) {
                        (k, Value::String("[redacted]".into()))
                    } else {
                        (k, redact(v))
                    }
                })
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.into_iter().map(redact).collect()),
        other => other,
    }
}

/// How many sign-ins failed for `username` and from `address` since `window` ago.
pub async fn recent_login_failures(
    db: &impl ConnectionTrait,
    username: &str,
    address: Option<&str>,
    window: Duration,
) -> DomainResult<(u64, u64)> {
    let since = Utc::now() - window;
    let failures = || {
        audit_event::Entity::find()
            .filter(audit_event::Column::Action.eq(LOGIN_FAILED))
            .filter(audit_event::Column::At.gte(since))
    };
    let by_name = failures()
        .filter(audit_event::Column::ObjectId.eq(username))
        .count(db)
        .await?;
    let by_address = match address {
        Some(a) => failures().filter(audit_event::Column::Address.eq(a)).count(db).await?,
        None => 0,
    };
    Ok((by_name, by_address))
}

/// Which audit events: conditions on their fields, composed with `and`, `or` and `not`.
#[derive(InputObject, Serialize, Clone, Debug, Default)]
pub struct AuditEventFilter {
    pub and: Option<Vec<AuditEventFilter>>,
    pub or: Option<Vec<AuditEventFilter>>,
    pub not: Option<Box<AuditEventFilter>>,
    /// Who acted.
    pub user_id: Option<IdOp>,
    /// `createCase`, `login`, `loginFailed`, `forbidden` ... (mutations by their name).
    pub action: Option<TextOp>,
    pub object_type: Option<TextOp>,
    /// The object's global ID (for a failed sign-in: the username tried).
    pub object_id: Option<TextOp>,
    /// The client's address, as recorded.
    pub address: Option<TextOp>,
    pub at: Option<TimeOp>,
}

crate::where_impl!(AuditEventFilter, audit_event::Entity, |f, c| {
    use audit_event::Column as C;
    c.on_id("userId", &f.user_id, Kind::User, C::UserId)?;
    c.on("action", &f.action, C::Action)?;
    c.on("objectType", &f.object_type, C::ObjectType)?;
    c.on("objectId", &f.object_id, C::ObjectId)?;
    c.on("address", &f.address, C::Address)?;
    c.on("at", &f.at, C::At)?;
});

crate::fields! {
    /// The fields audit events sort, group and bucket by.
    AuditEventField, AuditEventOrder for audit_event {
        Action => Action: Text,
        ObjectType => ObjectType: Text,
        User => UserId: Int,
        Address => Address: Text,
        At => At: Time,
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn secrets_are_redacted_at_any_depth() {
        let v = redact(json!({
            "input": {"username": "ann", "password": "hunter2 hunter2", "role": "ADMIN"},
            "items": [{"apiToken": "pvt_x"}],
            "name": "n"
        }));
        assert_eq!(
            v,
            json!({
                "input": {"username": "ann", "password": "[redacted]", "role": "ADMIN"},
                "items": [{"apiToken": "[redacted]"}],
                "name": "n"
            })
        );
    }
}
