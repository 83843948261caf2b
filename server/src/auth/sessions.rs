//! Browser sessions: tower-sessions over Pivot's own database (through SeaORM), so
//! that replicas sharing a database share sessions and no second database driver is
//! pulled in. Session ids are stored as SHA-256 hashes, like API tokens: reading the
//! table gives no session away.

use std::time::Duration as StdDuration;

use async_graphql::async_trait::async_trait;
use chrono::{DateTime, Utc};
use entities::session;
use sea_orm::sea_query::OnConflict;
use sea_orm::{ActiveValue::Set, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter};
use tower_sessions::cookie::time::OffsetDateTime;
use tower_sessions::cookie::SameSite;
use tower_sessions::session::{Id, Record};
use tower_sessions::session_store::{self, ExpiredDeletion, SessionStore};
use tower_sessions::{Expiry, SessionManagerLayer};

use crate::domain::tokens;

/// The name of the session cookie.
pub const COOKIE: &str = "pivot_session";
/// The key under which a session holds its user's id.
pub const USER_KEY: &str = "user_id";
/// A session ends this long after sign-in: its record is written only when the session
/// changes (not on every request), so its expiry is not pushed back by activity.
pub const LIFETIME: StdDuration = StdDuration::from_secs(8 * 3600);

#[derive(Clone, Debug)]
pub struct DbStore {
    db: DatabaseConnection,
}

impl DbStore {
    pub fn new(db: DatabaseConnection) -> Self {
        Self { db }
    }
}

/// The session layer: HttpOnly, SameSite=Strict, Secure when Pivot is reached over TLS
/// (`secure`, set from the configuration, since TLS ends in front of Pivot).
pub fn layer(db: DatabaseConnection, secure: bool) -> SessionManagerLayer<DbStore> {
    SessionManagerLayer::new(DbStore::new(db))
        .with_name(COOKIE)
        .with_http_only(true)
        .with_same_site(SameSite::Strict)
        .with_secure(secure)
        .with_path("/")
        .with_expiry(Expiry::OnInactivity(
            tower_sessions::cookie::time::Duration::try_from(LIFETIME).expect("the lifetime fits"),
        ))
}

fn backend(e: impl std::fmt::Display) -> session_store::Error {
    session_store::Error::Backend(e.to_string())
}

/// Whether a stored session still holds: not expired.
pub fn alive() -> sea_orm::sea_query::SimpleExpr {
    session::Column::ExpiresAt.gt(Utc::now())
}

pub fn key(id: &Id) -> String {
    tokens::hash(&id.to_string())
}

fn to_chrono(t: OffsetDateTime) -> DateTime<Utc> {
    DateTime::from_timestamp(t.unix_timestamp(), t.nanosecond()).unwrap_or_default()
}

fn row(record: &Record) -> session_store::Result<session::ActiveModel> {
    Ok(session::ActiveModel {
        id: Set(key(&record.id)),
        data: Set(serde_json::to_vec(&record.data).map_err(|e| session_store::Error::Encode(e.to_string()))?),
        expires_at: Set(to_chrono(record.expiry_date)),
        user_id: Set(record.data.get(USER_KEY).and_then(serde_json::Value::as_i64)),
    })
}

#[async_trait]
impl SessionStore for DbStore {
    async fn create(&self, record: &mut Record) -> session_store::Result<()> {
        // A fresh id on the (astronomically unlikely) collision rather than an overwrite.
        loop {
            let inserted = session::Entity::insert(row(record)?)
                .on_conflict(OnConflict::column(session::Column::Id).do_nothing().to_owned())
                .exec_without_returning(&self.db)
                .await
                .map_err(backend)?;
            if inserted == 1 {
                return Ok(());
            }
            record.id = Id::default();
        }
    }

    async fn save(&self, record: &Record) -> session_store::Result<()> {
        session::Entity::insert(row(record)?)
            .on_conflict(
                OnConflict::column(session::Column::Id)
                    .update_columns([
                        session::Column::Data,
                        session::Column::ExpiresAt,
                        session::Column::UserId,
                    ])
                    .to_owned(),
            )
            .exec_without_returning(&self.db)
            .await
            .map_err(backend)?;
        Ok(())
    }

    async fn load(&self, id: &Id) -> session_store::Result<Option<Record>> {
        let found = session::Entity::find_by_id(key(id))
            .filter(alive())
            .one(&self.db)
            .await
            .map_err(backend)?;
        let Some(found) = found else { return Ok(None) };
        let data = serde_json::from_slice(&found.data).map_err(|e| session_store::Error::Decode(e.to_string()))?;
        let expiry_date = OffsetDateTime::from_unix_timestamp(found.expires_at.timestamp()).map_err(backend)?;
        Ok(Some(Record {
            id: *id,
            data,
            expiry_date,
        }))
    }

    async fn delete(&self, id: &Id) -> session_store::Result<()> {
        session::Entity::delete_by_id(key(id))
            .exec(&self.db)
            .await
            .map_err(backend)?;
        Ok(())
    }
}

#[async_trait]
impl ExpiredDeletion for DbStore {
    async fn delete_expired(&self) -> session_store::Result<()> {
        session::Entity::delete_many()
            .filter(sea_orm::sea_query::Expr::expr(alive()).not())
            .exec(&self.db)
            .await
            .map_err(backend)?;
        Ok(())
    }
}

/// Removes expired sessions every `period`, for as long as the server runs.
pub fn sweep_expired(store: DbStore, period: StdDuration) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(period);
        loop {
            tick.tick().await;
            if let Err(e) = store.delete_expired().await {
                tracing::warn!(error = %e, "deleting expired sessions");
            }
        }
    });
}
