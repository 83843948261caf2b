//! Notes about any node, with every edit kept as a revision and optimistic
//! concurrency (`expectedRevision`); note groups of a case.

use async_graphql::{InputObject, MaybeUndefined, ID};
use chrono::Utc;
use entities::{case, note, note_group, note_revision};
use sea_orm::sea_query::Condition;
use sea_orm::{
    ActiveModelTrait,
    ActiveValue::{self, Set},
    ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, TransactionTrait,
};
use serde::Serialize;

use super::crud::{self, opt_text};
use super::error::{DomainError, DomainResult};
use super::filters::ilike;
use super::ids::{self, Kind};
use super::query::{IdOp, IntOp, TextOp, TimeOp};
use super::text::{self, escape_like};

pub const MAX_BODY: usize = 1_000_000;

/// Which notes: conditions on their fields, composed with `and`, `or` and `not`.
#[derive(InputObject, Serialize, Clone, Debug, Default)]
pub struct NoteFilter {
    pub and: Option<Vec<NoteFilter>>,
    pub or: Option<Vec<NoteFilter>>,
    pub not: Option<Box<NoteFilter>>,
    /// The title or the body contains every word of it, case-insensitive.
    pub search: Option<String>,
    pub title: Option<TextOp>,
    pub body: Option<TextOp>,
    /// About this object (of any type).
    pub subject_id: Option<ID>,
    pub case_id: Option<IdOp>,
    pub group_id: Option<IdOp>,
    pub author_id: Option<IdOp>,
    pub revision: Option<IntOp>,
    pub created_at: Option<TimeOp>,
    pub updated_at: Option<TimeOp>,
}

crate::where_impl!(NoteFilter, note::Entity, |f, c| {
    use note::Column as C;
    if let Some(s) = &f.search {
        c.sql("search", search_condition(s))?;
    }
    c.on("title", &f.title, C::Title)?;
    c.on("body", &f.body, C::Body)?;
    if let Some(s) = &f.subject_id {
        let (kind, id) = ids::decode_any("filter.subjectId", s)?;
        let about = Condition::all()
            .add(C::SubjectType.eq(kind.name()))
            .add(C::SubjectId.eq(id));
        c.sql("subjectId", about)?;
    }
    c.on_id("caseId", &f.case_id, Kind::Case, C::CaseId)?;
    c.on_id("groupId", &f.group_id, Kind::NoteGroup, C::GroupId)?;
    c.on_id("authorId", &f.author_id, Kind::User, C::AuthorId)?;
    c.on("revision", &f.revision, C::Revision)?;
    c.on("createdAt", &f.created_at, C::CreatedAt)?;
    c.on("updatedAt", &f.updated_at, C::UpdatedAt)?;
});

crate::fields! {
    /// The fields notes sort, group and bucket by.
    NoteField, NoteOrder for note {
        Title => Title: Text,
        Case => CaseId: Int,
        Revision => Revision: Int,
        CreatedAt => CreatedAt: Time,
        UpdatedAt => UpdatedAt: Time,
    }
}

/// Notes whose title or body contains every word of `search`, case-insensitive.
fn search_condition(search: &str) -> Condition {
    search.split_whitespace().fold(Condition::all(), |c, word| {
        let p = format!("%{}%", escape_like(word));
        c.add(
            Condition::any()
                .add(ilike((note::Entity, note::Column::Title), &p))
                .add(ilike((note::Entity, note::Column::Body), &p)),
        )
    })
}

/// Checks that the subject exists and tells the case it belongs to, if any: a note
/// about a case, or about something a case owns, belongs to that case.
pub async fn subject_case(db: &impl ConnectionTrait, kind: Kind, id: i64) -> DomainResult<Option<i64>> {
    async fn case_of<E>(
        db: &impl ConnectionTrait,
        id: i64,
        f: impl Fn(&E::Model) -> Option<i64>,
    ) -> DomainResult<Option<i64>>
    where
        E: EntityTrait,
        <E::PrimaryKey as sea_orm::PrimaryKeyTrait>::ValueType: From<i64>,
    {
        let m = E::find_by_id(id)
            .one(db)
            .await?
            .ok_or_else(|| DomainError::not_found(format!("subject {id}")))?;
        Ok(f(&m))
    }
    use entities::*;
    match kind {
        Kind::Case => case_of::<case::Entity>(db, id, |c| Some(c.id)).await,
        Kind::Asset => case_of::<asset::Entity>(db, id, |a| Some(a.case_id)).await,
        Kind::Task => case_of::<task::Entity>(db, id, |t| t.case_id).await,
        Kind::TimelineEvent => case_of::<timeline_event::Entity>(db, id, |e| Some(e.case_id)).await,
        Kind::Evidence => case_of::<evidence::Entity>(db, id, |e| Some(e.case_id)).await,
        Kind::NoteGroup => case_of::<note_group::Entity>(db, id, |g| Some(g.case_id)).await,
        Kind::Host => case_of::<host::Entity>(db, id, |_| None).await,
        Kind::Port => case_of::<port::Entity>(db, id, |_| None).await,
        Kind::Scan => case_of::<scan::Entity>(db, id, |_| None).await,
        Kind::Flow => case_of::<flow::Entity>(db, id, |_| None).await,
        Kind::Alert => case_of::<alert::Entity>(db, id, |_| None).await,
        Kind::Customer => case_of::<customer::Entity>(db, id, |_| None).await,
        Kind::Ioc => case_of::<ioc::Entity>(db, id, |_| None).await,
        Kind::Device => case_of::<device::Entity>(db, id, |_| None).await,
        Kind::Network => case_of::<network::Entity>(db, id, |_| None).await,
        Kind::Service => case_of::<service::Entity>(db, id, |_| None).await,
        Kind::DnsRecord => case_of::<dns_record::Entity>(db, id, |_| None).await,
        Kind::Note
        | Kind::AssetType
        | Kind::User
        | Kind::ApiToken
        | Kind::AuditEvent
        | Kind::AlertPcap
        | Kind::IpdrQuery
        | Kind::Import => Err(DomainError::bad(
            "subjectId",
            format!("notes cannot be written about a {}", kind.name()),
        )),
    }
}

#[derive(InputObject, Clone, Debug)]
pub struct CreateNoteInput {
    /// What the note is about: any node (a host, a case, an alert ...).
    pub subject_id: ID,
    pub title: Option<String>,
    pub body: String,
    /// A note group of the same case.
    pub group_id: Option<ID>,
    /// Free-form attributes: a JSON object.
    pub custom_attributes: Option<async_graphql::Json<serde_json::Value>>,
}

#[derive(InputObject, Clone, Debug, Default)]
pub struct UpdateNoteInput {
    pub title: MaybeUndefined<String>,
    pub body: Option<String>,
    pub group_id: MaybeUndefined<ID>,
    /// The revision the edit is based on; the update fails with CONFLICT when the note
    /// has changed since.
    pub expected_revision: Option<i32>,
    /// Free-form attributes: a JSON object (replaced whole).
    pub custom_attributes: MaybeUndefined<async_graphql::Json<serde_json::Value>>,
}

async fn check_group(db: &impl ConnectionTrait, group: &ID, case_id: Option<i64>) -> DomainResult<i64> {
    let gid = ids::decode("groupId", group, Kind::NoteGroup)?;
    let g = crud::find::<note_group::Entity>(db, "note group", gid).await?;
    if Some(g.case_id) != case_id {
        return Err(DomainError::bad("groupId", "the group belongs to another case"));
    }
    Ok(gid)
}

fn body(value: &str) -> DomainResult<String> {
    if value.len() > MAX_BODY {
        return Err(DomainError::bad("body", format!("must be at most {MAX_BODY} bytes")));
    }
    Ok(value.to_string())
}

/// A note is a title, a text, or both: never neither.
fn untitled_and_empty(title: &Option<String>, body: &str) -> DomainResult<()> {
    if title.is_none() && body.trim().is_empty() {
        return Err(DomainError::bad("body", "a note needs a title or a text"));
    }
    Ok(())
}

pub async fn create(
    db: &impl TransactionTrait,
    input: CreateNoteInput,
    author: Option<i64>,
) -> DomainResult<note::Model> {
    let (kind, subject) = ids::decode_any("subjectId", &input.subject_id)?;
    let tx = db.begin().await?;
    let case_id = subject_case(&tx, kind, subject).await?;
    let group_id = match &input.group_id {
        Some(g) => Some(check_group(&tx, g, case_id).await?),
        None => None,
    };
    let now = Utc::now();
    let title = text::optional("title", input.title.as_deref(), 300)?;
    let body = body(&input.body)?;
    untitled_and_empty(&title, &body)?;
    let attributes = match input.custom_attributes {
        Some(a) => crud::attributes("customAttributes", MaybeUndefined::Value(a))?,
        None => MaybeUndefined::Null,
    };
    let model = note::ActiveModel {
        title: Set(title),
        body: Set(body),
        custom_attributes: Set(attributes.take()),
        revision: Set(1),
        created_at: Set(now),
        updated_at: Set(now),
        author_id: Set(author),
        subject_type: Set(kind.name().into()),
        subject_id: Set(subject),
        case_id: Set(case_id),
        group_id: Set(group_id),
        ..Default::default()
    }
    .insert(&tx)
    .await?;
    super::case_states::bump(&tx, model.case_id, super::case_states::CaseObjects::Notes).await?;
    tx.commit().await?;
    Ok(model)
}

/// Edits a note; the state before the edit is kept as a revision.
pub async fn update(
    db: &impl TransactionTrait,
    id: i64,
    input: UpdateNoteInput,
    author: Option<i64>,
) -> DomainResult<note::Model> {
    let tx = db.begin().await?;
    let old = crud::find::<note::Entity>(&tx, "note", id).await?;
    if let Some(expected) = input.expected_revision {
        if expected != old.revision {
            return Err(DomainError::Conflict(format!(
                "note {id} is at revision {}, not {expected}: reload it and apply your edit again",
                old.revision
            )));
        }
    }
    note_revision::ActiveModel {
        note_id: Set(old.id),
        revision: Set(old.revision),
        title: Set(old.title.clone()),
        body: Set(old.body.clone()),
        author_id: Set(old.author_id),
        created_at: Set(old.updated_at),
        ..Default::default()
    }
    .insert(&tx)
    .await?;
    let mut am: note::ActiveModel = old.clone().into();
    crud::set_opt(&mut am.title, opt_text("title", input.title, 300)?);
    if let Some(b) = input.body {
        am.body = Set(body(&b)?);
    }
    match input.group_id {
        MaybeUndefined::Undefined => {}
        MaybeUndefined::Null => am.group_id = Set(None),
        MaybeUndefined::Value(g) => am.group_id = Set(Some(check_group(&tx, &g, old.case_id).await?)),
    }
    crud::set_opt(
        &mut am.custom_attributes,
        crud::attributes("customAttributes", input.custom_attributes)?,
    );
    if let (ActiveValue::Set(t) | ActiveValue::Unchanged(t), ActiveValue::Set(b) | ActiveValue::Unchanged(b)) =
        (&am.title, &am.body)
    {
        untitled_and_empty(t, b)?;
    }
    am.revision = Set(old.revision + 1);
    am.updated_at = Set(Utc::now());
    am.author_id = Set(author.or(old.author_id));
    let model = am.update(&tx).await?;
    super::case_states::bump(&tx, model.case_id, super::case_states::CaseObjects::Notes).await?;
    tx.commit().await?;
    Ok(model)
}

pub async fn delete(db: &impl ConnectionTrait, id: i64) -> DomainResult<()> {
    let n = crud::find::<note::Entity>(db, "note", id).await?;
    crud::delete::<note::Entity>(db, "note", id).await?;
    super::case_states::bump(db, n.case_id, super::case_states::CaseObjects::Notes).await
}

/// A group of the case that may hold `child` (none: any group of the case may): the
/// parent must be of the same case, and neither `child` nor inside it.
async fn check_parent(db: &impl ConnectionTrait, case_id: i64, parent: &ID, child: Option<i64>) -> DomainResult<i64> {
    let pid = ids::decode("parentId", parent, Kind::NoteGroup)?;
    let bad = || {
        DomainError::bad(
            "parentId",
            "must be a group of the same case, and not inside the group itself",
        )
    };
    let mut at = Some(pid);
    // Up from the parent to the top: `child` must not be on the way.
    for _ in 0..=MAX_DEPTH {
        let Some(g) = at else { return Ok(pid) };
        if Some(g) == child {
            return Err(bad());
        }
        let group = note_group::Entity::find_by_id(g).one(db).await?.ok_or_else(bad)?;
        if group.case_id != case_id {
            return Err(bad());
        }
        at = group.parent_id;
    }
    Err(DomainError::bad(
        "parentId",
        format!("groups nest at most {MAX_DEPTH} deep"),
    ))
}

/// Changes to a case's groups one at a time: on PostgreSQL, concurrent moves could
/// make a loop, or a group could land under a parent being deleted (SQLite writes one
/// at a time already).
async fn lock_groups(db: &impl ConnectionTrait, case_id: i64) -> DomainResult<()> {
    Ok(crate::db::advisory_locks(db, &[("note_groups", &case_id.to_string())]).await?)
}

/// How deep groups may nest: deep enough for any case, shallow enough to walk.
const MAX_DEPTH: usize = 32;

pub async fn create_group(
    db: &impl ConnectionTrait,
    case_id: i64,
    title: &str,
    parent: Option<ID>,
) -> DomainResult<note_group::Model> {
    crud::find::<case::Entity>(db, "case", case_id).await?;
    lock_groups(db, case_id).await?;
    let parent_id = match &parent {
        Some(p) => Some(check_parent(db, case_id, p, None).await?),
        None => None,
    };
    let group = note_group::ActiveModel {
        case_id: Set(case_id),
        title: Set(text::required("title", title, 300)?),
        created_at: Set(Utc::now()),
        parent_id: Set(parent_id),
        ..Default::default()
    }
    .insert(db)
    .await?;
    super::case_states::bump(db, [case_id], super::case_states::CaseObjects::Notes).await?;
    Ok(group)
}

/// Renames a group, or moves it into another group of its case (null: to the top).
pub async fn update_group(
    db: &impl ConnectionTrait,
    id: i64,
    title: Option<String>,
    parent: MaybeUndefined<ID>,
) -> DomainResult<note_group::Model> {
    let case_id = crud::find::<note_group::Entity>(db, "note group", id).await?.case_id;
    lock_groups(db, case_id).await?;
    // Read again under the lock: a move that held it may have changed the group.
    let old = crud::find::<note_group::Entity>(db, "note group", id).await?;
    let mut am: note_group::ActiveModel = old.into();
    if let Some(t) = title {
        am.title = Set(text::required("title", &t, 300)?);
    }
    match parent {
        MaybeUndefined::Undefined => {}
        MaybeUndefined::Null => am.parent_id = Set(None),
        MaybeUndefined::Value(p) => am.parent_id = Set(Some(check_parent(db, case_id, &p, Some(id)).await?)),
    }
    let group = am.update(db).await?;
    super::case_states::bump(db, [case_id], super::case_states::CaseObjects::Notes).await?;
    Ok(group)
}

/// Deletes a note group and the groups inside it; their notes stay, outside any
/// group, unless `with_notes`.
pub async fn delete_group(db: &impl ConnectionTrait, id: i64, with_notes: bool) -> DomainResult<()> {
    let group = crud::find::<note_group::Entity>(db, "note group", id).await?;
    lock_groups(db, group.case_id).await?;
    super::case_states::bump(db, [group.case_id], super::case_states::CaseObjects::Notes).await?;
    // The group and everything inside it, level by level.
    let mut all = vec![id];
    let mut level = vec![id];
    while !level.is_empty() && all.len() <= 100_000 {
        level = note_group::Entity::find()
            .filter(note_group::Column::ParentId.is_in(level))
            .all(db)
            .await?
            .into_iter()
            .map(|g| g.id)
            .filter(|g| !all.contains(g))
            .collect();
        all.extend(&level);
    }
    if with_notes {
        note::Entity::delete_many()
            .filter(note::Column::GroupId.is_in(all.clone()))
            .exec(db)
            .await?;
    }
    note_group::Entity::delete_many()
        .filter(note_group::Column::Id.is_in(all))
        .exec(db)
        .await?;
    Ok(())
}
