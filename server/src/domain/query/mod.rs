//! The one query model: every kind of object is asked for the same way.
//!
//! - A **filter** (`XFilter`) holds per-field conditions typed by the field ([`ops`]),
//!   composed with `and`, `or` and `not`. Its [`Where::fields`] says, once per type,
//!   which column each field is; [`condition`] compiles it to SQL for connections,
//!   counts, aggregates, exports and deletes, and [`matches`] evaluates the same
//!   filter on a row in memory (live subscriptions).
//! - An **order** (`[XOrder!]`) is a list of fields ([`Fields`]) and directions;
//!   [`order`] pages by keyset on it.
//! - **Aggregates** ([`aggregate`]) count, group, list distinct values and bucket
//!   times under the same filters.

pub mod aggregate;
pub mod ops;
pub mod order;

use std::cell::Cell;

use sea_orm::sea_query::{Condition, Expr, IntoColumnRef, Query, SimpleExpr};
use sea_orm::{EntityTrait, ModelTrait, Value};
use serde::Serialize;

pub use self::ops::{lower, stored, BoolOp, EnumOp, IdOp, IntOp, IpOp, Op, Stored, TextOp, TimeOp};
pub use self::order::{Fields, OrderBy, Shown, SortDirection};
use super::error::{DomainError, DomainResult};
use super::tenancy::{Scope, Scoped};

/// The most conditions one filter may hold, nesting included: a filter is an ask, not a
/// program.
pub const MAX_CONDITIONS: usize = 200;

/// A type's filter: `and`, `or`, `not` and its fields' conditions.
pub trait Where: Serialize + Send + Sync + Sized {
    type E: Scoped;
    /// Every one of these holds.
    fn and(&self) -> &[Self];
    /// At least one of these holds (ignored when absent).
    fn or(&self) -> Option<&[Self]>;
    /// This does not hold.
    fn not(&self) -> Option<&Self>;
    /// The fields' conditions, each handed to `c`.
    fn fields(&self, c: &mut Conditions<'_, Self::E>) -> DomainResult<()>;
    /// The count the database keeps of the rows that meet this filter, for the few
    /// shapes it keeps one of ([`super::tallies`]); `None`: count the rows.
    fn tally(&self) -> Option<super::tallies::Tally> {
        None
    }
}

/// Declares the `and`/`or`/`not` part of a filter struct (fields named `and`, `or`,
/// `not`) and its [`Where`] implementation, whose body names each field's column
/// (`tally = f` names the function that finds the filter's kept count, if any).
#[macro_export]
macro_rules! where_impl {
    ($filter:ty, $entity:path, $(tally = $tally:path,)? |$self_:ident, $c:ident| $body:block) => {
        impl $crate::domain::query::Where for $filter {
            type E = $entity;
            fn and(&self) -> &[Self] {
                self.and.as_deref().unwrap_or_default()
            }
            fn or(&self) -> Option<&[Self]> {
                self.or.as_deref()
            }
            fn not(&self) -> Option<&Self> {
                self.not.as_deref()
            }
            fn fields(
                &self,
                $c: &mut $crate::domain::query::Conditions<'_, Self::E>,
            ) -> $crate::domain::error::DomainResult<()> {
                let $self_ = self;
                $body
                Ok(())
            }
            $(fn tally(&self) -> Option<$crate::domain::tallies::Tally> {
                $tally(self)
            })?
        }
    };
}

enum Target<'a, M> {
    Sql(Condition),
    Row(&'a M, bool),
}

/// Where a filter's fields put their conditions: into SQL, or tested on one row.
pub struct Conditions<'a, E: EntityTrait> {
    target: Target<'a, E::Model>,
    scope: &'a Scope,
    budget: &'a Cell<usize>,
    path: String,
}

impl<'a, E: EntityTrait> Conditions<'a, E> {
    fn spend(&self, n: usize) -> DomainResult<()> {
        let left = self.budget.get();
        if n > left {
            return Err(DomainError::bad(
                self.path.clone(),
                format!("a filter holds at most {MAX_CONDITIONS} conditions"),
            ));
        }
        self.budget.set(left - n);
        Ok(())
    }

    fn name(&self, field: &str) -> String {
        format!("{}.{field}", self.path)
    }

    /// `field`'s condition on `column`.
    pub fn on<O: Op>(&mut self, field: &str, op: &Option<O>, column: E::Column) -> DomainResult<()> {
        self.on_any(field, op, &[column])
    }

    /// `field`'s condition on a column holding the number of an object of `kind`.
    pub fn on_id(
        &mut self,
        field: &str,
        op: &Option<IdOp>,
        kind: super::ids::Kind,
        column: E::Column,
    ) -> DomainResult<()> {
        let ints = op.as_ref().map(|o| o.ints(&self.name(field), kind)).transpose()?;
        self.on(field, &ints, column)
    }

    /// `field`'s condition on a port number column: values above 65535 are refused.
    pub fn on_port(&mut self, field: &str, op: &Option<IntOp>, columns: &[E::Column]) -> DomainResult<()> {
        if let (Target::Sql(_), Some(op)) = (&self.target, op) {
            op.bounded(&self.name(field), 0, 65_535)?;
        }
        self.on_any(field, op, columns)
    }

    /// `field`'s condition on any of `columns` (a flow's either end): one of them meets
    /// every part of it.
    pub fn on_any<O: Op>(&mut self, field: &str, op: &Option<O>, columns: &[E::Column]) -> DomainResult<()> {
        let Some(op) = op else { return Ok(()) };
        self.spend(op.size())?;
        match &mut self.target {
            Target::Sql(all) => {
                let name = format!("{}.{field}", self.path);
                let mut any = Condition::any();
                for &col in columns {
                    let expr = move || -> SimpleExpr { Expr::col((E::default(), col)).into() };
                    any = any.add(op.sql(&name, &expr)?);
                }
                *all = std::mem::replace(all, Condition::all()).add(any);
            }
            // Tested only once `sql` accepted the filter (at subscription): no checks,
            // no names, nothing allocated but the column's value.
            Target::Row(row, holds) => {
                *holds = *holds && columns.iter().any(|&col| op.test(&row.get(col)));
            }
        }
        Ok(())
    }

    /// `field` names one tag of a tag list stored in `column` (`,a,b,`).
    pub fn tagged(&mut self, field: &str, tag: &Option<String>, column: E::Column) -> DomainResult<()> {
        let Some(tag) = tag else { return Ok(()) };
        self.spend(1)?;
        let name = self.name(field);
        match &mut self.target {
            Target::Sql(all) => {
                super::text::required(&name, tag, 64)?;
                let like = Expr::col((E::default(), column)).like(super::text::tag_pattern(tag));
                *all = std::mem::replace(all, Condition::all()).add(like);
            }
            Target::Row(row, holds) => {
                let has = |s: &str| super::text::decode_tags(s).iter().any(|t| t == tag.trim());
                *holds = *holds && matches!(row.get(column), Value::String(Some(s)) if has(&s));
            }
        }
        Ok(())
    }

    /// `field`'s condition on the objects of `kind` that rows of `E` are linked to through
    /// link rows `L` (`own` refers to `E`'s `column`, `other` to the object): only links
    /// the caller sees count, so an object outside its customers links to nothing.
    pub fn linked<L: Scoped>(
        &mut self,
        field: &str,
        op: &Option<IdOp>,
        kind: super::ids::Kind,
        column: E::Column,
        own: L::Column,
        other: L::Column,
    ) -> DomainResult<()> {
        let ints = op.as_ref().map(|o| o.ints(&self.name(field), kind)).transpose()?;
        self.on_related::<L, _>(field, &ints, column, own, other)
    }

    /// `field`'s condition on column `value` of another table `T`: `column` is among
    /// the `key`s of the `T` rows (that the caller sees) whose `value` meets it (an IPDR
    /// query's context, by the context's name).
    pub fn on_related<T: Scoped, O: Op>(
        &mut self,
        field: &str,
        op: &Option<O>,
        column: E::Column,
        key: T::Column,
        value: T::Column,
    ) -> DomainResult<()> {
        let Some(op) = op else { return Ok(()) };
        if let Target::Row(..) = self.target {
            return self.sql(field, Condition::all());
        }
        self.spend(op.size())?;
        let cond = op.sql(&self.name(field), &|| Expr::col((T::default(), value)).into())?;
        let q = Query::select()
            .column((T::default(), key))
            .from(T::default())
            .cond_where(cond.add(self.scope.condition::<T>()))
            .to_owned();
        self.sql(
            field,
            Condition::all().add(Expr::col((E::default(), column)).in_subquery(q)),
        )
    }

    /// A condition written in SQL for this field (a related table, a subquery).
    pub fn sql(&mut self, field: &str, c: Condition) -> DomainResult<()> {
        match &mut self.target {
            Target::Sql(all) => {
                *all = std::mem::replace(all, Condition::all()).add(c);
                Ok(())
            }
            Target::Row(..) => Err(DomainError::bad(
                self.name(field),
                "cannot be used here: it needs the database (live subscriptions test each alert as it comes)",
            )),
        }
    }

    /// `field` holds a filter of related rows: `column` is among the `foreign` values of
    /// the `R` rows that meet it (`hosts(filter: {ports: {port: {eq: 22}}})`).
    pub fn related<W, C>(&mut self, field: &str, inner: Option<&W>, column: E::Column, foreign: C) -> DomainResult<()>
    where
        W: Where,
        C: IntoColumnRef,
    {
        self.related_by(field, inner, [(column, foreign)])
    }

    /// [`Conditions::related`] through any of several pairs of columns: the row holds
    /// when one of its `column`s is among the `foreign` values of the rows meeting it
    /// (an alert's source device: by the source MAC, or by the source address).
    pub fn related_by<W, C, const N: usize>(
        &mut self,
        field: &str,
        inner: Option<&W>,
        pairs: [(E::Column, C); N],
    ) -> DomainResult<()>
    where
        W: Where,
        C: IntoColumnRef,
    {
        let Some(inner) = inner else { return Ok(()) };
        if let Target::Row(..) = self.target {
            return self.sql(field, Condition::all());
        }
        let mut sub = Conditions::<W::E> {
            target: Target::Sql(Condition::all()),
            scope: self.scope,
            budget: self.budget,
            path: self.name(field),
        };
        compile(inner, &mut sub)?;
        let Target::Sql(cond) = sub.target else { unreachable!() };
        let cond = cond.add(self.scope.condition::<W::E>());
        let any = pairs.into_iter().fold(Condition::any(), |any, (column, foreign)| {
            let q = Query::select()
                .column(foreign)
                .from(W::E::default())
                .cond_where(cond.clone())
                .to_owned();
            any.add(Expr::col((E::default(), column)).in_subquery(q))
        });
        self.sql(field, any)
    }

    /// A fresh target of the same kind, for a filter nested at `path` (named only for
    /// SQL's errors).
    fn nested(&self, path: impl FnOnce() -> String) -> Conditions<'a, E> {
        let (target, path) = match &self.target {
            Target::Sql(_) => (Target::Sql(Condition::all()), path()),
            Target::Row(row, _) => (Target::Row(*row, true), String::new()),
        };
        Conditions {
            target,
            scope: self.scope,
            budget: self.budget,
            path,
        }
    }

    /// Adds `p`: this holds only if `p` does too.
    fn and(&mut self, p: Part) {
        match (&mut self.target, p) {
            (Target::Sql(all), Part::Sql(c)) => *all = std::mem::replace(all, Condition::all()).add(c),
            (Target::Row(_, holds), Part::Held(h)) => *holds = *holds && h,
            _ => unreachable!("a part is of its parent's kind"),
        }
    }

    fn part(self) -> Part {
        match self.target {
            Target::Sql(c) => Part::Sql(c),
            Target::Row(_, h) => Part::Held(h),
        }
    }
}

/// A nested filter evaluated alone: its SQL, or whether the row meets it.
enum Part {
    Sql(Condition),
    Held(bool),
}

impl Part {
    fn not(self) -> Self {
        match self {
            Self::Sql(c) => Self::Sql(Condition::not(c)),
            Self::Held(h) => Self::Held(!h),
        }
    }
}

/// `w` evaluated alone, in the kind of `c`.
fn part<W: Where>(c: &Conditions<'_, W::E>, w: &W, path: impl FnOnce() -> String) -> DomainResult<Part> {
    c.spend(1)?;
    let mut sub = c.nested(path);
    compile(w, &mut sub)?;
    Ok(sub.part())
}

/// Runs `w`'s fields and its `and`/`or`/`not` into `c`.
fn compile<W: Where>(w: &W, c: &mut Conditions<'_, W::E>) -> DomainResult<()> {
    w.fields(c)?;
    for (i, a) in w.and().iter().enumerate() {
        let p = part(c, a, || format!("{}.and[{i}]", c.path))?;
        c.and(p);
    }
    if let Some(or) = w.or() {
        let mut any = match c.target {
            Target::Sql(_) => Part::Sql(Condition::any()),
            Target::Row(..) => Part::Held(false),
        };
        for (i, o) in or.iter().enumerate() {
            any = match (any, part(c, o, || format!("{}.or[{i}]", c.path))?) {
                (Part::Sql(all), Part::Sql(one)) => Part::Sql(all.add(one)),
                (Part::Held(all), Part::Held(one)) => Part::Held(all || one),
                _ => unreachable!("a part is of its parent's kind"),
            };
        }
        c.and(any);
    }
    if let Some(n) = w.not() {
        let p = part(c, n, || format!("{}.not", c.path))?;
        c.and(p.not());
    }
    Ok(())
}

/// The SQL condition of filter `w` for a caller within `scope`; `path` names the
/// argument in errors (`filter`).
pub fn condition<W: Where>(w: &W, scope: &Scope, path: &str) -> DomainResult<Condition> {
    let budget = Cell::new(MAX_CONDITIONS);
    let mut c = Conditions::<W::E> {
        target: Target::Sql(Condition::all()),
        scope,
        budget: &budget,
        path: path.to_string(),
    };
    compile(w, &mut c)?;
    let Target::Sql(cond) = c.target else { unreachable!() };
    Ok(cond)
}

/// Whether `row` meets filter `w`: the same rule as [`condition`], in memory. Fails for
/// a filter with a field that needs the database.
pub fn matches<W: Where>(w: &W, row: &<W::E as EntityTrait>::Model) -> DomainResult<bool> {
    let budget = Cell::new(MAX_CONDITIONS);
    let scope = Scope::default();
    let mut c = Conditions::<W::E> {
        target: Target::Row(row, true),
        scope: &scope,
        budget: &budget,
        path: "filter".to_string(),
    };
    compile(w, &mut c)?;
    let Target::Row(_, holds) = c.target else {
        unreachable!()
    };
    Ok(holds)
}

impl Stored for super::alerts::Severity {
    fn stored(self) -> Value {
        Value::SmallInt(Some(self.rank()))
    }
}

/// Enumerations stored as their name in a text column.
macro_rules! stored_as_text {
    ($($t:ty),* $(,)?) => {$(
        impl Stored for $t {
            fn stored(self) -> Value {
                self.as_str().into()
            }
        }
    )*};
}
stored_as_text!(
    super::cases::CaseStatus,
    super::cases::CaseOutcome,
    super::ports::Protocol,
    super::iocs::Tlp,
    super::assets::CompromiseStatus,
    super::tasks::TaskStatus,
    super::ipdr::Status,
    super::users::Role,
);
