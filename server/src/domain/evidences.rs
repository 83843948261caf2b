//! Evidences registered in a case (files and their hashes; the files stay where the
//! investigators keep them).

use async_graphql::{InputObject, MaybeUndefined, ID};
use chrono::Utc;
use entities::{case, evidence};
use sea_orm::{ActiveModelTrait, ActiveValue::Set, ConnectionTrait};
use serde::Serialize;

use super::crud::{self, opt_text, req_text, set, set_opt};
use super::error::{DomainError, DomainResult};
use super::ids::{self, Kind};
use super::query::{lower, stored, IdOp, IntOp, TextOp, TimeOp};

/// Which evidences: conditions on their fields, composed with `and`, `or` and `not`.
#[derive(InputObject, Serialize, Clone, Debug, Default)]
pub struct EvidenceFilter {
    pub and: Option<Vec<EvidenceFilter>>,
    pub or: Option<Vec<EvidenceFilter>>,
    pub not: Option<Box<EvidenceFilter>>,
    pub filename: Option<TextOp>,
    pub description: Option<TextOp>,
    /// The hex digest; `eq`, `ne`, `in` and `notIn` compare in lower case, as stored.
    pub hash: Option<TextOp>,
    /// Size in bytes.
    pub size: Option<IntOp>,
    pub case_id: Option<IdOp>,
    pub added_by_id: Option<IdOp>,
    pub added_at: Option<TimeOp>,
}

crate::where_impl!(EvidenceFilter, evidence::Entity, |f, c| {
    use evidence::Column as C;
    c.on("filename", &f.filename, C::Filename)?;
    c.on("description", &f.description, C::Description)?;
    c.on("hash", &stored(&f.hash, lower), C::Hash)?;
    c.on("size", &f.size, C::Size)?;
    c.on_id("caseId", &f.case_id, Kind::Case, C::CaseId)?;
    c.on_id("addedById", &f.added_by_id, Kind::User, C::AddedBy)?;
    c.on("addedAt", &f.added_at, C::AddedAt)?;
});

crate::fields! {
    /// The fields evidences sort, group and bucket by.
    EvidenceField, EvidenceOrder for evidence {
        Filename => Filename: Text,
        Size => Size: Int,
        Hash => Hash: Text,
        Case => CaseId: Int,
        AddedAt => AddedAt: Time,
    }
}

/// The writable fields of an evidence; on update, an absent field is left as it is.
#[derive(InputObject, Clone, Debug, Default)]
pub struct EvidenceInput {
    pub filename: Option<String>,
    /// Size in bytes.
    pub size: MaybeUndefined<i64>,
    /// A hex digest (MD5, SHA-1, SHA-256 or SHA-512).
    pub hash: MaybeUndefined<String>,
    pub description: MaybeUndefined<String>,
    /// Free-form attributes: a JSON object (replaced whole).
    pub custom_attributes: MaybeUndefined<async_graphql::Json<serde_json::Value>>,
}

#[derive(InputObject, Clone, Debug)]
pub struct CreateEvidenceInput {
    pub case_id: ID,
    pub filename: String,
    #[graphql(flatten)]
    pub fields: EvidenceInput,
}

fn apply(am: &mut evidence::ActiveModel, f: EvidenceInput) -> DomainResult<()> {
    set(&mut am.filename, req_text("filename", f.filename, 1024)?);
    set_opt(
        &mut am.custom_attributes,
        crud::attributes("customAttributes", f.custom_attributes)?,
    );
    if let MaybeUndefined::Value(s) = f.size {
        if s < 0 {
            return Err(DomainError::bad("size", "must not be negative"));
        }
    }
    set_opt(&mut am.size, f.size);
    let hash = opt_text("hash", f.hash, 128)?.map_value(|h| h.to_lowercase());
    if let MaybeUndefined::Value(h) = &hash {
        if ![32, 40, 64, 128].contains(&h.len()) || !h.chars().all(|c| c.is_ascii_hexdigit()) {
            return Err(DomainError::bad(
                "hash",
                "must be an MD5, SHA-1, SHA-256 or SHA-512 hex digest",
            ));
        }
    }
    set_opt(&mut am.hash, hash);
    set_opt(&mut am.description, opt_text("description", f.description, 100_000)?);
    Ok(())
}

pub async fn create(
    db: &impl ConnectionTrait,
    input: CreateEvidenceInput,
    added_by: Option<i64>,
) -> DomainResult<evidence::Model> {
    let case_id = ids::decode("caseId", &input.case_id, Kind::Case)?;
    crud::find::<case::Entity>(db, "case", case_id).await?;
    let mut am = evidence::ActiveModel {
        case_id: Set(case_id),
        added_at: Set(Utc::now()),
        added_by: Set(added_by),
        ..Default::default()
    };
    let mut fields = input.fields;
    fields.filename = Some(input.filename);
    apply(&mut am, fields)?;
    let model = am.insert(db).await?;
    super::case_states::bump(db, [case_id], super::case_states::CaseObjects::Evidences).await?;
    Ok(model)
}

pub async fn update(db: &impl ConnectionTrait, id: i64, input: EvidenceInput) -> DomainResult<evidence::Model> {
    let mut am: evidence::ActiveModel = crud::find::<evidence::Entity>(db, "evidence", id).await?.into();
    apply(&mut am, input)?;
    let model = am.update(db).await?;
    super::case_states::bump(db, [model.case_id], super::case_states::CaseObjects::Evidences).await?;
    Ok(model)
}

pub async fn delete(db: &impl ConnectionTrait, id: i64) -> DomainResult<()> {
    let e = crud::find::<evidence::Entity>(db, "evidence", id).await?;
    crud::delete::<evidence::Entity>(db, "evidence", id).await?;
    super::case_states::bump(db, [e.case_id], super::case_states::CaseObjects::Evidences).await
}
