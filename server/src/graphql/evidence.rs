//! Evidences registered in cases.

use async_graphql::{Context, Object, Result, ID};
use chrono::{DateTime, Utc};
use entities::{case, evidence, user};

use super::audit::write;
use super::case::Case;
use super::errors::Gql;
use super::loaders::{loader, ById};
use super::user::principal;
use super::user::User;
use crate::domain::evidences::{
    self, CreateEvidenceInput, EvidenceField, EvidenceFilter, EvidenceInput, EvidenceOrder,
};
use crate::domain::ids::{self, Kind};

pub struct Evidence(pub evidence::Model);

#[Object]
impl Evidence {
    pub async fn id(&self) -> ID {
        ids::encode(Kind::Evidence, self.0.id)
    }
    async fn filename(&self) -> &str {
        &self.0.filename
    }
    async fn size(&self) -> Option<i64> {
        self.0.size
    }
    async fn hash(&self) -> Option<&str> {
        self.0.hash.as_deref()
    }
    async fn description(&self) -> Option<&str> {
        self.0.description.as_deref()
    }
    /// Free-form attributes (a JSON object).
    async fn custom_attributes(&self) -> Option<async_graphql::Json<serde_json::Value>> {
        crate::domain::crud::attributes_of(self.0.custom_attributes.as_deref()).map(async_graphql::Json)
    }
    async fn added_at(&self) -> DateTime<Utc> {
        self.0.added_at
    }
    async fn added_by(&self, ctx: &Context<'_>) -> Result<Option<User>> {
        let Some(id) = self.0.added_by else {
            return Ok(None);
        };
        Ok(loader::<ById<user::Entity>>(ctx).load_one(id).await.gql()?.map(User))
    }
    async fn case(&self, ctx: &Context<'_>) -> Result<Case> {
        let c = loader::<ById<case::Entity>>(ctx).load_one(self.0.case_id).await.gql()?;
        c.map(Case).ok_or_else(|| "the case of an evidence is gone".into())
    }
}

crate::listing!(
    EvidenceQuery, Evidence, EvidenceFilter, EvidenceField, EvidenceOrder, "EvidenceAggregate",
    /// Evidences that meet `filter`, in `orderBy` order (ties by ID, the way the last field goes; by ID alone, the
    /// order of adding, without one); `last` pages from the end.
    evidences,
    /// Counts, groups and time buckets of the evidences that meet `filter`.
    evidences_aggregate,
);

#[derive(Default)]
pub struct EvidenceMutation;

#[Object]
impl EvidenceMutation {
    async fn create_evidence(&self, ctx: &Context<'_>, input: CreateEvidenceInput) -> Result<Evidence> {
        let me = principal(ctx)?.user.id;
        write(ctx, move |tx| {
            Box::pin(async move { evidences::create(tx, input, Some(me)).await })
        })
        .await
        .map(Evidence)
    }
    async fn update_evidence(&self, ctx: &Context<'_>, id: ID, input: EvidenceInput) -> Result<Evidence> {
        let id = ids::decode("id", &id, Kind::Evidence).gql()?;
        write(ctx, move |tx| {
            Box::pin(async move { evidences::update(tx, id, input).await })
        })
        .await
        .map(Evidence)
    }
    async fn delete_evidence(&self, ctx: &Context<'_>, id: ID) -> Result<ID> {
        let n = ids::decode("id", &id, Kind::Evidence).gql()?;
        write(ctx, move |tx| Box::pin(async move { evidences::delete(tx, n).await })).await?;
        Ok(id)
    }
}
