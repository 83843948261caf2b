//! A case's IOCs (`/case/ioc/*`): Pivot's IOCs linked to the case. IRIS keeps one IOC
//! per (value, type) linked to many cases; Pivot does so per customer, so an IOC added
//! to a case where its customer already has it is the existing one, linked. A type is
//! named (v1.2's `ioc_type`) or given by id (v2's `ioc_type_id`, from `iocTypes`); TLP
//! ids are IRIS's (`references::TLPS`). An IOC's value and type are what it is: an
//! update that changes them is refused (add the new IOC instead).

use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};

use super::super::{read_data, read_text, Answer, Context, Params, Refusal, Reply};
use super::form::{data_error, Form};
use super::references::TLPS;
use super::shapes::{global, number};
use super::{success, success_of};
use crate::domain::ids::Kind;

macro_rules! ioc_fields {
    () => {
        "fragment I on Ioc { id type value description tags tlp customAttributes \
         cases { id number name customer { name } } }"
    };
}

pub(super) const IOC_LIST: &str = concat!(
    "query($caseId: ID!, $after: String) { types: iocTypes { id name } ",
    "states: node(id: $caseId) { ... on Case { ",
    super::states::states_of_case!(),
    " } } ",
    // A table, not a connection: a case may hold tens of thousands of IOCs.
    "r: iocTable(filter: { caseId: { eq: $caseId } }, first: 20000, after: $after, orderBy: [{ field: TYPE, direction: ASC }]) ",
    "{ pageInfo { hasNextPage endCursor } rows } }"
);
pub(super) const IOC: &str = concat!(
    "query($id: ID!) { types: iocTypes { id name } r: node(id: $id) { ...I } } ",
    ioc_fields!()
);
/// The IOC types, for a type given by id (the step before an addition or update).
pub(super) const TYPES: &str = "query { types: iocTypes { id name } }";
/// An IOC of the same value and type the caller can see (the step before an addition).
pub(super) const SAME: &str =
    "query($type: String!, $value: String!) { r: iocs(filter: { and: [{ type: { eq: $type } }, \
     { value: { eq: $value } }] }, first: 1) { nodes { id cases { id } } } }";
/// The IOC's cases (the step before an update or deletion).
pub(super) const IOC_CASES: &str = "query($id: ID!) { r: node(id: $id) { ... on Ioc { id type value cases { id } } } }";
pub(super) const ADD_IOC: &str = concat!(
    "mutation($input: CreateIocInput!, $existing: ID!, $caseId: ID!, $new: Boolean!, $link: Boolean!) { ",
    "added: addIoc(input: $input) @include(if: $new) { ...I } ",
    "linked: linkIoc(iocId: $existing, caseId: $caseId) @include(if: $link) { ...I } } ",
    ioc_fields!()
);
pub(super) const UPDATE_IOC: &str = concat!(
    "mutation($id: ID!, $input: IocInput!, $inCase: Boolean!) { r: updateIoc(id: $id, input: $input) @include(if: $inCase) { ...I } } ",
    ioc_fields!()
);
pub(super) const DELETE_IOC: &str = "mutation($id: ID!, $caseId: ID!, $inCase: Boolean!) { \
     r: unlinkIoc(iocId: $id, caseId: $caseId, deleteOrphan: true) @include(if: $inCase) { id cases { id } } }";

#[derive(Deserialize)]
struct Type {
    id: i64,
    name: String,
}

#[derive(Deserialize)]
struct CaseRef {
    id: String,
    #[serde(default)]
    number: i64,
    #[serde(default)]
    name: String,
    #[serde(default)]
    customer: Option<CustomerName>,
}

#[derive(Deserialize)]
struct CustomerName {
    name: String,
}

/// An IOC as the fragment selects it.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Ioc {
    id: String,
    #[serde(rename = "type")]
    ioc_type: String,
    value: String,
    description: Option<String>,
    tags: Vec<String>,
    tlp: String,
    custom_attributes: Option<Value>,
    cases: Vec<CaseRef>,
}

/// The type list, to name a type's id and spell a stored (lower-case) type its way.
struct Types(Vec<Type>);

impl Types {
    fn of(v: &Value) -> Result<Self, Refusal> {
        Ok(Self(read_data(&v["types"])?))
    }

    fn find(&self, name: &str) -> Option<&Type> {
        self.0.iter().find(|t| t.name.eq_ignore_ascii_case(name))
    }
}

fn tlp_id(level: &str) -> i64 {
    TLPS.iter().find(|t| t.1 == level).map_or(2, |t| t.0)
}

impl Ioc {
    /// The IOC as IRIS dumps it (a read, an addition).
    fn dump(&self, types: &Types) -> Value {
        serde_json::to_value(self.dumped(types)).unwrap_or_default()
    }

    fn dumped<'a>(&'a self, types: &'a Types) -> Dumped<'a> {
        let t = types.find(&self.ioc_type);
        Dumped {
            ioc_id: number(&self.id),
            ioc_uuid: &self.id,
            ioc_value: &self.value,
            ioc_type: t.map_or(self.ioc_type.as_str(), |t| t.name.as_str()),
            ioc_type_id: t.map(|t| t.id),
            ioc_description: self.description.as_deref().unwrap_or_default(),
            ioc_tags: self.tags.join(","),
            ioc_misp: None,
            ioc_tlp_id: tlp_id(&self.tlp),
            user_id: None,
            custom_attributes: Attributes(self.custom_attributes.as_ref()),
        }
    }

    /// A row of a case's list: with its TLP's name and the other cases it is in.
    fn row<'a>(&'a self, types: &'a Types, case_id: &str) -> ListRow<'a> {
        let tlp = TLPS.iter().find(|t| t.1 == self.tlp);
        ListRow {
            ioc: self.dumped(types),
            tlp_name: tlp.map(|t| t.2),
            tlp_bscolor: tlp.map(|t| t.3),
            misp_link: None,
            link: self
                .cases
                .iter()
                .filter(|c| c.id != case_id)
                .map(|c| Link {
                    case_id: c.number,
                    case_name: super::shapes::case_name(c.number, &c.name),
                    client_name: c.customer.as_ref().map(|x| x.name.as_str()),
                })
                .collect(),
        }
    }

    fn in_case(&self, case_id: &str) -> bool {
        self.cases.iter().any(|c| c.id == case_id)
    }
}

/// An IOC as IRIS dumps it.
#[derive(Serialize)]
struct Dumped<'a> {
    ioc_id: i64,
    ioc_uuid: &'a str,
    ioc_value: &'a str,
    ioc_type: &'a str,
    ioc_type_id: Option<i64>,
    ioc_description: &'a str,
    ioc_tags: String,
    ioc_misp: Option<()>,
    ioc_tlp_id: i64,
    user_id: Option<()>,
    custom_attributes: Attributes<'a>,
}

/// Custom attributes, `{}` for none.
struct Attributes<'a>(Option<&'a Value>);

impl Serialize for Attributes<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self.0 {
            Some(v) => v.serialize(s),
            None => serde::ser::SerializeMap::end(s.serialize_map(Some(0))?),
        }
    }
}

/// A row of a case's IOC list, written straight into the answer (thousands of them).
#[derive(Serialize)]
struct ListRow<'a> {
    #[serde(flatten)]
    ioc: Dumped<'a>,
    tlp_name: Option<&'static str>,
    tlp_bscolor: Option<&'static str>,
    misp_link: Option<()>,
    link: Vec<Link<'a>>,
}

/// Another case an IOC is in.
#[derive(Serialize)]
struct Link<'a> {
    case_id: i64,
    case_name: String,
    client_name: Option<&'a str>,
}

fn case_of(variables: &Value) -> &str {
    variables["caseId"].as_str().unwrap_or_default()
}

#[derive(Deserialize)]
struct Page {
    r: Rows,
}

/// A page of `iocTable`, whose rows hold what the fragment selects.
#[derive(Deserialize)]
struct Rows {
    /// JSON text.
    rows: String,
}

impl Rows {
    fn read(&self) -> Result<Vec<Ioc>, Refusal> {
        read_text(&self.rows)
    }
}

pub(super) fn ioc_list(a: Answer, _: &Params, _: &Context) -> Result<Reply, Refusal> {
    let types = Types::of(&a.data)?;
    let case = case_of(&a.variables);
    let mut iocs = Vec::new();
    for page in std::iter::once(&a.data).chain(&a.pages) {
        iocs.extend(read_data::<Page>(page)?.r.read()?);
    }
    let rows: Vec<ListRow> = iocs.iter().map(|i| i.row(&types, case)).collect();
    let state = super::states::state_in(&a.data["states"], "IOCS");
    #[derive(Serialize)]
    struct Data<'a> {
        ioc: Vec<ListRow<'a>>,
        state: Value,
    }
    success_of("", &Data { ioc: rows, state })
}

pub(super) fn ioc_id(p: &Params, _: &Context) -> Result<Value, Refusal> {
    Ok(json!({ "id": global(Kind::Ioc, p.path("id"), "Invalid IOC ID for this case")? }))
}

pub(super) fn one_ioc(a: Answer, _: &Params, _: &Context) -> Result<Reply, Refusal> {
    let types = Types::of(&a.data)?;
    match &a.data["r"] {
        v if v.get("id").is_some() => {
            let ioc: Ioc = read_data(v)?;
            if !ioc.in_case(case_of(&a.variables)) {
                return Err(Refusal::bad("Invalid IOC ID for this case"));
            }
            Ok(success("", ioc.dump(&types)))
        }
        _ => Err(Refusal::bad("Invalid IOC ID for this case")),
    }
}

/// The fields an IOC is written with; the type (by name or id) is checked against the
/// list by the step that reads it ([`known_type`]).
fn ioc_fields(p: &Params, create: bool) -> Result<Map<String, Value>, Refusal> {
    let mut f = Form::new(
        p,
        &[
            "ioc_value",
            "ioc_type",
            "ioc_type_id",
            "ioc_tlp_id",
            "ioc_description",
            "ioc_tags",
            "custom_attributes",
        ],
    )?;
    let mut input = Map::new();
    let value = f.required_text("ioc_value", 1);
    let named = f.text("ioc_type", 1);
    let by_id = f.int("ioc_type_id");
    if create && named.is_none() && by_id.is_none() && !f.has("ioc_type") && !f.has("ioc_type_id") {
        f.fail("ioc_type", super::form::MISSING);
    }
    if let Some(tlp) = f.int("ioc_tlp_id") {
        match TLPS.iter().find(|t| t.0 == tlp) {
            Some(t) => {
                input.insert("tlp".into(), json!(t.1));
            }
            None => f.fail("ioc_tlp_id", "Invalid TLP ID"),
        }
    }
    if f.has("ioc_description") {
        input.insert("description".into(), json!(f.text("ioc_description", 0)));
    }
    if let Some(tags) = f.text("ioc_tags", 0) {
        let list: Vec<&str> = tags.split(',').map(str::trim).filter(|t| !t.is_empty()).collect();
        input.insert("tags".into(), json!(list));
    }
    if f.has("custom_attributes") {
        input.insert("customAttributes".into(), json!(f.object("custom_attributes")));
    }
    f.finish()?;
    if let Some(v) = value {
        input.insert("value".into(), json!(v));
    }
    Ok(input)
}

/// The type an IOC is written with, by name or by id in the list; a refusal naming the
/// field otherwise.
fn known_type(types: &Types, p: &Params) -> Result<Option<String>, Refusal> {
    if let Some(id) = p.body.get("ioc_type_id").and_then(super::form::integer) {
        return match types.0.iter().find(|t| t.id == id) {
            Some(t) => Ok(Some(t.name.clone())),
            None => Err(data_error(json!({ "ioc_type_id": ["Invalid IOC type ID"] }))),
        };
    }
    match p.body.get("ioc_type").and_then(Value::as_str) {
        Some(name) => match types.find(name) {
            Some(t) => Ok(Some(t.name.clone())),
            None => Err(Refusal::bad("Not a valid IOC type")),
        },
        None => Ok(None),
    }
}

pub(super) fn new_ioc(p: &Params, _: &Context) -> Result<Value, Refusal> {
    let mut input = ioc_fields(p, true)?;
    let value = input.get("value").cloned().unwrap_or_default();
    input.insert("type".into(), json!(""));
    // `body` is for the steps (the type given), never an operation's variable.
    Ok(json!({
        "input": input, "value": value, "type": "", "existing": "-", "new": true, "link": false,
        "body": p.body,
    }))
}

/// The type list read before an addition or update: the type given must be in it.
pub(super) fn type_known(v: &Value, p: &Params, _: &Context) -> Result<(), Refusal> {
    known_type(&Types::of(v)?, p).map(|_| ())
}

/// ...and its name (`typeName`, and `type` lower-case as IOCs keep it), with the list.
pub(super) fn feed_type(v: &Value, variables: &mut Value) {
    let p = Params {
        body: variables["body"].clone(),
        ..Default::default()
    };
    // `type_known` checked the type just before.
    if let Ok(types) = Types::of(v) {
        if let Ok(Some(name)) = known_type(&types, &p) {
            variables["type"] = json!(name.to_lowercase());
            variables["typeName"] = json!(name);
        }
    }
    variables["types"] = v["types"].clone();
}

/// What the search for the same IOC found: link it, or add a new one.
pub(super) fn feed_same(v: &Value, variables: &mut Value) {
    let case = variables["caseId"].clone();
    let found = &v["r"]["nodes"][0];
    if let Some(id) = found["id"].as_str() {
        let linked = found["cases"]
            .as_array()
            .is_some_and(|cs| cs.iter().any(|c| c["id"] == case));
        variables["existing"] = json!(id);
        variables["new"] = json!(false);
        variables["link"] = json!(!linked);
        variables["alreadyLinked"] = json!(linked);
    }
    variables["input"]["type"] = variables["typeName"].clone();
    variables["input"]["caseIds"] = json!([case]);
}

pub(super) fn added_ioc(a: Answer, _: &Params, _: &Context) -> Result<Reply, Refusal> {
    if a.variables["alreadyLinked"] == true {
        return Err(Refusal::bad("IOC already exists and linked to this case"));
    }
    let types = Types::of(&a.variables)?;
    let (ioc, message) = match (&a.data["added"], &a.data["linked"]) {
        (v, _) if v.is_object() => (v, "IOC added"),
        (_, v) => (v, "IOC already existed in DB. Updated with info on DB."),
    };
    Ok(success(message, read_data::<Ioc>(ioc)?.dump(&types)))
}

pub(super) fn ioc_update(p: &Params, c: &Context) -> Result<Value, Refusal> {
    let id = ioc_id(p, c)?["id"].clone();
    let mut input = ioc_fields(p, false)?;
    let value = input.remove("value");
    Ok(json!({ "id": id, "input": input, "value": value, "inCase": false, "body": p.body }))
}

/// Whether the IOC is the case's (the update or deletion runs only then), and for an
/// update, whether it would change what the IOC is.
pub(super) fn feed_in_case(v: &Value, variables: &mut Value) {
    let case = variables["caseId"].clone();
    let ioc = &v["r"];
    let in_case = ioc["cases"]
        .as_array()
        .is_some_and(|cs| cs.iter().any(|c| c["id"] == case));
    let differs = |given: &Value, kept: &Value| match (given.as_str(), kept.as_str()) {
        (Some(g), Some(k)) => !g.trim().eq_ignore_ascii_case(k),
        _ => false,
    };
    let changed = differs(&variables["value"], &ioc["value"]) || differs(&variables["typeName"], &ioc["type"]);
    variables["inCase"] = json!(in_case && !changed);
    variables["changed"] = json!(in_case && changed);
}

pub(super) fn updated_ioc(a: Answer, _: &Params, _: &Context) -> Result<Reply, Refusal> {
    if a.variables["changed"] == true {
        return Err(data_error(json!({
            "ioc_value": ["The value and type of an IOC cannot be changed: add the new IOC instead"]
        })));
    }
    if a.variables["inCase"] != true {
        return Err(Refusal::bad("Invalid IOC ID for this case"));
    }
    let ioc: Ioc = read_data(&a.data["r"])?;
    Ok(success(&format!("Updated ioc {}", ioc.value), json!([])))
}

pub(super) fn ioc_delete(p: &Params, c: &Context) -> Result<Value, Refusal> {
    let id = ioc_id(p, c)?["id"].clone();
    Ok(json!({ "id": id, "inCase": false }))
}

pub(super) fn deleted_ioc(a: Answer, _: &Params, _: &Context) -> Result<Reply, Refusal> {
    if a.variables["inCase"] != true {
        return Err(Refusal::bad("Not a valid IOC for this case"));
    }
    // Linked to no other case the caller sees, it went with its last link.
    let unlinked = a.data["r"]["cases"].as_array().is_some_and(|cs| !cs.is_empty());
    Ok(success(
        if unlinked { "IOC unlinked" } else { "IOC deleted" },
        json!([]),
    ))
}
