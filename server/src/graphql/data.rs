//! Data management: exports (a download of a ZIP of CSVs) and bulk deletions of the
//! datasets of `domain::data`, behind the data capability.

use std::time::Instant;

use async_graphql::{Context, Object, Result, SimpleObject};
use chrono::{DateTime, Utc};

use super::audit::write;
use super::errors::{coded, Gql, BAD_USER_INPUT};
use crate::auth::permissions::Level;
use crate::auth::principal::Principal;
use crate::domain::data::{self, DataFilter, DataSet};
use crate::exports::{Export, Exports, VALID_FOR};

#[derive(SimpleObject)]
pub struct DataExport {
    /// Where to download the ZIP (one CSV per dataset), with the same credentials.
    pub url: String,
    pub expires_at: DateTime<Utc>,
}

#[derive(SimpleObject)]
pub struct DataDeletion {
    pub dataset: DataSet,
    pub label: String,
    pub deleted_rows: i64,
    /// Alerts the filter selected and kept, as evidence in cases.
    pub kept_in_cases: i64,
}

/// The data capability moves rows in bulk; what they are stays guarded by its own
/// capability too (alerts, flows).
fn may_touch(ctx: &Context<'_>, sets: &[DataSet], level: Level) -> Result<()> {
    match DataSet::refusal(sets, ctx.data_unchecked::<Principal>(), level) {
        Some(why) => Err(coded(why, super::errors::FORBIDDEN)),
        None => Ok(()),
    }
}

#[derive(Default)]
pub struct DataQuery;

#[Object]
impl DataQuery {
    /// Prepares an export of `datasets` (each once, in the order given): download it
    /// from `url` within ten minutes. Times in the CSVs are in `timezone` (an IANA
    /// name; UTC by default).
    async fn data_export(
        &self,
        ctx: &Context<'_>,
        datasets: Vec<DataSet>,
        filter: Option<DataFilter>,
        timezone: Option<String>,
    ) -> Result<DataExport> {
        let filter = filter.unwrap_or_default();
        let mut sets = Vec::new();
        for s in datasets {
            if !sets.contains(&s) {
                sets.push(s);
            }
        }
        if sets.is_empty() {
            return Err(coded("datasets: name at least one dataset", BAD_USER_INPUT));
        }
        may_touch(ctx, &sets, Level::Read)?;
        filter.check(&sets).gql()?;
        let timezone = match timezone {
            Some(tz) => tz
                .parse()
                .map_err(|_| coded(format!("timezone: {tz:?} is not an IANA timezone name"), BAD_USER_INPUT))?,
            None => chrono_tz::UTC,
        };
        let user_id = ctx.data_unchecked::<Principal>().user.id;
        let id = ctx.data_unchecked::<Exports>().register(Export {
            user_id,
            sets,
            filter,
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
    /// Deletes the rows of one dataset the filter selects, in one transaction. Alerts
    /// attached to cases are evidence: they are kept (`keptInCases`) unless `fromCases`
    /// deletes them from their cases too.
    async fn delete_data(
        &self,
        ctx: &Context<'_>,
        dataset: DataSet,
        filter: Option<DataFilter>,
        #[graphql(default = false)] from_cases: bool,
    ) -> Result<DataDeletion> {
        let filter = filter.unwrap_or_default();
        may_touch(ctx, &[dataset], Level::Write)?;
        let done = write(ctx, move |tx| {
            Box::pin(async move { data::delete(tx, dataset, &filter, from_cases).await })
        })
        .await?;
        Ok(DataDeletion {
            dataset,
            label: dataset.label().into(),
            deleted_rows: done.rows as i64,
            kept_in_cases: done.kept_in_cases as i64,
        })
    }
}
