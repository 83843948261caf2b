//! Pivot: a GraphQL-first network-security investigation platform.
//!
//! `domain` holds the logic (queries, validation, invariants), `graphql` maps it to
//! the API, `app` wires HTTP routes, `db` owns connections and migrations.

// The merged schema's futures are deeply nested types: release builds need more room.
#![recursion_limit = "256"]

pub mod auth;
pub mod bench;
pub mod compat;
pub mod config;
pub mod db;
pub mod demo;
pub mod domain;
pub mod downloads;
pub mod exports;
pub mod fairness;
pub mod graphql;
pub mod http;
pub mod ingest;
pub mod jobs;
pub mod live;
pub mod process;
pub mod state;
pub mod traffic;
