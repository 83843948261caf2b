//! One typed configuration, read from flags and environment; the defaults run Pivot
//! with no configuration at all (SQLite file under `./data/`, loopback on 8080).

use std::time::Duration;

use crate::domain::access::Principal;
use crate::domain::users::Role;

const GIB: u64 = 1 << 30;

/// The default database: a SQLite file under `./data/`, created on first start.
pub const DEFAULT_DATABASE_URL: &str = "sqlite://data/pivot.db";

/// WebSocket connections one user may hold at once, by default: a dashboard in many
/// tabs fits, a script opening connections in a loop does not.
pub const SOCKETS_PER_USER: usize = 256;

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
    /// What one multipart request may upload (see [`UploadLimits`]).
    pub uploads: UploadLimits,
    /// WebSocket connections one user may hold at once (`PIVOT_WS_MAX_PER_USER`).
    pub sockets_per_user: usize,
    /// The address browsers reach Pivot at (`PIVOT_PUBLIC_URL`, e.g.
    /// `https://pivot.example.org`): cookie-authenticated requests must come from it.
    /// Unset, only pages served from an IP address or `localhost` count as Pivot's.
    pub public_url: Option<String>,
    /// A token that reads `/metrics` from anywhere (`PIVOT_METRICS_TOKEN`); without it,
    /// only clients on the loopback interface may read them.
    pub metrics_token: Option<String>,
    /// Where REST dialects are mounted when not at the paths their clients expect
    /// (`PIVOT_MOUNTS=trisul=/trisul/api/ipdr_query`, see `compat::mounts`): behind a
    /// proxy that serves several tools under one host, say.
    pub mounts: std::collections::BTreeMap<String, String>,
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
            uploads: Default::default(),
            sockets_per_user: SOCKETS_PER_USER,
            public_url: None,
            metrics_token: None,
            mounts: Default::default(),
        }
    }
}

/// How much a caller may upload in one request (`PIVOT_UPLOAD_MAX_FILE`,
/// `PIVOT_UPLOAD_MAX_REQUEST`, and per role `PIVOT_UPLOAD_MAX_REQUEST_ADMIN` …).
#[derive(Clone, Debug)]
pub struct UploadLimits {
    /// One file, in bytes.
    pub file_bytes: u64,
    /// A whole request, in bytes, for a role without its own limit.
    pub request_bytes: u64,
    /// Per-request limits of some roles.
    pub by_role: Vec<(Role, u64)>,
    /// Files in one request.
    pub files: usize,
}

impl Default for UploadLimits {
    /// 2 GiB a file, 4 GiB a request: a day of a busy sensor's Zeek log, gzipped, fits;
    /// an upload meant to fill the disk does not.
    fn default() -> Self {
        Self {
            file_bytes: 2 * GIB,
            request_bytes: 4 * GIB,
            by_role: Vec::new(),
            files: 16,
        }
    }
}

impl UploadLimits {
    /// The per-request limit of `p`'s role.
    pub fn request_bytes_of(&self, p: &Principal) -> u64 {
        Role::parse(&p.user.role)
            .and_then(|r| self.by_role.iter().find(|(role, _)| *role == r).map(|(_, n)| *n))
            .unwrap_or(self.request_bytes)
    }
}
