//! One change of an alert, in commit order: what live subscriptions read.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "alert_changes")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub seq: i64,
    pub alert_id: i64,
    /// 0 created, 1 updated, 2 cases changed, 3 deleted.
    pub change: i16,
    /// For a change of its cases: the customer of the case.
    pub customer_id: Option<i64>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::alert::Entity",
        from = "Column::AlertId",
        to = "super::alert::Column::Id"
    )]
    Alert,
}

impl Related<super::alert::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Alert.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
