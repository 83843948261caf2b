//! Users limited to some customers: a user with rows here sees only those customers'
//! cases and what hangs off them; a user without any sees every customer.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(UserCustomers::Table)
                .col(ColumnDef::new(UserCustomers::UserId).big_integer().not_null())
                .col(ColumnDef::new(UserCustomers::CustomerId).big_integer().not_null())
                .primary_key(
                    Index::create()
                        .col(UserCustomers::UserId)
                        .col(UserCustomers::CustomerId),
                )
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_user_customers_user_id")
                        .from(UserCustomers::Table, UserCustomers::UserId)
                        .to(Users::Table, Users::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_user_customers_customer_id")
                        .from(UserCustomers::Table, UserCustomers::CustomerId)
                        .to(Customers::Table, Customers::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(UserCustomers::Table).to_owned()).await
    }
}

#[derive(DeriveIden)]
enum UserCustomers {
    Table,
    UserId,
    CustomerId,
}

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Customers {
    Table,
    Id,
}
