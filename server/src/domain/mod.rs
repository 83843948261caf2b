//! Domain logic shared by the API layers: validation, queries, invariants. Nothing
//! here knows about HTTP. Filter and input types derive `InputObject` so that the API
//! and the domain share one definition of each (one way to do each thing).

pub mod about;
pub mod access;
pub mod alert_log;
pub mod alerts;
pub mod assets;
pub mod audit;
pub mod case_activities;
pub mod case_states;
pub mod cases;
pub mod crud;
pub mod customers;
pub mod data;
pub mod error;
pub mod evidences;
pub mod filters;
pub mod flows;
pub mod hosts;
pub mod ids;
pub mod inventory;
pub mod iocs;
pub mod ip;
pub mod ipdr;
pub mod notes;
pub mod passwords;
pub mod pcaps;
pub mod ports;
pub mod preferences;
pub mod provenance;
pub mod query;
pub mod tallies;
pub mod tasks;
pub mod tenancy;
pub mod text;
pub mod timeline;
pub mod tokens;
pub mod users;
pub mod values;
