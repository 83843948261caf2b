//! IOCs: the cases they are linked to and the hosts they match.

use async_graphql::{Context, Object, Result, ID};
use chrono::{DateTime, Utc};
use entities::{hostname, ioc, ioc_case};
use sea_orm::{ConnectionTrait, EntityTrait, QueryFilter};
use std::collections::HashMap;

use super::audit::write;
use super::case::{case_summaries, cases_of_ioc, Case, CaseSummary};
use super::errors::Gql;
use super::flow::host_at;
use super::host::Host;
use super::loaders::{loader, ById, GroupBy, LoadError};
use super::pagination::scope;
use super::table::{self, Rows};
use crate::domain::ids::{self, Kind};
use crate::domain::iocs::{self, CreateIocInput, IocField, IocFilter, IocInput, IocOrder, Tlp};
use crate::domain::tenancy::Scope;
use crate::domain::values::IpAddr;
use crate::domain::{ip, text};
use crate::group;
use sea_orm::DatabaseConnection;
use serde::Serialize;
use serde_json::Value;

group!(IocsByValue, ioc::Entity, ioc::Column::Value, String);
group!(HostnamesByName, hostname::Entity, hostname::Column::Name, String);

pub struct Ioc(pub ioc::Model);

/// Hosts an IOC value names: the host at that address, or the hosts with that name.
pub async fn hosts_matching(ctx: &Context<'_>, value: &str) -> Result<Vec<Host>> {
    if let Ok(addr) = value.parse::<IpAddr>() {
        return Ok(host_at(ctx, &ip::to_key(addr.0)).await?.into_iter().collect());
    }
    let names = loader::<GroupBy<HostnamesByName>>(ctx)
        .load_one(value.to_string())
        .await
        .gql()?
        .unwrap_or_default();
    let hosts = loader::<ById<entities::host::Entity>>(ctx)
        .load_many(names.iter().map(|n| n.host_id))
        .await
        .gql()?;
    let mut out: Vec<Host> = hosts.into_values().map(Host).collect();
    out.sort_by_key(|h| h.0.id);
    Ok(out)
}

#[Object]
impl Ioc {
    pub async fn id(&self) -> ID {
        ids::encode(Kind::Ioc, self.0.id)
    }
    /// `ip-src`, `domain`, `md5` ... (the usual IOC type names).
    // (MISP's attribute types, which DFIR-IRIS uses too.)
    #[graphql(name = "type")]
    async fn ioc_type(&self) -> &str {
        &self.0.ioc_type
    }
    async fn value(&self) -> &str {
        &self.0.value
    }
    async fn description(&self) -> Option<&str> {
        self.0.description.as_deref()
    }
    async fn tags(&self) -> Vec<String> {
        text::decode_tags(&self.0.tags)
    }
    async fn tlp(&self) -> Tlp {
        Tlp::parse(&self.0.tlp)
    }
    /// Free-form attributes (a JSON object).
    async fn custom_attributes(&self) -> Option<async_graphql::Json<serde_json::Value>> {
        crate::domain::crud::attributes_of(self.0.custom_attributes.as_deref()).map(async_graphql::Json)
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.updated_at
    }
    async fn cases(&self, ctx: &Context<'_>) -> Result<Vec<Case>> {
        cases_of_ioc(ctx, self.0.id).await
    }
    /// Hosts whose address or name is this IOC's value.
    async fn hosts(&self, ctx: &Context<'_>) -> Result<Vec<Host>> {
        hosts_matching(ctx, &self.0.value).await
    }
}

crate::listing!(
    IocQuery, Ioc, IocFilter, IocField, IocOrder, "IocAggregate",
    /// IOCs that meet `filter`, in `orderBy` order (ties by ID, the way the last field goes; by ID alone, the order of
    /// adding, without one); `last` pages from the end.
    iocs,
    /// Counts, groups and time buckets of the IOCs that meet `filter`.
    iocs_aggregate,
);

crate::table!(
    IocTableQuery, IocTable, Ioc, IocFilter, IocField, IocOrder,
    /// The IOCs `iocs` lists, as a table (for reading thousands at once): each row is
    /// `{id, type, value, description, tags, tlp, customAttributes, createdAt,
    /// updatedAt, cases}`, `cases` being the cases it is linked to that the caller
    /// sees, each `{id, number, name, customer: {id, name}}`.
    ioc_table,
);

/// A row of `iocTable`.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct IocRow {
    id: String,
    #[serde(rename = "type")]
    ioc_type: String,
    value: String,
    description: Option<String>,
    tags: Vec<String>,
    tlp: Value,
    custom_attributes: Option<Value>,
    created_at: Value,
    updated_at: Value,
    cases: Vec<CaseSummary>,
}

impl Rows for Ioc {
    type E = ioc::Entity;
    type Row = IocRow;

    async fn rows(db: &DatabaseConnection, scope: &Scope, models: Vec<ioc::Model>) -> Result<Vec<IocRow>, LoadError> {
        let ids: Vec<i64> = models.iter().map(|m| m.id).collect();
        let links = if ids.is_empty() {
            Vec::new()
        } else {
            let links = ioc_case::Entity::find()
                .filter(table::among(db.get_database_backend(), "ioc_cases", "ioc_id", &ids))
                .filter(scope.condition::<ioc_case::Entity>());
            table::all_at_once(db, links, None).await?
        };
        let cases = case_summaries(db, scope, links.iter().map(|l| l.case_id)).await?;
        let mut of_ioc: HashMap<i64, Vec<i64>> = HashMap::new();
        for l in links {
            of_ioc.entry(l.ioc_id).or_default().push(l.case_id);
        }
        Ok(models
            .into_iter()
            .map(|m| {
                let mut linked = of_ioc.remove(&m.id).unwrap_or_default();
                linked.sort_unstable();
                IocRow {
                    id: ids::encode(Kind::Ioc, m.id).to_string(),
                    tags: text::decode_tags(&m.tags),
                    tlp: table::graphql(&Tlp::parse(&m.tlp)),
                    custom_attributes: crate::domain::crud::attributes_of(m.custom_attributes.as_deref()),
                    created_at: table::graphql(&m.created_at),
                    updated_at: table::graphql(&m.updated_at),
                    cases: linked.iter().filter_map(|c| cases.get(c).cloned()).collect(),
                    ioc_type: m.ioc_type,
                    value: m.value,
                    description: m.description,
                }
            })
            .collect())
    }
}

#[derive(Default)]
pub struct IocMutation;

#[Object]
impl IocMutation {
    /// Adds an IOC, linked to the given cases; CONFLICT when the same type and value exist.
    async fn add_ioc(&self, ctx: &Context<'_>, input: CreateIocInput) -> Result<Ioc> {
        let scope = scope(ctx);
        write(ctx, move |tx| {
            Box::pin(async move { iocs::create(tx, input, &scope).await })
        })
        .await
        .map(Ioc)
    }
    async fn update_ioc(&self, ctx: &Context<'_>, id: ID, input: IocInput) -> Result<Ioc> {
        let id = ids::decode("id", &id, Kind::Ioc).gql()?;
        let scope = scope(ctx);
        write(ctx, move |tx| {
            Box::pin(async move { iocs::update(tx, id, input, &scope).await })
        })
        .await
        .map(Ioc)
    }
    async fn delete_ioc(&self, ctx: &Context<'_>, id: ID) -> Result<ID> {
        let n = ids::decode("id", &id, Kind::Ioc).gql()?;
        let scope = scope(ctx);
        write(ctx, move |tx| {
            Box::pin(async move { iocs::delete(tx, n, &scope).await })
        })
        .await?;
        Ok(id)
    }
    async fn link_ioc(&self, ctx: &Context<'_>, ioc_id: ID, case_id: ID) -> Result<Ioc> {
        let i = ids::decode("iocId", &ioc_id, Kind::Ioc).gql()?;
        let c = ids::decode("caseId", &case_id, Kind::Case).gql()?;
        write(ctx, move |tx| {
            Box::pin(async move {
                iocs::link(tx, i, c).await?;
                crate::domain::crud::find::<ioc::Entity>(tx, "IOC", i).await
            })
        })
        .await
        .map(Ioc)
    }
    /// Unlinks an IOC from a case. With `deleteOrphan`, an IOC then linked to no case
    /// at all is deleted too (answered as it was, without cases).
    async fn unlink_ioc(
        &self,
        ctx: &Context<'_>,
        ioc_id: ID,
        case_id: ID,
        #[graphql(default)] delete_orphan: bool,
    ) -> Result<Ioc> {
        let i = ids::decode("iocId", &ioc_id, Kind::Ioc).gql()?;
        let c = ids::decode("caseId", &case_id, Kind::Case).gql()?;
        write(ctx, move |tx| {
            Box::pin(async move {
                let ioc = crate::domain::crud::find::<ioc::Entity>(tx, "IOC", i).await?;
                iocs::unlink(tx, i, c).await?;
                if delete_orphan {
                    iocs::delete_if_orphan(tx, i).await?;
                }
                Ok(ioc)
            })
        })
        .await
        .map(Ioc)
    }
}
