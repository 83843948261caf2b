//! Intrudect: Reading what a route was called with: searches, filters, sorts, times.

use super::*;

/// What a list endpoint (its query string: paging when `paged`, and sorting; a filter
/// belongs to the search endpoint) or its search endpoint (a JSON body) asks for —
/// the two share their variables.
pub(super) struct Asked<F> {
    pub(super) filters: F,
    pub(super) page: Option<i64>,
    pub(super) page_size: Option<i64>,
    pub(super) sort: SortBody,
}

/// The body of a search endpoint.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct Search<F> {
    filters: Option<F>,
    page: Option<i64>,
    page_size: Option<i64>,
    sort: Option<SortBody>,
}

pub(super) fn asked<F: DeserializeOwned + Default>(
    p: &Params,
    c: &Context,
    endpoint: &str,
    paged: bool,
    filters: &[&str],
) -> Result<Asked<F>, Refusal> {
    let endpoint = format!("{}{endpoint}", c.mount);
    // List routes read no body; search routes always have one (`{}` when empty).
    if !p.body.is_null() {
        let s: Search<F> = read("search", &p.body)?;
        if !paged && (s.page.is_some() || s.page_size.is_some()) {
            return Err(Refusal::bad(format!(
                "{endpoint} is not paginated: drop page and page_size"
            )));
        }
        return Ok(Asked {
            filters: s.filters.unwrap_or_default(),
            page: s.page,
            page_size: s.page_size,
            sort: s.sort.unwrap_or_default(),
        });
    }
    let mut a = Asked {
        filters: F::default(),
        page: None,
        page_size: None,
        sort: SortBody::default(),
    };
    for (k, v) in &p.query {
        let int = |v: &str| {
            v.trim()
                .parse::<i64>()
                .map_err(|_| Refusal::bad(format!("{k} must be an integer, not {v:?}")))
        };
        match k.as_str() {
            "page" if paged => a.page = Some(int(v)?),
            "page_size" if paged => a.page_size = Some(int(v)?),
            "sort" => a.sort.field = Some(v.clone()),
            "order" => a.sort.order = Some(v.clone()),
            k if filters.contains(&k) => {
                return Err(Refusal::bad(format!(
                    "filtering is not supported on GET {endpoint}: use POST {endpoint}/search with a JSON body"
                )))
            }
            k => return Err(Refusal::bad(format!("unknown query parameter {k:?}"))),
        }
    }
    Ok(a)
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(super) struct SortBody {
    pub(super) field: Option<String>,
    pub(super) order: Option<String>,
}

/// The GraphQL sort field an alias of the dialect stands for; unknown ones fall back.
pub(super) fn sort_field(
    aliases: &[(&[&str], &'static str)],
    given: Option<&str>,
    default: &'static str,
) -> &'static str {
    let given = given.unwrap_or_default().trim().to_ascii_lowercase();
    aliases
        .iter()
        .find(|(names, _)| names.contains(&given.as_str()))
        .map_or(default, |(_, f)| f)
}

pub(super) fn sort_order(given: Option<&str>, default: &'static str) -> &'static str {
    match given.unwrap_or_default().trim().to_ascii_lowercase().as_str() {
        "asc" => "ASC",
        "desc" => "DESC",
        _ => default,
    }
}

/// The `orderBy` of a sort: the fields an alias stands for (`SRC_IP,SRC_MAC`), then the
/// ID the same way (Intrudect's order of rows with equal keys); `order` defaults to
/// `default_order`.
pub(super) fn order(
    aliases: &[(&[&str], &'static str)],
    sort: &SortBody,
    default: &'static str,
    default_order: &'static str,
) -> Value {
    let fields = sort_field(aliases, sort.field.as_deref(), default);
    let direction = sort_order(sort.order.as_deref(), default_order);
    let by = |field: &str| json!({"field": field, "direction": direction});
    let mut list: Vec<Value> = fields.split(',').map(by).collect();
    if fields != "ID" {
        list.push(by("ID"));
    }
    Value::Array(list)
}

/// At most this many values in one list of a search.
pub(super) const MAX_VALUES: usize = 100;

/// The values of a search's list `name`; an empty list is none.
pub(super) fn listed<T>(name: &str, list: Option<Vec<T>>) -> Result<Option<Vec<T>>, Refusal> {
    match list {
        Some(v) if v.len() > MAX_VALUES => Err(Refusal::bad(format!("{name}: at most {MAX_VALUES} values"))),
        Some(v) if v.is_empty() => Ok(None),
        v => Ok(v),
    }
}

/// A list of `LIKE` patterns (`%`, `_`) on `field`: any of them.
pub(super) fn any_like(name: &str, field: &str, list: Option<Vec<String>>) -> Result<Option<Value>, Refusal> {
    Ok(listed(name, list)?.map(|l| {
        let any: Vec<Value> = l.iter().map(|p| json!({ field: {"like": p.trim()} })).collect();
        json!({ "or": any })
    }))
}

/// A list of texts on `field`: any of them in it, as written.
pub(super) fn any_containing(name: &str, field: &str, list: Option<Vec<String>>) -> Result<Option<Value>, Refusal> {
    Ok(listed(name, list)?.map(|l| {
        let any: Vec<Value> = l.iter().map(|v| json!({ field: {"like": containing(v)} })).collect();
        json!({ "or": any })
    }))
}

/// Exactly one of the values of a list, on `field`.
pub(super) fn one_of<T: serde::Serialize>(
    name: &str,
    field: &str,
    list: Option<Vec<T>>,
) -> Result<Option<Value>, Refusal> {
    Ok(listed(name, list)?.map(|l| json!({ field: {"in": l} })))
}

/// A list of address patterns on `field`: whole addresses, or IPv4 `LIKE` patterns
/// (`10.0.0.%`), each the ranges of addresses whose dotted text it matches.
pub(super) fn any_address(name: &str, field: &str, list: Option<Vec<String>>) -> Result<Option<Value>, Refusal> {
    let Some(list) = listed(name, list)? else {
        return Ok(None);
    };
    let mut any = Vec::new();
    for p in &list {
        any.extend(address(name, field, p)?);
    }
    Ok(Some(json!({ "or": any })))
}

/// The conditions on `field` that one address pattern stands for, any of them.
pub(super) fn address(name: &str, field: &str, pattern: &str) -> Result<Vec<Value>, Refusal> {
    let ranges = patterns::address_ranges(pattern).map_err(|why| Refusal::bad(format!("{name}: {why}")))?;
    if ranges.is_empty() {
        // A pattern no address matches matches nothing.
        return Ok(vec![json!({ field: {"in": []} })]);
    }
    Ok(ranges
        .into_iter()
        .map(|(lo, hi)| {
            if lo == hi {
                json!({ field: {"eq": lo} })
            } else {
                json!({ field: {"range": {"from": lo, "to": hi}} })
            }
        })
        .collect())
}

/// Every one of the conditions given (none: every row).
pub(super) fn every<const N: usize>(parts: [Option<Value>; N]) -> Value {
    json!({ "and": parts.into_iter().flatten().collect::<Vec<_>>() })
}

/// The most rows a search that is not paginated answers with: more is refused (an
/// answer cut short would read as complete).
pub(super) const MAX_ROWS: usize = 10_000;

/// The rows of every page of a walked listing, in order.
pub(super) fn walked(a: &Answer) -> Result<impl Iterator<Item = &Value>, Refusal> {
    let pages = || std::iter::once(&a.data).chain(&a.pages);
    let rows: usize = pages().map(|d| d["r"]["nodes"].as_array().map_or(0, Vec::len)).sum();
    if rows > MAX_ROWS {
        return Err(Refusal::bad(format!(
            "more than {MAX_ROWS} rows match: narrow the search"
        )));
    }
    Ok(pages().flat_map(|d| d["r"]["nodes"].as_array().into_iter().flatten()))
}

/// A path `{id}`: an integer, as Pivot's global ID of `kind`.
pub(super) fn path_id(p: &Params, kind: Kind) -> Result<Value, Refusal> {
    let raw = p.path("id");
    let n = raw
        .parse::<i64>()
        .ok()
        .filter(|n| *n > 0)
        .ok_or_else(|| Refusal::bad(format!("id must be a positive integer, not {raw:?}")))?;
    Ok(json!(ids::encode(kind, n).0))
}

/// The number of a Pivot global ID, as Intrudect's integer IDs.
pub(super) fn number_of(id: &str) -> Option<i64> {
    ids::decode_any("id", id).ok().map(|(_, n)| n)
}

pub(super) fn exists(prior: &Value, _: &Params, _: &Context) -> Result<(), Refusal> {
    if prior["r"].is_null() {
        return Err(Refusal::new(StatusCode::NOT_FOUND, "not found"));
    }
    Ok(())
}

pub(super) fn of_kind(prior: &Value, kind: &str) -> Result<(), Refusal> {
    if prior["r"]["kind"] != kind {
        return Err(Refusal::new(StatusCode::NOT_FOUND, format!("{kind} alert not found")));
    }
    Ok(())
}

/// A numbered page ([`Paging::Numbered`]) of rows, under `key`.
/// A numbered page of the listing `r`: each node read as `T`, answered as `row` makes it.
pub(super) fn paged<T: DeserializeOwned, R: Serialize>(
    a: &Answer,
    key: &str,
    row: impl Fn(T) -> R,
) -> Result<Reply, Refusal> {
    let nodes: Vec<T> = read_data(&a.data["r"]["nodes"])?;
    let rows: Vec<R> = nodes.into_iter().map(row).collect();
    let n = a.numbered.expect("a numbered route");
    Ok(Reply::ok(json!({
        key: rows,
        "page": n.page,
        "page_size": n.size,
        "total_rows": n.total_rows,
        "total_pages": n.total_pages,
    })))
}
