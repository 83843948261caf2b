//! The GraphQL schema: one module per type family, assembled here with its limits
//! and the DataLoaders every edge goes through.

pub mod about;
pub mod access;
pub mod aggregate;
pub mod alert;
pub mod asset;
pub mod audit;
pub mod batching;
pub mod case;
pub mod cost;
pub mod customer;
pub mod data;
pub mod errors;
pub mod evidence;
pub mod findings;
pub mod flow;
pub mod guardrails;
pub mod host;
pub mod import;
pub mod inventory;
pub mod ioc;
pub mod ipdr;
pub mod listing;
pub mod loaders;
pub mod node;
pub mod note;
pub mod order;
pub mod pagination;
pub mod port;
pub mod preference;
pub mod references;
pub mod session;
pub mod table;
pub mod task;
pub mod timeline;
pub mod user;

use std::sync::Arc;

use async_graphql::parser::types::ExecutableDocument;
use async_graphql::{MergedObject, MergedSubscription, Request, Response, Schema, SchemaBuilder};
use sea_orm::DatabaseConnection;

use crate::domain::access::Principal;
use batching::{Batched, Gate, Tracked};
use loaders::{ById, CountBy, GroupBy, PagedBy};
use tower_sessions::Session;

#[derive(MergedObject, Default)]
pub struct Query(
    node::NodeQuery,
    host::HostQuery,
    host::HostListing,
    port::PortQuery,
    port::PortListing,
    import::ImportQuery,
    flow::FlowQuery,
    alert::AlertListing,
    customer::CustomerQuery,
    case::CaseQuery,
    case::CaseTableQuery,
    ioc::IocQuery,
    ioc::IocTableQuery,
    note::NoteQuery,
    asset::AssetQuery,
    asset::AssetTypeQuery,
    references::ReferenceQuery,
    task::TaskQuery,
    timeline::TimelineQuery,
    evidence::EvidenceQuery,
    inventory::NetworkListing,
    inventory::DeviceListing,
    inventory::ServiceListing,
    inventory::DnsRecordListing,
    user::UserQuery,
    user::UserListing,
    preference::PreferenceQuery,
    audit::AuditQuery,
    about::AboutQuery,
    data::DataQuery,
    ipdr::IpdrQueryRoot,
    ipdr::IpdrQueryListing,
    ipdr::IpdrRecordListing,
);

#[derive(MergedObject, Default)]
pub struct Mutation(
    host::HostMutation,
    port::PortMutation,
    flow::FlowMutation,
    alert::AlertMutation,
    customer::CustomerMutation,
    case::CaseMutation,
    ioc::IocMutation,
    note::NoteMutation,
    asset::AssetMutation,
    task::TaskMutation,
    timeline::TimelineMutation,
    evidence::EvidenceMutation,
    inventory::InventoryMutation,
    user::UserMutation,
    preference::PreferenceMutation,
    session::SessionMutation,
    import::ImportMutation,
    data::DataMutation,
    ipdr::IpdrMutation,
);

#[derive(MergedSubscription, Default)]
pub struct Subscription(alert::AlertSubscription);

pub type PivotSchema = Schema<Query, Mutation, Subscription>;

/// The limits every request runs under (ARCHITECTURE "Defaults worth keeping").
pub mod limits {
    pub const DEPTH: usize = 15;
    /// Connections cost `first × child`, so this bounds the rows a query can ask for.
    pub const COMPLEXITY: usize = 100_000;
    pub const RECURSION: usize = 32;
    pub const DIRECTIVES: usize = 5;
    pub const ALIASES: usize = 30;
    pub const BATCH: usize = 10;
    /// Fields of a document once its fragments are spread, and fragment spreads in its
    /// text: measured before any other validation (`guardrails::admit`).
    pub const FIELDS: usize = 10_000;
    pub const SPREADS: usize = 500;
    /// What a caller without credentials may send: a plain `login` of this size.
    pub const SIGN_IN_BYTES: usize = 2048;
    pub const BODY_BYTES: usize = 1024 * 1024;
    // Uploads have limits of their own, per role: `crate::config::UploadLimits`.
    /// How long a request with files to import may run.
    pub const IMPORT_TIME: std::time::Duration = std::time::Duration::from_secs(3600);
}

/// The schema with its types and limits, without data (enough for the SDL).
pub fn builder() -> SchemaBuilder<Query, Mutation, Subscription> {
    Schema::build(Query::default(), Mutation::default(), Subscription::default())
        .limit_depth(limits::DEPTH)
        .limit_recursive_depth(limits::RECURSION)
        .limit_directives(limits::DIRECTIVES)
        .extension(access::Access)
        .extension(guardrails::Guardrails {
            max_aliases: limits::ALIASES,
            max_cost: limits::COMPLEXITY,
        })
}

/// The SDL of the schema, as `pivot schema` prints it and `schema.graphql` holds it.
pub fn sdl() -> String {
    builder().finish().sdl()
}

/// Adds one DataLoader of each type to a request, batched through `gate`.
macro_rules! with_loaders {
    ($request:expr, $db:expr, $scope:expr, $gate:expr, [$($loader:ty),* $(,)?]) => {{
        let mut r = $request;
        $( r = r.data(Batched::new(<$loader>::new($db.clone(), $scope.clone()), &$gate)); )*
        r
    }};
}

/// The schema over `db` and its one writer's `gate`; with the process's alert bus when
/// it serves live alerts, where its data exports wait to be downloaded, and the queue
/// that wakes its IPDR workers.
pub fn build(
    db: DatabaseConnection,
    gate: crate::db::WriteGate,
    bus: Option<crate::live::Bus>,
    exports: crate::exports::Exports,
    jobs: crate::jobs::ipdr::Queue,
    traffic: crate::traffic::Traffic,
) -> PivotSchema {
    let builder = builder().data(db).data(gate).data(exports).data(jobs).data(traffic);
    match bus {
        Some(bus) => builder.data(bus).finish(),
        None => builder.finish(),
    }
}

/// Who sends a request, from where, and its browser session: what resolvers may need of
/// the transport. Without a principal only `login` runs (see [`is_sign_in`]).
#[derive(Clone, Default)]
pub struct Caller {
    pub principal: Option<Principal>,
    pub address: Option<String>,
    pub session: Option<Session>,
}

impl Caller {
    /// The server itself acting as `user` (the demo data, benchmarks): every customer,
    /// no session, no address.
    pub fn acting_as(user: entities::user::Model) -> Self {
        use crate::domain::access::Via;
        Self {
            principal: Some(Principal {
                user,
                via: Via::Token,
                scope: crate::domain::tenancy::Scope::everything(),
            }),
            ..Default::default()
        }
    }
}

/// The operation of `doc` a request runs: the one named, or the only one.
pub(crate) fn selected<'a>(
    doc: &'a ExecutableDocument,
    name: Option<&str>,
) -> Option<&'a async_graphql::Positioned<async_graphql::parser::types::OperationDefinition>> {
    match (name, doc.operations.iter().count()) {
        (Some(name), _) => doc
            .operations
            .iter()
            .find(|(n, _)| n.map(|n| n.as_str()) == Some(name))
            .map(|(_, op)| op),
        (None, 1) => doc.operations.iter().next().map(|(_, op)| op),
        _ => None,
    }
}

/// The root fields of a mutation, or `None` for a query or a subscription. Fragments
/// at the root are looked into when `fragments` is set; otherwise they make it `None`.
fn mutation_fields<'a>(doc: &'a ExecutableDocument, name: Option<&str>, fragments: bool) -> Option<Vec<&'a str>> {
    use async_graphql::parser::types::{OperationType, Selection, SelectionSet};
    fn collect<'a>(
        doc: &'a ExecutableDocument,
        set: &'a SelectionSet,
        fragments: bool,
        depth: usize,
        seen: &mut Vec<&'a str>,
        out: &mut Vec<&'a str>,
    ) -> Option<()> {
        // Fragment cycles are refused by validation, which runs later: stop here first.
        if depth > 8 {
            return None;
        }
        for item in &set.items {
            match &item.node {
                Selection::Field(f) => out.push(f.node.name.node.as_str()),
                Selection::InlineFragment(f) if fragments => {
                    collect(doc, &f.node.selection_set.node, fragments, depth + 1, seen, out)?
                }
                Selection::FragmentSpread(s) if fragments => {
                    // A fragment's root fields are the same at every use: each is read
                    // once, so that spreads of spreads cannot multiply the work.
                    let name = s.node.fragment_name.node.as_str();
                    if seen.contains(&name) {
                        continue;
                    }
                    seen.push(name);
                    let f = doc.fragments.get(&s.node.fragment_name.node)?;
                    collect(doc, &f.node.selection_set.node, fragments, depth + 1, seen, out)?
                }
                _ => return None,
            }
        }
        Some(())
    }
    let op = selected(doc, name)?;
    if op.node.ty != OperationType::Mutation {
        return None;
    }
    let mut out = Vec::new();
    collect(
        doc,
        &op.node.selection_set.node,
        fragments,
        0,
        &mut Vec::new(),
        &mut out,
    )?;
    Some(out)
}

/// Whether a request is a plain sign-in: the one thing a caller without credentials
/// may send. Plain means small ([`limits::SIGN_IN_BYTES`]), one operation, no fragment
/// (so nothing in it can multiply the work of validating it), and a mutation of `login`
/// (with `__typename`) alone.
pub fn is_sign_in(request: &Request) -> bool {
    if request.query.len() > limits::SIGN_IN_BYTES {
        return false;
    }
    let Ok(doc) = async_graphql::parser::parse_query(&request.query) else {
        return false;
    };
    doc.fragments.is_empty()
        && doc.operations.iter().count() == 1
        && mutation_fields(&doc, request.operation_name.as_deref(), false)
            .is_some_and(|fields| fields.iter().all(|f| matches!(*f, "login" | "__typename")))
}

/// Whether the operation a request runs is a mutation (one that does not parse is not).
pub fn is_mutation(request: &mut Request) -> bool {
    use async_graphql::parser::types::OperationType;
    let name = request.operation_name.clone();
    request
        .parsed_query()
        .is_ok_and(|doc| selected(doc, name.as_deref()).is_some_and(|op| op.node.ty == OperationType::Mutation))
}

/// Whether the operation a request runs is a subscription (one that does not parse is
/// not: executing it reports why). The request keeps the parsed document for its run.
pub fn is_subscription(request: &mut Request) -> bool {
    use async_graphql::parser::types::OperationType;
    let name = request.operation_name.clone();
    request
        .parsed_query()
        .is_ok_and(|doc| selected(doc, name.as_deref()).is_some_and(|op| op.node.ty == OperationType::Subscription))
}

/// The mutations that move data in bulk: they run under [`limits::IMPORT_TIME`].
pub(crate) const BULK: [&str; 6] = [
    "importNmap",
    "importZeek",
    "importSuricata",
    "deleteAlerts",
    "deleteFlows",
    "deleteDnsRecords",
];

/// How long the operation `name` of `doc` may run: a mutation made of bulk work alone
/// (with `__typename` at most beside it) gets the import budget, everything else
/// `interactive`. Every transport (GraphQL over HTTP, the REST dialects) asks here.
pub fn budget(doc: &ExecutableDocument, name: Option<&str>, interactive: std::time::Duration) -> std::time::Duration {
    let bulk = mutation_fields(doc, name, true).is_some_and(|fields| {
        fields.iter().any(|f| BULK.contains(f)) && fields.iter().all(|f| BULK.contains(f) || *f == "__typename")
    });
    if bulk {
        limits::IMPORT_TIME
    } else {
        interactive
    }
}

/// Runs `work` if it finishes within `left`; `None` when it does not, or when nothing is
/// left (then it is not started at all, so failing is safe even for a mutation).
pub async fn within<F: std::future::Future>(left: std::time::Duration, work: F) -> Option<F::Output> {
    if left.is_zero() {
        return None;
    }
    tokio::time::timeout(left, work).await.ok()
}

/// [`budget`] for a request, which is parsed here once (unless it already was):
/// execution uses the parsed document. A request that does not parse gets
/// `interactive` (it fails at once).
pub fn budget_of(request: &mut Request, interactive: std::time::Duration) -> std::time::Duration {
    let name = request.operation_name.clone();
    match request.parsed_query() {
        Ok(doc) => budget(doc, name.as_deref(), interactive),
        Err(_) => interactive,
    }
}

/// Runs one GraphQL request with DataLoaders of its own, batched in waves (see
/// [`batching`]). Every entry point goes through here.
pub async fn execute(schema: &PivotSchema, db: &DatabaseConnection, caller: &Caller, mut request: Request) -> Response {
    if let Some(refused) = refusal(&mut request) {
        return refused;
    }
    let shape = Shape::of(&mut request);
    let variables = request.variables.clone(); // to measure a query refused for its cost
    let gate = Arc::new(Gate::default());
    let request = prepare(db, caller, request, &gate);
    let mut response = Tracked::new(gate, tokio::task::unconstrained(schema.execute(request))).await;
    shape.apply(&mut response);
    if let (Some(e), Some((doc, name))) = (response.errors.first_mut(), &shape.0) {
        if let Some(op) = selected(doc, name.as_deref()) {
            cost::explain(schema, doc, op, &variables, e).await;
        }
    }
    // Errors raised before any phase the guard rails see (an operation name that names
    // nothing) get their code here: every error has one.
    for e in &mut response.errors {
        if errors::code_of(e).is_none() {
            let code = guardrails::classify(&e.message, errors::BAD_USER_INPUT);
            *e = guardrails::with_code(std::mem::replace(e, async_graphql::ServerError::new("", None)), code);
        }
    }
    response
}

/// Runs a subscription with loaders of its own, batched like a request's for each
/// event it resolves (see `crate::live::subscription` for what its resolvers follow).
pub fn subscribe(
    schema: &PivotSchema,
    db: &DatabaseConnection,
    caller: &Caller,
    mut request: Request,
) -> futures_util::stream::BoxStream<'static, Response> {
    use futures_util::StreamExt;
    if let Some(refused) = refusal(&mut request) {
        return futures_util::stream::once(async move { refused }).boxed();
    }
    let shape = Shape::of(&mut request);
    let gate = Arc::new(Gate::default());
    let request = prepare(db, caller, request, &gate);
    Tracked::new(gate, schema.execute_stream(request))
        .map(move |mut response| {
            shape.apply(&mut response);
            response
        })
        .boxed()
}

/// The document and operation of a request, kept to put its answers in the order of
/// its selection ([`order`]).
struct Shape(Option<(ExecutableDocument, Option<String>)>);

impl Shape {
    fn of(request: &mut Request) -> Self {
        let name = request.operation_name.clone();
        Self(request.parsed_query().ok().map(|doc| (doc.clone(), name)))
    }

    fn apply(&self, response: &mut Response) {
        if let Some((doc, name)) = &self.0 {
            if let Some(op) = selected(doc, name.as_deref()) {
                order::reorder(&mut response.data, doc, &op.node.selection_set.node);
            }
        }
    }
}

/// Refuses a document whose fragments expand past [`limits::FIELDS`] (or that spreads
/// over [`limits::SPREADS`] of them) before anything else walks it: see
/// [`guardrails::admit`]. One that does not parse is left to execution to report.
fn refusal(request: &mut Request) -> Option<Response> {
    let doc = request.parsed_query().ok()?;
    let message = guardrails::admit(doc, limits::FIELDS, limits::SPREADS).err()?;
    let e = async_graphql::ServerError::new(message, None);
    Some(Response::from_errors(vec![guardrails::with_code(
        e,
        errors::QUERY_TOO_COMPLEX,
    )]))
}

/// A request with what its resolvers need: the caller, and one DataLoader of each type.
fn prepare(db: &DatabaseConnection, caller: &Caller, request: Request, gate: &Arc<Gate>) -> Request {
    use entities as e;
    let mut request = request
        .data(audit::Peer(caller.address.clone()))
        .data(access::Refusals::default());
    if let Some(p) = &caller.principal {
        request = request.data(p.clone());
    }
    if let Some(s) = &caller.session {
        request = request.data(s.clone());
    }
    let scope = caller.principal.as_ref().map(|p| p.scope.clone()).unwrap_or_default();
    with_loaders!(request, db, scope, gate, [
        ById<e::host::Entity>, ById<e::port::Entity>, ById<e::scan::Entity>, ById<e::flow::Entity>,
        ById<e::alert::Entity>, ById<e::customer::Entity>, ById<e::user::Entity>, ById<e::case::Entity>,
        ById<e::ioc::Entity>, ById<e::note::Entity>, ById<e::note_group::Entity>, ById<e::asset::Entity>,
        ById<e::asset_type::Entity>, ById<e::analysis_status::Entity>, ById<e::case_classification::Entity>,
        ById<e::task::Entity>, ById<e::timeline_event::Entity>, ById<e::evidence::Entity>, ById<e::device::Entity>,
        ById<e::network::Entity>, ById<e::service::Entity>, ById<e::dns_record::Entity>, ById<e::audit_event::Entity>,
        GroupBy<host::HostnamesOfHost>, GroupBy<user::CustomerLinksOfUser>, GroupBy<host::HostByIp>, GroupBy<host::NotesOfHost>,
        GroupBy<port::ScriptsOfPort>, GroupBy<findings::SightingsOfPort>, GroupBy<findings::ScriptsOfHost>,
        GroupBy<findings::OsMatchesOfHost>, GroupBy<findings::HopsOfHost>, GroupBy<flow::AlertsOfFlow>, GroupBy<customer::CasesOfCustomer>,
        GroupBy<case::AssetsOfCase>, GroupBy<case::TasksOfCase>, GroupBy<case::NotesOfCase>,
        GroupBy<case::GroupsOfCase>, GroupBy<case::EventsOfCase>, GroupBy<case::EventLinks>,
        GroupBy<case::EvidencesOfCase>, GroupBy<case::StatesOfCase>, GroupBy<case::ActivitiesOfCase>, GroupBy<task::AssigneesOfTask>,
        GroupBy<case::CaseLinksOfAlert>, GroupBy<case::CaseLinksOfIoc>,
        GroupBy<ioc::IocsByValue>, GroupBy<ioc::HostnamesByName>, GroupBy<note::RevisionsOfNote>,
        GroupBy<note::NotesOfGroup>, GroupBy<note::GroupsOfGroup>, GroupBy<asset::IocLinksOfAsset>, GroupBy<asset::AssetsByIp>,
        GroupBy<inventory::DeviceByMac>, GroupBy<inventory::DevicesByIp>, GroupBy<inventory::ServicesByIp>,
        inventory::NetworkContaining, alert::PcapOfAlert,
        PagedBy<host::PortsOfHost>, CountBy<host::PortsOfHost>,
        PagedBy<flow::FlowsOfHost>, CountBy<flow::FlowsOfHost>,
        PagedBy<alert::AlertsOfHost>, CountBy<alert::AlertsOfHost>,
        PagedBy<case::IocsOfCase>, CountBy<case::IocsOfCase>,
        PagedBy<case::AlertsOfCase>, CountBy<case::AlertsOfCase>,
        PagedBy<inventory::DnsOfHost>, CountBy<inventory::DnsOfHost>,
        ById<e::ipdr_context::Entity>, ById<e::ipdr_query::Entity>, ById<e::import::Entity>,
        GroupBy<import::ImportsOfHost>,
        GroupBy<ipdr::ContextLinksOfUser>,
        PagedBy<ipdr::RowsOfQuery>, CountBy<ipdr::RowsOfQuery>,
        PagedBy<ipdr::RecordsOfHost>, CountBy<ipdr::RecordsOfHost>,
    ])
}
