//! Imports in the graph: the files imported (`Import`, with where each object came
//! from), and imports through the API: a file sent as a GraphQL multipart request (the
//! `file` variable), imported like `pivot import` does, in the mutation's transaction.

use async_graphql::{ComplexObject, Context, Object, Result, Upload, ID};
use chrono::{DateTime, Utc};
use entities::{host_import, import};
use sea_orm::sea_query::Condition;
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter};

use super::audit::write;
use super::errors::Gql;
use super::loaders::{loader, ById, GroupBy};
use super::user::{principal, User};
use crate::domain::ids::{self, Kind};
use crate::domain::ipdr;
use crate::domain::provenance::{ImportField, ImportFilter, ImportOrder};
use crate::group;
use crate::ingest::{self, provenance, Format, Input, KindCount, Options, Summary};

group!(ImportsOfHost, host_import::Entity, host_import::Column::HostId, i64);

/// One file imported: what it was, who brought it, and what it did.
pub struct Import(pub import::Model);

#[Object]
impl Import {
    pub async fn id(&self) -> ID {
        ids::encode(Kind::Import, self.0.id)
    }
    /// `nmap`, `zeek`, `suricata` or `ipdr`.
    async fn format(&self) -> &str {
        &self.0.format
    }
    /// The file's name as given (a path at the terminal, the upload's name otherwise).
    async fn file_name(&self) -> &str {
        &self.0.file_name
    }
    /// Bytes, as given (compressed, if it was).
    async fn size(&self) -> i64 {
        self.0.size
    }
    /// The SHA-256 of the file's bytes, in hex.
    async fn sha256(&self) -> Option<&str> {
        self.0.sha256.as_deref()
    }
    /// The source label given (a sensor's or a scan's name).
    async fn source(&self) -> Option<&str> {
        self.0.source.as_deref()
    }
    /// The IPDR context written to.
    async fn context(&self) -> Option<&str> {
        self.0.context.as_deref()
    }
    /// `api` (an upload) or `cli` (`pivot import`).
    async fn via(&self) -> &str {
        &self.0.via
    }
    /// Who imported it; none at the terminal.
    async fn user(&self, ctx: &Context<'_>) -> Result<Option<User>> {
        let Some(id) = self.0.user_id else { return Ok(None) };
        Ok(loader::<ById<entities::user::Entity>>(ctx)
            .load_one(id)
            .await
            .gql()?
            .map(User))
    }
    async fn started_at(&self) -> DateTime<Utc> {
        self.0.started_at
    }
    async fn finished_at(&self) -> Option<DateTime<Utc>> {
        self.0.finished_at
    }
    async fn read(&self) -> i64 {
        self.0.read
    }
    async fn inserted(&self) -> i64 {
        self.0.inserted
    }
    async fn updated(&self) -> i64 {
        self.0.updated
    }
    /// Records already there, as imported before: left as they were.
    async fn unchanged(&self) -> i64 {
        self.0.unchanged
    }
    async fn skipped(&self) -> i64 {
        self.0.skipped
    }
    /// Records left out because they could not be read (`skipBadRecords`): a file
    /// imported so was not imported whole, and may be imported again.
    async fn bad_records(&self) -> i64 {
        self.0.bad_records
    }
    /// What changed, per kind of object.
    async fn counts(&self) -> Result<Vec<KindCount>> {
        serde_json::from_str(&self.0.counts)
            .map_err(|e| async_graphql::Error::new(format!("the import's counts cannot be read: {e}")))
    }
}

/// The imports a caller may see: IPDR imports (their files, contexts and counts) only
/// with read access to IPDR, and only into the contexts the caller reaches; the others
/// with access to `Import` (checked for the type).
async fn visible(ctx: &Context<'_>) -> Result<Condition> {
    let p = principal(ctx)?;
    let others = import::Column::Format.ne(provenance::label(Format::Ipdr));
    if !super::access::may_read(p, Kind::IpdrQuery) {
        return Ok(Condition::all().add(others));
    }
    let db = ctx.data_unchecked::<DatabaseConnection>();
    let contexts: Vec<String> = ipdr::reachable(db, p)
        .await
        .gql()?
        .into_iter()
        .map(|c| c.name)
        .collect();
    Ok(Condition::any()
        .add(others)
        .add(import::Column::Context.is_in(contexts)))
}

/// The import with this row number, if the caller may see it (`node(id:)`).
pub async fn by_id(ctx: &Context<'_>, id: i64) -> Result<Option<Import>> {
    let Some(found) = import_of(ctx, Some(id)).await? else {
        return Ok(None);
    };
    if found.0.format != provenance::label(Format::Ipdr) {
        return Ok(Some(found));
    }
    let db = ctx.data_unchecked::<DatabaseConnection>();
    let seen = import::Entity::find_by_id(id)
        .filter(visible(ctx).await?)
        .one(db)
        .await
        .gql()?;
    Ok(seen.map(Import))
}

/// The import an object names, if any.
pub async fn import_of(ctx: &Context<'_>, id: Option<i64>) -> Result<Option<Import>> {
    let Some(id) = id else { return Ok(None) };
    Ok(loader::<ById<import::Entity>>(ctx)
        .load_one(id)
        .await
        .gql()?
        .map(Import))
}

/// The imports that wrote about a host, oldest first.
pub async fn imports_of_host(ctx: &Context<'_>, host: i64) -> Result<Vec<Import>> {
    let links = loader::<GroupBy<ImportsOfHost>>(ctx)
        .load_one(host)
        .await
        .gql()?
        .unwrap_or_default();
    let mut imports: Vec<Import> = loader::<ById<import::Entity>>(ctx)
        .load_many(links.into_iter().map(|l| l.import_id))
        .await
        .gql()?
        .into_values()
        .map(Import)
        .collect();
    imports.sort_by_key(|i| i.0.id);
    Ok(imports)
}

async fn imports_by_id(ctx: &Context<'_>, ids: &[i64]) -> Result<Vec<Import>> {
    let found = loader::<ById<import::Entity>>(ctx)
        .load_many(ids.iter().copied())
        .await
        .gql()?;
    Ok(ids.iter().filter_map(|id| found.get(id).cloned().map(Import)).collect())
}

#[ComplexObject]
impl Summary {
    /// The imports recorded, one per file read.
    async fn imports(&self, ctx: &Context<'_>) -> Result<Vec<Import>> {
        imports_by_id(ctx, &self.imports).await
    }
    /// For each file skipped because it was imported whole before (the same content,
    /// format and source), that earlier import.
    async fn already_imported(&self, ctx: &Context<'_>) -> Result<Vec<Import>> {
        imports_by_id(ctx, &self.already_imported).await
    }
}

crate::listing!(
    ImportQuery, Import, ImportFilter, ImportField, ImportOrder, "ImportAggregate",
    /// The files imported (finished) that meet `filter`, in `orderBy` order (ties by ID, the way the last field goes;
    /// by ID alone, oldest first, without one: `last` pages from the newest). IPDR
    /// imports only with read access to IPDR, in the contexts the caller reaches.
    imports,
    /// Counts, groups and time buckets of the imports that meet `filter`.
    imports_aggregate,
    visible = finished_and_visible,
);

async fn finished_and_visible(ctx: &Context<'_>) -> Result<Condition> {
    Ok(Condition::all()
        .add(visible(ctx).await?)
        .add(import::Column::FinishedAt.is_not_null()))
}

async fn import(ctx: &Context<'_>, format: Format, file: Upload, options: Options) -> Result<Summary> {
    let upload = file.value(ctx)?;
    let input = Input {
        name: upload.filename.clone(),
        file: upload.content,
    };
    let me = principal(ctx)?.clone();
    let options = Options {
        user_id: Some(me.user.id),
        via: provenance::Via::Api,
        ..options
    };
    let done = write(ctx, move |tx| {
        Box::pin(async move {
            if format == Format::Ipdr {
                ipdr::may_import_into(tx, &me, options.context.as_deref()).await?;
            }
            ingest::import(tx, format, vec![input], &options, &|_| {}).await
        })
    })
    .await;
    if let Some(traffic) = ctx.data_opt::<crate::traffic::Traffic>() {
        traffic.import(provenance::label(format), done.is_ok());
    }
    done
}

#[derive(Default)]
pub struct ImportMutation;

#[Object]
impl ImportMutation {
    /// Imports an nmap XML file (`-oX`, or masscan's XML), gzip-compressed or not: the
    /// scan, its hosts, ports (with their history), scripts, OS guesses and traceroute.
    /// All of it lands, or, with `BAD_USER_INPUT` naming the place and the reason,
    /// nothing does. A file imported whole before is skipped (`alreadyImported`).
    async fn import_nmap(
        &self,
        ctx: &Context<'_>,
        file: Upload,
        source: Option<String>,
        categories: Option<Vec<String>>,
    ) -> Result<Summary> {
        let categories = categories.unwrap_or_default();
        import(
            ctx,
            Format::Nmap,
            file,
            Options {
                source,
                categories,
                ..Options::default()
            },
        )
        .await
    }
    /// Imports a Zeek conn.log or dns.log (TSV or JSON lines, gzip or not) as flows and
    /// passive DNS records; `source` names the sensor. A flow imported before (the
    /// same sensor, uid and start) is left as it was (`unchanged`). With
    /// `skipBadRecords`, lines that cannot be read are left out, counted and listed
    /// (`badRecords`) instead of failing the import.
    async fn import_zeek(
        &self,
        ctx: &Context<'_>,
        file: Upload,
        source: Option<String>,
        #[graphql(default = false)] skip_bad_records: bool,
    ) -> Result<Summary> {
        import(
            ctx,
            Format::Zeek,
            file,
            Options {
                source,
                skip_bad_records,
                ..Options::default()
            },
        )
        .await
    }
    /// Imports the alerts of a Suricata eve.json (other event types are skipped and
    /// counted), linking each to its flow when the flow is known. An alert imported
    /// before (the same sensor, flow id, signature and time) is left as it was.
    /// `skipBadRecords` as for `importZeek`.
    async fn import_suricata(
        &self,
        ctx: &Context<'_>,
        file: Upload,
        source: Option<String>,
        #[graphql(default = false)] skip_bad_records: bool,
    ) -> Result<Summary> {
        import(
            ctx,
            Format::Suricata,
            file,
            Options {
                source,
                skip_bad_records,
                ..Options::default()
            },
        )
        .await
    }
    /// Imports IPDR records (CSV, gzip or not) into `context` (`default` unless named;
    /// made if new, unless the caller is limited to other contexts), reading times
    /// written without an offset in `timezone` (an IANA name; UTC unless given). A
    /// record imported before is left as it was. `skipBadRecords` as for `importZeek`.
    async fn import_ipdr(
        &self,
        ctx: &Context<'_>,
        file: Upload,
        context: Option<String>,
        timezone: Option<String>,
        #[graphql(default = false)] skip_bad_records: bool,
    ) -> Result<Summary> {
        let timezone = ipdr::timezone("timezone", timezone.as_deref()).gql()?;
        let options = Options {
            context,
            timezone,
            skip_bad_records,
            ..Options::default()
        };
        import(ctx, Format::Ipdr, file, options).await
    }
}
