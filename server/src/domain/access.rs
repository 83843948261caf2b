//! Who may do what: capabilities with read/write levels, the roles that bundle them,
//! and the principal a request acts as (resolved from its credentials by `auth`).

use entities::user;

use super::tenancy::Scope;
use super::users::Role;

/// What a user may touch. Write implies read.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Capability {
    /// Hosts, ports and scans.
    Hosts,
    /// Flows and passive DNS.
    Flows,
    Alerts,
    Devices,
    Networks,
    Services,
    /// Cases and everything in them: IOCs, assets, notes, tasks, timeline, evidences.
    Cases,
    /// Data export and deletion.
    Data,
    /// User and tenant administration.
    Users,
    /// IPDR records and the queries over them (who had an address when).
    Ipdr,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Level {
    Read,
    Write,
}

impl Capability {
    pub const ALL: [Capability; 10] = [
        Self::Hosts,
        Self::Flows,
        Self::Alerts,
        Self::Devices,
        Self::Networks,
        Self::Services,
        Self::Cases,
        Self::Data,
        Self::Users,
        Self::Ipdr,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Self::Hosts => "hosts",
            Self::Flows => "flows",
            Self::Alerts => "alerts",
            Self::Devices => "devices",
            Self::Networks => "networks",
            Self::Services => "services",
            Self::Cases => "cases",
            Self::Data => "data",
            Self::Users => "users",
            Self::Ipdr => "ipdr",
        }
    }

    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.name() == name)
    }
}

/// The level a role grants on a capability, if any.
pub fn role_grant(role: Role, cap: Capability) -> Option<Level> {
    use Capability::*;
    match (role, cap) {
        (Role::Admin, _) => Some(Level::Write),
        (Role::Analyst, Users) => None,
        (Role::Analyst, Data) => Some(Level::Read),
        (Role::Analyst, _) => Some(Level::Write),
        // Subscriber identities are personal data: viewers get IPDR only by a grant.
        (Role::Viewer, Users | Data | Ipdr) => None,
        (Role::Viewer, _) => Some(Level::Read),
    }
}

/// Extra grants stored with a user as `,cases:write,flows:read,`.
pub fn parse_extra(stored: &str) -> Vec<(Capability, Level)> {
    stored
        .split(',')
        .filter_map(|g| {
            let (cap, level) = g.trim().split_once(':')?;
            let level = match level {
                "read" => Level::Read,
                "write" => Level::Write,
                _ => return None,
            };
            Some((Capability::parse(cap)?, level))
        })
        .collect()
}

/// Who a request acts as.
#[derive(Clone, Debug)]
pub struct Principal {
    pub user: user::Model,
    pub via: Via,
    /// The customers whose cases the user may see.
    pub scope: Scope,
}

/// How a principal proved who it is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Via {
    Token,
    /// A browser session cookie: ambient credentials, so writes must be same-origin.
    Session,
    /// A user name and password sent with the request itself (HTTP Basic).
    Password,
}

impl Principal {
    /// Whether the user may act on `cap` at `level` (through its role or an extra grant).
    pub fn can(&self, cap: Capability, level: Level) -> bool {
        granted(&self.user, cap).is_some_and(|granted| granted >= level)
    }
}

/// The level `user` holds on `cap`: its role's, or its extra grant's if higher.
pub fn granted(user: &user::Model, cap: Capability) -> Option<Level> {
    let by_role = Role::parse(&user.role).and_then(|r| role_grant(r, cap));
    let extra = parse_extra(&user.capabilities)
        .into_iter()
        .filter(|(c, _)| *c == cap)
        .map(|(_, l)| l)
        .max();
    by_role.max(extra)
}

/// Everything `user` may do, as `capability:level`; write implies read, so a
/// capability held for writing is listed twice (`cases:read`, `cases:write`).
pub fn grants(user: &user::Model) -> Vec<String> {
    let mut out = Vec::new();
    for cap in Capability::ALL {
        let Some(level) = granted(user, cap) else { continue };
        out.push(format!("{}:read", cap.name()));
        if level == Level::Write {
            out.push(format!("{}:write", cap.name()));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_bundle_capabilities() {
        assert_eq!(role_grant(Role::Admin, Capability::Users), Some(Level::Write));
        assert_eq!(role_grant(Role::Analyst, Capability::Cases), Some(Level::Write));
        assert_eq!(role_grant(Role::Analyst, Capability::Users), None);
        assert_eq!(role_grant(Role::Viewer, Capability::Hosts), Some(Level::Read));
        assert_eq!(role_grant(Role::Viewer, Capability::Data), None);
    }

    #[test]
    fn extra_grants_parse_and_skip_garbage() {
        assert_eq!(
            parse_extra(",cases:write,flows:read,nope:read,hosts:admin,"),
            vec![(Capability::Cases, Level::Write), (Capability::Flows, Level::Read)]
        );
    }
}
