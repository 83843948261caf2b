//! Indicators of compromise, and their links to cases and case assets.

use async_graphql::{Enum, InputObject, MaybeUndefined, ID};
use chrono::Utc;
use entities::{asset, case, ioc, ioc_asset, ioc_case};
use sea_orm::sea_query::{OnConflict, Query};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter,
    TransactionTrait,
};
use serde::Serialize;

use super::crud::{self, opt_text, set, set_opt};
use super::error::{DomainError, DomainResult};
use super::ids::{self, Kind};
use super::query::{lower, stored, EnumOp, IdOp, TextOp, TimeOp};
use super::tenancy::Scope;
use super::text;
use super::values::IpAddr;

/// Traffic Light Protocol 2.0.
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum Tlp {
    Clear,
    Green,
    Amber,
    AmberStrict,
    Red,
}

impl Tlp {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Clear => "clear",
            Self::Green => "green",
            Self::Amber => "amber",
            Self::AmberStrict => "amber_strict",
            Self::Red => "red",
        }
    }

    pub fn parse(s: &str) -> Self {
        match s {
            "clear" | "white" => Self::Clear,
            "green" => Self::Green,
            "amber_strict" | "amber+strict" => Self::AmberStrict,
            "red" => Self::Red,
            _ => Self::Amber,
        }
    }
}

/// Which IOCs: conditions on their fields, composed with `and`, `or` and `not`.
#[derive(InputObject, Serialize, Clone, Debug, Default)]
pub struct IocFilter {
    pub and: Option<Vec<IocFilter>>,
    pub or: Option<Vec<IocFilter>>,
    pub not: Option<Box<IocFilter>>,
    /// `ip-src`, `domain`, `md5` ... (the usual IOC type names, stored lower case).
    #[graphql(name = "type")]
    pub ioc_type: Option<TextOp>,
    /// The value; `eq`, `ne`, `in` and `notIn` compare in the stored form (canonical
    /// addresses, lower-case names without a trailing dot).
    pub value: Option<TextOp>,
    pub description: Option<TextOp>,
    /// Has this tag.
    pub tag: Option<String>,
    pub tlp: Option<EnumOp<Tlp>>,
    /// Linked to a case that meets it; only the links to cases the caller sees count.
    pub case_id: Option<IdOp>,
    pub created_at: Option<TimeOp>,
    pub updated_at: Option<TimeOp>,
}

crate::where_impl!(IocFilter, ioc::Entity, |f, c| {
    use ioc::Column as C;
    c.on("type", &stored(&f.ioc_type, lower), C::IocType)?;
    c.on("value", &stored(&f.value, canonical_value), C::Value)?;
    c.on("description", &f.description, C::Description)?;
    c.tagged("tag", &f.tag, C::Tags)?;
    c.on("tlp", &f.tlp, C::Tlp)?;
    c.linked::<ioc_case::Entity>(
        "caseId",
        &f.case_id,
        Kind::Case,
        C::Id,
        ioc_case::Column::IocId,
        ioc_case::Column::CaseId,
    )?;
    c.on("createdAt", &f.created_at, C::CreatedAt)?;
    c.on("updatedAt", &f.updated_at, C::UpdatedAt)?;
});

crate::fields! {
    /// The fields IOCs sort, group and bucket by.
    IocField, IocOrder for ioc {
        Type => IocType: Text,
        Value => Value: Text,
        Tlp => Tlp: Text,
        CreatedAt => CreatedAt: Time,
        UpdatedAt => UpdatedAt: Time,
    }
}

/// The form IOC values are stored and matched in: addresses canonical, names lower
/// case without a trailing dot, anything else trimmed.
pub fn canonical_value(value: &str) -> String {
    let v = value.trim();
    if let Ok(ip) = v.parse::<IpAddr>() {
        return ip.to_string();
    }
    let looks_like_name = v.contains('.') && !v.contains('/') && !v.contains(' ') && !v.contains('@');
    if looks_like_name {
        v.trim_end_matches('.').to_lowercase()
    } else {
        v.to_string()
    }
}

/// Refuses a value that cannot be of its type, for the types whose form is known (IRIS
/// and MISP names: `ip-src`, `domain`, `md5`, `url`, `email-src` …); other types take
/// any text. A typo caught here is an IOC that would otherwise never match anything.
pub fn check_value(ioc_type: &str, value: &str) -> DomainResult<()> {
    let hex = |n: usize| value.len() == n && value.bytes().all(|b| b.is_ascii_hexdigit());
    let host = |v: &str| {
        let v = v.trim_end_matches('.');
        !v.is_empty()
            && v.len() <= 253
            && v.split('.').all(|l| {
                !l.is_empty()
                    && l.len() <= 63
                    && !l.starts_with('-')
                    && !l.ends_with('-')
                    && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
            })
    };
    let (ok, form) = match ioc_type {
        "ip" | "ip-src" | "ip-dst" | "ip-any" => (value.parse::<IpAddr>().is_ok(), "an IP address"),
        "domain" | "hostname" | "fqdn" => (host(value), "a domain name"),
        "md5" => (hex(32), "32 hexadecimal digits"),
        "sha1" => (hex(40), "40 hexadecimal digits"),
        "sha256" => (hex(64), "64 hexadecimal digits"),
        "sha512" => (hex(128), "128 hexadecimal digits"),
        "url" | "uri" => (
            value.split_once("://").is_some_and(|(scheme, rest)| {
                !scheme.is_empty()
                    && scheme.bytes().all(|b| b.is_ascii_alphanumeric() || b"+.-".contains(&b))
                    && !rest.is_empty()
            }),
            "a URL (scheme://…)",
        ),
        "email" | "email-src" | "email-dst" => (
            value
                .rsplit_once('@')
                .is_some_and(|(local, domain)| !local.is_empty() && host(domain)),
            "an e-mail address",
        ),
        "port" => (value.parse::<u16>().is_ok(), "a port number (0-65535)"),
        _ => (true, ""),
    };
    if ok {
        Ok(())
    } else {
        Err(DomainError::bad(
            "value",
            format!("{value:?} is not {form}, as an IOC of type {ioc_type} must be"),
        ))
    }
}

/// The writable fields of an IOC; on update, an absent field is left as it is.
#[derive(InputObject, Clone, Debug, Default)]
pub struct IocInput {
    pub description: MaybeUndefined<String>,
    /// Replaces the tags.
    pub tags: Option<Vec<String>>,
    pub tlp: Option<Tlp>,
    /// Free-form attributes: a JSON object (replaced whole).
    pub custom_attributes: MaybeUndefined<async_graphql::Json<serde_json::Value>>,
}

#[derive(InputObject, Clone, Debug)]
pub struct CreateIocInput {
    #[graphql(name = "type")]
    pub ioc_type: String,
    pub value: String,
    /// Cases to link the new IOC to.
    #[graphql(default)]
    pub case_ids: Vec<ID>,
    #[graphql(flatten)]
    pub fields: IocInput,
}

fn apply(am: &mut ioc::ActiveModel, f: IocInput) -> DomainResult<()> {
    set_opt(&mut am.description, opt_text("description", f.description, 10_000)?);
    set(&mut am.tags, f.tags.map(|t| text::encode_tags("tags", &t)).transpose()?);
    set(&mut am.tlp, f.tlp.map(|t| t.as_str().to_string()));
    set_opt(
        &mut am.custom_attributes,
        crud::attributes("customAttributes", f.custom_attributes)?,
    );
    am.updated_at = Set(Utc::now());
    Ok(())
}

/// Adds an IOC. A duplicate (same type and value) that `scope` can see is a conflict;
/// one only other customers' cases hold is not looked at, so a limited user learns
/// nothing of it and gets an IOC of its own.
pub async fn create(db: &impl TransactionTrait, input: CreateIocInput, scope: &Scope) -> DomainResult<ioc::Model> {
    let ioc_type = text::required("type", &input.ioc_type, 64)?.to_lowercase();
    let value = canonical_value(&text::required("value", &input.value, 4096)?);
    check_value(&ioc_type, &value)?;
    let case_ids = ids::decode_all("caseIds", &input.case_ids, Kind::Case)?;
    let now = Utc::now();
    let mut am = ioc::ActiveModel {
        ioc_type: Set(ioc_type.clone()),
        value: Set(value.clone()),
        tags: Set(String::new()),
        tlp: Set(Tlp::Amber.as_str().into()),
        created_at: Set(now),
        ..Default::default()
    };
    apply(&mut am, input.fields)?;
    let tx = db.begin().await?;
    // Without a unique index (the same value may exist once per tenant), concurrent
    // adds of one value are serialised here: SQLite by its one writer, PostgreSQL by a
    // lock on the type and value, held to the commit.
    crate::db::advisory_locks(&tx, &[("ioc", &format!("{ioc_type}\0{value}"))]).await?;
    let dup = ioc::Entity::find()
        .filter(ioc::Column::IocType.eq(ioc_type.clone()))
        .filter(ioc::Column::Value.eq(value.clone()))
        .filter(scope.condition::<ioc::Entity>())
        .count(&tx)
        .await?;
    if dup > 0 {
        return Err(DomainError::Conflict(format!(
            "an IOC {ioc_type} {value:?} already exists; link it instead"
        )));
    }
    crud::require_all::<case::Entity>(&tx, "case", &case_ids).await?;
    let model = am.insert(&tx).await?;
    link_cases(&tx, model.id, &case_ids).await?;
    super::case_states::bump(&tx, case_ids, super::case_states::CaseObjects::Iocs).await?;
    tx.commit().await?;
    Ok(model)
}

/// Changes an IOC; see [`require_whole`] for one shared with cases `scope` cannot see.
pub async fn update(db: &impl ConnectionTrait, id: i64, input: IocInput, scope: &Scope) -> DomainResult<ioc::Model> {
    let mut am: ioc::ActiveModel = crud::find::<ioc::Entity>(db, "IOC", id).await?.into();
    require_whole(db, id, scope).await?;
    apply(&mut am, input)?;
    let model = am.update(db).await?;
    super::case_states::bump(db, cases_of(db, id).await?, super::case_states::CaseObjects::Iocs).await?;
    Ok(model)
}

/// The cases an IOC is linked to (every one: a change shows in each).
async fn cases_of(db: &impl ConnectionTrait, ioc_id: i64) -> DomainResult<Vec<i64>> {
    use sea_orm::QuerySelect;
    Ok(ioc_case::Entity::find()
        .filter(ioc_case::Column::IocId.eq(ioc_id))
        .select_only()
        .column(ioc_case::Column::CaseId)
        .into_tuple()
        .all(db)
        .await?)
}

pub async fn delete(db: &impl ConnectionTrait, id: i64, scope: &Scope) -> DomainResult<()> {
    crud::find::<ioc::Entity>(db, "IOC", id).await?;
    require_whole(db, id, scope).await?;
    let cases = cases_of(db, id).await?;
    crud::delete::<ioc::Entity>(db, "IOC", id).await?;
    super::case_states::bump(db, cases, super::case_states::CaseObjects::Iocs).await
}

/// An IOC linked to cases of customers outside `scope` is shared with them: a user
/// limited to some customers may read it and link or unlink it to their own cases, but
/// changing or deleting it would change the other customers' case files, so it is
/// refused (`FORBIDDEN`). The refusal tells that user only that the IOC, which it can
/// already read, is also linked elsewhere — never where, nor anything of the other cases.
async fn require_whole(db: &impl ConnectionTrait, id: i64, scope: &Scope) -> DomainResult<()> {
    let Some(customers) = scope.customers() else {
        return Ok(());
    };
    let ours = Query::select()
        .column(case::Column::Id)
        .from(case::Entity)
        .and_where(case::Column::CustomerId.is_in(customers.to_vec()))
        .to_owned();
    let elsewhere = ioc_case::Entity::find()
        .filter(ioc_case::Column::IocId.eq(id))
        .filter(ioc_case::Column::CaseId.not_in_subquery(ours))
        .count(db)
        .await?;
    if elsewhere > 0 {
        return Err(DomainError::Forbidden(
            "this IOC is also linked to cases of customers you do not work for: unlink it from your cases instead, or ask an unrestricted analyst to change it".into(),
        ));
    }
    Ok(())
}

async fn link_cases(db: &impl ConnectionTrait, ioc_id: i64, case_ids: &[i64]) -> DomainResult<()> {
    if case_ids.is_empty() {
        return Ok(());
    }
    ioc_case::Entity::insert_many(case_ids.iter().map(|c| ioc_case::ActiveModel {
        ioc_id: Set(ioc_id),
        case_id: Set(*c),
    }))
    .on_conflict(
        OnConflict::columns([ioc_case::Column::IocId, ioc_case::Column::CaseId])
            .do_nothing()
            .to_owned(),
    )
    .exec_without_returning(db)
    .await?;
    Ok(())
}

/// Links an IOC to a case (idempotent).
pub async fn link(db: &impl TransactionTrait, ioc_id: i64, case_id: i64) -> DomainResult<()> {
    let tx = db.begin().await?;
    crud::find::<ioc::Entity>(&tx, "IOC", ioc_id).await?;
    crud::find::<case::Entity>(&tx, "case", case_id).await?;
    link_cases(&tx, ioc_id, &[case_id]).await?;
    super::case_states::bump(&tx, [case_id], super::case_states::CaseObjects::Iocs).await?;
    tx.commit().await?;
    Ok(())
}

/// Unlinks an IOC from a case; the IOC itself stays.
pub async fn unlink(db: &impl ConnectionTrait, ioc_id: i64, case_id: i64) -> DomainResult<()> {
    let res = ioc_case::Entity::delete_many()
        .filter(ioc_case::Column::IocId.eq(ioc_id))
        .filter(ioc_case::Column::CaseId.eq(case_id))
        .exec(db)
        .await?;
    if res.rows_affected == 0 {
        return Err(DomainError::not_found(format!(
            "link of IOC {ioc_id} to case {case_id}"
        )));
    }
    super::case_states::bump(db, [case_id], super::case_states::CaseObjects::Iocs).await
}

/// Deletes an IOC linked to no case (its asset links go with it); true if it did.
pub async fn delete_if_orphan(db: &impl ConnectionTrait, ioc_id: i64) -> DomainResult<bool> {
    let links = ioc_case::Entity::find()
        .filter(ioc_case::Column::IocId.eq(ioc_id))
        .count(db)
        .await?;
    if links > 0 {
        return Ok(false);
    }
    ioc::Entity::delete_by_id(ioc_id).exec(db).await?;
    Ok(true)
}

/// Replaces the IOCs linked to an asset; they must be linked to the asset's case.
pub async fn set_asset_iocs(db: &impl ConnectionTrait, asset: &asset::Model, ioc_ids: &[i64]) -> DomainResult<()> {
    crud::require_all::<ioc::Entity>(db, "IOC", ioc_ids).await?;
    let linked = ioc_case::Entity::find()
        .filter(ioc_case::Column::CaseId.eq(asset.case_id))
        .filter(ioc_case::Column::IocId.is_in(ioc_ids.to_vec()))
        .count(db)
        .await?;
    let mut wanted = ioc_ids.to_vec();
    wanted.sort_unstable();
    wanted.dedup();
    if linked as usize != wanted.len() {
        return Err(DomainError::bad(
            "iocIds",
            "every IOC must be linked to the asset's case first",
        ));
    }
    ioc_asset::Entity::delete_many()
        .filter(ioc_asset::Column::AssetId.eq(asset.id))
        .exec(db)
        .await?;
    if !wanted.is_empty() {
        ioc_asset::Entity::insert_many(wanted.iter().map(|i| ioc_asset::ActiveModel {
            ioc_id: Set(*i),
            asset_id: Set(asset.id),
        }))
        .exec_without_returning(db)
        .await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::{canonical_value, check_value};

    #[test]
    fn values_are_checked_against_their_type() {
        for (t, ok) in [
            ("ip-src", "10.0.0.1"),
            ("ip-dst", "2001:db8::1"),
            ("domain", "evil.example.com"),
            ("md5", "d41d8cd98f00b204e9800998ecf8427e"),
            ("sha256", &"a".repeat(64)),
            ("url", "http://evil.example/x"),
            ("email-src", "bob@evil.example"),
            ("port", "4444"),
            ("filename", "any thing.exe"),
        ] {
            assert!(check_value(t, ok).is_ok(), "{t} {ok}");
        }
        for (t, bad) in [
            ("ip-src", "10.0.0.256"),
            ("domain", "evil..example"),
            ("domain", "http://evil.example"),
            ("md5", "xyz"),
            ("sha1", "d41d8cd98f00b204e9800998ecf8427e"),
            ("url", "evil.example/x"),
            ("email-src", "bob"),
            ("port", "70000"),
        ] {
            assert!(check_value(t, bad).is_err(), "{t} {bad}");
        }
    }

    #[test]
    fn values_are_canonical() {
        assert_eq!(canonical_value(" ::ffff:10.0.0.1 "), "10.0.0.1");
        assert_eq!(canonical_value("Evil.Example.COM."), "evil.example.com");
        assert_eq!(
            canonical_value("D41D8CD98F00B204E9800998ECF8427E"),
            "D41D8CD98F00B204E9800998ECF8427E"
        );
        assert_eq!(canonical_value("http://Evil.example/x"), "http://Evil.example/x");
    }
}
