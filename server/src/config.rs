//! One typed configuration, read from flags and environment; the defaults run Pivot
//! with no configuration at all (SQLite file under `./data/`, loopback on 8080).

use std::time::Duration;

/// The default database: a SQLite file under `./data/`, created on first start.
pub const DEFAULT_DATABASE_URL: &str = "sqlite://data/pivot.db";

#[derive(Clone, Debug)]
pub struct Config {
    pub database_url: String,
    /// How long one interactive GraphQL request may run before it fails with `TIMEOUT`.
    pub query_timeout: Duration,
    /// The password of the `admin` user created on first start (`PIVOT_ADMIN_PASSWORD`);
    /// without it a random one is generated and printed once.
    pub admin_password: Option<String>,
    /// Marks the session cookie `Secure` (`PIVOT_SECURE_COOKIES=1`): set it when Pivot is
    /// reached over HTTPS through a TLS-terminating proxy (Pivot itself speaks plain HTTP).
    pub secure_cookies: bool,
    /// Alerts a live subscriber may have waiting before it is let go with an `OVERFLOW`
    /// error (`PIVOT_LIVE_BUFFER`). Slots cost memory only while filled.
    pub live_buffer: usize,
    /// Changes of alerts the live log keeps for subscribers to resume from
    /// (`PIVOT_LIVE_LOG_KEEP`); older ones are pruned.
    pub live_log_keep: u64,
    /// The timezone REST dialects render and read local times in (`PIVOT_TIMEZONE`, an
    /// IANA name such as `Europe/Paris`; UTC by default). GraphQL speaks UTC only.
    pub timezone: chrono_tz::Tz,
    /// The IPDR query workers (`PIVOT_IPDR_WORKERS`, `PIVOT_IPDR_LEASE` in seconds,
    /// `PIVOT_IPDR_BATCH` records).
    pub ipdr: crate::jobs::ipdr::Settings,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            database_url: DEFAULT_DATABASE_URL.into(),
            query_timeout: Duration::from_secs(5),
            admin_password: None,
            secure_cookies: false,
            live_buffer: crate::live::bus::BUFFER,
            live_log_keep: crate::live::bus::KEEP,
            timezone: chrono_tz::UTC,
            ipdr: Default::default(),
        }
    }
}
