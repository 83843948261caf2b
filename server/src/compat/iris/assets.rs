//! A case's assets (`/case/assets/*`): Pivot's assets. An asset's compromise is v1.2's
//! `asset_compromised` (a boolean: compromised or not) or v2's
//! `asset_compromise_status_id` (`references::COMPROMISE_STATUSES`); IOC links are
//! IOCs of the case, by id. IRIS's list also named assets of the same name and type
//! in the customer's other cases (`link`); Pivot answers that list empty (it would
//! read every asset of the customer on every call).

use serde::Deserialize;
use serde_json::{json, Map, Value};

use super::super::{read_data, Answer, Context, Params, Refusal, Reply};
use super::form::Form;
use super::references::COMPROMISE_STATUSES;
use super::shapes::{global, global_of, iso, number};
use super::success;
use crate::domain::ids::Kind;

macro_rules! asset_fields {
    () => {
        "fragment A on Asset { id name description ip domain info compromiseStatus tags customAttributes \
         createdAt updatedAt type { id name } analysisStatus { id name } case { id number } \
         iocs { id value type description tags } }"
    };
}

pub(super) const ASSETS: &str = concat!(
    "query($caseId: ID!) { r: node(id: $caseId) { ... on Case { assets { ...A } ",
    super::states::states_of_case!(),
    " } } } ",
    asset_fields!()
);
pub(super) const ASSET: &str = concat!("query($id: ID!) { r: node(id: $id) { ...A } } ", asset_fields!());
/// The asset's case (the step before an update or deletion).
pub(super) const ASSET_CASE: &str = "query($id: ID!) { r: node(id: $id) { ... on Asset { id case { id } } } }";
pub(super) const ADD_ASSET: &str = concat!(
    "mutation($input: CreateAssetInput!) { r: createAsset(input: $input) { ...A } } ",
    asset_fields!()
);
pub(super) const UPDATE_ASSET: &str = concat!(
    "mutation($id: ID!, $input: AssetInput!, $inCase: Boolean!) { r: updateAsset(id: $id, input: $input) @include(if: $inCase) { ...A } } ",
    asset_fields!()
);
pub(super) const DELETE_ASSET: &str =
    "mutation($id: ID!, $inCase: Boolean!) { r: deleteAsset(id: $id) @include(if: $inCase) }";

pub const INVALID: &str = "Invalid asset ID for this case";

#[derive(Deserialize)]
struct Ref {
    id: Value,
    #[serde(default)]
    name: String,
}

#[derive(Deserialize)]
struct CaseRef {
    number: i64,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct LinkedIoc {
    id: String,
    value: String,
    #[serde(rename = "type")]
    ioc_type: String,
    description: Option<String>,
    tags: Vec<String>,
}

/// An asset as the fragment selects it.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Asset {
    id: String,
    name: String,
    description: Option<String>,
    ip: Option<String>,
    domain: Option<String>,
    info: Option<String>,
    compromise_status: String,
    tags: Vec<String>,
    custom_attributes: Option<Value>,
    created_at: chrono::DateTime<chrono::Utc>,
    updated_at: chrono::DateTime<chrono::Utc>,
    #[serde(rename = "type")]
    asset_type: Ref,
    analysis_status: Option<Ref>,
    case: CaseRef,
    iocs: Vec<LinkedIoc>,
}

impl Asset {
    fn compromise_id(&self) -> i64 {
        COMPROMISE_STATUSES
            .iter()
            .find(|c| c.1 == self.compromise_status)
            .map_or(0, |c| c.0)
    }

    fn analysis(&self) -> (Option<i64>, Option<String>) {
        match &self.analysis_status {
            Some(s) => (s.id.as_i64(), Some(s.name.clone())),
            None => (None, None),
        }
    }

    /// What IRIS's schema dumps of an asset (a read, an addition).
    fn dump(&self) -> Value {
        let (status_id, _) = self.analysis();
        json!({
            "asset_id": number(&self.id),
            "asset_uuid": self.id,
            "asset_name": self.name,
            "asset_description": self.description.clone().unwrap_or_default(),
            "asset_domain": self.domain.clone().unwrap_or_default(),
            "asset_ip": self.ip.clone().unwrap_or_default(),
            "asset_info": self.info.clone().unwrap_or_default(),
            "asset_compromised": self.compromise_status == "COMPROMISED",
            "asset_compromise_status_id": self.compromise_id(),
            "asset_type_id": number(self.asset_type.id.as_str().unwrap_or_default()),
            "analysis_status_id": status_id,
            "asset_tags": self.tags.join(","),
            "case_id": self.case.number,
            "user_id": null,
            "date_added": iso(&self.created_at),
            "date_update": iso(&self.updated_at),
            "custom_attributes": self.custom_attributes.clone().unwrap_or_else(|| json!({})),
        })
    }

    /// A row of the case's list.
    fn row(&self) -> Value {
        let (status_id, status) = self.analysis();
        let mut v = self.dump();
        v["asset_type"] = json!(self.asset_type.name);
        v["analysis_status"] = json!(status);
        v["analysis_status_id"] = json!(status_id);
        v["ioc"] = json!(self.iocs.iter().map(|i| json!([i.value])).collect::<Vec<_>>());
        v["ioc_links"] = json!(self.iocs.iter().map(|i| number(&i.id)).collect::<Vec<_>>());
        v["link"] = json!([]);
        v
    }
}

#[derive(Deserialize)]
struct Assets {
    r: AssetList,
}

#[derive(Deserialize)]
struct AssetList {
    assets: Vec<Asset>,
}

pub(super) fn asset_list(a: Answer, _: &Params, _: &Context) -> Result<Reply, Refusal> {
    let rows: Vec<Value> = a.read::<Assets>()?.r.assets.iter().map(Asset::row).collect();
    let state = super::states::state_in(&a.data["r"], "ASSETS");
    Ok(success("", json!({ "assets": rows, "state": state })))
}

pub(super) fn asset_id(p: &Params, _: &Context) -> Result<Value, Refusal> {
    Ok(json!({ "id": global(Kind::Asset, p.path("id"), INVALID)?, "inCase": false }))
}

pub(super) fn one_asset(a: Answer, _: &Params, _: &Context) -> Result<Reply, Refusal> {
    let asset: Asset = super::context::of_case(&a, INVALID)?;
    let mut out = asset.dump();
    out["linked_ioc"] = json!(asset
        .iocs
        .iter()
        .map(|i| json!({
            "ioc_id": number(&i.id),
            "ioc_value": i.value,
            "ioc_type": i.ioc_type,
            "ioc_tags": i.tags.join(","),
            "ioc_description": i.description.clone().unwrap_or_default(),
        }))
        .collect::<Vec<_>>());
    Ok(success("", out))
}

/// The fields an asset is written with (v1.2's and v2's).
fn asset_input(p: &Params, create: bool) -> Result<Map<String, Value>, Refusal> {
    let mut f = Form::new(
        p,
        &[
            "asset_name",
            "asset_type_id",
            "analysis_status_id",
            "asset_description",
            "asset_domain",
            "asset_ip",
            "asset_info",
            "asset_compromised",
            "asset_compromise_status_id",
            "asset_tags",
            "ioc_links",
            "custom_attributes",
        ],
    )?;
    let mut input = Map::new();
    let name = if create {
        f.required_text("asset_name", 2)
    } else {
        f.text("asset_name", 2)
    };
    if let Some(n) = name {
        input.insert("name".into(), json!(n));
    }
    let kind = if create {
        f.required_int("asset_type_id")
    } else {
        f.int("asset_type_id")
    };
    if let Some(t) = kind {
        input.insert("assetTypeId".into(), json!(global_of(Kind::AssetType, t).0));
    }
    if let Some(s) = f.int("analysis_status_id") {
        input.insert("analysisStatusId".into(), json!(s));
    }
    for (field, key) in [
        ("asset_description", "description"),
        ("asset_domain", "domain"),
        ("asset_info", "info"),
    ] {
        if f.has(field) {
            input.insert(key.into(), json!(f.text(field, 0).filter(|t| !t.is_empty())));
        }
    }
    if f.has("asset_ip") {
        match f.text("asset_ip", 0).filter(|t| !t.trim().is_empty()) {
            None => {
                input.insert("ip".into(), Value::Null);
            }
            Some(ip) if ip.trim().parse::<std::net::IpAddr>().is_ok() => {
                input.insert("ip".into(), json!(ip.trim()));
            }
            Some(_) => f.fail("asset_ip", "Not a valid IP address."),
        }
    }
    if let Some(id) = f.int("asset_compromise_status_id") {
        match COMPROMISE_STATUSES.iter().find(|c| c.0 == id) {
            Some(c) => {
                input.insert("compromiseStatus".into(), json!(c.1));
            }
            None => f.fail("asset_compromise_status_id", "Invalid compromise status"),
        }
    } else if let Some(b) = f.bool("asset_compromised") {
        let status = if b { "COMPROMISED" } else { "NOT_COMPROMISED" };
        input.insert("compromiseStatus".into(), json!(status));
    }
    if let Some(tags) = f.text("asset_tags", 0) {
        let list: Vec<&str> = tags.split(',').map(str::trim).filter(|t| !t.is_empty()).collect();
        input.insert("tags".into(), json!(list));
    }
    if let Some(links) = f.ints("ioc_links") {
        let ids: Vec<String> = links.iter().map(|i| global_of(Kind::Ioc, *i).0).collect();
        input.insert("iocIds".into(), json!(ids));
    }
    if f.has("custom_attributes") {
        input.insert("customAttributes".into(), json!(f.object("custom_attributes")));
    }
    f.finish()?;
    Ok(input)
}

pub(super) fn new_asset(p: &Params, _: &Context) -> Result<Value, Refusal> {
    let mut input = asset_input(p, true)?;
    // Filled by the case context.
    input.insert("caseId".into(), Value::Null);
    Ok(json!({ "input": input }))
}

pub(super) fn added_asset(a: Answer, _: &Params, _: &Context) -> Result<Reply, Refusal> {
    Ok(success("", read_data::<Asset>(&a.data["r"])?.dump()))
}

pub(super) fn asset_update(p: &Params, c: &Context) -> Result<Value, Refusal> {
    let mut v = asset_id(p, c)?;
    v["input"] = Value::Object(asset_input(p, false)?);
    Ok(v)
}

pub(super) fn updated_asset(a: Answer, _: &Params, _: &Context) -> Result<Reply, Refusal> {
    super::context::owned(&a, INVALID)?;
    let asset: Asset = read_data(&a.data["r"])?;
    Ok(success(&format!("Updated asset {}", asset.name), json!([])))
}

pub(super) fn deleted_asset(a: Answer, _: &Params, _: &Context) -> Result<Reply, Refusal> {
    super::context::owned(&a, INVALID)?;
    Ok(success("Deleted", json!([])))
}
