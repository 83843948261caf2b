//! Notes (with revisions) and note groups.

use async_graphql::{Context, MaybeUndefined, Object, Result, ID};
use chrono::{DateTime, Utc};
use entities::{note, note_group, note_revision, user};

use super::audit::write;
use super::errors::Gql;
use super::loaders::{loader, ById, GroupBy};
use super::node::{self, Node};
use super::user::principal;
use super::user::User;
use crate::domain::ids::{self, Kind};
use crate::domain::notes::{self, CreateNoteInput, NoteField, NoteFilter, NoteOrder, UpdateNoteInput};
use crate::group;

group!(
    RevisionsOfNote,
    note_revision::Entity,
    note_revision::Column::NoteId,
    i64
);
group!(NotesOfGroup, note::Entity, note::Column::GroupId, i64);
group!(GroupsOfGroup, note_group::Entity, note_group::Column::ParentId, i64);

pub struct Note(pub note::Model);

#[Object]
impl Note {
    pub async fn id(&self) -> ID {
        ids::encode(Kind::Note, self.0.id)
    }
    async fn title(&self) -> Option<&str> {
        self.0.title.as_deref()
    }
    async fn body(&self) -> &str {
        &self.0.body
    }
    /// Free-form attributes (a JSON object).
    async fn custom_attributes(&self) -> Option<async_graphql::Json<serde_json::Value>> {
        crate::domain::crud::attributes_of(self.0.custom_attributes.as_deref()).map(async_graphql::Json)
    }
    /// Starts at 1 and grows with each edit; pass it as `expectedRevision` when editing.
    async fn revision(&self) -> i32 {
        self.0.revision
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.updated_at
    }
    async fn author(&self, ctx: &Context<'_>) -> Result<Option<User>> {
        let Some(id) = self.0.author_id else {
            return Ok(None);
        };
        Ok(loader::<ById<user::Entity>>(ctx).load_one(id).await.gql()?.map(User))
    }
    /// What the note is about.
    async fn subject(&self, ctx: &Context<'_>) -> Result<Option<Node>> {
        match Kind::from_name(&self.0.subject_type) {
            Some(kind) => node::load(ctx, kind, self.0.subject_id).await,
            None => Ok(None),
        }
    }
    async fn group(&self, ctx: &Context<'_>) -> Result<Option<NoteGroup>> {
        let Some(id) = self.0.group_id else {
            return Ok(None);
        };
        Ok(loader::<ById<note_group::Entity>>(ctx)
            .load_one(id)
            .await
            .gql()?
            .map(NoteGroup))
    }
    /// Earlier states of the note, oldest first.
    async fn revisions(&self, ctx: &Context<'_>) -> Result<Vec<NoteRevision>> {
        let mut rows = loader::<GroupBy<RevisionsOfNote>>(ctx)
            .load_one(self.0.id)
            .await
            .gql()?
            .unwrap_or_default();
        rows.sort_by_key(|r| r.revision);
        Ok(rows.into_iter().map(NoteRevision).collect())
    }
}

/// A past state of a note.
pub struct NoteRevision(pub note_revision::Model);

#[Object]
impl NoteRevision {
    async fn revision(&self) -> i32 {
        self.0.revision
    }
    async fn title(&self) -> Option<&str> {
        self.0.title.as_deref()
    }
    async fn body(&self) -> &str {
        &self.0.body
    }
    /// When this state was written.
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    async fn author(&self, ctx: &Context<'_>) -> Result<Option<User>> {
        let Some(id) = self.0.author_id else {
            return Ok(None);
        };
        Ok(loader::<ById<user::Entity>>(ctx).load_one(id).await.gql()?.map(User))
    }
}

/// A group (directory) of notes in a case.
pub struct NoteGroup(pub note_group::Model);

#[Object]
impl NoteGroup {
    pub async fn id(&self) -> ID {
        ids::encode(Kind::NoteGroup, self.0.id)
    }
    async fn title(&self) -> &str {
        &self.0.title
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    async fn notes(&self, ctx: &Context<'_>) -> Result<Vec<Note>> {
        let rows = loader::<GroupBy<NotesOfGroup>>(ctx).load_one(self.0.id).await.gql()?;
        Ok(rows.unwrap_or_default().into_iter().map(Note).collect())
    }
    /// The group this one is inside, if any.
    async fn parent(&self, ctx: &Context<'_>) -> Result<Option<NoteGroup>> {
        let Some(id) = self.0.parent_id else {
            return Ok(None);
        };
        Ok(loader::<ById<note_group::Entity>>(ctx)
            .load_one(id)
            .await
            .gql()?
            .map(NoteGroup))
    }
    /// The groups directly inside this one.
    async fn groups(&self, ctx: &Context<'_>) -> Result<Vec<NoteGroup>> {
        let rows = loader::<GroupBy<GroupsOfGroup>>(ctx).load_one(self.0.id).await.gql()?;
        Ok(rows.unwrap_or_default().into_iter().map(NoteGroup).collect())
    }
}

crate::listing!(
    NoteQuery, Note, NoteFilter, NoteField, NoteOrder, "NoteAggregate",
    /// Notes that meet `filter`, in `orderBy` order (ties by ID, the way the last field goes; by ID alone, the order of
    /// writing, without one); `last` pages from the end.
    notes,
    /// Counts, groups and time buckets of the notes that meet `filter`.
    notes_aggregate,
);

#[derive(Default)]
pub struct NoteMutation;

#[Object]
impl NoteMutation {
    async fn create_note(&self, ctx: &Context<'_>, input: CreateNoteInput) -> Result<Note> {
        let me = principal(ctx)?.user.id;
        write(ctx, move |tx| {
            Box::pin(async move { notes::create(tx, input, Some(me)).await })
        })
        .await
        .map(Note)
    }
    /// Edits a note, keeping its previous state as a revision.
    async fn update_note(&self, ctx: &Context<'_>, id: ID, input: UpdateNoteInput) -> Result<Note> {
        let id = ids::decode("id", &id, Kind::Note).gql()?;
        let me = principal(ctx)?.user.id;
        write(ctx, move |tx| {
            Box::pin(async move { notes::update(tx, id, input, Some(me)).await })
        })
        .await
        .map(Note)
    }
    async fn delete_note(&self, ctx: &Context<'_>, id: ID) -> Result<ID> {
        let n = ids::decode("id", &id, Kind::Note).gql()?;
        write(ctx, move |tx| Box::pin(async move { notes::delete(tx, n).await })).await?;
        Ok(id)
    }
    /// A note group of the case, at the top or inside group `parentId` (of the case).
    async fn create_note_group(
        &self,
        ctx: &Context<'_>,
        case_id: ID,
        title: String,
        parent_id: Option<ID>,
    ) -> Result<NoteGroup> {
        let case_id = ids::decode("caseId", &case_id, Kind::Case).gql()?;
        write(ctx, move |tx| {
            Box::pin(async move { notes::create_group(tx, case_id, &title, parent_id).await })
        })
        .await
        .map(NoteGroup)
    }
    /// Renames a group, or moves it inside another group of its case (`parentId`; null
    /// moves it to the top). A group cannot go inside itself.
    async fn update_note_group(
        &self,
        ctx: &Context<'_>,
        id: ID,
        title: Option<String>,
        parent_id: MaybeUndefined<ID>,
    ) -> Result<NoteGroup> {
        let id = ids::decode("id", &id, Kind::NoteGroup).gql()?;
        write(ctx, move |tx| {
            Box::pin(async move { notes::update_group(tx, id, title, parent_id).await })
        })
        .await
        .map(NoteGroup)
    }
    /// Deletes a note group and the groups inside it; their notes stay, outside any
    /// group — or, with `deleteNotes`, go with them.
    async fn delete_note_group(&self, ctx: &Context<'_>, id: ID, #[graphql(default)] delete_notes: bool) -> Result<ID> {
        let n = ids::decode("id", &id, Kind::NoteGroup).gql()?;
        write(ctx, move |tx| {
            Box::pin(async move { notes::delete_group(tx, n, delete_notes).await })
        })
        .await?;
        Ok(id)
    }
}
