//! Customers: the tenants cases belong to.

use async_graphql::{InputObject, MaybeUndefined};
use chrono::Utc;
use entities::{case, customer};
use sea_orm::sea_query::Condition;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter,
};
use serde::Serialize;

use super::crud::{self, opt_text, req_text, set, set_opt};
use super::error::{DomainError, DomainResult};
use super::filters::contains;
use super::text::required;

#[derive(InputObject, Serialize, Clone, Debug, Default)]
pub struct CustomerFilter {
    /// Name contains this text, case-insensitive.
    pub name: Option<String>,
}

impl CustomerFilter {
    pub fn condition(&self) -> Condition {
        let mut c = Condition::all();
        if let Some(n) = &self.name {
            c = c.add(contains((customer::Entity, customer::Column::Name), n));
        }
        c
    }
}

#[derive(InputObject, Clone, Debug, Default)]
pub struct CustomerInput {
    pub name: Option<String>,
    pub description: MaybeUndefined<String>,
}

fn apply(am: &mut customer::ActiveModel, f: CustomerInput) -> DomainResult<()> {
    set(&mut am.name, req_text("name", f.name, 200)?);
    set_opt(&mut am.description, opt_text("description", f.description, 10_000)?);
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
