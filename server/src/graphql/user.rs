//! Users as they appear in the graph (who opened a case, wrote a note ...).

use async_graphql::{Object, ID};
use chrono::{DateTime, Utc};
use entities::user;

use crate::domain::ids::{self, Kind};

/// A person or service account of Pivot.
pub struct User(pub user::Model);

#[Object]
impl User {
    pub async fn id(&self) -> ID {
        ids::encode(Kind::User, self.0.id)
    }
    async fn username(&self) -> &str {
        &self.0.username
    }
    async fn display_name(&self) -> Option<&str> {
        self.0.display_name.as_deref()
    }
    async fn email(&self) -> Option<&str> {
        self.0.email.as_deref()
    }
    async fn role(&self) -> &str {
        &self.0.role
    }
    async fn active(&self) -> bool {
        self.0.active
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
}
