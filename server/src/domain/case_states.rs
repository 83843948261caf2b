//! A counter per case and family of its objects, raised by every change to one of them
//! (in the change's transaction), with the time of the last: how a client showing a
//! case learns cheaply that part of it changed. A family never changed has none.

use async_graphql::Enum;
use chrono::Utc;
use entities::case_object_state as state;
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{ConnectionTrait, EntityTrait, Set};
use serde::Serialize;

use super::error::DomainResult;

/// The families of a case's objects.
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum CaseObjects {
    Assets,
    Evidences,
    Iocs,
    Notes,
    Tasks,
    Timeline,
}

impl CaseObjects {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Assets => "assets",
            Self::Evidences => "evidences",
            Self::Iocs => "iocs",
            Self::Notes => "notes",
            Self::Tasks => "tasks",
            Self::Timeline => "timeline",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [
            Self::Assets,
            Self::Evidences,
            Self::Iocs,
            Self::Notes,
            Self::Tasks,
            Self::Timeline,
        ]
        .into_iter()
        .find(|f| f.as_str() == s)
    }
}

/// Counts a change to `family` in each of `cases` (none: a global task, a note on a
/// host).
pub async fn bump(
    db: &impl ConnectionTrait,
    cases: impl IntoIterator<Item = i64>,
    family: CaseObjects,
) -> DomainResult<()> {
    let now = Utc::now();
    let rows: Vec<state::ActiveModel> = cases
        .into_iter()
        .map(|case_id| state::ActiveModel {
            case_id: Set(case_id),
            family: Set(family.as_str().into()),
            state: Set(1),
            updated_at: Set(now),
        })
        .collect();
    if rows.is_empty() {
        return Ok(());
    }
    state::Entity::insert_many(rows)
        .on_conflict(
            OnConflict::columns([state::Column::CaseId, state::Column::Family])
                .value(
                    state::Column::State,
                    Expr::col((state::Entity, state::Column::State)).add(1),
                )
                .value(state::Column::UpdatedAt, now)
                .to_owned(),
        )
        .exec_without_returning(db)
        .await?;
    Ok(())
}
