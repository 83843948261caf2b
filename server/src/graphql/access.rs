//! Who may resolve what: one check for every field of every request. A mutation needs
//! write access to the capability of the table below (a mutation missing from it is
//! refused); any other field needs read access to the capability of the type it
//! returns, so edges, root fields and `node(id:)` obey the same rules.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};

use async_graphql::extensions::{Extension, ExtensionContext, ExtensionFactory, NextResolve, ResolveInfo};
use async_graphql::{ErrorExtensionValues, ServerError, ServerResult, Value};

use sea_orm::DatabaseConnection;
use serde_json::json;

use super::audit::Peer;
use super::errors::{FORBIDDEN, UNAUTHENTICATED};
use crate::domain::access::Principal;
use crate::domain::access::{Capability, Level};
use crate::domain::audit::{self, Event};
use crate::domain::ids::Kind;

/// The capability a type belongs to; `None` for types anyone signed in may see.
pub fn type_capability(type_name: &str) -> Option<Capability> {
    use Capability::*;
    let base = type_name.trim_matches(|c| matches!(c, '[' | ']' | '!'));
    let base = base
        .strip_suffix("Connection")
        .or_else(|| base.strip_suffix("Edge"))
        .or_else(|| base.strip_suffix("Page"))
        .or_else(|| base.strip_suffix("Table"))
        .or_else(|| base.strip_suffix("Aggregate"))
        .unwrap_or(base);
    match base {
        "Host" | "Port" | "Scan" | "ScriptResult" | "GeoInfo" | "PortSighting" | "HostScript" | "OsMatch"
        | "TraceHop" | "ImportSummary" | "ImportCount" | "Import" => Some(Hosts),
        "Flow" | "DnsRecord" => Some(Flows),
        "Alert" | "AlertPcap" => Some(Alerts),
        "DataExport" | "DataDeletion" => Some(Data),
        "Device" => Some(Devices),
        "Network" => Some(Networks),
        "Service" => Some(Services),
        "Case" | "Customer" | "Ioc" | "Note" | "NoteRevision" | "NoteGroup" | "Asset" | "AssetType"
        | "AnalysisStatus" | "Task" | "TimelineEvent" | "Evidence" => Some(Cases),
        "IpdrQuery" | "IpdrRecord" | "IpdrContext" => Some(Ipdr),
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
    /// Anyone, even without credentials (signing in).
    Anyone,
    /// Any signed-in user (acting on its own things).
    SelfService,
    /// Write access to a capability.
    Write(Capability),
    /// Read access to a capability: the mutation reads on the caller's behalf (an IPDR
    /// query runs in the background, but it only reads).
    Use(Capability),
    /// Not in the table: refused.
    Unlisted,
}

/// The access each mutation needs.
pub fn mutation_access(name: &str) -> MutationAccess {
    use Capability::*;
    MutationAccess::Write(match name {
        "login" => return MutationAccess::Anyone,
        "logout" | "createApiToken" | "revokeApiToken" | "setPreference" => return MutationAccess::SelfService,
        "submitIpdrQuery" | "cancelIpdrQuery" => return MutationAccess::Use(Ipdr),
        "useCase" => return MutationAccess::Use(Cases),
        "createHost" | "updateHost" | "deleteHost" | "createPort" | "updatePort" | "deletePort" | "deleteScan"
        | "importNmap" => Hosts,
        "importZeek" => Flows,
        "importSuricata" => Alerts,
        "importIpdr" => Ipdr,
        "deleteAlerts" | "deleteFlows" | "deleteDnsRecords" => Data,
        "createFlow" | "updateFlow" | "deleteFlow" | "createDnsRecord" | "updateDnsRecord" | "deleteDnsRecord" => Flows,
        "createAlert" | "updateAlert" | "deleteAlert" | "acknowledgeAlerts" => Alerts,
        "createDevice" | "updateDevice" | "deleteDevice" => Devices,
        "createNetwork" | "updateNetwork" | "deleteNetwork" => Networks,
        "createService" | "updateService" | "deleteService" | "authorizeService" => Services,
        // Customers are the tenants that access is limited by: administrators manage them.
        "createCustomer" | "updateCustomer" | "deleteCustomer" => Users,
        "createUser" | "updateUser" | "resetPassword" | "deleteUser" => Users,
        "createCase"
        | "updateCase"
        | "logCaseActivity"
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

/// A coded error (`extensions.code`) outside any resolver.
pub fn refusal(message: impl Into<String>, code: &str) -> ServerError {
    let mut e = ServerError::new(message, None);
    let mut ext = ErrorExtensionValues::default();
    ext.set("code", code);
    e.extensions = Some(ext);
    e
}

pub fn forbidden(message: impl Into<String>) -> ServerError {
    refusal(message, FORBIDDEN)
}

/// The fields refused in this request so far: each is audited once per request, not
/// once per parent object it was asked of.
#[derive(Default)]
pub struct Refusals(Mutex<HashSet<String>>);

/// Records a refusal in the audit log (a failure to record is logged, not returned:
/// the caller is refused either way).
async fn audit_refusal(ctx: &ExtensionContext<'_>, principal: &Principal, field: &str, needs: String) {
    let first = ctx.data_opt::<Refusals>().is_none_or(|r| {
        r.0.lock()
            .map(|mut seen| seen.insert(field.to_string()))
            .unwrap_or(true)
    });
    let Some(db) = ctx.data_opt::<DatabaseConnection>().filter(|_| first) else {
        return;
    };
    let address = ctx.data_opt::<Peer>().and_then(|p| p.0.clone());
    let event = Event::new(Some(principal.user.id), audit::FORBIDDEN, address)
        .detail(json!({ "field": field, "needs": needs }));
    if let Err(e) = audit::record(db, event).await {
        tracing::error!(error = %e, "recording a refusal in the audit log");
    }
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
            let mutation = (info.parent_type == "Mutation").then(|| mutation_access(info.name));
            let Some(principal) = ctx.data_opt::<Principal>() else {
                // Without credentials only `login` runs, and then what it returns: every
                // other field is reached through a root field, which is refused here.
                let root = matches!(info.parent_type, "Query" | "Mutation" | "Subscription");
                if !root || mutation == Some(MutationAccess::Anyone) {
                    return next.run(ctx, info).await;
                }
                return Err(refusal("authentication required", UNAUTHENTICATED));
            };
            let need = if let Some(access) = mutation {
                match access {
                    MutationAccess::Anyone | MutationAccess::SelfService => None,
                    MutationAccess::Write(cap) => Some((cap, Level::Write)),
                    MutationAccess::Use(cap) => Some((cap, Level::Read)),
                    MutationAccess::Unlisted => return Err(forbidden(format!("{} is not open to anyone", info.name))),
                }
            } else if info.parent_type == "Query" && matches!(info.name, "users" | "usersAggregate") {
                // Users appear everywhere as authors; listing them all is administration.
                Some((Capability::Users, Level::Read))
            } else {
                type_capability(info.return_type).map(|c| (c, Level::Read))
            };
            if let Some((cap, level)) = need {
                if !principal.can(cap, level) {
                    let what = if level == Level::Write { "write" } else { "read" };
                    let needs = format!("{what} access to {}", cap.name());
                    audit_refusal(ctx, principal, info.name, needs.clone()).await;
                    return Err(forbidden(format!("{}: needs {needs}", info.name)));
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
        // Field lines, less the lines of multi-line descriptions.
        let mut in_description = false;
        let names: Vec<&str> = block
            .lines()
            .map(str::trim)
            .filter(|l| {
                if *l == "\"\"\"" {
                    in_description = !in_description;
                }
                !in_description
            })
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
