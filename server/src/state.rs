//! The application state every request handler, transport and dialect shares: the
//! database, the GraphQL schema, the alert bus, the fairness gates. It sits below
//! everything that uses it; `http` wires it to routes.

use std::sync::Arc;

use sea_orm::DatabaseConnection;

use crate::config::Config;
use crate::db::{self, StatementCounter};
use crate::domain::users;
use crate::exports::Exports;
use crate::fairness::{Slots, Turns};
use crate::graphql::errors::{INTERNAL, TIMEOUT};
use crate::graphql::{self, Caller, PivotSchema};
use crate::live::{self, Bus};

/// Everything a request handler needs; cheap to clone.
#[derive(Clone)]
pub struct AppState(Arc<Inner>);

struct Inner {
    schema: PivotSchema,
    db: DatabaseConnection,
    bus: Bus,
    groups: live::Groups,
    statements: StatementCounter,
    config: Config,
    exports: Exports,
    turns: Turns,
    sockets: Slots,
    uploads: Slots,
    traffic: crate::traffic::Traffic,
    gate: db::WriteGate,
}

impl AppState {
    /// Opens the database, brings its schema up to date and builds the GraphQL schema.
    pub async fn start(config: Config) -> anyhow::Result<Self> {
        let (db, statements) = db::connect(&config.database_url, Some(config.query_timeout)).await?;
        db::migrate(&db).await?;
        first_admin(&db, config.admin_password.as_deref()).await?;
        let (bus_db, _) = db::connect_pool(&config.database_url, None, 3).await?;
        let bus = Bus::start(bus_db, config.live_buffer, config.live_log_keep)
            .await
            .map_err(|e| anyhow::anyhow!("starting the alert bus: {e}"))?;
        let exports = Exports::default();
        // The workers' own pool: no interactive statement timeout (a lookup of a busy
        // address may take longer), and requests never wait for it.
        let (jobs_db, _) = db::connect_pool(&config.database_url, None, config.ipdr.workers as u32 + 1).await?;
        let jobs = crate::jobs::ipdr::start(jobs_db, config.ipdr.clone());
        let traffic = crate::traffic::Traffic::default();
        let gate = db::WriteGate::for_backend(&db);
        let schema = graphql::build(
            db.clone(),
            gate.clone(),
            Some(bus.clone()),
            exports.clone(),
            jobs,
            traffic.clone(),
        );
        Ok(Self(Arc::new(Inner {
            schema,
            db,
            bus,
            groups: live::Groups::default(),
            statements,
            config,
            exports,
            turns: Turns::default(),
            sockets: Slots::default(),
            uploads: Slots::default(),
            traffic,
            gate,
        })))
    }

    pub fn db(&self) -> &DatabaseConnection {
        &self.0.db
    }

    pub fn schema(&self) -> &PivotSchema {
        &self.0.schema
    }

    /// The data exports waiting to be downloaded.
    pub fn exports(&self) -> &Exports {
        &self.0.exports
    }

    pub fn config(&self) -> &Config {
        &self.0.config
    }

    /// The alert bus of this process.
    pub fn bus(&self) -> &Bus {
        &self.0.bus
    }

    /// Runs one query or mutation as `caller` within its time budget (see
    /// [`graphql::budget`]), counted from `started`, once the caller's turn comes
    /// ([`Turns`]): every transport runs its operations here. `None` when out of time.
    pub async fn run_operation(
        &self,
        caller: &Caller,
        mut request: async_graphql::Request,
        started: tokio::time::Instant,
    ) -> Option<async_graphql::Response> {
        let interactive = self.0.config.query_timeout;
        let budget = graphql::budget_of(&mut request, interactive);
        // Bulk work (imports, deletions) runs for minutes: it is bounded by the uploads a
        // user may have in flight and by the one writer, not by turns it would hold. On
        // SQLite every mutation waits at the write gate, holding no connection: holding a
        // turn there too would keep the same user's reads waiting behind its writes.
        let bulk = budget > interactive;
        let gated = sea_orm::ConnectionTrait::get_database_backend(&self.0.db) == sea_orm::DbBackend::Sqlite
            && graphql::is_mutation(&mut request);
        let response = graphql::within(budget.saturating_sub(started.elapsed()), async {
            let user = caller.principal.as_ref().map(|p| p.user.id).filter(|_| !bulk && !gated);
            let _turn = self.0.turns.take(user).await;
            graphql::execute(&self.0.schema, &self.0.db, caller, request).await
        })
        .await;
        match &response {
            Some(r) => r
                .errors
                .iter()
                .for_each(|e| self.0.traffic.error(graphql::errors::code_of(e).unwrap_or(INTERNAL))),
            None => self.0.traffic.error(TIMEOUT),
        }
        response
    }

    /// What the server is asked (the access log's counters).
    pub fn traffic(&self) -> &crate::traffic::Traffic {
        &self.0.traffic
    }

    /// The WebSocket connections each user holds.
    pub fn sockets(&self) -> &Slots {
        &self.0.sockets
    }

    /// The groups of identical subscriptions of this process.
    /// Multipart uploads in flight, by user.
    pub fn uploads(&self) -> &Slots {
        &self.0.uploads
    }

    /// SQLite's one writer (none on PostgreSQL): every write waits its turn here.
    pub fn write_gate(&self) -> &db::WriteGate {
        &self.0.gate
    }

    /// SQL statements sent so far (`/metrics`).
    pub fn statements(&self) -> &StatementCounter {
        &self.0.statements
    }

    pub fn groups(&self) -> &live::Groups {
        &self.0.groups
    }
}

/// On an empty database, creates `admin` (see [`users::ensure_admin`]) and shows a
/// generated password once, on the terminal of whoever started Pivot; never logged.
pub async fn first_admin(db: &DatabaseConnection, password: Option<&str>) -> anyhow::Result<()> {
    let generated = users::ensure_admin(db, password)
        .await
        .map_err(|e| anyhow::anyhow!("creating the first admin: {e}"))?;
    if let Some(password) = generated {
        // Standard error: for the person at the terminal, not for a script capturing
        // a command's output.
        eprintln!("Created user `admin` with password: {password}\n(shown once: keep it safe)");
    }
    Ok(())
}
