//! The GraphQL schema: one module per type family, assembled here with its limits
//! and the DataLoaders every edge goes through.

pub mod alert;
pub mod errors;
pub mod flow;
pub mod guardrails;
pub mod host;
pub mod loaders;
pub mod node;
pub mod pagination;
pub mod port;

use async_graphql::dataloader::DataLoader;
use async_graphql::{EmptySubscription, MergedObject, Schema, SchemaBuilder};
use sea_orm::DatabaseConnection;

use loaders::{ById, CountBy, GroupBy, PagedBy};

#[derive(MergedObject, Default)]
pub struct Query(
    node::NodeQuery,
    host::HostQuery,
    port::PortQuery,
    flow::FlowQuery,
    alert::AlertQuery,
);

#[derive(MergedObject, Default)]
pub struct Mutation(
    host::HostMutation,
    port::PortMutation,
    flow::FlowMutation,
    alert::AlertMutation,
);

pub type PivotSchema = Schema<Query, Mutation, EmptySubscription>;

/// The limits every request runs under (ARCHITECTURE "Defaults worth keeping").
pub mod limits {
    pub const DEPTH: usize = 15;
    /// Connections cost `first × child`, so this bounds the rows a query can ask for.
    pub const COMPLEXITY: usize = 100_000;
    pub const RECURSION: usize = 32;
    pub const DIRECTIVES: usize = 5;
    pub const ALIASES: usize = 30;
    pub const BATCH: usize = 10;
    pub const BODY_BYTES: usize = 1024 * 1024;
}

/// The schema with its types and limits, without data (enough for the SDL).
pub fn builder() -> SchemaBuilder<Query, Mutation, EmptySubscription> {
    Schema::build(Query::default(), Mutation::default(), EmptySubscription)
        .limit_depth(limits::DEPTH)
        .limit_complexity(limits::COMPLEXITY)
        .limit_recursive_depth(limits::RECURSION)
        .limit_directives(limits::DIRECTIVES)
        .extension(guardrails::Guardrails {
            max_aliases: limits::ALIASES,
        })
}

/// The SDL of the schema, as `pivot schema` prints it and `schema.graphql` holds it.
pub fn sdl() -> String {
    builder().finish().sdl()
}

macro_rules! with_loaders {
    ($builder:expr, $db:expr, [$($loader:ty),* $(,)?]) => {{
        let mut b = $builder;
        $( b = b.data(DataLoader::new(<$loader>::new($db.clone()), tokio::spawn)); )*
        b
    }};
}

pub fn build(db: DatabaseConnection) -> PivotSchema {
    use entities as e;
    let b = with_loaders!(builder().data(db.clone()), db, [
        ById<e::host::Entity>, ById<e::port::Entity>, ById<e::scan::Entity>,
        GroupBy<host::HostnamesOfHost>, GroupBy<host::HostByIp>, GroupBy<port::ScriptsOfPort>,
        ById<e::flow::Entity>, ById<e::alert::Entity>, GroupBy<flow::AlertsOfFlow>,
        PagedBy<host::PortsOfHost>, CountBy<host::PortsOfHost>,
        PagedBy<flow::FlowsOfHost>, CountBy<flow::FlowsOfHost>,
        PagedBy<alert::AlertsOfHost>, CountBy<alert::AlertsOfHost>,
    ]);
    b.finish()
}
