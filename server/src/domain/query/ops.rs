//! The conditions on one field, typed by the field: what a filter may ask of text,
//! numbers, times, addresses, booleans, IDs and enums. Each compiles to SQL on a column
//! and, for the rows live subscriptions test in memory, evaluates on a column's value;
//! both follow the same rule, written here once.

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

/// A condition on one field. `sql` is the condition on `expr` (the column); `test`
/// evaluates it on a value already in memory, by the same rule.
pub trait Op {
    fn sql(&self, field: &str, expr: &dyn Fn() -> SimpleExpr) -> DomainResult<Condition>;
    fn test(&self, field: &str, value: &Value) -> DomainResult<bool>;
    /// How many conditions it holds, counted against a filter's budget.
    fn size(&self) -> usize;
}

fn list<T>(field: &str, name: &str, values: &Option<Vec<T>>) -> DomainResult<()> {
    match values {
        Some(v) if v.len() > MAX_LIST => Err(DomainError::bad(
            format!("{field}.{name}"),
            format!("at most {MAX_LIST} values"),
        )),
        _ => Ok(()),
    }
}

fn count<T>(o: &Option<T>) -> usize {
    usize::from(o.is_some())
}

/// `column IS NULL` or `IS NOT NULL`.
fn null_sql(expr: SimpleExpr, is_null: bool) -> SimpleExpr {
    if is_null {
        Expr::expr(expr).is_null()
    } else {
        Expr::expr(expr).is_not_null()
    }
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
}

impl TextOp {
    pub fn eq(value: impl Into<String>) -> Self {
        Self {
            eq: Some(value.into()),
            ..Default::default()
        }
    }
    pub fn like(pattern: impl Into<String>) -> Self {
        Self {
            like: Some(pattern.into()),
            ..Default::default()
        }
    }
    pub fn one_of(values: Vec<String>) -> Self {
        Self {
            one_of: Some(values),
            ..Default::default()
        }
    }
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

/// Case-insensitive LIKE, as in memory.
fn like_sql(expr: SimpleExpr, p: &str) -> SimpleExpr {
    use sea_orm::sea_query::{Func, LikeExpr};
    Expr::expr(Func::lower(expr)).like(LikeExpr::new(p.to_lowercase()).escape('\\'))
}

/// SQL's LIKE (`%`, `_`, `\` escapes), case-insensitive, on a value in memory.
pub fn like_matches(pattern: &str, text: &str) -> bool {
    let p: Vec<char> = pattern.to_lowercase().chars().collect();
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

fn text_of(v: &Value) -> Option<&str> {
    match v {
        Value::String(Some(s)) => Some(s.as_str()),
        _ => None,
    }
}

impl Op for TextOp {
    fn sql(&self, field: &str, e: &dyn Fn() -> SimpleExpr) -> DomainResult<Condition> {
        list(field, "in", &self.one_of)?;
        list(field, "notIn", &self.not_in)?;
        let mut c = Condition::all();
        if let Some(v) = &self.eq {
            c = c.add(Expr::expr(e()).eq(v.as_str()));
        }
        if let Some(v) = &self.ne {
            c = c.add(Expr::expr(e()).ne(v.as_str()));
        }
        if let Some(v) = &self.one_of {
            c = c.add(Expr::expr(e()).is_in(v.iter().map(String::as_str)));
        }
        if let Some(v) = &self.not_in {
            c = c.add(Expr::expr(e()).is_not_in(v.iter().map(String::as_str)));
        }
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
        if let Some(n) = self.is_null {
            c = c.add(null_sql(e(), n));
        }
        Ok(c)
    }

    fn test(&self, field: &str, v: &Value) -> DomainResult<bool> {
        if let Some(n) = self.is_null {
            if is_null_value(v) != n {
                return Ok(false);
            }
        }
        let any = self.eq.is_some()
            || self.ne.is_some()
            || self.one_of.is_some()
            || self.not_in.is_some()
            || self.like.is_some()
            || self.not_like.is_some()
            || self.regex.is_some()
            || self.not_regex.is_some();
        let Some(t) = text_of(v) else {
            // SQL: a comparison with NULL is never true.
            return Ok(!any);
        };
        let ok = self.eq.as_deref().is_none_or(|x| x == t)
            && self.ne.as_deref().is_none_or(|x| x != t)
            && self.one_of.as_ref().is_none_or(|l| l.iter().any(|x| x == t))
            && self.not_in.as_ref().is_none_or(|l| l.iter().all(|x| x != t))
            && self.like.as_deref().is_none_or(|p| like_matches(p, t))
            && self.not_like.as_deref().is_none_or(|p| !like_matches(p, t));
        if !ok {
            return Ok(false);
        }
        if let Some(p) = &self.regex {
            if !regex(field, "regex", p)?.is_match(t) {
                return Ok(false);
            }
        }
        if let Some(p) = &self.not_regex {
            if regex(field, "notRegex", p)?.is_match(t) {
                return Ok(false);
            }
        }
        Ok(true)
    }

    fn size(&self) -> usize {
        count(&self.eq)
            + count(&self.ne)
            + count(&self.one_of)
            + count(&self.not_in)
            + count(&self.like)
            + count(&self.not_like)
            + count(&self.regex)
            + count(&self.not_regex)
            + count(&self.is_null)
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

impl<T: Ordered> RangeOp<T> {
    pub fn eq(v: T) -> Self {
        Self {
            eq: Some(v),
            ..Default::default()
        }
    }
    pub fn one_of(v: Vec<T>) -> Self {
        Self {
            one_of: Some(v),
            ..Default::default()
        }
    }
    /// `[from, to)`, either end open.
    pub fn between(from: Option<T>, to: Option<T>) -> Self {
        Self {
            gte: from,
            lt: to,
            ..Default::default()
        }
    }
}

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
    /// A range that holds nothing is a mistake, said as one.
    fn check(&self, field: &str) -> DomainResult<()> {
        let low = self.gt.or(self.gte);
        let high = self.lt.or(self.lte);
        if let (Some(l), Some(h)) = (low, high) {
            if l > h {
                return Err(DomainError::bad(field, "the lower bound is above the upper one"));
            }
        }
        Ok(())
    }
}

impl<T: Ordered> Op for RangeOp<T> {
    fn sql(&self, field: &str, e: &dyn Fn() -> SimpleExpr) -> DomainResult<Condition> {
        self.check(field)?;
        list(field, "in", &self.one_of)?;
        list(field, "notIn", &self.not_in)?;
        let mut c = Condition::all();
        let v = |x: &T| -> Value { (*x).into() };
        if let Some(x) = &self.eq {
            c = c.add(Expr::expr(e()).eq(v(x)));
        }
        if let Some(x) = &self.ne {
            c = c.add(Expr::expr(e()).ne(v(x)));
        }
        if let Some(l) = &self.one_of {
            c = c.add(Expr::expr(e()).is_in(l.iter().map(v)));
        }
        if let Some(l) = &self.not_in {
            c = c.add(Expr::expr(e()).is_not_in(l.iter().map(v)));
        }
        if let Some(x) = &self.gt {
            c = c.add(Expr::expr(e()).gt(v(x)));
        }
        if let Some(x) = &self.gte {
            c = c.add(Expr::expr(e()).gte(v(x)));
        }
        if let Some(x) = &self.lt {
            c = c.add(Expr::expr(e()).lt(v(x)));
        }
        if let Some(x) = &self.lte {
            c = c.add(Expr::expr(e()).lte(v(x)));
        }
        if let Some(n) = self.is_null {
            c = c.add(null_sql(e(), n));
        }
        Ok(c)
    }

    fn test(&self, _field: &str, v: &Value) -> DomainResult<bool> {
        if let Some(n) = self.is_null {
            if is_null_value(v) != n {
                return Ok(false);
            }
        }
        let Some(x) = T::from_value(v) else {
            return Ok(self.size() == count(&self.is_null));
        };
        Ok(self.eq.is_none_or(|y| x == y)
            && self.ne.is_none_or(|y| x != y)
            && self.one_of.as_ref().is_none_or(|l| l.contains(&x))
            && self.not_in.as_ref().is_none_or(|l| !l.contains(&x))
            && self.gt.is_none_or(|y| x > y)
            && self.gte.is_none_or(|y| x >= y)
            && self.lt.is_none_or(|y| x < y)
            && self.lte.is_none_or(|y| x <= y))
    }

    fn size(&self) -> usize {
        count(&self.eq)
            + count(&self.ne)
            + count(&self.one_of)
            + count(&self.not_in)
            + count(&self.gt)
            + count(&self.gte)
            + count(&self.lt)
            + count(&self.lte)
            + count(&self.is_null)
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
    pub fn eq(ip: IpAddr) -> Self {
        Self {
            eq: Some(ip),
            ..Default::default()
        }
    }
    pub fn within(net: Cidr) -> Self {
        Self {
            within: Some(vec![net]),
            ..Default::default()
        }
    }
}

fn key(ip: &IpAddr) -> Vec<u8> {
    ip::to_key(ip.0)
}

impl Op for IpOp {
    fn sql(&self, field: &str, e: &dyn Fn() -> SimpleExpr) -> DomainResult<Condition> {
        list(field, "in", &self.one_of)?;
        list(field, "notIn", &self.not_in)?;
        list(field, "within", &self.within)?;
        list(field, "notWithin", &self.not_within)?;
        let mut c = Condition::all();
        if let Some(x) = &self.eq {
            c = c.add(Expr::expr(e()).eq(key(x)));
        }
        if let Some(x) = &self.ne {
            c = c.add(Expr::expr(e()).ne(key(x)));
        }
        if let Some(l) = &self.one_of {
            c = c.add(Expr::expr(e()).is_in(l.iter().map(key)));
        }
        if let Some(l) = &self.not_in {
            c = c.add(Expr::expr(e()).is_not_in(l.iter().map(key)));
        }
        let inside = |nets: &[Cidr]| {
            nets.iter().fold(Condition::any(), |any, n| {
                let (lo, hi) = ip::net_bounds(&n.0);
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
        if let Some(n) = self.is_null {
            c = c.add(null_sql(e(), n));
        }
        Ok(c)
    }

    fn test(&self, field: &str, v: &Value) -> DomainResult<bool> {
        if let Some(n) = self.is_null {
            if is_null_value(v) != n {
                return Ok(false);
            }
        }
        let Value::Bytes(Some(k)) = v else {
            return Ok(self.size() == count(&self.is_null));
        };
        let k = k.as_slice();
        let inside = |nets: &[Cidr]| {
            nets.iter().any(|n| {
                let (lo, hi) = ip::net_bounds(&n.0);
                lo.as_slice() <= k && k <= hi.as_slice()
            })
        };
        let in_range = match &self.range {
            Some(r) => {
                let (lo, hi) = r.bounds(&format!("{field}.range"))?;
                lo.as_slice() <= k && k <= hi.as_slice()
            }
            None => true,
        };
        Ok(self.eq.as_ref().is_none_or(|x| key(x) == k)
            && self.ne.as_ref().is_none_or(|x| key(x) != k)
            && self.one_of.as_ref().is_none_or(|l| l.iter().any(|x| key(x) == k))
            && self.not_in.as_ref().is_none_or(|l| l.iter().all(|x| key(x) != k))
            && self.within.as_deref().is_none_or(inside)
            && self.not_within.as_deref().is_none_or(|n| !inside(n))
            && in_range)
    }

    fn size(&self) -> usize {
        count(&self.eq)
            + count(&self.ne)
            + count(&self.one_of)
            + count(&self.not_in)
            + count(&self.within)
            + count(&self.not_within)
            + count(&self.range)
            + count(&self.is_null)
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
    pub fn eq(v: bool) -> Self {
        Self {
            eq: Some(v),
            is_null: None,
        }
    }
}

impl Op for BoolOp {
    fn sql(&self, _field: &str, e: &dyn Fn() -> SimpleExpr) -> DomainResult<Condition> {
        let mut c = Condition::all();
        if let Some(b) = self.eq {
            c = c.add(Expr::expr(e()).eq(b));
        }
        if let Some(n) = self.is_null {
            c = c.add(null_sql(e(), n));
        }
        Ok(c)
    }
    fn test(&self, _field: &str, v: &Value) -> DomainResult<bool> {
        if let Some(n) = self.is_null {
            if is_null_value(v) != n {
                return Ok(false);
            }
        }
        Ok(match (self.eq, v) {
            (None, _) => true,
            (Some(b), Value::Bool(Some(x))) => b == *x,
            _ => false,
        })
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
    pub fn eq(id: ID) -> Self {
        Self {
            eq: Some(id),
            ..Default::default()
        }
    }

    /// The condition as numbers (the column's), with IDs of `kind`.
    pub fn ints(&self, field: &str, kind: Kind) -> DomainResult<IntOp> {
        list(field, "in", &self.one_of)?;
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
    pub fn eq(v: T) -> Self {
        Self {
            eq: Some(v),
            ..Default::default()
        }
    }
    pub fn one_of(v: Vec<T>) -> Self {
        Self {
            one_of: Some(v),
            ..Default::default()
        }
    }

    fn ranked(&self, field: &str) -> DomainResult<()> {
        let ranked = |v: &Option<T>| v.is_none_or(|v| !matches!(v.stored(), Value::String(_)));
        if ranked(&self.gte) && ranked(&self.lte) {
            Ok(())
        } else {
            Err(DomainError::bad(field, "gte and lte need an enumeration with a rank"))
        }
    }
}

impl<T: Stored> Op for EnumOp<T> {
    fn sql(&self, field: &str, e: &dyn Fn() -> SimpleExpr) -> DomainResult<Condition> {
        self.ranked(field)?;
        list(field, "in", &self.one_of)?;
        list(field, "notIn", &self.not_in)?;
        let mut c = Condition::all();
        if let Some(x) = self.eq {
            c = c.add(Expr::expr(e()).eq(x.stored()));
        }
        if let Some(x) = self.ne {
            c = c.add(Expr::expr(e()).ne(x.stored()));
        }
        if let Some(l) = &self.one_of {
            c = c.add(Expr::expr(e()).is_in(l.iter().map(|x| x.stored())));
        }
        if let Some(l) = &self.not_in {
            c = c.add(Expr::expr(e()).is_not_in(l.iter().map(|x| x.stored())));
        }
        if let Some(x) = self.gte {
            c = c.add(Expr::expr(e()).gte(x.stored()));
        }
        if let Some(x) = self.lte {
            c = c.add(Expr::expr(e()).lte(x.stored()));
        }
        if let Some(n) = self.is_null {
            c = c.add(null_sql(e(), n));
        }
        Ok(c)
    }

    fn test(&self, field: &str, v: &Value) -> DomainResult<bool> {
        self.ranked(field)?;
        if let Some(n) = self.is_null {
            if is_null_value(v) != n {
                return Ok(false);
            }
        }
        if is_null_value(v) {
            return Ok(self.size() == count(&self.is_null));
        }
        let rank = |x: &Value| i64::from_value(x);
        let same = |x: T| {
            let s = x.stored();
            match (rank(&s), rank(v)) {
                (Some(a), Some(b)) => a == b,
                _ => &s == v,
            }
        };
        let cmp = |x: T| rank(v).zip(rank(&x.stored())).map(|(a, b)| a.cmp(&b));
        Ok(self.eq.is_none_or(same)
            && self.ne.is_none_or(|x| !same(x))
            && self.one_of.as_ref().is_none_or(|l| l.iter().any(|x| same(*x)))
            && self.not_in.as_ref().is_none_or(|l| l.iter().all(|x| !same(*x)))
            && self.gte.is_none_or(|x| cmp(x).is_some_and(|o| o.is_ge()))
            && self.lte.is_none_or(|x| cmp(x).is_some_and(|o| o.is_le())))
    }

    fn size(&self) -> usize {
        count(&self.eq)
            + count(&self.ne)
            + count(&self.one_of)
            + count(&self.not_in)
            + count(&self.gte)
            + count(&self.lte)
            + count(&self.is_null)
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
        let t = TextOp::eq("x");
        assert!(!t.test("f", &Value::String(None)).unwrap());
        let n = TextOp {
            is_null: Some(true),
            ..Default::default()
        };
        assert!(n.test("f", &Value::String(None)).unwrap());
        assert!(!n.test("f", &Value::String(Some(Box::new("x".into())))).unwrap());
        let r = IntOp {
            gte: Some(3),
            lt: Some(5),
            ..Default::default()
        };
        assert!(r.test("f", &Value::SmallInt(Some(4))).unwrap());
        assert!(!r.test("f", &Value::SmallInt(Some(5))).unwrap());
        assert!(!r.test("f", &Value::Int(None)).unwrap());
    }

    #[test]
    fn addresses_inside_networks() {
        let net: Cidr = "10.0.0.0/8".parse().unwrap();
        let ip: IpAddr = "10.1.2.3".parse().unwrap();
        let other: IpAddr = "11.1.2.3".parse().unwrap();
        let v = |ip: IpAddr| Value::Bytes(Some(Box::new(ip::to_key(ip.0))));
        let op = IpOp::within(net);
        assert!(op.test("f", &v(ip)).unwrap());
        assert!(!op.test("f", &v(other)).unwrap());
        let out = IpOp {
            not_within: Some(vec![net]),
            ..Default::default()
        };
        assert!(out.test("f", &v(other)).unwrap());
        assert!(!out.test("f", &Value::Bytes(None)).unwrap());
    }
}
