//! Evidences registered in cases.

use async_graphql::{Context, Object, Result, ID};
use chrono::{DateTime, Utc};
use entities::{case, evidence, user};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

use super::audit::write;
use super::case::Case;
use super::errors::Gql;
use super::loaders::{loader, ById};
use super::pagination::{connection, Conn, PageArgs};
use super::user::principal;
use super::user::User;
use crate::domain::evidences::{self, CreateEvidenceInput, EvidenceInput};
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

#[derive(Default)]
pub struct EvidenceQuery;

#[Object]
impl EvidenceQuery {
    /// Evidences of one case or all; `hash` finds a file by its digest.
    #[graphql(complexity = "super::pagination::cost(first, last, child_complexity)")]
    #[allow(clippy::too_many_arguments)]
    async fn evidences(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
        case_id: Option<ID>,
        hash: Option<String>,
    ) -> Result<Conn<Evidence>> {
        let mut q = evidence::Entity::find();
        if let Some(c) = case_id {
            q = q.filter(evidence::Column::CaseId.eq(ids::decode("caseId", &c, Kind::Case).gql()?));
        }
        if let Some(h) = hash {
            q = q.filter(evidence::Column::Hash.eq(h.trim().to_lowercase()));
        }
        connection(
            ctx,
            q,
            PageArgs {
                first,
                after,
                last,
                before,
            },
            Evidence,
        )
        .await
    }
}

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
