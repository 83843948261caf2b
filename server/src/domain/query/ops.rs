//! The conditions on one field, typed by the field: what a filter may ask of text,
//! numbers, times, addresses, booleans, IDs and enums. Each compiles to SQL on a column
//! and, for the rows live subscriptions test in memory, evaluates on a column's value;
//! both follow the same rule, written here once. The equality half they share (`eq`,
//! `ne`, `in`, `notIn`, `isNull`) is [`Values`].

use std::sync::OnceLock;

use async_graphql::{InputObject, InputType, ID};
use sea_orm::sea_query::{Condition, Expr, SimpleExpr};
use sea_orm::Value;
use serde::Serialize;

use super::super::error::{DomainError, DomainResult};
use super::super::filters::IpRange;
use super::super::ids::{self, Kind};
use super::super::ip;
use super::super::values::{Cidr, Instant, IpAddr};

/// The longest list a condition takes (`in`, `notIn`).
pub const MAX_LIST: usize = 1000;
/// The longest `like` or `regex` pattern.
pub const MAX_PATTERN: usize = 512;
/// The most a regular expression may grow to once compiled: bounded, so that no pattern
/// costs more than a fixed amount per row.
const REGEX_SIZE: usize = 1 << 20;

/// A condition on one field. `sql` checks it and makes the condition on `expr` (the
/// column); `test` evaluates it, by the same rule, on a value in memory (only after
/// `sql` accepted it: live filters are compiled when subscribed).
pub trait Op {
    fn sql(&self, field: &str, expr: &dyn Fn() -> SimpleExpr) -> DomainResult<Condition>;
    fn test(&self, value: &Value) -> bool;
    /// How many conditions it holds, counted against a filter's budget.
    fn size(&self) -> usize;
}

fn count<T>(o: &Option<T>) -> usize {
    usize::from(o.is_some())
}

fn is_null_value(v: &Value) -> bool {
    matches!(
        v,
        Value::String(None)
            | Value::Bytes(None)
            | Value::BigInt(None)
            | Value::Int(None)
            | Value::SmallInt(None)
            | Value::TinyInt(None)
            | Value::Bool(None)
            | Value::ChronoDateTimeUtc(None)
            | Value::Json(None)
    )
}

/// Whether two values are equal, integers of every width as one (a column's
/// `smallint` equals a filter's number).
fn same(a: &Value, b: &Value) -> bool {
    match (i64::from_value(a), i64::from_value(b)) {
        (Some(x), Some(y)) => x == y,
        _ => a == b,
    }
}

/// The equality half of every condition, as the column's values.
#[derive(Default)]
struct Values {
    eq: Option<Value>,
    ne: Option<Value>,
    one_of: Option<Vec<Value>>,
    not_in: Option<Vec<Value>>,
    is_null: Option<bool>,
}

impl Values {
    fn of<T>(
        eq: &Option<T>,
        ne: &Option<T>,
        one_of: &Option<Vec<T>>,
        not_in: &Option<Vec<T>>,
        is_null: Option<bool>,
        value: impl Fn(&T) -> Value,
    ) -> Self {
        Self {
            eq: eq.as_ref().map(&value),
            ne: ne.as_ref().map(&value),
            one_of: one_of.as_ref().map(|l| l.iter().map(&value).collect()),
            not_in: not_in.as_ref().map(|l| l.iter().map(&value).collect()),
            is_null,
        }
    }

    fn sql(self, field: &str, e: &dyn Fn() -> SimpleExpr) -> DomainResult<Condition> {
        for (name, list) in [("in", &self.one_of), ("notIn", &self.not_in)] {
            if list.as_ref().is_some_and(|l| l.len() > MAX_LIST) {
                return Err(DomainError::bad(
                    format!("{field}.{name}"),
                    format!("at most {MAX_LIST} values"),
                ));
            }
        }
        let mut c = Condition::all();
        if let Some(v) = self.eq {
            c = c.add(Expr::expr(e()).eq(v));
        }
        if let Some(v) = self.ne {
            c = c.add(Expr::expr(e()).ne(v));
        }
        if let Some(l) = self.one_of {
            c = c.add(Expr::expr(e()).is_in(l));
        }
        if let Some(l) = self.not_in {
            c = c.add(Expr::expr(e()).is_not_in(l));
        }
        match self.is_null {
            Some(true) => c = c.add(Expr::expr(e()).is_null()),
            Some(false) => c = c.add(Expr::expr(e()).is_not_null()),
            None => {}
        }
        Ok(c)
    }

    /// Whether `v` meets the equality half; `None` when `v` is missing and nothing but
    /// `isNull` decides (the caller's other conditions then fail, as SQL's do on NULL).
    fn test(&self, v: &Value) -> Option<bool> {
        if self.is_null.is_some_and(|n| n != is_null_value(v)) {
            return Some(false);
        }
        if is_null_value(v) {
            let compared = self.eq.is_some() || self.ne.is_some() || self.one_of.is_some() || self.not_in.is_some();
            return if compared { Some(false) } else { None };
        }
        let same = |x: &Value| same(x, v);
        Some(
            self.eq.as_ref().is_none_or(same)
                && self.ne.as_ref().is_none_or(|x| !same(x))
                && self.one_of.as_ref().is_none_or(|l| l.iter().any(same))
                && self.not_in.as_ref().is_none_or(|l| !l.iter().any(same)),
        )
    }
}

/// How many of the equality half's conditions are asked for.
fn asked<A, B>(
    eq: &Option<A>,
    ne: &Option<A>,
    one_of: &Option<B>,
    not_in: &Option<B>,
    is_null: &Option<bool>,
) -> usize {
    count(eq) + count(ne) + count(one_of) + count(not_in) + count(is_null)
}

/// Conditions on text. `like` is SQL's pattern (`%` any run, `_` one character, `\`
/// escapes), case-insensitive; `regex` is a regular expression, case-sensitive unless it
/// starts with `(?i)`, at most 512 characters and of bounded size once compiled.
#[derive(InputObject, Serialize, Clone, Debug, Default)]
#[graphql(name = "StringFilter")]
pub struct TextOp {
    pub eq: Option<String>,
    pub ne: Option<String>,
    #[graphql(name = "in")]
    pub one_of: Option<Vec<String>>,
    pub not_in: Option<Vec<String>>,
    pub like: Option<String>,
    pub not_like: Option<String>,
    pub regex: Option<String>,
    pub not_regex: Option<String>,
    /// True: has no value; false: has one.
    pub is_null: Option<bool>,
    /// `regex` and `notRegex` compiled once, for filters tested on every live alert.
    #[graphql(skip)]
    #[serde(skip)]
    compiled: Compiled,
}

#[derive(Clone, Debug, Default)]
struct Compiled {
    regex: OnceLock<Option<regex::Regex>>,
    not_regex: OnceLock<Option<regex::Regex>>,
}

fn pattern<'a>(field: &str, name: &str, p: &'a str) -> DomainResult<&'a str> {
    if p.chars().count() > MAX_PATTERN {
        return Err(DomainError::bad(
            format!("{field}.{name}"),
            format!("at most {MAX_PATTERN} characters"),
        ));
    }
    Ok(p)
}

/// A regular expression checked as the databases will run it: compiled with a size
/// bound (no pattern grows past it), refused with the reason when invalid.
fn regex(field: &str, name: &str, p: &str) -> DomainResult<regex::Regex> {
    pattern(field, name, p)?;
    regex::RegexBuilder::new(p)
        .size_limit(REGEX_SIZE)
        .dfa_size_limit(REGEX_SIZE)
        .build()
        .map_err(|e| {
            let why = e.to_string();
            let why = why.lines().last().unwrap_or("invalid").trim();
            DomainError::bad(format!("{field}.{name}"), format!("not a regular expression: {why}"))
        })
}

/// `expr` matches the regular expression: `regexp(pattern, text)`, which SQLite
/// connections register (`db::connect`) and a migration defines on PostgreSQL.
fn regex_sql(expr: SimpleExpr, p: &str) -> SimpleExpr {
    use sea_orm::sea_query::{Alias, Func};
    Func::cust(Alias::new("regexp")).arg(p).arg(expr).into()
}

/// Case-insensitive `expr LIKE pattern` (pattern escaped with `\`), as in memory.
pub fn like_sql(expr: SimpleExpr, p: &str) -> SimpleExpr {
    use sea_orm::sea_query::{Func, LikeExpr};
    Expr::expr(Func::lower(expr)).like(LikeExpr::new(closed(p).to_lowercase()).escape('\\'))
}

/// The pattern with a final lone `\` made a literal backslash: PostgreSQL refuses a
/// pattern that ends in its escape, and SQLite reads it as a literal.
fn closed(p: &str) -> std::borrow::Cow<'_, str> {
    let trailing = p.len() - p.trim_end_matches('\\').len();
    if trailing % 2 == 1 {
        format!("{p}\\").into()
    } else {
        p.into()
    }
}

/// SQL's LIKE (`%`, `_`, `\` escapes), case-insensitive, on a value in memory.
pub fn like_matches(pattern: &str, text: &str) -> bool {
    let p: Vec<char> = closed(pattern).to_lowercase().chars().collect();
    let t: Vec<char> = text.to_lowercase().chars().collect();
    // Iterative wildcard matching with one backtrack point: linear in practice.
    let (mut pi, mut ti) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        let here = p.get(pi).copied();
        match here {
            Some('%') => {
                star = Some((pi, ti));
                pi += 1;
            }
            Some('\\') if p.get(pi + 1) == Some(&t[ti]) => {
                pi += 2;
                ti += 1;
            }
            Some('_') => {
                pi += 1;
                ti += 1;
            }
            Some(c) if c != '\\' && c == t[ti] => {
                pi += 1;
                ti += 1;
            }
            _ => match star {
                Some((sp, st)) => {
                    pi = sp + 1;
                    ti = st + 1;
                    star = Some((sp, st + 1));
                }
                None => return false,
            },
        }
    }
    p[pi..].iter().all(|&c| c == '%')
}

/// `op` with the values it compares for equality (`eq`, `ne`, `in`, `notIn`) put in the
/// form the column stores (canonical addresses, lower-case names): a filter may write
/// them as users do.
pub fn stored(op: &Option<TextOp>, form: impl Fn(&str) -> String) -> Option<TextOp> {
    let op = op.as_ref()?;
    let one = |v: &Option<String>| v.as_deref().map(&form);
    let all = |l: &Option<Vec<String>>| l.as_ref().map(|l| l.iter().map(|v| form(v)).collect());
    Some(TextOp {
        eq: one(&op.eq),
        ne: one(&op.ne),
        one_of: all(&op.one_of),
        not_in: all(&op.not_in),
        ..op.clone()
    })
}

/// The stored form of names kept in lower case (tools, formats, types, digests).
pub fn lower(s: &str) -> String {
    s.trim().to_lowercase()
}

impl TextOp {
    fn values(&self) -> Values {
        Values::of(&self.eq, &self.ne, &self.one_of, &self.not_in, self.is_null, |s| {
            s.as_str().into()
        })
    }
}

impl Op for TextOp {
    fn sql(&self, field: &str, e: &dyn Fn() -> SimpleExpr) -> DomainResult<Condition> {
        let mut c = self.values().sql(field, e)?;
        if let Some(p) = &self.like {
            c = c.add(like_sql(e(), pattern(field, "like", p)?));
        }
        if let Some(p) = &self.not_like {
            c = c.add(Condition::not(
                Condition::all().add(like_sql(e(), pattern(field, "notLike", p)?)),
            ));
        }
        if let Some(p) = &self.regex {
            regex(field, "regex", p)?;
            c = c.add(regex_sql(e(), p));
        }
        if let Some(p) = &self.not_regex {
            regex(field, "notRegex", p)?;
            c = c.add(Condition::not(Condition::all().add(regex_sql(e(), p))));
        }
        Ok(c)
    }

    fn test(&self, v: &Value) -> bool {
        let patterns =
            self.like.is_some() || self.not_like.is_some() || self.regex.is_some() || self.not_regex.is_some();
        let Some(equal) = self.values().test(v) else {
            return !patterns;
        };
        let Value::String(Some(t)) = v else {
            return false;
        };
        let matches = |cache: &OnceLock<Option<regex::Regex>>, p: &str| {
            cache
                .get_or_init(|| regex("", "", p).ok())
                .as_ref()
                .map(|r| r.is_match(t))
        };
        equal
            && self.like.as_deref().is_none_or(|p| like_matches(p, t))
            && self.not_like.as_deref().is_none_or(|p| !like_matches(p, t))
            && self
                .regex
                .as_deref()
                .is_none_or(|p| matches(&self.compiled.regex, p) == Some(true))
            && self
                .not_regex
                .as_deref()
                .is_none_or(|p| matches(&self.compiled.not_regex, p) == Some(false))
    }

    fn size(&self) -> usize {
        asked(&self.eq, &self.ne, &self.one_of, &self.not_in, &self.is_null)
            + count(&self.like)
            + count(&self.not_like)
            + count(&self.regex)
            + count(&self.not_regex)
    }
}

/// A value with an order that a range condition compares: integers and times.
pub trait Ordered: Copy + PartialOrd + Serialize + InputType + Into<Value> {
    fn from_value(v: &Value) -> Option<Self>;
}

impl Ordered for i64 {
    fn from_value(v: &Value) -> Option<Self> {
        match v {
            Value::BigInt(Some(n)) => Some(*n),
            Value::Int(Some(n)) => Some(i64::from(*n)),
            Value::SmallInt(Some(n)) => Some(i64::from(*n)),
            Value::TinyInt(Some(n)) => Some(i64::from(*n)),
            _ => None,
        }
    }
}

impl Ordered for Instant {
    fn from_value(v: &Value) -> Option<Self> {
        match v {
            Value::ChronoDateTimeUtc(Some(t)) => Some(Instant(**t)),
            _ => None,
        }
    }
}

/// Conditions on a number or a time: equality, lists and ranges (`gte`/`lt` for a
/// half-open range).
#[derive(InputObject, Serialize, Clone, Debug)]
#[graphql(concrete(name = "IntFilter", params(i64)))]
#[graphql(concrete(name = "InstantFilter", params(Instant)))]
pub struct RangeOp<T: Ordered> {
    pub eq: Option<T>,
    pub ne: Option<T>,
    #[graphql(name = "in")]
    pub one_of: Option<Vec<T>>,
    pub not_in: Option<Vec<T>>,
    pub gt: Option<T>,
    pub gte: Option<T>,
    pub lt: Option<T>,
    pub lte: Option<T>,
    /// True: has no value; false: has one.
    pub is_null: Option<bool>,
}

impl<T: Ordered> Default for RangeOp<T> {
    fn default() -> Self {
        Self {
            eq: None,
            ne: None,
            one_of: None,
            not_in: None,
            gt: None,
            gte: None,
            lt: None,
            lte: None,
            is_null: None,
        }
    }
}

pub type IntOp = RangeOp<i64>;
pub type TimeOp = RangeOp<Instant>;

impl IntOp {
    /// Refuses values outside `lo..=hi` (a port above 65535 is a typing error).
    pub fn bounded(&self, field: &str, lo: i64, hi: i64) -> DomainResult<()> {
        let values = [self.eq, self.ne, self.gt, self.gte, self.lt, self.lte]
            .into_iter()
            .flatten()
            .chain(self.one_of.iter().flatten().copied())
            .chain(self.not_in.iter().flatten().copied());
        for v in values {
            if !(lo..=hi).contains(&v) {
                return Err(DomainError::bad(field, format!("{v} is not between {lo} and {hi}")));
            }
        }
        Ok(())
    }
}

impl<T: Ordered> RangeOp<T> {
    fn values(&self) -> Values {
        Values::of(&self.eq, &self.ne, &self.one_of, &self.not_in, self.is_null, |x| {
            (*x).into()
        })
    }

    fn bounds(&self) -> [(Option<T>, std::cmp::Ordering, bool); 4] {
        use std::cmp::Ordering::{Greater, Less};
        [
            (self.gt, Greater, false),
            (self.gte, Greater, true),
            (self.lt, Less, false),
            (self.lte, Less, true),
        ]
    }
}

impl<T: Ordered> Op for RangeOp<T> {
    fn sql(&self, field: &str, e: &dyn Fn() -> SimpleExpr) -> DomainResult<Condition> {
        // A range that holds nothing is a mistake, said as one.
        if let (Some(l), Some(h)) = (self.gt.or(self.gte), self.lt.or(self.lte)) {
            if l > h {
                return Err(DomainError::bad(field, "the lower bound is above the upper one"));
            }
        }
        let mut c = self.values().sql(field, e)?;
        for (bound, side, inclusive) in self.bounds() {
            let Some(b) = bound else { continue };
            let x = Expr::expr(e());
            c = c.add(match (side, inclusive) {
                (std::cmp::Ordering::Greater, false) => x.gt(b.into()),
                (std::cmp::Ordering::Greater, true) => x.gte(b.into()),
                (_, false) => x.lt(b.into()),
                (_, true) => x.lte(b.into()),
            });
        }
        Ok(c)
    }

    fn test(&self, v: &Value) -> bool {
        let ranged = self.bounds().iter().any(|(b, ..)| b.is_some());
        let Some(equal) = self.values().test(v) else {
            return !ranged;
        };
        let Some(x) = T::from_value(v) else { return false };
        equal
            && self.bounds().into_iter().all(|(bound, side, inclusive)| {
                bound.is_none_or(|b| {
                    let o = x.partial_cmp(&b);
                    o == Some(side) || (inclusive && o == Some(std::cmp::Ordering::Equal))
                })
            })
    }

    fn size(&self) -> usize {
        asked(&self.eq, &self.ne, &self.one_of, &self.not_in, &self.is_null)
            + self.bounds().iter().filter(|(b, ..)| b.is_some()).count()
    }
}

/// Conditions on an address: exactly, in a list, inside networks (CIDR) or an inclusive
/// range of the same family.
#[derive(InputObject, Serialize, Clone, Debug, Default)]
#[graphql(name = "IpAddrFilter")]
pub struct IpOp {
    pub eq: Option<IpAddr>,
    pub ne: Option<IpAddr>,
    #[graphql(name = "in")]
    pub one_of: Option<Vec<IpAddr>>,
    pub not_in: Option<Vec<IpAddr>>,
    /// Inside any of these networks.
    pub within: Option<Vec<Cidr>>,
    /// Inside none of these networks.
    pub not_within: Option<Vec<Cidr>>,
    pub range: Option<IpRange>,
    /// True: has no value; false: has one.
    pub is_null: Option<bool>,
}

impl IpOp {
    fn values(&self) -> Values {
        Values::of(&self.eq, &self.ne, &self.one_of, &self.not_in, self.is_null, |ip| {
            ip::to_key(ip.0).into()
        })
    }

    /// The key ranges `within` (or `notWithin`) names.
    fn networks(nets: &[Cidr]) -> impl Iterator<Item = (Vec<u8>, Vec<u8>)> + '_ {
        nets.iter().map(|n| ip::net_bounds(&n.0))
    }
}

impl Op for IpOp {
    fn sql(&self, field: &str, e: &dyn Fn() -> SimpleExpr) -> DomainResult<Condition> {
        for (name, nets) in [("within", &self.within), ("notWithin", &self.not_within)] {
            if nets.as_ref().is_some_and(|n| n.len() > MAX_LIST) {
                return Err(DomainError::bad(
                    format!("{field}.{name}"),
                    format!("at most {MAX_LIST} networks"),
                ));
            }
        }
        let mut c = self.values().sql(field, e)?;
        let inside = |nets: &[Cidr]| {
            Self::networks(nets).fold(Condition::any(), |any, (lo, hi)| {
                any.add(Expr::expr(e()).between(lo, hi))
            })
        };
        if let Some(nets) = &self.within {
            c = c.add(inside(nets));
        }
        if let Some(nets) = &self.not_within {
            // Only rows with an address are outside a network, as SQL compares.
            c = c.add(Expr::expr(e()).is_not_null()).add(Condition::not(inside(nets)));
        }
        if let Some(r) = &self.range {
            let (lo, hi) = r.bounds(&format!("{field}.range"))?;
            c = c.add(Expr::expr(e()).between(lo, hi));
        }
        Ok(c)
    }

    fn test(&self, v: &Value) -> bool {
        let ranged = self.within.is_some() || self.not_within.is_some() || self.range.is_some();
        let Some(equal) = self.values().test(v) else {
            return !ranged;
        };
        let Value::Bytes(Some(k)) = v else { return false };
        let k = k.as_slice();
        let inside = |(lo, hi): (Vec<u8>, Vec<u8>)| lo.as_slice() <= k && k <= hi.as_slice();
        equal
            && self.within.as_deref().is_none_or(|n| Self::networks(n).any(inside))
            && self
                .not_within
                .as_deref()
                .is_none_or(|n| !Self::networks(n).any(inside))
            && self.range.as_ref().is_none_or(|r| r.bounds("").is_ok_and(inside))
    }

    fn size(&self) -> usize {
        asked(&self.eq, &self.ne, &self.one_of, &self.not_in, &self.is_null)
            + count(&self.within)
            + count(&self.not_within)
            + count(&self.range)
    }
}

/// Conditions on a yes/no field.
#[derive(InputObject, Serialize, Clone, Debug, Default)]
#[graphql(name = "BooleanFilter")]
pub struct BoolOp {
    pub eq: Option<bool>,
    /// True: has no value; false: has one.
    pub is_null: Option<bool>,
}

impl BoolOp {
    fn values(&self) -> Values {
        Values::of(&self.eq, &None, &None, &None, self.is_null, |b| (*b).into())
    }
}

impl Op for BoolOp {
    fn sql(&self, field: &str, e: &dyn Fn() -> SimpleExpr) -> DomainResult<Condition> {
        self.values().sql(field, e)
    }
    fn test(&self, v: &Value) -> bool {
        self.values().test(v).unwrap_or(true)
    }
    fn size(&self) -> usize {
        count(&self.eq) + count(&self.is_null)
    }
}

/// Conditions on a reference to another object, by its global ID.
#[derive(InputObject, Serialize, Clone, Debug, Default)]
#[graphql(name = "IdFilter")]
pub struct IdOp {
    pub eq: Option<ID>,
    #[graphql(name = "in")]
    pub one_of: Option<Vec<ID>>,
    /// True: refers to nothing; false: refers to something.
    pub is_null: Option<bool>,
}

impl IdOp {
    /// The condition as numbers (the column's), with IDs of `kind`.
    pub fn ints(&self, field: &str, kind: Kind) -> DomainResult<IntOp> {
        Ok(IntOp {
            eq: ids::decode_opt(&format!("{field}.eq"), self.eq.as_ref(), kind)?,
            one_of: self
                .one_of
                .as_ref()
                .map(|l| ids::decode_all(&format!("{field}.in"), l, kind))
                .transpose()?,
            is_null: self.is_null,
            ..Default::default()
        })
    }
}

/// A value of an enumeration, stored in its column as a number or text.
pub trait Stored: Copy + PartialEq + Serialize + InputType {
    fn stored(self) -> Value;
}

/// Conditions on an enumeration; for ranked ones (severity), ranges by rank.
#[derive(InputObject, Serialize, Clone, Debug)]
#[graphql(concrete(name = "SeverityFilter", params(super::super::alerts::Severity)))]
#[graphql(concrete(name = "ProtocolFilter", params(super::super::ports::Protocol)))]
#[graphql(concrete(name = "CaseStatusFilter", params(super::super::cases::CaseStatus)))]
#[graphql(concrete(name = "CaseOutcomeFilter", params(super::super::cases::CaseOutcome)))]
#[graphql(concrete(name = "TlpFilter", params(super::super::iocs::Tlp)))]
#[graphql(concrete(name = "CompromiseStatusFilter", params(super::super::assets::CompromiseStatus)))]
#[graphql(concrete(name = "TaskStatusFilter", params(super::super::tasks::TaskStatus)))]
#[graphql(concrete(name = "IpdrQueryStatusFilter", params(super::super::ipdr::Status)))]
#[graphql(concrete(name = "RoleFilter", params(super::super::users::Role)))]
pub struct EnumOp<T: Stored> {
    pub eq: Option<T>,
    pub ne: Option<T>,
    #[graphql(name = "in")]
    pub one_of: Option<Vec<T>>,
    pub not_in: Option<Vec<T>>,
    /// At least this one (enumerations with a rank only).
    pub gte: Option<T>,
    /// At most this one (enumerations with a rank only).
    pub lte: Option<T>,
    /// True: has no value; false: has one.
    pub is_null: Option<bool>,
}

impl<T: Stored> Default for EnumOp<T> {
    fn default() -> Self {
        Self {
            eq: None,
            ne: None,
            one_of: None,
            not_in: None,
            gte: None,
            lte: None,
            is_null: None,
        }
    }
}

impl<T: Stored> EnumOp<T> {
    fn values(&self) -> Values {
        Values::of(&self.eq, &self.ne, &self.one_of, &self.not_in, self.is_null, |x| {
            x.stored()
        })
    }

    /// `gte` and `lte` as the ranks they compare (for ranked enumerations only), as a
    /// range on the column.
    fn ranks(&self, field: &str) -> DomainResult<IntOp> {
        let rank = |v: Option<T>| -> DomainResult<Option<i64>> {
            v.map(|v| {
                i64::from_value(&v.stored())
                    .ok_or_else(|| DomainError::bad(field, "gte and lte need an enumeration with a rank"))
            })
            .transpose()
        };
        Ok(IntOp {
            gte: rank(self.gte)?,
            lte: rank(self.lte)?,
            ..Default::default()
        })
    }
}

impl<T: Stored> Op for EnumOp<T> {
    fn sql(&self, field: &str, e: &dyn Fn() -> SimpleExpr) -> DomainResult<Condition> {
        let ranks = self.ranks(field)?.sql(field, e)?;
        Ok(self.values().sql(field, e)?.add(ranks))
    }

    fn test(&self, v: &Value) -> bool {
        let ranked = self.gte.is_some() || self.lte.is_some();
        let Some(equal) = self.values().test(v) else {
            return !ranked;
        };
        equal && self.ranks("").is_ok_and(|r| r.test(v))
    }

    fn size(&self) -> usize {
        asked(&self.eq, &self.ne, &self.one_of, &self.not_in, &self.is_null) + count(&self.gte) + count(&self.lte)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn like_follows_sql() {
        assert!(like_matches("%.example.com", "www.Example.com"));
        assert!(like_matches("a_c", "abc"));
        assert!(!like_matches("a_c", "abbc"));
        assert!(like_matches("%", ""));
        assert!(like_matches("50\\%", "50%"));
        assert!(!like_matches("50\\%", "500"));
        assert!(like_matches("%a%b%c%", "xxaxxbxxcxx"));
        assert!(like_matches("a\\", "a\\"), "a final lone escape is a backslash");
        assert!(!like_matches("a\\", "a"));
        assert!(!like_matches("%a%b%c", "xxaxxbxxcxx"));
        assert!(like_matches("a\\_b", "a_b"));
        assert!(!like_matches("a\\_b", "axb"));
    }

    #[test]
    fn regexes_are_bounded_and_explained() {
        assert!(regex("f", "regex", "^ssh(-[0-9.]+)?$").is_ok());
        let err = regex("f", "regex", "(").unwrap_err().to_string();
        assert!(
            err.contains("f.regex") && err.contains("not a regular expression"),
            "{err}"
        );
        assert!(regex("f", "regex", &"a".repeat(MAX_PATTERN + 1)).is_err());
        // A pattern that would compile to an enormous program is refused, not run.
        assert!(regex("f", "regex", "(\\w{100}){100}").is_err());
    }

    #[test]
    fn memory_follows_sql_on_nulls() {
        let t = TextOp {
            eq: Some("x".into()),
            ..Default::default()
        };
        assert!(!t.test(&Value::String(None)));
        let n = TextOp {
            is_null: Some(true),
            ..Default::default()
        };
        assert!(n.test(&Value::String(None)));
        assert!(!n.test(&Value::String(Some(Box::new("x".into())))));
        let r = IntOp {
            gte: Some(3),
            lt: Some(5),
            ..Default::default()
        };
        assert!(r.test(&Value::SmallInt(Some(4))));
        assert!(!r.test(&Value::SmallInt(Some(5))));
        assert!(!r.test(&Value::Int(None)));
    }

    #[test]
    fn addresses_inside_networks() {
        let net: Cidr = "10.0.0.0/8".parse().unwrap();
        let ip: IpAddr = "10.1.2.3".parse().unwrap();
        let other: IpAddr = "11.1.2.3".parse().unwrap();
        let v = |ip: IpAddr| Value::Bytes(Some(Box::new(ip::to_key(ip.0))));
        let op = IpOp {
            within: Some(vec![net]),
            ..Default::default()
        };
        assert!(op.test(&v(ip)));
        assert!(!op.test(&v(other)));
        let out = IpOp {
            not_within: Some(vec![net]),
            ..Default::default()
        };
        assert!(out.test(&v(other)));
        assert!(!out.test(&Value::Bytes(None)));
    }
}
