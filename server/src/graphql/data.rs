//! Data in bulk, behind the data capability: exports (a download of a ZIP of CSV
//! tables, see `domain::data`) and deletions of the rows a filter selects.

use std::time::Instant;

use async_graphql::{Context, Object, Result, SimpleObject};
use chrono::{DateTime, Utc};

use super::audit::write;
use super::errors::{coded, Gql, BAD_USER_INPUT};
use crate::domain::access::Principal;
use crate::domain::access::{Capability, Level};
use crate::domain::alerts::AlertFilter;
use crate::domain::data::{self, ExportTable};
use crate::domain::flows::FlowFilter;
use crate::domain::inventory::DnsRecordFilter;
use crate::domain::query::Where;
use crate::exports::{Export, Exports, VALID_FOR};

#[derive(SimpleObject)]
pub struct DataExport {
    /// Where to download the ZIP (one CSV per table), with the same credentials.
    pub url: String,
    pub expires_at: DateTime<Utc>,
}

#[derive(SimpleObject)]
pub struct Deletion {
    pub deleted_rows: i64,
    /// Alerts the filter selected and kept, as evidence in cases.
    pub kept_in_cases: i64,
}

/// The data capability moves rows in bulk; what they are stays guarded by its own
/// capability too (alerts, flows).
fn may_touch(ctx: &Context<'_>, caps: impl IntoIterator<Item = Capability>, level: Level) -> Result<()> {
    match data::refusal(caps, ctx.data_unchecked::<Principal>(), level) {
        Some(why) => Err(coded(why, super::errors::FORBIDDEN)),
        None => Ok(()),
    }
}

#[derive(Default)]
pub struct DataQuery;

#[Object]
impl DataQuery {
    /// Prepares an export of `tables`, each a CSV of the rows its filter selects, in the
    /// order they arrived, with the columns it names: download it from `url` within ten
    /// minutes. Times are written `YYYY-MM-DD HH:MM:SS` in `timezone` (an IANA name;
    /// UTC by default), addresses and numbers as text, severities by name, and text
    /// that would start a spreadsheet formula with a leading `'`.
    async fn export(
        &self,
        ctx: &Context<'_>,
        tables: Vec<ExportTable>,
        timezone: Option<String>,
    ) -> Result<DataExport> {
        may_touch(ctx, tables.iter().filter_map(ExportTable::capability), Level::Read)?;
        data::check(&tables).gql()?;
        let timezone = match timezone {
            Some(tz) => tz
                .parse()
                .map_err(|_| coded(format!("timezone: {tz:?} is not an IANA timezone name"), BAD_USER_INPUT))?,
            None => chrono_tz::UTC,
        };
        let user_id = ctx.data_unchecked::<Principal>().user.id;
        let id = ctx.data_unchecked::<Exports>().register(Export {
            user_id,
            tables,
            timezone,
            until: Instant::now() + VALID_FOR,
        });
        Ok(DataExport {
            url: format!("/exports/{id}"),
            expires_at: Utc::now() + VALID_FOR,
        })
    }
}

#[derive(Default)]
pub struct DataMutation;

#[Object]
impl DataMutation {
    /// Deletes the alerts the filter selects (`{}`: every one), in one transaction.
    /// Alerts attached to cases are evidence: they are kept (`keptInCases`) unless
    /// `fromCases` deletes them from their cases too.
    async fn delete_alerts(
        &self,
        ctx: &Context<'_>,
        filter: AlertFilter,
        #[graphql(default = false)] from_cases: bool,
    ) -> Result<Deletion> {
        may_touch(ctx, [Capability::Alerts], Level::Write)?;
        let done = write(ctx, move |tx| {
            Box::pin(async move { data::delete_alerts(tx, &filter, from_cases).await })
        })
        .await?;
        Ok(Deletion {
            deleted_rows: done.rows as i64,
            kept_in_cases: done.kept_in_cases as i64,
        })
    }

    /// Deletes the flows the filter selects (`{}`: every one), in one transaction.
    async fn delete_flows(&self, ctx: &Context<'_>, filter: FlowFilter) -> Result<Deletion> {
        delete_rows(ctx, filter).await
    }

    /// Deletes the passive DNS records the filter selects (`{}`: every one), in one
    /// transaction.
    async fn delete_dns_records(&self, ctx: &Context<'_>, filter: DnsRecordFilter) -> Result<Deletion> {
        delete_rows(ctx, filter).await
    }
}

/// Deletes the rows of a kind under the flows capability (flows, DNS records) that
/// `filter` selects.
async fn delete_rows<W: Where + 'static>(ctx: &Context<'_>, filter: W) -> Result<Deletion> {
    may_touch(ctx, [Capability::Flows], Level::Write)?;
    let rows = write(ctx, move |tx| {
        Box::pin(async move { data::delete_rows(tx, &filter).await })
    })
    .await?;
    Ok(Deletion {
        deleted_rows: rows as i64,
        kept_in_cases: 0,
    })
}
