//! Users (`/manage/users/*`): Pivot's users. An IRIS user's id is the user's number,
//! its login Pivot's username (which does not change), its name the display name.
//! Every route here is user administration in Pivot, the lookups and the "restricted"
//! list too: Pivot shows colleagues as authors, never as a directory. A user made here
//! is a viewer (Pivot's least role: IRIS's new users have no group either) — or, with
//! v1.2's `user_isadmin`, an administrator — and gets an
//! API key at once, as IRIS answers one (`user_api_key`); a service account gets a
//! password nobody knows.

use serde::Deserialize;
use serde_json::{json, Value};

use super::super::{read_data, Answer, Context, Params, Refusal, Reply};
use super::form::Form;
use super::shapes::{global, number};
use super::success;
use crate::domain::ids::Kind;

macro_rules! user_fields {
    () => {
        "fragment U on User { id username displayName email active role customers { id name } }"
    };
}

pub(super) const USERS: &str = concat!(
    "query($after: String) { r: users(first: 1000, after: $after) { pageInfo { hasNextPage endCursor } nodes { ...U } } } ",
    user_fields!()
);
pub(super) const USER: &str = concat!("query($id: ID!) { r: node(id: $id) { ...U } } ", user_fields!());
pub(super) const USER_BY_LOGIN: &str = concat!(
    "query($login: String!) { r: users(filter: { username: { eq: $login } }, first: 1) { nodes { ...U } } } ",
    user_fields!()
);
/// The user made in the step before (`createUser`), and its API key.
pub(super) const CREATE_USER: &str = concat!(
    "mutation($input: CreateUserInput!) { u: createUser(input: $input) { ...U } } ",
    user_fields!()
);
pub(super) const USER_KEY: &str =
    "mutation($userId: ID!) { r: createApiToken(name: \"DFIR-IRIS API key\", userId: $userId) { token } }";
pub(super) const UPDATE_USER: &str = concat!(
    "mutation($id: ID!, $input: UserInput!, $password: String!, $setPassword: Boolean!) { ",
    "r: updateUser(id: $id, input: $input) { ...U } ",
    "p: resetPassword(id: $id, password: $password) @include(if: $setPassword) { id } } ",
    user_fields!()
);
pub(super) const SET_ACTIVE: &str = concat!(
    "mutation($id: ID!, $active: Boolean!) { r: updateUser(id: $id, input: { active: $active }) { ...U } } ",
    user_fields!()
);
pub(super) const DELETE_USER: &str = "mutation($id: ID!) { r: deleteUser(id: $id) }";

pub const INVALID_USER: &str = "Invalid user ID";
/// Pivot's rule for passwords (domain/users.rs).
const MIN_PASSWORD: usize = 12;

#[derive(Deserialize)]
struct Named {
    name: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct User {
    id: String,
    username: String,
    display_name: Option<String>,
    email: Option<String>,
    active: bool,
    role: String,
    customers: Vec<Named>,
}

#[derive(Deserialize)]
struct Nodes {
    nodes: Vec<User>,
}

#[derive(Deserialize)]
struct Page {
    r: Nodes,
}

impl User {
    fn name(&self) -> &str {
        self.display_name.as_deref().unwrap_or(&self.username)
    }

    /// A row of the restricted list, and the start of every other shape.
    fn restricted(&self) -> Value {
        json!({
            "user_id": number(&self.id),
            "user_uuid": self.id,
            "user_name": self.name(),
            "user_login": self.username,
            "user_active": self.active,
        })
    }

    fn row(&self) -> Value {
        let mut v = self.restricted();
        v["user_email"] = json!(self.email);
        v["user_is_service_account"] = json!(false);
        v
    }

    /// IRIS's user details (v2's keys, then v1.2's); Pivot has no groups,
    /// organisations or per-case access.
    fn detail(&self) -> Value {
        let mut v = self.row();
        v["id"] = json!(number(&self.id));
        v["user"] = json!(self.username);
        v["name"] = json!(self.name());
        v["email"] = json!(self.email);
        v["active"] = json!(self.active);
        v["user_roles_str"] = json!([self.role]);
        v["user_groups"] = json!([]);
        v["user_organisations"] = json!([]);
        v["user_permissions"] = json!([]);
        v["user_cases_access"] = json!([]);
        v["user_customers"] = json!(self.customers.iter().map(|c| c.name.clone()).collect::<Vec<_>>());
        v["user_primary_organisation_id"] = json!(0);
        v
    }

    /// What IRIS's schema dumps after a write.
    fn dump(&self) -> Value {
        let mut v = self.row();
        v["id"] = json!(number(&self.id));
        v["active"] = json!(self.active);
        v["user_isadmin"] = json!(self.role == "admin");
        v["user_primary_organisation_id"] = json!(0);
        v
    }
}

/// The one user of an answer's `r`, or IRIS's refusal.
fn the_user(r: &Value) -> Result<User, Refusal> {
    match r {
        v if v.get("username").is_some() => read_data(v),
        _ => Err(Refusal::bad(INVALID_USER)),
    }
}

pub(super) fn user_list(a: Answer, _: &Params, _: &Context) -> Result<Reply, Refusal> {
    let rows = pages(&a)?.iter().map(User::row).collect::<Vec<_>>();
    Ok(success("", json!(rows)))
}

pub(super) fn restricted_user_list(a: Answer, _: &Params, _: &Context) -> Result<Reply, Refusal> {
    let rows = pages(&a)?.iter().map(User::restricted).collect::<Vec<_>>();
    Ok(success("", json!(rows)))
}

fn pages(a: &Answer) -> Result<Vec<User>, Refusal> {
    let mut users = Vec::new();
    for page in std::iter::once(&a.data).chain(&a.pages) {
        users.extend(read_data::<Page>(page)?.r.nodes);
    }
    Ok(users)
}

pub(super) fn user_id(p: &Params, _: &Context) -> Result<Value, Refusal> {
    Ok(json!({ "id": global(Kind::User, p.path("id"), INVALID_USER)? }))
}

pub(super) fn one_user(a: Answer, _: &Params, _: &Context) -> Result<Reply, Refusal> {
    Ok(success("", the_user(&a.data["r"])?.detail()))
}

pub(super) fn looked_up_id(a: Answer, _: &Params, _: &Context) -> Result<Reply, Refusal> {
    let u = the_user(&a.data["r"])?;
    Ok(success(
        "",
        json!({ "user_login": u.username, "user_id": number(&u.id), "user_name": u.name() }),
    ))
}

pub(super) fn login(p: &Params, _: &Context) -> Result<Value, Refusal> {
    // Pivot keeps usernames in lower case.
    Ok(json!({ "login": p.path("login").to_lowercase() }))
}

pub(super) fn looked_up_login(a: Answer, _: &Params, _: &Context) -> Result<Reply, Refusal> {
    let Some(u) = read_data::<Page>(&a.data)?.r.nodes.into_iter().next() else {
        return Err(Refusal::bad("Invalid login"));
    };
    let mut v = u.restricted();
    v["user_email"] = json!(u.email);
    Ok(success("", v))
}

/// The fields a user is made or changed with (IRIS v2 ignores the others).
struct Fields {
    login: Option<String>,
    name: Option<String>,
    email: Option<String>,
    password: Option<String>,
    /// v1.2's `user_isadmin`: an administrator, or (false) not one.
    role: Option<&'static str>,
}

fn fields(p: &Params, create: bool) -> Result<Fields, Refusal> {
    let mut f = Form::lenient(p)?;
    let (login, name, email) = if create {
        (
            f.required_text("user_login", 2),
            f.required_text("user_name", 2),
            f.required_text("user_email", 2),
        )
    } else {
        (f.text("user_login", 2), f.text("user_name", 2), f.text("user_email", 2))
    };
    // Pivot's own limits, checked before anything runs: an update is two mutations
    // (the details, then the password), and the second must not fail on its input.
    for (field, value, max) in [("user_name", &name, 200), ("user_email", &email, 254)] {
        if value.as_ref().is_some_and(|v| v.chars().count() > max) {
            f.fail(field, format!("Longer than maximum length {max}."));
        }
    }
    if email
        .as_ref()
        .is_some_and(|e| !e.contains('@') || e.starts_with('@') || e.ends_with('@'))
    {
        f.fail("user_email", "Not a valid email address.");
    }
    let service = f.bool("user_is_service_account").unwrap_or(false);
    let role = f
        .bool("user_isadmin")
        .map(|admin| if admin { "ADMIN" } else { "VIEWER" });
    let password = f.text("user_password", 0).filter(|p| !p.is_empty());
    match &password {
        Some(pw) if pw.chars().count() < MIN_PASSWORD => f.fail(
            "user_password",
            format!("Password must be at least {MIN_PASSWORD} characters long"),
        ),
        Some(pw) if pw.len() > crate::domain::passwords::MAX_LENGTH => f.fail(
            "user_password",
            format!(
                "Password must be at most {} bytes long",
                crate::domain::passwords::MAX_LENGTH
            ),
        ),
        None if create && !service => f.fail("user_password", super::form::MISSING),
        _ => {}
    }
    f.finish()?;
    Ok(Fields {
        login,
        name,
        email,
        password,
        role,
    })
}

/// The step that makes the user (`createUser`), before its key is made.
pub(super) fn new_user(p: &Params, _: &Context) -> Result<Value, Refusal> {
    let f = fields(p, true)?;
    // A service account signs in with its key only: a password nobody knows.
    let password = f.password.unwrap_or_else(|| crate::domain::tokens::generate().0);
    Ok(json!({ "input": {
        "username": f.login, "password": password, "role": f.role.unwrap_or("VIEWER"),
        "displayName": f.name, "email": f.email,
    }}))
}

pub(super) fn feed_new_user(v: &Value, variables: &mut Value) {
    variables["userId"] = v["u"]["id"].clone();
}

pub(super) fn added_user(a: Answer, _: &Params, _: &Context) -> Result<Reply, Refusal> {
    let u = the_user(&a.prior["u"])?;
    let mut v = u.dump();
    v["user_api_key"] = a.data["r"]["token"].clone();
    Ok(success("user created", v))
}

pub(super) fn user_update(p: &Params, c: &Context) -> Result<Value, Refusal> {
    let id = user_id(p, c)?["id"].clone();
    let f = fields(p, false)?;
    let mut input = serde_json::Map::new();
    if let Some(n) = f.name {
        input.insert("displayName".into(), json!(n));
    }
    if let Some(e) = f.email {
        input.insert("email".into(), json!(e));
    }
    if let Some(r) = f.role {
        input.insert("role".into(), json!(r));
    }
    Ok(json!({
        "id": id, "input": input,
        "password": f.password.clone().unwrap_or_default(), "setPassword": f.password.is_some(),
    }))
}

/// The step before an update: the user exists, and keeps its login (Pivot does not
/// rename users).
pub(super) fn login_kept(v: &Value, p: &Params, _: &Context) -> Result<(), Refusal> {
    let u = the_user(&v["r"])?;
    // Pivot keeps usernames in lower case.
    match p.body.get("user_login").and_then(Value::as_str).map(str::to_lowercase) {
        Some(login) if login != u.username => Err(super::form::data_error(
            json!({ "user_login": ["Pivot keeps a user's login: it cannot be changed"] }),
        )),
        _ => Ok(()),
    }
}

/// v1.2's `user_isadmin: false` takes the administrator role away (an administrator
/// becomes an analyst) and leaves any other role as it is: IRIS only removes its
/// administrator role.
pub(super) fn feed_demotion(v: &Value, variables: &mut Value) {
    if variables["input"]["role"] == "VIEWER" {
        if let Some(input) = variables["input"].as_object_mut() {
            if v["r"]["role"] == "admin" {
                input.insert("role".into(), json!("ANALYST"));
            } else {
                input.remove("role");
            }
        }
    }
}

pub(super) fn updated_user(a: Answer, _: &Params, _: &Context) -> Result<Reply, Refusal> {
    Ok(success("User updated", the_user(&a.data["r"])?.dump()))
}

pub(super) fn deactivation(p: &Params, c: &Context) -> Result<Value, Refusal> {
    let id = user_id(p, c)?["id"].clone();
    if id.as_str() == Some(c.caller.as_str()) {
        return Err(Refusal::bad(
            "We do not recommend deactivating yourself for obvious reasons",
        ));
    }
    Ok(json!({ "id": id, "active": false }))
}

pub(super) fn activation(p: &Params, c: &Context) -> Result<Value, Refusal> {
    Ok(json!({ "id": user_id(p, c)?["id"], "active": true }))
}

pub(super) fn deactivated_user(a: Answer, _: &Params, _: &Context) -> Result<Reply, Refusal> {
    Ok(success("User deactivated", the_user(&a.data["r"])?.dump()))
}

pub(super) fn activated_user(a: Answer, _: &Params, _: &Context) -> Result<Reply, Refusal> {
    Ok(success("User activated", the_user(&a.data["r"])?.dump()))
}

/// The step before a deletion: IRIS deletes only a deactivated user.
pub(super) fn inactive(v: &Value, _: &Params, _: &Context) -> Result<(), Refusal> {
    match the_user(&v["r"])?.active {
        true => Err(Refusal::bad("Cannot delete active user")),
        false => Ok(()),
    }
}

pub(super) fn deleted_user(_: Answer, p: &Params, _: &Context) -> Result<Reply, Refusal> {
    Ok(success(&format!("Deleted user ID {}", p.path("id").trim()), json!([])))
}
