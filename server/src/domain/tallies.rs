//! Counts the database keeps as rows change, for the filters counted most: the hosts
//! with a port of a number in a state (`{ports: {port: {eq: 22}, state: {eq: "open"}}}`,
//! IVRE's `count?q=open:22`). Counting those hosts from the ports grows with them (a
//! million hosts: a quarter of a second); the kept count is one small read. The
//! triggers that keep it are in migration 21 (`port_tallies`); a listing's or an
//! aggregate's count reads it whenever its filter is exactly such a shape
//! ([`super::query::Where::tally`]), and counts rows otherwise.

use std::sync::atomic::{AtomicBool, Ordering};

use entities::port_tally;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, ConnectionTrait, DbBackend, EntityTrait, QueryFilter, QuerySelect, Select};
use serde::Serialize;
use serde_json::Value;

use super::error::DomainResult;

/// A count the database keeps.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Tally {
    /// The hosts with at least one port of this number in this state.
    HostsWithPort { port: i32, state: String },
}

/// How many rows a count may add up before they are folded into one (PostgreSQL
/// appends a row per change; imports fold them when they finish).
const FOLD_AFTER: i64 = 64;

/// Whether a count's fold is under way.
static FOLDING: AtomicBool = AtomicBool::new(false);

/// The tally a hosts filter asks for, if it is exactly `{ports: {port: {eq: N}, state:
/// {eq: S}}}`. Read from the filter's JSON form, so that a field added to the filters
/// later can only make a filter not match, never be ignored.
pub fn of_hosts(filter: &impl Serialize) -> Option<Tally> {
    let v = stripped(serde_json::to_value(filter).ok()?)?;
    let top = v.as_object()?;
    let ports = top.get("ports")?.as_object()?;
    if top.len() != 1 || ports.len() != 2 {
        return None;
    }
    let only_eq = |field: &str| {
        let op = ports.get(field)?.as_object()?;
        (op.len() == 1).then(|| op.get("eq")).flatten()
    };
    Some(Tally::HostsWithPort {
        port: i32::try_from(only_eq("port")?.as_i64()?).ok()?,
        state: only_eq("state")?.as_str()?.to_string(),
    })
}

/// `v` without its null members; `None` when nothing is left.
fn stripped(v: Value) -> Option<Value> {
    match v {
        Value::Null => None,
        Value::Object(map) => {
            let kept: serde_json::Map<String, Value> =
                map.into_iter().filter_map(|(k, v)| Some((k, stripped(v)?))).collect();
            (!kept.is_empty()).then_some(Value::Object(kept))
        }
        other => Some(other),
    }
}

/// The statement that reads a kept count: its total, and how many rows it added up.
pub fn statement(tally: &Tally) -> Select<port_tally::Entity> {
    let Tally::HostsWithPort { port, state } = tally;
    port_tally::Entity::find()
        .select_only()
        .column_as(Expr::cust("CAST(COALESCE(SUM(hosts), 0) AS BIGINT)"), "hosts")
        .column_as(Expr::cust("COUNT(*)"), "added")
        .filter(port_tally::Column::Port.eq(*port))
        .filter(port_tally::Column::State.eq(state.as_str()))
}

/// The kept count, folding its rows when there are many of them.
pub async fn count<C: ConnectionTrait + Clone + Send + 'static>(db: &C, tally: &Tally) -> DomainResult<i64> {
    let (hosts, added) = statement(tally)
        .into_tuple::<(i64, i64)>()
        .one(db)
        .await?
        .unwrap_or((0, 0));
    // Later counts are then one row again; this one is already exact. One fold at a
    // time: the counts that meanwhile find many rows leave them to it.
    if added > FOLD_AFTER && !FOLDING.swap(true, Ordering::AcqRel) {
        let db = db.clone();
        tokio::spawn(async move {
            if let Err(e) = fold(&db).await {
                tracing::warn!(error = %e, "folding the port tallies");
            }
            FOLDING.store(false, Ordering::Release);
        });
    }
    Ok(hosts)
}

/// Sums PostgreSQL's appended rows into one per key, in one statement, so that it
/// removes exactly the rows it adds up while writers go on appending. SQLite keeps one
/// row per key already.
pub async fn fold(db: &impl ConnectionTrait) -> DomainResult<()> {
    if db.get_database_backend() == DbBackend::Postgres {
        db.execute_unprepared(
            "WITH gone AS (DELETE FROM port_tallies RETURNING port, state, hosts) \
             INSERT INTO port_tallies (port, state, hosts) \
             SELECT port, state, SUM(hosts) FROM gone GROUP BY port, state HAVING SUM(hosts) <> 0",
        )
        .await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn only_the_exact_shape_is_a_tally() {
        let tally = |v: Value| of_hosts(&v);
        assert_eq!(
            tally(json!({"ports": {"port": {"eq": 22}, "state": {"eq": "open"}}, "and": null, "ip": null})),
            Some(Tally::HostsWithPort {
                port: 22,
                state: "open".into()
            })
        );
        for other in [
            json!({"ports": {"port": {"eq": 22}}}),
            json!({"ports": {"port": {"eq": 22}, "state": {"eq": "open"}, "protocol": {"eq": "TCP"}}}),
            json!({"ports": {"port": {"eq": 22}, "state": {"ne": "open"}}}),
            json!({"ports": {"port": {"eq": 22, "lte": 80}, "state": {"eq": "open"}}}),
            json!({"ports": {"port": {"eq": 22}, "state": {"eq": "open"}}, "os": {"eq": "Linux"}}),
            json!({"ports": {"port": {"eq": 1_i64 << 40}, "state": {"eq": "open"}}}),
            json!({"not": {"ports": {"port": {"eq": 22}, "state": {"eq": "open"}}}}),
            json!({"and": [], "ports": {"port": {"eq": 22}, "state": {"eq": "open"}}}),
        ] {
            assert_eq!(tally(other.clone()), None, "{other}");
        }
    }
}
