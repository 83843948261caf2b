//! Customers (`/manage/customers/*`, and v1.2.0's `/customer/add`): Pivot's customers,
//! with both of IRIS's id keys (`client_id`, v1.2; `customer_id`, v2). Pivot keeps no
//! customer contacts: a customer reads with none.

use serde::Deserialize;
use serde_json::{json, Value};

use super::super::{read_data, Answer, Context, Params, Refusal, Reply};
use super::form::Form;
use super::shapes::{global, iso, number};
use super::success;
use crate::domain::ids::Kind;

macro_rules! customer_fields {
    () => {
        "fragment C on Customer { id name description sla customAttributes createdAt }"
    };
}

pub(super) const CUSTOMERS: &str = concat!(
    "query($after: String) { r: customers(first: 1000, after: $after, orderBy: [{ field: NAME, direction: ASC }]) ",
    "{ pageInfo { hasNextPage endCursor } nodes { ...C } } } ",
    customer_fields!()
);
pub(super) const CUSTOMER: &str = concat!("query($id: ID!) { r: node(id: $id) { ...C } } ", customer_fields!());
pub(super) const CREATE_CUSTOMER: &str = concat!(
    "mutation($name: String!, $input: CustomerInput) { r: createCustomer(name: $name, input: $input) { ...C } } ",
    customer_fields!()
);
pub(super) const UPDATE_CUSTOMER: &str = concat!(
    "mutation($id: ID!, $input: CustomerInput!) { r: updateCustomer(id: $id, input: $input) { ...C } } ",
    customer_fields!()
);
pub(super) const DELETE_CUSTOMER: &str = "mutation($id: ID!) { r: deleteCustomer(id: $id) }";

/// A customer as the fragment selects it.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Customer {
    id: String,
    name: String,
    description: Option<String>,
    sla: Option<String>,
    custom_attributes: Option<Value>,
    created_at: chrono::DateTime<chrono::Utc>,
}

#[derive(Deserialize)]
struct One {
    r: Option<Value>,
}

#[derive(Deserialize)]
struct Page {
    r: Nodes,
}

#[derive(Deserialize)]
struct Nodes {
    nodes: Vec<Customer>,
}

impl Customer {
    /// An item of the list, and the answer to a read (v2's keys, and v1.2's `client_id`).
    fn item(&self) -> Value {
        let id = number(&self.id);
        json!({
            "customer_id": id,
            "client_id": id,
            "customer_name": self.name,
            "customer_description": self.description,
            "customer_sla": self.sla,
            "customer_uuid": self.id,
            "custom_attributes": self.custom_attributes.clone().unwrap_or_else(|| json!({})),
        })
    }

    /// What IRIS's schema dumps after an addition or an update.
    fn dump(&self) -> Value {
        let id = number(&self.id);
        json!({
            "customer_id": id,
            "client_id": id,
            "customer_name": self.name,
            "customer_description": self.description,
            "customer_sla": self.sla,
            "client_uuid": self.id,
            "creation_date": iso(&self.created_at),
            "last_update_date": null,
            "custom_attributes": self.custom_attributes.clone().unwrap_or_else(|| json!({})),
        })
    }
}

/// The one customer of a route's answer (`r`), or IRIS's refusal.
fn the_customer(a: &Answer) -> Result<Customer, Refusal> {
    match a.read::<One>()?.r {
        // Another kind's node selects no field of the fragment: no customer.
        Some(v) if v.get("id").is_some() => read_data(&v),
        _ => Err(Refusal::bad("Invalid Customer ID")),
    }
}

pub(super) fn customer_id(p: &Params, _: &Context) -> Result<Value, Refusal> {
    Ok(json!({ "id": global(Kind::Customer, p.path("id"), "Invalid Customer ID")? }))
}

/// The writable fields, from a body (`customer_name` required, at least 2 long).
fn customer_input(p: &Params) -> Result<(String, Value), Refusal> {
    let mut f = Form::new(
        p,
        &[
            "customer_name",
            "customer_description",
            "customer_sla",
            "custom_attributes",
        ],
    )?;
    let name = f.required_text("customer_name", 2);
    let mut input = serde_json::Map::new();
    for (field, key) in [("customer_description", "description"), ("customer_sla", "sla")] {
        if f.has(field) {
            input.insert(key.into(), json!(f.text(field, 0)));
        }
    }
    if f.has("custom_attributes") {
        input.insert("customAttributes".into(), json!(f.object("custom_attributes")));
    }
    f.finish()?;
    Ok((name.unwrap_or_default(), Value::Object(input)))
}

pub(super) fn new_customer(p: &Params, _: &Context) -> Result<Value, Refusal> {
    let (name, input) = customer_input(p)?;
    Ok(json!({ "name": name, "input": input }))
}

pub(super) fn customer_update(p: &Params, c: &Context) -> Result<Value, Refusal> {
    let id = customer_id(p, c)?["id"].clone();
    let (name, mut input) = customer_input(p)?;
    input["name"] = json!(name);
    Ok(json!({ "id": id, "input": input }))
}

pub(super) fn customer_list(a: Answer, _: &Params, _: &Context) -> Result<Reply, Refusal> {
    let mut rows = Vec::new();
    for page in std::iter::once(&a.data).chain(&a.pages) {
        rows.extend(read_data::<Page>(page)?.r.nodes.iter().map(Customer::item));
    }
    Ok(success("", json!(rows)))
}

pub(super) fn one_customer(a: Answer, _: &Params, _: &Context) -> Result<Reply, Refusal> {
    let mut c = the_customer(&a)?.item();
    // Pivot keeps no contacts.
    c["contacts"] = json!([]);
    Ok(success("", c))
}

pub(super) fn added_customer(a: Answer, _: &Params, _: &Context) -> Result<Reply, Refusal> {
    Ok(success("Added successfully", the_customer(&a)?.dump()))
}

/// IRIS v1.2.0's `/customer/add`.
pub(super) fn added_customer_v120(a: Answer, _: &Params, _: &Context) -> Result<Reply, Refusal> {
    let c = the_customer(&a)?;
    Ok(success(
        "Customer added",
        json!({ "client_id": number(&c.id), "customer_name": c.name }),
    ))
}

pub(super) fn updated_customer(a: Answer, _: &Params, _: &Context) -> Result<Reply, Refusal> {
    Ok(success("Customer updated", the_customer(&a)?.dump()))
}

pub(super) fn deleted_customer(_: Answer, _: &Params, _: &Context) -> Result<Reply, Refusal> {
    Ok(success("Deleted successfully", json!([])))
}
