//! A task may be assigned to several users (DFIR-IRIS v2 assigns tasks to many): the
//! links move from `tasks.assignee_id` to `task_assignees`. The old column stays, empty
//! and unused — SQLite cannot drop a column that is a foreign key.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::ConnectionTrait;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(TaskAssignees::Table)
                .col(ColumnDef::new(TaskAssignees::TaskId).big_integer().not_null())
                .col(ColumnDef::new(TaskAssignees::UserId).big_integer().not_null())
                .primary_key(Index::create().col(TaskAssignees::TaskId).col(TaskAssignees::UserId))
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_task_assignees_task_id")
                        .from(TaskAssignees::Table, TaskAssignees::TaskId)
                        .to(Tasks::Table, Tasks::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_task_assignees_user_id")
                        .from(TaskAssignees::Table, TaskAssignees::UserId)
                        .to(Users::Table, Users::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_task_assignees_user_id")
                .table(TaskAssignees::Table)
                .col(TaskAssignees::UserId)
                .to_owned(),
        )
        .await?;
        let db = m.get_connection();
        db.execute_unprepared(
            "INSERT INTO task_assignees (task_id, user_id) SELECT id, assignee_id FROM tasks WHERE assignee_id IS NOT NULL",
        )
        .await?;
        db.execute_unprepared("UPDATE tasks SET assignee_id = NULL").await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.get_connection()
            .execute_unprepared(
                "UPDATE tasks SET assignee_id = (SELECT MIN(user_id) FROM task_assignees WHERE task_id = tasks.id)",
            )
            .await?;
        m.drop_table(Table::drop().table(TaskAssignees::Table).to_owned()).await
    }
}

#[derive(DeriveIden)]
enum TaskAssignees {
    Table,
    TaskId,
    UserId,
}

#[derive(DeriveIden)]
enum Tasks {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
}
