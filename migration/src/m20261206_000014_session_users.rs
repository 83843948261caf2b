//! Sessions name their user, so that a password reset or a deactivation can end every
//! session of that user (the user's ID was only inside the session's data before).
//! Existing sessions are ended (their users sign in once more): kept without a user,
//! a reset or a deactivation could not reach them for the rest of their 8 hours.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.get_connection().execute_unprepared("DELETE FROM sessions").await?;
        m.alter_table(
            Table::alter()
                .table(Sessions::Table)
                .add_column(ColumnDef::new(Sessions::UserId).big_integer().null())
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_sessions_user_id")
                .table(Sessions::Table)
                .col(Sessions::UserId)
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_index(
            Index::drop()
                .name("ix_sessions_user_id")
                .table(Sessions::Table)
                .to_owned(),
        )
        .await?;
        m.alter_table(
            Table::alter()
                .table(Sessions::Table)
                .drop_column(Sessions::UserId)
                .to_owned(),
        )
        .await
    }
}

#[derive(DeriveIden)]
enum Sessions {
    Table,
    UserId,
}
