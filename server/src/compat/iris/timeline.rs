//! A case's timeline (`/case/timeline/*`; v1.2's `event/...` paths and v2's
//! `events/...`): Pivot's timeline events. IRIS gives an event's time as a wall-clock
//! date and time with the UTC offset it was seen in (v1.2: `event_date`, `event_time`
//! and `event_tz`; v2: one `event_date`); Pivot keeps the instant and the offset, and
//! answers the wall-clock time (`event_date`) and the UTC one (`event_date_wtz`). A
//! category is given by id (`eventCategories`); Pivot links events to assets, not to
//! IOCs: v2's `event_iocs` must be empty.

use chrono::{DateTime, FixedOffset, NaiveDate, NaiveDateTime, NaiveTime, Utc};
use serde::Deserialize;
use serde_json::{json, Map, Value};

use super::super::{read_data, Answer, Context, Params, Refusal, Reply};
use super::form::{data_error, integer, Form};
use super::shapes::{global, global_of, iso, number};
use super::success;
use crate::domain::ids::Kind;

macro_rules! event_fields {
    () => {
        "fragment T on TimelineEvent { id title content occurredAt category source tags color raw timezone \
         inSummary inGraph customAttributes createdAt case { id number } \
         assets { id name description ip compromiseStatus type { name } } }"
    };
}

pub(super) const TIMELINE: &str = concat!(
    "query($caseId: ID!, $assetId: ID) { cats: eventCategories { id name } ",
    "r: node(id: $caseId) { ... on Case { timeline(assetId: $assetId) { ...T } ",
    super::states::states_of_case!(),
    " } } } ",
    event_fields!()
);
pub(super) const EVENT: &str = concat!(
    "query($id: ID!) { cats: eventCategories { id name } r: node(id: $id) { ...T } } ",
    event_fields!()
);
/// The categories, for one given by id (the step before an addition or update).
pub(super) const CATEGORIES: &str = "query { cats: eventCategories { id name } }";
/// The event's case (the step before an update or deletion).
pub(super) const EVENT_CASE: &str = "query($id: ID!) { r: node(id: $id) { ... on TimelineEvent { id case { id } } } }";
pub(super) const ADD_EVENT: &str = concat!(
    "mutation($input: CreateTimelineEventInput!) { r: createTimelineEvent(input: $input) { ...T } } ",
    event_fields!()
);
pub(super) const UPDATE_EVENT: &str = concat!(
    "mutation($id: ID!, $input: TimelineEventInput!, $inCase: Boolean!) { ",
    "r: updateTimelineEvent(id: $id, input: $input) @include(if: $inCase) { ...T } } ",
    event_fields!()
);
pub(super) const DELETE_EVENT: &str =
    "mutation($id: ID!, $inCase: Boolean!) { r: deleteTimelineEvent(id: $id) @include(if: $inCase) }";

pub const INVALID: &str = "Invalid event ID for this case";

#[derive(Deserialize, Clone)]
struct Category {
    id: i64,
    name: String,
}

#[derive(Deserialize)]
struct Named {
    name: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Asset {
    id: String,
    name: String,
    description: Option<String>,
    ip: Option<String>,
    compromise_status: String,
    #[serde(rename = "type")]
    asset_type: Named,
}

#[derive(Deserialize)]
struct CaseRef {
    number: i64,
}

/// An event as the fragment selects it.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Event {
    id: String,
    title: String,
    content: Option<String>,
    occurred_at: DateTime<Utc>,
    category: Option<String>,
    source: Option<String>,
    tags: Vec<String>,
    color: Option<String>,
    raw: Option<String>,
    timezone: Option<String>,
    in_summary: bool,
    in_graph: bool,
    custom_attributes: Option<Value>,
    created_at: DateTime<Utc>,
    case: CaseRef,
    assets: Vec<Asset>,
}

struct Categories(Vec<Category>);

impl Categories {
    fn of(v: &Value) -> Self {
        Self(serde_json::from_value(v["cats"].clone()).unwrap_or_default())
    }

    fn id_of(&self, name: Option<&str>) -> Option<i64> {
        name.and_then(|n| self.0.iter().find(|c| c.name == n)).map(|c| c.id)
    }
}

impl Event {
    fn offset(&self) -> FixedOffset {
        self.timezone
            .as_deref()
            .and_then(|z| z.parse().ok())
            .unwrap_or_else(|| FixedOffset::east_opt(0).expect("UTC"))
    }

    /// The wall-clock time where the event was seen.
    fn wall(&self) -> NaiveDateTime {
        self.occurred_at.with_timezone(&self.offset()).naive_local()
    }

    fn common(&self, cats: &Categories) -> Map<String, Value> {
        let category = cats.id_of(self.category.as_deref());
        let json = json!({
            "event_id": number(&self.id),
            "event_uuid": self.id,
            "event_title": self.title,
            "event_content": self.content.clone().unwrap_or_default(),
            "event_raw": self.raw.clone().unwrap_or_default(),
            "event_source": self.source.clone().unwrap_or_default(),
            "event_tz": self.timezone.clone().unwrap_or_else(|| "+00:00".into()),
            "event_color": self.color.clone().unwrap_or_default(),
            "event_tags": self.tags.join(","),
            "event_in_summary": self.in_summary,
            "event_in_graph": self.in_graph,
            "event_category_id": category,
            "category_name": self.category.clone().unwrap_or_default(),
            "custom_attributes": self.custom_attributes.clone().unwrap_or_else(|| json!({})),
        });
        match json {
            Value::Object(m) => m,
            _ => Map::new(),
        }
    }

    /// What IRIS dumps of one event (a read, an addition, an update).
    fn dump(&self, cats: &Categories) -> Value {
        let mut m = self.common(cats);
        let wall = self.wall();
        m.insert("case_id".into(), json!(self.case.number));
        m.insert("event_date".into(), json!(wall.format("%Y-%m-%d %H:%M:%S").to_string()));
        m.insert("event_time".into(), json!(wall.format("%H:%M:%S").to_string()));
        m.insert(
            "event_date_wtz".into(),
            json!(self.occurred_at.format("%Y-%m-%dT%H:%M:%S").to_string()),
        );
        m.insert("event_added".into(), json!(iso(&self.created_at)));
        m.insert("event_category".into(), m["event_category_id"].clone());
        m.insert(
            "event_assets".into(),
            json!(self.assets.iter().map(|a| number(&a.id)).collect::<Vec<_>>()),
        );
        m.insert("event_iocs".into(), json!([]));
        m.insert("user_id".into(), Value::Null);
        Value::Object(m)
    }

    /// A row of the case's timeline.
    fn row(&self, cats: &Categories) -> Value {
        let mut m = self.common(cats);
        m.insert(
            "event_date".into(),
            json!(self.wall().format("%Y-%m-%dT%H:%M:%S%.6f").to_string()),
        );
        m.insert("event_date_wtz".into(), json!(iso(&self.occurred_at)));
        let assets: Vec<Value> = self
            .assets
            .iter()
            .map(|a| {
                json!({
                    "asset_id": number(&a.id),
                    "name": format!("{} ({})", a.name, a.asset_type.name),
                    "ip": a.ip.clone().unwrap_or_default(),
                    "description": a.description.clone().unwrap_or_default(),
                    "compromised": a.compromise_status == "COMPROMISED",
                })
            })
            .collect();
        m.insert("assets".into(), json!(assets));
        Value::Object(m)
    }
}

#[derive(Deserialize)]
struct Listed {
    r: Timeline,
}

#[derive(Deserialize)]
struct Timeline {
    timeline: Vec<Event>,
}

/// The asset to filter on (`0`: every event).
pub(super) fn timeline_vars(p: &Params, _: &Context) -> Result<Value, Refusal> {
    let asset = match p.path("asset_id").trim() {
        "0" | "" => Value::Null,
        raw => global(Kind::Asset, raw, "Invalid asset ID for this case")?,
    };
    Ok(json!({ "assetId": asset }))
}

pub(super) fn timeline_list(a: Answer, _: &Params, _: &Context) -> Result<Reply, Refusal> {
    let cats = Categories::of(&a.data);
    let mut events = a.read::<Listed>()?.r.timeline;
    events.sort_by_key(|e| (e.occurred_at, number(&e.id)));
    let rows: Vec<Value> = events.iter().map(|e| e.row(&cats)).collect();
    let state = super::states::state_in(&a.data["r"], "TIMELINE");
    Ok(success("", json!({ "timeline": rows, "state": state })))
}

pub(super) fn event_id(p: &Params, _: &Context) -> Result<Value, Refusal> {
    Ok(json!({ "id": global(Kind::TimelineEvent, p.path("id"), INVALID)?, "inCase": false }))
}

pub(super) fn one_event(a: Answer, _: &Params, _: &Context) -> Result<Reply, Refusal> {
    let e: Event = super::context::of_case(&a, INVALID)?;
    Ok(success("", e.dump(&Categories::of(&a.data))))
}

/// An instant from IRIS's date, time and offset fields.
fn instant(date: &str, time: Option<&str>, tz: &str) -> Option<(DateTime<Utc>, String)> {
    let offset: FixedOffset = tz.trim().parse().ok()?;
    let wall = match time {
        Some(t) => {
            let d = NaiveDate::parse_from_str(date.trim(), "%Y-%m-%d").ok()?;
            let t = NaiveTime::parse_from_str(t.trim(), "%H:%M:%S%.f").ok()?;
            d.and_time(t)
        }
        None => ["%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%d %H:%M:%S%.f"]
            .iter()
            .find_map(|f| NaiveDateTime::parse_from_str(date.trim(), f).ok())?,
    };
    let at = wall.and_local_timezone(offset).single()?.with_timezone(&Utc);
    Some((at, offset.to_string()))
}

/// The fields an event is written with (v1.2's and v2's). The category's id is kept
/// in `category` for the step that names it ([`feed_category`]).
fn event_input(p: &Params, create: bool) -> Result<Map<String, Value>, Refusal> {
    let mut f = Form::new(
        p,
        &[
            "event_title",
            "event_content",
            "event_raw",
            "event_source",
            "event_assets",
            "event_category",
            "event_category_id",
            "event_color",
            "event_date",
            "event_time",
            "event_tz",
            "event_in_graph",
            "event_in_summary",
            "event_tags",
            "event_iocs",
            "event_sync_iocs_assets",
            "parent_event_id",
            "custom_attributes",
        ],
    )?;
    let mut input = Map::new();
    let title = if create {
        f.required_text("event_title", 2)
    } else {
        f.text("event_title", 2)
    };
    if let Some(t) = title {
        input.insert("title".into(), json!(t));
    }
    let date = if create {
        f.required_text("event_date", 1)
    } else {
        f.text("event_date", 1)
    };
    let time = f.text("event_time", 1);
    let tz = f.text("event_tz", 1).unwrap_or_else(|| "+00:00".into());
    if let Some(d) = date {
        match instant(&d, time.as_deref(), &tz) {
            Some((at, offset)) => {
                input.insert("occurredAt".into(), json!(at.to_rfc3339()));
                input.insert("timezone".into(), json!(offset));
            }
            None => f.fail("event_date", "Invalid date time"),
        }
    }
    for (field, key) in [
        ("event_content", "content"),
        ("event_raw", "raw"),
        ("event_source", "source"),
        ("event_color", "color"),
    ] {
        if f.has(field) {
            input.insert(key.into(), json!(f.text(field, 0).filter(|t| !t.is_empty())));
        }
    }
    if let Some(tags) = f.text("event_tags", 0) {
        let list: Vec<&str> = tags.split(',').map(str::trim).filter(|t| !t.is_empty()).collect();
        input.insert("tags".into(), json!(list));
    }
    for (field, key) in [("event_in_summary", "inSummary"), ("event_in_graph", "inGraph")] {
        if let Some(b) = f.bool(field) {
            input.insert(key.into(), json!(b));
        }
    }
    if let Some(assets) = f.ints("event_assets") {
        let ids: Vec<String> = assets.iter().map(|a| global_of(Kind::Asset, *a).0).collect();
        input.insert("assetIds".into(), json!(ids));
    }
    let category = f.int("event_category_id").or_else(|| f.int("event_category"));
    if create && category.is_none() && !f.has("event_category") && !f.has("event_category_id") {
        f.fail("event_category_id", super::form::MISSING);
    }
    if let Some(c) = category {
        input.insert("category".into(), json!(c));
    }
    if f.ints("event_iocs").is_some_and(|i| !i.is_empty()) {
        f.fail("event_iocs", "Pivot links timeline events to assets, not to IOCs.");
    }
    if f.int("parent_event_id").is_some() {
        f.fail("parent_event_id", "Pivot's timeline events have no parent events.");
    }
    f.bool("event_sync_iocs_assets");
    if f.has("custom_attributes") {
        input.insert("customAttributes".into(), json!(f.object("custom_attributes")));
    }
    f.finish()?;
    Ok(input)
}

/// The categories read before an addition or update: a category given must be one.
pub(super) fn category_known(v: &Value, p: &Params, _: &Context) -> Result<(), Refusal> {
    let given = p
        .body
        .get("event_category_id")
        .or_else(|| p.body.get("event_category"))
        .and_then(integer);
    match given {
        Some(id) if !Categories::of(v).0.iter().any(|c| c.id == id) => Err(data_error(
            json!({ "event_category_id": ["Invalid event category ID"] }),
        )),
        _ => Ok(()),
    }
}

/// ...and its name, written into the input, with the list for the answer.
pub(super) fn feed_category(v: &Value, variables: &mut Value) {
    let cats = Categories::of(v);
    if let Some(id) = variables["input"]["category"].as_i64() {
        let name = cats.0.iter().find(|c| c.id == id).map(|c| c.name.clone());
        variables["input"]["category"] = json!(name);
    }
    variables["cats"] = v["cats"].clone();
}

pub(super) fn new_event(p: &Params, _: &Context) -> Result<Value, Refusal> {
    let mut input = event_input(p, true)?;
    // Filled by the case context.
    input.insert("caseId".into(), Value::Null);
    Ok(json!({ "input": input }))
}

pub(super) fn added_event(a: Answer, _: &Params, _: &Context) -> Result<Reply, Refusal> {
    let e: Event = read_data(&a.data["r"])?;
    Ok(success("Event added", e.dump(&Categories::of(&a.variables))))
}

pub(super) fn event_update(p: &Params, c: &Context) -> Result<Value, Refusal> {
    let mut v = event_id(p, c)?;
    v["input"] = Value::Object(event_input(p, false)?);
    Ok(v)
}

/// IRIS answers an update as an addition ("Event added", sic).
pub(super) fn updated_event(a: Answer, _: &Params, _: &Context) -> Result<Reply, Refusal> {
    super::context::owned(&a, INVALID)?;
    let e: Event = read_data(&a.data["r"])?;
    Ok(success("Event added", e.dump(&Categories::of(&a.variables))))
}

pub(super) fn deleted_event(a: Answer, p: &Params, _: &Context) -> Result<Reply, Refusal> {
    super::context::owned(&a, INVALID)?;
    Ok(success(&format!("Event ID {} deleted", p.path("id").trim()), json!([])))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wall_clock_times_with_their_offset_are_instants() {
        let (at, tz) = instant("1892-10-14", Some("04:06:54"), "+00:00").unwrap();
        assert_eq!(at.to_rfc3339(), "1892-10-14T04:06:54+00:00");
        assert_eq!(tz, "+00:00");
        let (at, tz) = instant("2026-01-15T10:00:00.250000", None, "+02:00").unwrap();
        assert_eq!(at.to_rfc3339(), "2026-01-15T08:00:00.250+00:00");
        assert_eq!(tz, "+02:00");
        assert!(instant("2026-01-15", Some("25:00:00"), "+00:00").is_none());
        assert!(instant("yesterday", None, "+00:00").is_none());
        assert!(instant("2026-01-15", Some("10:00:00"), "Europe/Paris").is_none());
    }
}
