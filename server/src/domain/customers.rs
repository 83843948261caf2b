//! Customers: the tenants cases belong to.

use async_graphql::{InputObject, Json, MaybeUndefined};
use chrono::Utc;
use entities::{case, customer};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter,
};
use serde::Serialize;

use super::crud::{self, attributes, opt_text, req_text, set, set_opt};
use super::error::{DomainError, DomainResult};
use super::query::{TextOp, TimeOp};
use super::text::required;

/// Which customers: conditions on their fields, composed with `and`, `or` and `not`.
#[derive(InputObject, Serialize, Clone, Debug, Default)]
pub struct CustomerFilter {
    pub and: Option<Vec<CustomerFilter>>,
    pub or: Option<Vec<CustomerFilter>>,
    pub not: Option<Box<CustomerFilter>>,
    pub name: Option<TextOp>,
    pub description: Option<TextOp>,
    pub created_at: Option<TimeOp>,
}

crate::where_impl!(CustomerFilter, customer::Entity, |f, c| {
    c.on("name", &f.name, customer::Column::Name)?;
    c.on("description", &f.description, customer::Column::Description)?;
    c.on("createdAt", &f.created_at, customer::Column::CreatedAt)?;
});

crate::fields! {
    /// The fields customers sort, group and bucket by.
    CustomerField, CustomerOrder for customer {
        Name => Name: Text,
        CreatedAt => CreatedAt: Time,
    }
}

#[derive(InputObject, Clone, Debug, Default)]
pub struct CustomerInput {
    pub name: Option<String>,
    pub description: MaybeUndefined<String>,
    /// The service level agreed with the customer.
    pub sla: MaybeUndefined<String>,
    /// Free-form attributes: a JSON object (replaced whole).
    pub custom_attributes: MaybeUndefined<Json<serde_json::Value>>,
}

fn apply(am: &mut customer::ActiveModel, f: CustomerInput) -> DomainResult<()> {
    set(&mut am.name, req_text("name", f.name, 200)?);
    set_opt(&mut am.description, opt_text("description", f.description, 10_000)?);
    set_opt(&mut am.sla, opt_text("sla", f.sla, 10_000)?);
    set_opt(
        &mut am.custom_attributes,
        attributes("customAttributes", f.custom_attributes)?,
    );
    Ok(())
}

async fn name_taken(db: &impl ConnectionTrait, am: &customer::ActiveModel) -> DomainResult<()> {
    if let (Some(name), id) = (am.name.try_as_ref(), am.id.try_as_ref()) {
        let mut q = customer::Entity::find().filter(customer::Column::Name.eq(name.clone()));
        if let Some(id) = id {
            q = q.filter(customer::Column::Id.ne(*id));
        }
        if q.count(db).await? > 0 {
            return Err(DomainError::Conflict(format!(
                "a customer named {name:?} already exists"
            )));
        }
    }
    Ok(())
}

pub async fn create(db: &impl ConnectionTrait, name: String, input: CustomerInput) -> DomainResult<customer::Model> {
    let mut am = customer::ActiveModel {
        name: Set(required("name", &name, 200)?),
        created_at: Set(Utc::now()),
        ..Default::default()
    };
    apply(&mut am, input)?;
    name_taken(db, &am).await?;
    Ok(am.insert(db).await?)
}

pub async fn update(db: &impl ConnectionTrait, id: i64, input: CustomerInput) -> DomainResult<customer::Model> {
    let mut am: customer::ActiveModel = crud::find::<customer::Entity>(db, "customer", id).await?.into();
    apply(&mut am, input)?;
    name_taken(db, &am).await?;
    Ok(am.update(db).await?)
}

/// Deletes a customer that has no cases (cases are evidence: they are never removed
/// as a side effect).
pub async fn delete(db: &impl ConnectionTrait, id: i64) -> DomainResult<()> {
    crud::find::<customer::Entity>(db, "customer", id).await?;
    let cases = case::Entity::find()
        .filter(case::Column::CustomerId.eq(id))
        .count(db)
        .await?;
    if cases > 0 {
        return Err(DomainError::Conflict(format!(
            "customer {id} still has {cases} case(s)"
        )));
    }
    crud::delete::<customer::Entity>(db, "customer", id).await
}
