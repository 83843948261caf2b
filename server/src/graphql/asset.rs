//! Case assets, asset types and analysis statuses.

use async_graphql::{Context, Object, Result, SimpleObject, ID};
use chrono::{DateTime, Utc};
use entities::{analysis_status, asset, asset_type, case, ioc, ioc_asset};
use sea_orm::{DatabaseConnection, EntityTrait, QueryOrder};

use super::audit::write;
use super::case::Case;
use super::errors::Gql;
use super::ioc::Ioc;
use super::loaders::{loader, ById, GroupBy};
use crate::domain::assets::{
    self, AssetField, AssetFilter, AssetInput, AssetOrder, CompromiseStatus, CreateAssetInput,
};
use crate::domain::ids::{self, Kind};
use crate::domain::text;
use crate::group;

group!(IocLinksOfAsset, ioc_asset::Entity, ioc_asset::Column::AssetId, i64);
group!(AssetsByIp, asset::Entity, asset::Column::IpBytes, Vec<u8>);

pub struct Asset(pub asset::Model);

#[Object]
impl Asset {
    pub async fn id(&self) -> ID {
        ids::encode(Kind::Asset, self.0.id)
    }
    async fn name(&self) -> &str {
        &self.0.name
    }
    async fn description(&self) -> Option<&str> {
        self.0.description.as_deref()
    }
    async fn ip(&self) -> Option<&str> {
        self.0.ip.as_deref()
    }
    async fn domain(&self) -> Option<&str> {
        self.0.domain.as_deref()
    }
    async fn compromise_status(&self) -> CompromiseStatus {
        CompromiseStatus::parse(&self.0.compromise_status)
    }
    async fn tags(&self) -> Vec<String> {
        text::decode_tags(&self.0.tags)
    }
    /// Free notes on the asset.
    async fn info(&self) -> Option<&str> {
        self.0.info.as_deref()
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
    #[graphql(name = "type")]
    async fn asset_type(&self, ctx: &Context<'_>) -> Result<AssetType> {
        let t = loader::<ById<asset_type::Entity>>(ctx)
            .load_one(self.0.asset_type_id)
            .await
            .gql()?;
        t.map(AssetType).ok_or_else(|| "the type of an asset is gone".into())
    }
    async fn analysis_status(&self, ctx: &Context<'_>) -> Result<Option<AnalysisStatus>> {
        let Some(id) = self.0.analysis_status_id else {
            return Ok(None);
        };
        let s = loader::<ById<analysis_status::Entity>>(ctx).load_one(id).await.gql()?;
        Ok(s.map(|s| AnalysisStatus { id: s.id, name: s.name }))
    }
    async fn case(&self, ctx: &Context<'_>) -> Result<Case> {
        let c = loader::<ById<case::Entity>>(ctx).load_one(self.0.case_id).await.gql()?;
        c.map(Case).ok_or_else(|| "the case of an asset is gone".into())
    }
    async fn iocs(&self, ctx: &Context<'_>) -> Result<Vec<Ioc>> {
        let links = loader::<GroupBy<IocLinksOfAsset>>(ctx)
            .load_one(self.0.id)
            .await
            .gql()?
            .unwrap_or_default();
        let found = loader::<ById<ioc::Entity>>(ctx)
            .load_many(links.iter().map(|l| l.ioc_id))
            .await
            .gql()?;
        let mut out: Vec<Ioc> = found.into_values().map(Ioc).collect();
        out.sort_by_key(|i| i.0.id);
        Ok(out)
    }
}

/// A kind of asset (the IRIS asset types).
pub struct AssetType(pub asset_type::Model);

#[Object]
impl AssetType {
    pub async fn id(&self) -> ID {
        ids::encode(Kind::AssetType, self.0.id)
    }
    async fn name(&self) -> &str {
        &self.0.name
    }
    async fn description(&self) -> &str {
        &self.0.description
    }
}

/// How far the analysis of an asset has come.
// (The reference list of case-management tools: DFIR-IRIS's analysis statuses.)
#[derive(SimpleObject)]
pub struct AnalysisStatus {
    pub id: i64,
    pub name: String,
}

crate::listing!(
    AssetQuery, Asset, AssetFilter, AssetField, AssetOrder, "AssetAggregate",
    /// Assets that meet `filter`, in `orderBy` order (ties by ID, the way the last field goes; by ID alone, the order
    /// of adding, without one); `last` pages from the end.
    assets,
    /// Counts, groups and time buckets of the assets that meet `filter`.
    assets_aggregate,
);

/// The reference lists assets are described with.
#[derive(Default)]
pub struct AssetTypeQuery;

#[Object]
impl AssetTypeQuery {
    async fn asset_types(&self, ctx: &Context<'_>) -> Result<Vec<AssetType>> {
        let db = ctx.data_unchecked::<DatabaseConnection>();
        let rows = asset_type::Entity::find()
            .order_by_asc(asset_type::Column::Id)
            .all(db)
            .await
            .gql()?;
        Ok(rows.into_iter().map(AssetType).collect())
    }
    async fn analysis_statuses(&self, ctx: &Context<'_>) -> Result<Vec<AnalysisStatus>> {
        let db = ctx.data_unchecked::<DatabaseConnection>();
        let rows = analysis_status::Entity::find()
            .order_by_asc(analysis_status::Column::Id)
            .all(db)
            .await
            .gql()?;
        Ok(rows
            .into_iter()
            .map(|s| AnalysisStatus { id: s.id, name: s.name })
            .collect())
    }
}

#[derive(Default)]
pub struct AssetMutation;

#[Object]
impl AssetMutation {
    async fn create_asset(&self, ctx: &Context<'_>, input: CreateAssetInput) -> Result<Asset> {
        write(ctx, move |tx| Box::pin(async move { assets::create(tx, input).await }))
            .await
            .map(Asset)
    }
    async fn update_asset(&self, ctx: &Context<'_>, id: ID, input: AssetInput) -> Result<Asset> {
        let id = ids::decode("id", &id, Kind::Asset).gql()?;
        write(ctx, move |tx| {
            Box::pin(async move { assets::update(tx, id, input).await })
        })
        .await
        .map(Asset)
    }
    async fn delete_asset(&self, ctx: &Context<'_>, id: ID) -> Result<ID> {
        let n = ids::decode("id", &id, Kind::Asset).gql()?;
        write(ctx, move |tx| Box::pin(async move { assets::delete(tx, n).await })).await?;
        Ok(id)
    }
}
