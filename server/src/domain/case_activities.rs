//! What investigators write down as they work a case, in their own words (DFIR-IRIS's
//! task logs, which IRIS keeps as the case's user activity). Kept as written: an entry
//! is never edited.

use chrono::Utc;
use entities::{case, case_activity};
use sea_orm::{ActiveModelTrait, ActiveValue::Set, ConnectionTrait};

use super::crud;
use super::error::DomainResult;

pub async fn log(
    db: &impl ConnectionTrait,
    case_id: i64,
    text: &str,
    user_id: Option<i64>,
) -> DomainResult<case_activity::Model> {
    crud::find::<case::Entity>(db, "case", case_id).await?;
    let am = case_activity::ActiveModel {
        case_id: Set(case_id),
        user_id: Set(user_id),
        text: Set(super::text::required("text", text, 100_000)?),
        created_at: Set(Utc::now()),
        ..Default::default()
    };
    Ok(am.insert(db).await?)
}
