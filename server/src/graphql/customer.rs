//! Customers: the tenants cases belong to.

use async_graphql::{Context, Json, Object, Result, ID};
use chrono::{DateTime, Utc};
use entities::{case, customer};

use super::audit::write;
use super::case::Case;
use super::errors::Gql;
use super::loaders::{loader, GroupBy};
use crate::domain::customers::{self, CustomerField, CustomerFilter, CustomerInput, CustomerOrder};
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
    /// The service level agreed with the customer.
    async fn sla(&self) -> Option<&str> {
        self.0.sla.as_deref()
    }
    /// Free-form attributes (a JSON object).
    async fn custom_attributes(&self) -> Option<Json<serde_json::Value>> {
        crate::domain::crud::attributes_of(self.0.custom_attributes.as_deref()).map(Json)
    }
    async fn cases(&self, ctx: &Context<'_>) -> Result<Vec<Case>> {
        let rows = loader::<GroupBy<CasesOfCustomer>>(ctx)
            .load_one(self.0.id)
            .await
            .gql()?;
        Ok(rows.unwrap_or_default().into_iter().map(Case).collect())
    }
}

crate::listing!(
    CustomerQuery, Customer, CustomerFilter, CustomerField, CustomerOrder, "CustomerAggregate",
    /// Customers that meet `filter`, in `orderBy` order (ties by ID, the way the last field goes).
    customers,
    /// Counts, groups and time buckets of the customers that meet `filter`.
    customers_aggregate,
);

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
