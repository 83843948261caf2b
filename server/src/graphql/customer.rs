//! Customers: the tenants cases belong to.

use async_graphql::{Context, Object, Result, ID};
use chrono::{DateTime, Utc};
use entities::{case, customer};
use sea_orm::{EntityTrait, QueryFilter};

use super::audit::write;
use super::case::Case;
use super::errors::Gql;
use super::loaders::{loader, GroupBy};
use super::pagination::{connection, Conn, PageArgs};
use crate::domain::customers::{self, CustomerFilter, CustomerInput};
use crate::domain::ids::{self, Kind};
use crate::group;

group!(CasesOfCustomer, case::Entity, case::Column::CustomerId, i64);

pub struct Customer(pub customer::Model);

#[Object]
impl Customer {
    pub async fn id(&self) -> ID {
        ids::encode(Kind::Customer, self.0.id)
    }
    async fn name(&self) -> &str {
        &self.0.name
    }
    async fn description(&self) -> Option<&str> {
        self.0.description.as_deref()
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    async fn cases(&self, ctx: &Context<'_>) -> Result<Vec<Case>> {
        let rows = loader::<GroupBy<CasesOfCustomer>>(ctx)
            .load_one(self.0.id)
            .await
            .gql()?;
        Ok(rows.unwrap_or_default().into_iter().map(Case).collect())
    }
}

#[derive(Default)]
pub struct CustomerQuery;

#[Object]
impl CustomerQuery {
    #[graphql(complexity = "super::pagination::cost(first, last, child_complexity)")]
    async fn customers(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
        filter: Option<CustomerFilter>,
    ) -> Result<Conn<Customer>> {
        let q = customer::Entity::find().filter(filter.unwrap_or_default().condition());
        connection(
            ctx,
            q,
            PageArgs {
                first,
                after,
                last,
                before,
            },
            Customer,
        )
        .await
    }
}

#[derive(Default)]
pub struct CustomerMutation;

#[Object]
impl CustomerMutation {
    async fn create_customer(&self, ctx: &Context<'_>, name: String, input: Option<CustomerInput>) -> Result<Customer> {
        let input = input.unwrap_or_default();
        write(ctx, move |tx| {
            Box::pin(async move { customers::create(tx, name, input).await })
        })
        .await
        .map(Customer)
    }
    async fn update_customer(&self, ctx: &Context<'_>, id: ID, input: CustomerInput) -> Result<Customer> {
        let id = ids::decode("id", &id, Kind::Customer).gql()?;
        write(ctx, move |tx| {
            Box::pin(async move { customers::update(tx, id, input).await })
        })
        .await
        .map(Customer)
    }
    /// Deletes a customer without cases (CONFLICT otherwise).
    async fn delete_customer(&self, ctx: &Context<'_>, id: ID) -> Result<ID> {
        let n = ids::decode("id", &id, Kind::Customer).gql()?;
        write(ctx, move |tx| Box::pin(async move { customers::delete(tx, n).await })).await?;
        Ok(id)
    }
}
