//! What a user's clients keep between calls, by name, in the database so that every
//! replica sees it: the web app's settings, a REST dialect's per-user state (DFIR-IRIS's
//! current case).

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(UserPreferences::Table)
                .col(ColumnDef::new(UserPreferences::UserId).big_integer().not_null())
                .col(ColumnDef::new(UserPreferences::Name).string().not_null())
                .col(ColumnDef::new(UserPreferences::Value).text().not_null())
                .col(
                    ColumnDef::new(UserPreferences::UpdatedAt)
                        .timestamp_with_time_zone()
                        .not_null(),
                )
                .primary_key(Index::create().col(UserPreferences::UserId).col(UserPreferences::Name))
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_user_preferences_user_id")
                        .from(UserPreferences::Table, UserPreferences::UserId)
                        .to(Users::Table, Users::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(UserPreferences::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum UserPreferences {
    Table,
    UserId,
    Name,
    Value,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
}
