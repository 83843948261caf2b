//! Indexes for the questions asked of the audit log on every sign-in (recent failures
//! of a username, of an address) and by its readers (one user's events, one action).

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for (name, cols) in INDEXES {
            let mut index = Index::create();
            index.name(*name).table(AuditEvents::Table);
            for c in *cols {
                index.col(*c);
            }
            m.create_index(index.to_owned()).await?;
        }
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for (name, _) in INDEXES {
            m.drop_index(Index::drop().name(*name).table(AuditEvents::Table).to_owned())
                .await?;
        }
        Ok(())
    }
}

const INDEXES: &[(&str, &[AuditEvents])] = &[
    (
        "ix_audit_events_action_object",
        &[AuditEvents::Action, AuditEvents::ObjectId, AuditEvents::At],
    ),
    (
        "ix_audit_events_action_address",
        &[AuditEvents::Action, AuditEvents::Address, AuditEvents::At],
    ),
];

#[derive(DeriveIden, Clone, Copy)]
enum AuditEvents {
    Table,
    Action,
    ObjectId,
    Address,
    At,
}
