//! Hosts: filters, writes, and the host rows that flows and imports create on the way.

use async_graphql::{InputObject, MaybeUndefined};
use chrono::{DateTime, Utc};
use entities::{host, hostname, note, port};
use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, TransactionTrait,
};
use serde::Serialize;

use super::crud::{self, opt_text, set_opt};
use super::error::{DomainError, DomainResult};
use super::ids::Kind;
use super::ip;
use super::ports::PortFilter;
use super::query::{IntOp, IpOp, TextOp, TimeOp};
use super::text::{self};
use super::values::{IpAddr, MacAddr};

/// Which hosts: conditions on their fields, their names and their ports, composed
/// with `and`, `or` and `not`.
#[derive(InputObject, Serialize, Clone, Debug, Default)]
pub struct HostFilter {
    pub and: Option<Vec<HostFilter>>,
    pub or: Option<Vec<HostFilter>>,
    pub not: Option<Box<HostFilter>>,
    pub ip: Option<IpOp>,
    pub mac: Option<TextOp>,
    pub os: Option<TextOp>,
    /// ISO 3166 country code, upper case.
    pub country: Option<TextOp>,
    pub city: Option<TextOp>,
    pub asn: Option<IntOp>,
    pub as_name: Option<TextOp>,
    /// Has this category.
    pub category: Option<String>,
    pub status: Option<TextOp>,
    pub first_seen: Option<TimeOp>,
    pub last_seen: Option<TimeOp>,
    /// Has a name that meets it (names are stored lower case, without a final dot).
    pub hostnames: Option<HostnameFilter>,
    /// Has a port that meets it (`{port: {eq: 22}, state: {eq: "open"}}`).
    pub ports: Option<Box<PortFilter>>,
}

crate::where_impl!(HostFilter, host::Entity, tally = super::tallies::of_hosts, |f, c| {
    use host::Column as H;
    c.on("ip", &f.ip, H::Ip)?;
    c.on("mac", &f.mac, H::Mac)?;
    c.on("os", &f.os, H::Os)?;
    c.on("country", &f.country, H::Country)?;
    c.on("city", &f.city, H::City)?;
    c.on("asn", &f.asn, H::Asn)?;
    c.on("asName", &f.as_name, H::AsName)?;
    c.tagged("category", &f.category, H::Categories)?;
    c.on("status", &f.status, H::Status)?;
    c.on("firstSeen", &f.first_seen, H::FirstSeen)?;
    c.on("lastSeen", &f.last_seen, H::LastSeen)?;
    c.related("hostnames", f.hostnames.as_ref(), H::Id, hostname::Column::HostId)?;
    c.related("ports", f.ports.as_deref(), H::Id, port::Column::HostId)?;
});

crate::fields! {
    /// The fields hosts sort, group and bucket by.
    HostField, HostOrder for host {
        Ip => Ip: Ip,
        Mac => Mac: Text,
        Os => Os: Text,
        Country => Country: Text,
        City => City: Text,
        Asn => Asn: Int,
        AsName => AsName: Text,
        Status => Status: Text,
        FirstSeen => FirstSeen: Time,
        LastSeen => LastSeen: Time,
        CreatedAt => CreatedAt: Time,
        UpdatedAt => UpdatedAt: Time,
    }
}

/// Which names of a host.
#[derive(InputObject, Serialize, Clone, Debug, Default)]
pub struct HostnameFilter {
    pub and: Option<Vec<HostnameFilter>>,
    pub or: Option<Vec<HostnameFilter>>,
    pub not: Option<Box<HostnameFilter>>,
    pub name: Option<TextOp>,
    /// Where the name came from (`PTR`, `user`, a scan).
    pub source: Option<TextOp>,
}

crate::where_impl!(HostnameFilter, hostname::Entity, |f, c| {
    c.on("name", &f.name, hostname::Column::Name)?;
    c.on("source", &f.source, hostname::Column::Source)?;
});

/// The writable fields of a host; on update, an absent field is left as it is.
#[derive(InputObject, Clone, Debug, Default)]
pub struct HostInput {
    /// Replaces the host's names.
    pub hostnames: Option<Vec<String>>,
    pub mac: MaybeUndefined<MacAddr>,
    pub os: MaybeUndefined<String>,
    pub first_seen: MaybeUndefined<DateTime<Utc>>,
    pub last_seen: MaybeUndefined<DateTime<Utc>>,
    /// ISO 3166 two-letter country code.
    pub country: MaybeUndefined<String>,
    pub city: MaybeUndefined<String>,
    pub latitude: MaybeUndefined<f64>,
    pub longitude: MaybeUndefined<f64>,
    pub asn: MaybeUndefined<i64>,
    pub as_name: MaybeUndefined<String>,
    /// Replaces the host's categories.
    pub categories: Option<Vec<String>>,
}

#[derive(InputObject, Clone, Debug)]
pub struct CreateHostInput {
    pub ip: IpAddr,
    #[graphql(flatten)]
    pub fields: HostInput,
}

/// Lower case, no trailing dot: the form hostnames are stored and matched in.
pub fn normalize_hostname(name: &str) -> String {
    name.trim().trim_end_matches('.').to_lowercase()
}

fn valid_hostname(field: &str, name: &str) -> DomainResult<String> {
    let n = normalize_hostname(name);
    let ok = !n.is_empty()
        && n.len() <= 253
        && n.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_' | '*'));
    if ok {
        Ok(n)
    } else {
        Err(DomainError::bad(field, format!("{name:?} is not a hostname")))
    }
}

fn apply(am: &mut host::ActiveModel, f: HostInput) -> DomainResult<Option<Vec<String>>> {
    set_opt(&mut am.mac, f.mac.map_value(|m| m.0));
    set_opt(&mut am.os, opt_text("os", f.os, 200)?);
    set_opt(&mut am.first_seen, f.first_seen);
    set_opt(&mut am.last_seen, f.last_seen);
    let country = opt_text("country", f.country, 2)?.map_value(|c| c.to_uppercase());
    if let MaybeUndefined::Value(c) = &country {
        if c.len() != 2 || !c.chars().all(|ch| ch.is_ascii_alphabetic()) {
            return Err(DomainError::bad(
                "country",
                format!("{c:?} is not a two-letter country code"),
            ));
        }
    }
    set_opt(&mut am.country, country);
    set_opt(&mut am.city, opt_text("city", f.city, 200)?);
    if let MaybeUndefined::Value(lat) = f.latitude {
        if !(-90.0..=90.0).contains(&lat) {
            return Err(DomainError::bad("latitude", "must be between -90 and 90"));
        }
    }
    if let MaybeUndefined::Value(lon) = f.longitude {
        if !(-180.0..=180.0).contains(&lon) {
            return Err(DomainError::bad("longitude", "must be between -180 and 180"));
        }
    }
    set_opt(&mut am.latitude, f.latitude);
    set_opt(&mut am.longitude, f.longitude);
    if let MaybeUndefined::Value(asn) = f.asn {
        if !(0..=u32::MAX as i64).contains(&asn) {
            return Err(DomainError::bad("asn", "is not an AS number"));
        }
    }
    set_opt(&mut am.asn, f.asn);
    set_opt(&mut am.as_name, opt_text("asName", f.as_name, 200)?);
    if let Some(cats) = f.categories {
        am.categories = Set(text::encode_tags("categories", &cats)?);
    }
    f.hostnames
        .map(|names| {
            let mut out: Vec<String> = Vec::new();
            for n in names {
                let n = valid_hostname("hostnames", &n)?;
                if !out.contains(&n) {
                    out.push(n);
                }
            }
            Ok(out)
        })
        .transpose()
}

async fn replace_hostnames(db: &impl ConnectionTrait, host_id: i64, names: Vec<String>) -> DomainResult<()> {
    hostname::Entity::delete_many()
        .filter(hostname::Column::HostId.eq(host_id))
        .exec(db)
        .await?;
    if !names.is_empty() {
        hostname::Entity::insert_many(names.into_iter().map(|name| hostname::ActiveModel {
            host_id: Set(host_id),
            name: Set(name),
            source: Set("user".into()),
            ..Default::default()
        }))
        .exec(db)
        .await?;
    }
    Ok(())
}

pub async fn create(db: &impl TransactionTrait, input: CreateHostInput) -> DomainResult<host::Model> {
    let now = Utc::now();
    let mut am = host::ActiveModel {
        ip: Set(ip::to_key(input.ip.0)),
        categories: Set(String::new()),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    };
    let names = apply(&mut am, input.fields)?;
    let tx = db.begin().await?;
    let exists = host::Entity::find()
        .filter(host::Column::Ip.eq(ip::to_key(input.ip.0)))
        .one(&tx)
        .await?;
    if exists.is_some() {
        return Err(DomainError::Conflict(format!("host {} already exists", input.ip)));
    }
    let model = am.insert(&tx).await?;
    replace_hostnames(&tx, model.id, names.unwrap_or_default()).await?;
    tx.commit().await?;
    Ok(model)
}

pub async fn update(db: &impl TransactionTrait, id: i64, input: HostInput) -> DomainResult<host::Model> {
    let tx = db.begin().await?;
    let mut am: host::ActiveModel = crud::find::<host::Entity>(&tx, Kind::Host.name(), id).await?.into();
    let names = apply(&mut am, input)?;
    am.updated_at = Set(Utc::now());
    let model = am.update(&tx).await?;
    if let Some(names) = names {
        replace_hostnames(&tx, id, names).await?;
    }
    tx.commit().await?;
    Ok(model)
}

/// Deletes a host with its names, ports and the notes written about it.
pub async fn delete(db: &impl TransactionTrait, id: i64) -> DomainResult<()> {
    let tx = db.begin().await?;
    crud::delete::<host::Entity>(&tx, Kind::Host.name(), id).await?;
    note::Entity::delete_many()
        .filter(note::Column::SubjectType.eq(Kind::Host.name()))
        .filter(note::Column::SubjectId.eq(id))
        .exec(&tx)
        .await?;
    tx.commit().await?;
    Ok(())
}

/// Makes sure a host row exists for each address (flows, alerts and imports name
/// hosts by address); existing rows are left untouched. Returns the hosts added.
pub async fn ensure(db: &impl ConnectionTrait, keys: &[Vec<u8>]) -> DomainResult<u64> {
    let now = Utc::now();
    let mut keys = keys.to_vec();
    keys.sort();
    keys.dedup();
    if keys.is_empty() {
        return Ok(0);
    }
    Ok(host::Entity::insert_many(keys.into_iter().map(|k| host::ActiveModel {
        ip: Set(k),
        categories: Set(String::new()),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }))
    .on_conflict(OnConflict::column(host::Column::Ip).do_nothing().to_owned())
    .exec_without_returning(db)
    .await?)
}
