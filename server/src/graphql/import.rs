//! Imports through the API: a file sent as a GraphQL multipart request (the `file`
//! variable), imported like `pivot import` does, in the mutation's transaction.

use async_graphql::{Context, Object, Result, Upload};

use super::audit::write;
use crate::ingest::{self, Format, Input, Options, Summary};

async fn import(
    ctx: &Context<'_>,
    format: Format,
    file: Upload,
    source: Option<String>,
    categories: Option<Vec<String>>,
) -> Result<Summary> {
    let upload = file.value(ctx)?;
    let input = Input {
        name: upload.filename.clone(),
        reader: Box::new(upload.into_read()),
    };
    let options = Options {
        source,
        categories: categories.unwrap_or_default(),
        ..Options::default()
    };
    let done = write(ctx, move |tx| {
        Box::pin(async move { ingest::import(tx, format, vec![input], &options, &|_| {}).await })
    })
    .await;
    if let Some(traffic) = ctx.data_opt::<crate::traffic::Traffic>() {
        traffic.import(&format!("{format:?}").to_lowercase(), done.is_ok());
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
    /// nothing does.
    async fn import_nmap(
        &self,
        ctx: &Context<'_>,
        file: Upload,
        source: Option<String>,
        categories: Option<Vec<String>>,
    ) -> Result<Summary> {
        import(ctx, Format::Nmap, file, source, categories).await
    }
    /// Imports a Zeek conn.log or dns.log (TSV or JSON lines, gzip or not) as flows and
    /// passive DNS records; `source` names the sensor.
    async fn import_zeek(&self, ctx: &Context<'_>, file: Upload, source: Option<String>) -> Result<Summary> {
        import(ctx, Format::Zeek, file, source, None).await
    }
    /// Imports the alerts of a Suricata eve.json (other event types are skipped and
    /// counted), linking each to its flow when the flow is known.
    async fn import_suricata(&self, ctx: &Context<'_>, file: Upload, source: Option<String>) -> Result<Summary> {
        import(ctx, Format::Suricata, file, source, None).await
    }
}
