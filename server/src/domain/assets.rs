//! Case assets: what a case is about (computers, accounts, network devices ...).

use async_graphql::{Enum, InputObject, MaybeUndefined, ID};
use chrono::Utc;
use entities::{analysis_status, asset, asset_type, case};
use sea_orm::{ActiveModelTrait, ActiveValue::Set, ConnectionTrait, TransactionTrait};
use serde::Serialize;

use super::crud::{self, opt_text, req_text, set, set_opt};
use super::error::DomainResult;
use super::ids::{self, Kind};
use super::iocs;
use super::ip;
use super::query::{EnumOp, IdOp, IntOp, IpOp, TextOp, TimeOp};
use super::text;
use super::values::IpAddr;

/// Whether an asset is known to be compromised.
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum CompromiseStatus {
    ToBeDetermined,
    Compromised,
    NotCompromised,
    Unknown,
}

impl CompromiseStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::ToBeDetermined => "to_be_determined",
            Self::Compromised => "compromised",
            Self::NotCompromised => "not_compromised",
            Self::Unknown => "unknown",
        }
    }

    pub fn parse(s: &str) -> Self {
        match s {
            "compromised" => Self::Compromised,
            "not_compromised" => Self::NotCompromised,
            "unknown" => Self::Unknown,
            _ => Self::ToBeDetermined,
        }
    }
}

/// Which assets: conditions on their fields, composed with `and`, `or` and `not`.
#[derive(InputObject, Serialize, Clone, Debug, Default)]
pub struct AssetFilter {
    pub and: Option<Vec<AssetFilter>>,
    pub or: Option<Vec<AssetFilter>>,
    pub not: Option<Box<AssetFilter>>,
    pub name: Option<TextOp>,
    pub description: Option<TextOp>,
    pub ip: Option<IpOp>,
    pub domain: Option<TextOp>,
    pub compromise_status: Option<EnumOp<CompromiseStatus>>,
    pub case_id: Option<IdOp>,
    pub asset_type_id: Option<IdOp>,
    /// The number of its analysis status.
    pub analysis_status_id: Option<IntOp>,
    /// Has this tag.
    pub tag: Option<String>,
    pub created_at: Option<TimeOp>,
    pub updated_at: Option<TimeOp>,
}

crate::where_impl!(AssetFilter, asset::Entity, |f, c| {
    use asset::Column as C;
    c.on("name", &f.name, C::Name)?;
    c.on("description", &f.description, C::Description)?;
    c.on("ip", &f.ip, C::IpBytes)?;
    c.on("domain", &f.domain, C::Domain)?;
    c.on("compromiseStatus", &f.compromise_status, C::CompromiseStatus)?;
    c.on_id("caseId", &f.case_id, Kind::Case, C::CaseId)?;
    c.on_id("assetTypeId", &f.asset_type_id, Kind::AssetType, C::AssetTypeId)?;
    c.on("analysisStatusId", &f.analysis_status_id, C::AnalysisStatusId)?;
    c.tagged("tag", &f.tag, C::Tags)?;
    c.on("createdAt", &f.created_at, C::CreatedAt)?;
    c.on("updatedAt", &f.updated_at, C::UpdatedAt)?;
});

crate::fields! {
    /// The fields assets sort, group and bucket by.
    AssetField, AssetOrder for asset {
        Name => Name: Text,
        Ip => IpBytes: Ip,
        Domain => Domain: Text,
        CompromiseStatus => CompromiseStatus: Text,
        Case => CaseId: Int,
        AssetType => AssetTypeId: Int,
        CreatedAt => CreatedAt: Time,
        UpdatedAt => UpdatedAt: Time,
    }
}

/// The writable fields of an asset; on update, an absent field is left as it is.
#[derive(InputObject, Clone, Debug, Default)]
pub struct AssetInput {
    pub name: Option<String>,
    pub asset_type_id: Option<ID>,
    pub description: MaybeUndefined<String>,
    pub ip: MaybeUndefined<IpAddr>,
    pub domain: MaybeUndefined<String>,
    pub compromise_status: Option<CompromiseStatus>,
    /// One of `analysisStatuses`.
    pub analysis_status_id: MaybeUndefined<i64>,
    /// Replaces the tags.
    pub tags: Option<Vec<String>>,
    /// Replaces the IOCs linked to the asset (they must be linked to its case).
    pub ioc_ids: Option<Vec<ID>>,
    /// Free notes on the asset.
    pub info: MaybeUndefined<String>,
    /// Free-form attributes: a JSON object (replaced whole).
    pub custom_attributes: MaybeUndefined<async_graphql::Json<serde_json::Value>>,
}

#[derive(InputObject, Clone, Debug)]
pub struct CreateAssetInput {
    pub case_id: ID,
    /// The shared fields first: `name` and `assetTypeId` below replace their optional
    /// forms, so that the schema says what creating requires.
    #[graphql(flatten)]
    pub fields: AssetInput,
    pub name: String,
    pub asset_type_id: ID,
}

async fn apply(
    db: &impl ConnectionTrait,
    am: &mut asset::ActiveModel,
    f: AssetInput,
) -> DomainResult<Option<Vec<i64>>> {
    set(&mut am.name, req_text("name", f.name, 300)?);
    if let Some(t) = f.asset_type_id {
        let t = ids::decode("assetTypeId", &t, Kind::AssetType)?;
        crud::find::<asset_type::Entity>(db, "asset type", t).await?;
        am.asset_type_id = Set(t);
    }
    set_opt(&mut am.description, opt_text("description", f.description, 100_000)?);
    set_opt(&mut am.ip, f.ip.map_value(|i| ip::canonical(i.0)));
    set_opt(&mut am.ip_bytes, f.ip.map_value(|i| ip::to_key(i.0)));
    set_opt(
        &mut am.domain,
        opt_text("domain", f.domain, 253)?.map_value(|d| d.to_lowercase()),
    );
    set(
        &mut am.compromise_status,
        f.compromise_status.map(|c| c.as_str().to_string()),
    );
    if let MaybeUndefined::Value(s) = f.analysis_status_id {
        crud::find::<analysis_status::Entity>(db, "analysis status", s).await?;
    }
    set_opt(&mut am.analysis_status_id, f.analysis_status_id);
    set(&mut am.tags, f.tags.map(|t| text::encode_tags("tags", &t)).transpose()?);
    set_opt(&mut am.info, opt_text("info", f.info, 100_000)?);
    set_opt(
        &mut am.custom_attributes,
        crud::attributes("customAttributes", f.custom_attributes)?,
    );
    am.updated_at = Set(Utc::now());
    f.ioc_ids.map(|i| ids::decode_all("iocIds", &i, Kind::Ioc)).transpose()
}

pub async fn create(db: &impl TransactionTrait, input: CreateAssetInput) -> DomainResult<asset::Model> {
    let case_id = ids::decode("caseId", &input.case_id, Kind::Case)?;
    let tx = db.begin().await?;
    crud::find::<case::Entity>(&tx, "case", case_id).await?;
    let mut am = asset::ActiveModel {
        case_id: Set(case_id),
        compromise_status: Set(CompromiseStatus::ToBeDetermined.as_str().into()),
        tags: Set(String::new()),
        created_at: Set(Utc::now()),
        ..Default::default()
    };
    let mut fields = input.fields;
    fields.name = Some(input.name);
    fields.asset_type_id = Some(input.asset_type_id);
    let iocs = apply(&tx, &mut am, fields).await?;
    let model = am.insert(&tx).await?;
    if let Some(iocs) = iocs {
        iocs::set_asset_iocs(&tx, &model, &iocs).await?;
    }
    super::case_states::bump(&tx, [model.case_id], super::case_states::CaseObjects::Assets).await?;
    tx.commit().await?;
    Ok(model)
}

pub async fn update(db: &impl TransactionTrait, id: i64, input: AssetInput) -> DomainResult<asset::Model> {
    let tx = db.begin().await?;
    let mut am: asset::ActiveModel = crud::find::<asset::Entity>(&tx, "asset", id).await?.into();
    let iocs = apply(&tx, &mut am, input).await?;
    let model = am.update(&tx).await?;
    if let Some(iocs) = iocs {
        iocs::set_asset_iocs(&tx, &model, &iocs).await?;
    }
    super::case_states::bump(&tx, [model.case_id], super::case_states::CaseObjects::Assets).await?;
    tx.commit().await?;
    Ok(model)
}

pub async fn delete(db: &impl ConnectionTrait, id: i64) -> DomainResult<()> {
    let a = crud::find::<asset::Entity>(db, "asset", id).await?;
    crud::delete::<asset::Entity>(db, "asset", id).await?;
    super::case_states::bump(db, [a.case_id], super::case_states::CaseObjects::Assets).await
}
