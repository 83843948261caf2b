//! Pivot's schema migrations: one file per change, never edited once landed.

pub use sea_orm_migration::prelude::*;

mod m20261123_000001_accounts;
mod m20261123_000002_hosts_scans_flows_alerts;
mod m20261123_000003_cases;
mod m20261123_000004_inventory;
mod m20261123_000005_audit_lookups;
mod m20261123_000006_customer_limits;
mod m20261123_000007_ingest;
mod m20261201_000008_alert_changes;
mod m20261201_000009_alert_endpoints;
mod m20261201_000010_alert_pcaps;
mod m20261201_000011_ipdr;
mod m20261201_000012_ipdr_queries;
mod m20261206_000013_iocs_per_tenant;
mod m20261206_000014_session_users;
mod m20261206_000015_alert_change_customers;
mod m20261206_000016_imports;
mod m20261206_000017_query_model;
mod m20261207_000018_device_gateways;
mod m20261207_000019_ordered_indexes;
mod m20261207_000020_user_preferences;
mod m20261207_000021_port_tallies;
mod m20261207_000022_case_references;
mod m20261207_000023_asset_details;
mod m20261207_000024_case_object_details;
mod m20261207_000025_case_object_states;
mod m20261207_000026_task_assignees;
mod m20261207_000027_case_activities_and_outcomes;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261123_000001_accounts::Migration),
            Box::new(m20261123_000002_hosts_scans_flows_alerts::Migration),
            Box::new(m20261123_000003_cases::Migration),
            Box::new(m20261123_000004_inventory::Migration),
            Box::new(m20261123_000005_audit_lookups::Migration),
            Box::new(m20261123_000006_customer_limits::Migration),
            Box::new(m20261123_000007_ingest::Migration),
            Box::new(m20261201_000008_alert_changes::Migration),
            Box::new(m20261201_000009_alert_endpoints::Migration),
            Box::new(m20261201_000010_alert_pcaps::Migration),
            Box::new(m20261201_000011_ipdr::Migration),
            Box::new(m20261201_000012_ipdr_queries::Migration),
            Box::new(m20261206_000013_iocs_per_tenant::Migration),
            Box::new(m20261206_000014_session_users::Migration),
            Box::new(m20261206_000015_alert_change_customers::Migration),
            Box::new(m20261206_000016_imports::Migration),
            Box::new(m20261206_000017_query_model::Migration),
            Box::new(m20261207_000018_device_gateways::Migration),
            Box::new(m20261207_000019_ordered_indexes::Migration),
            Box::new(m20261207_000020_user_preferences::Migration),
            Box::new(m20261207_000021_port_tallies::Migration),
            Box::new(m20261207_000022_case_references::Migration),
            Box::new(m20261207_000023_asset_details::Migration),
            Box::new(m20261207_000024_case_object_details::Migration),
            Box::new(m20261207_000025_case_object_states::Migration),
            Box::new(m20261207_000026_task_assignees::Migration),
            Box::new(m20261207_000027_case_activities_and_outcomes::Migration),
        ]
    }
}
