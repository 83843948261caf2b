//! The `Node` interface: fetch any object by its global ID.

use async_graphql::{Context, Interface, Object, Result, ID};
use futures_util::future::try_join_all;

use super::alert::Alert;
use super::asset::{Asset, AssetType};
use super::audit::AuditEvent;
use super::case::Case;
use super::customer::Customer;
use super::errors::{coded, Gql, FORBIDDEN};
use super::evidence::Evidence;
use super::flow::Flow;
use super::host::Host;
use super::import::Import;
use super::inventory::{Device, DnsRecord, Network, Service};
use super::ioc::Ioc;
use super::ipdr::IpdrQuery;
use super::loaders::{loader, ById};
use super::note::{Note, NoteGroup};
use super::port::{Port, Scan};
use super::task::Task;
use super::timeline::TimelineEvent;
use super::user::User;
use crate::domain::error::DomainError;
use crate::domain::ids::{self, Kind};

/// An object with a global ID.
#[derive(Interface)]
#[graphql(field(name = "id", ty = "ID"))]
pub enum Node {
    Host(Host),
    Port(Port),
    Scan(Scan),
    Flow(Flow),
    Alert(Alert),
    Customer(Customer),
    User(User),
    Case(Case),
    Ioc(Ioc),
    Note(Note),
    NoteGroup(NoteGroup),
    Asset(Asset),
    AssetType(AssetType),
    Task(Task),
    TimelineEvent(TimelineEvent),
    Evidence(Evidence),
    Device(Device),
    Network(Network),
    Service(Service),
    DnsRecord(DnsRecord),
    AuditEvent(AuditEvent),
    IpdrQuery(IpdrQuery),
    Import(Import),
}

async fn by_id<E>(ctx: &Context<'_>, id: i64) -> Result<Option<E::Model>>
where
    E: crate::domain::tenancy::Scoped,
    E::Model: Send + Sync + Clone,
{
    loader::<ById<E>>(ctx).load_one(id).await.gql()
}

/// The object of `kind` with row number `id`, through the same loaders as every edge.
pub async fn load(ctx: &Context<'_>, kind: Kind, id: i64) -> Result<Option<Node>> {
    use entities::*;
    let principal = super::user::principal(ctx)?;
    if !super::access::may_read(principal, kind) {
        return Err(coded(
            format!("needs read access to {} objects", kind.name()),
            FORBIDDEN,
        ));
    }
    Ok(match kind {
        Kind::Host => by_id::<host::Entity>(ctx, id).await?.map(|m| Node::Host(Host(m))),
        Kind::Port => by_id::<port::Entity>(ctx, id).await?.map(|m| Node::Port(Port(m))),
        Kind::Scan => by_id::<scan::Entity>(ctx, id).await?.map(|m| Node::Scan(Scan(m))),
        Kind::Import => super::import::by_id(ctx, id).await?.map(Node::Import),
        Kind::Flow => by_id::<flow::Entity>(ctx, id).await?.map(|m| Node::Flow(Flow(m))),
        Kind::Alert => by_id::<alert::Entity>(ctx, id).await?.map(|m| Node::Alert(Alert(m))),
        Kind::Customer => by_id::<customer::Entity>(ctx, id)
            .await?
            .map(|m| Node::Customer(Customer(m))),
        // The directory is for user administrators: anyone else fetches only itself.
        Kind::User if !super::user::may_see_account(principal, id) => {
            return Err(coded("needs read access to User objects", FORBIDDEN))
        }
        Kind::User => by_id::<user::Entity>(ctx, id).await?.map(|m| Node::User(User(m))),
        // Tokens are listed to their owner only (`apiTokens`), never fetched by ID;
        // captures are reached through their alert.
        Kind::ApiToken | Kind::AlertPcap => None,
        Kind::Case => by_id::<case::Entity>(ctx, id).await?.map(|m| Node::Case(Case(m))),
        Kind::Ioc => by_id::<ioc::Entity>(ctx, id).await?.map(|m| Node::Ioc(Ioc(m))),
        Kind::Note => by_id::<note::Entity>(ctx, id).await?.map(|m| Node::Note(Note(m))),
        Kind::NoteGroup => by_id::<note_group::Entity>(ctx, id)
            .await?
            .map(|m| Node::NoteGroup(NoteGroup(m))),
        Kind::Asset => by_id::<asset::Entity>(ctx, id).await?.map(|m| Node::Asset(Asset(m))),
        Kind::AssetType => by_id::<asset_type::Entity>(ctx, id)
            .await?
            .map(|m| Node::AssetType(AssetType(m))),
        Kind::Task => by_id::<task::Entity>(ctx, id).await?.map(|m| Node::Task(Task(m))),
        Kind::TimelineEvent => by_id::<timeline_event::Entity>(ctx, id)
            .await?
            .map(|m| Node::TimelineEvent(TimelineEvent(m))),
        Kind::Evidence => by_id::<evidence::Entity>(ctx, id)
            .await?
            .map(|m| Node::Evidence(Evidence(m))),
        Kind::Device => by_id::<device::Entity>(ctx, id).await?.map(|m| Node::Device(Device(m))),
        Kind::Network => by_id::<network::Entity>(ctx, id)
            .await?
            .map(|m| Node::Network(Network(m))),
        Kind::Service => by_id::<service::Entity>(ctx, id)
            .await?
            .map(|m| Node::Service(Service(m))),
        Kind::DnsRecord => by_id::<dns_record::Entity>(ctx, id)
            .await?
            .map(|m| Node::DnsRecord(DnsRecord(m))),
        // Administrators read every event, anyone else only their own (as `auditEvents`).
        Kind::AuditEvent => by_id::<audit_event::Entity>(ctx, id)
            .await?
            .filter(|m| {
                m.user_id == Some(principal.user.id)
                    || principal.can(
                        crate::domain::access::Capability::Users,
                        crate::domain::access::Level::Read,
                    )
            })
            .map(|m| Node::AuditEvent(AuditEvent(m))),
        // Its owner's and administrators' only; to anyone else it is forbidden.
        Kind::IpdrQuery => match by_id::<ipdr_query::Entity>(ctx, id).await? {
            Some(m) => {
                let db = ctx.data_unchecked::<sea_orm::DatabaseConnection>();
                if !crate::domain::ipdr::may_see(db, principal, &m).await.gql()? {
                    return Err(coded(crate::domain::ipdr::NOT_YOURS, FORBIDDEN));
                }
                Some(Node::IpdrQuery(IpdrQuery(m)))
            }
            None => None,
        },
    })
}

#[derive(Default)]
pub struct NodeQuery;

#[Object]
impl NodeQuery {
    /// The object with this ID, or null when there is none.
    async fn node(&self, ctx: &Context<'_>, id: ID) -> Result<Option<Node>> {
        let (kind, n) = ids::decode_any("id", &id).gql()?;
        load(ctx, kind, n).await
    }

    /// The objects with these IDs, in order; null where there is none.
    #[graphql(complexity = "ids.len().max(1) * child_complexity")]
    async fn nodes(&self, ctx: &Context<'_>, ids: Vec<ID>) -> Result<Vec<Option<Node>>> {
        if ids.len() > super::pagination::MAX_PAGE as usize {
            return Err(DomainError::bad("ids", "at most 1000 IDs at once")).gql();
        }
        let decoded = ids
            .iter()
            .map(|id| ids::decode_any("ids", id))
            .collect::<Result<Vec<_>, _>>()
            .gql()?;
        try_join_all(decoded.into_iter().map(|(kind, n)| load(ctx, kind, n))).await
    }
}
