//! Who may resolve what: one check for every field of every request. A mutation needs
//! write access to the capability of the table below (a mutation missing from it is
//! refused); any other field needs read access to the capability of the type it
//! returns, so edges, root fields and `node(id:)` obey the same rules.

use std::sync::Arc;

use async_graphql::extensions::{Extension, ExtensionContext, ExtensionFactory, NextResolve, ResolveInfo};
use async_graphql::{ErrorExtensionValues, ServerError, ServerResult, Value};

use super::errors::FORBIDDEN;
use crate::auth::permissions::{Capability, Level};
use crate::auth::principal::Principal;
use crate::domain::ids::Kind;

/// The capability a type belongs to; `None` for types anyone signed in may see.
pub fn type_capability(type_name: &str) -> Option<Capability> {
    use Capability::*;
    let base = type_name.trim_matches(|c| matches!(c, '[' | ']' | '!'));
    let base = base
        .strip_suffix("Connection")
        .or_else(|| base.strip_suffix("Edge"))
        .unwrap_or(base);
    match base {
        "Host" | "Port" | "Scan" | "ScriptResult" | "GeoInfo" => Some(Hosts),
        "Flow" | "DnsRecord" => Some(Flows),
        "Alert" => Some(Alerts),
        "Device" => Some(Devices),
        "Network" => Some(Networks),
        "Service" => Some(Services),
        "Case" | "Customer" | "Ioc" | "Note" | "NoteRevision" | "NoteGroup" | "Asset" | "AssetType"
        | "AnalysisStatus" | "Task" | "TimelineEvent" | "Evidence" => Some(Cases),
        _ => None,
    }
}

/// The capability a node kind belongs to (for `node(id:)` and `Note.subject`).
pub fn kind_capability(kind: Kind) -> Option<Capability> {
    type_capability(kind.name())
}

/// What a mutation needs.
#[derive(Debug, PartialEq, Eq)]
pub enum MutationAccess {
    /// Any signed-in user (acting on its own things).
    SelfService,
    /// Write access to a capability.
    Write(Capability),
    /// Not in the table: refused.
    Unlisted,
}

/// The access each mutation needs.
pub fn mutation_access(name: &str) -> MutationAccess {
    use Capability::*;
    MutationAccess::Write(match name {
        "createApiToken" | "revokeApiToken" => return MutationAccess::SelfService,
        "createHost" | "updateHost" | "deleteHost" | "createPort" | "updatePort" | "deletePort" | "deleteScan" => Hosts,
        "createFlow" | "updateFlow" | "deleteFlow" | "createDnsRecord" | "updateDnsRecord" | "deleteDnsRecord" => Flows,
        "createAlert" | "updateAlert" | "deleteAlert" | "acknowledgeAlerts" => Alerts,
        "createDevice" | "updateDevice" | "deleteDevice" => Devices,
        "createNetwork" | "updateNetwork" | "deleteNetwork" => Networks,
        "createService" | "updateService" | "deleteService" => Services,
        // Customers are the tenants that access is limited by: administrators manage them.
        "createCustomer" | "updateCustomer" | "deleteCustomer" => Users,
        "createUser" | "updateUser" | "resetPassword" | "deleteUser" => Users,
        "createCase"
        | "updateCase"
        | "closeCase"
        | "reopenCase"
        | "deleteCase"
        | "attachAlerts"
        | "detachAlerts"
        | "addIoc"
        | "updateIoc"
        | "deleteIoc"
        | "linkIoc"
        | "unlinkIoc"
        | "createNote"
        | "updateNote"
        | "deleteNote"
        | "createNoteGroup"
        | "updateNoteGroup"
        | "deleteNoteGroup"
        | "createAsset"
        | "updateAsset"
        | "deleteAsset"
        | "createTask"
        | "updateTask"
        | "deleteTask"
        | "createTimelineEvent"
        | "updateTimelineEvent"
        | "deleteTimelineEvent"
        | "createEvidence"
        | "updateEvidence"
        | "deleteEvidence" => Cases,
        _ => return MutationAccess::Unlisted,
    })
}

pub fn forbidden(message: impl Into<String>) -> ServerError {
    let mut e = ServerError::new(message, None);
    let mut ext = ErrorExtensionValues::default();
    ext.set("code", FORBIDDEN);
    e.extensions = Some(ext);
    e
}

/// Whether the principal may reach an object of `kind`.
pub fn may_read(principal: &Principal, kind: Kind) -> bool {
    kind_capability(kind).is_none_or(|cap| principal.can(cap, Level::Read))
}

pub struct Access;

impl ExtensionFactory for Access {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(Access)
    }
}

#[async_graphql::async_trait::async_trait]
impl Extension for Access {
    async fn resolve(
        &self,
        ctx: &ExtensionContext<'_>,
        info: ResolveInfo<'_>,
        next: NextResolve<'_>,
    ) -> ServerResult<Option<Value>> {
        if !info.is_for_introspection {
            let Some(principal) = ctx.data_opt::<Principal>() else {
                return Err(forbidden("no principal"));
            };
            let need = if info.parent_type == "Mutation" {
                match mutation_access(info.name) {
                    MutationAccess::SelfService => None,
                    MutationAccess::Write(cap) => Some((cap, Level::Write)),
                    MutationAccess::Unlisted => return Err(forbidden(format!("{} is not open to anyone", info.name))),
                }
            } else if info.parent_type == "Query" && info.name == "users" {
                // Users appear everywhere as authors; listing them all is administration.
                Some((Capability::Users, Level::Read))
            } else {
                type_capability(info.return_type).map(|c| (c, Level::Read))
            };
            if let Some((cap, level)) = need {
                if !principal.can(cap, level) {
                    let what = if level == Level::Write { "write" } else { "read" };
                    return Err(forbidden(format!(
                        "{}: needs {what} access to {}",
                        info.name,
                        cap.name()
                    )));
                }
            }
        }
        next.run(ctx, info).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_mutation_has_a_capability() {
        let sdl = super::super::sdl();
        let block = sdl
            .split("type Mutation {")
            .nth(1)
            .unwrap()
            .split("\n}")
            .next()
            .unwrap();
        let names: Vec<&str> = block
            .lines()
            .map(str::trim)
            .filter(|l| l.chars().next().is_some_and(|c| c.is_ascii_lowercase()))
            .filter_map(|l| l.split('(').next())
            .map(|n| n.split(':').next().unwrap().trim())
            .collect();
        assert!(names.len() > 50, "{names:?}");
        for n in names {
            assert_ne!(
                mutation_access(n),
                MutationAccess::Unlisted,
                "mutation {n} is missing from access.rs"
            );
        }
    }

    #[test]
    fn types_map_through_lists_and_connections() {
        assert_eq!(type_capability("[Flow!]!"), Some(Capability::Flows));
        assert_eq!(type_capability("HostConnection!"), Some(Capability::Hosts));
        assert_eq!(type_capability("TimelineEvent"), Some(Capability::Cases));
        assert_eq!(type_capability("String!"), None);
        assert_eq!(kind_capability(Kind::DnsRecord), Some(Capability::Flows));
        assert_eq!(kind_capability(Kind::User), None);
    }
}
