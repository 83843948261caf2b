//! The black-box tests: one binary (linking Pivot once, not once per file), a module per
//! area. Each starts the real `pivot` server (or runs the binary) on SQLite and PostgreSQL.

mod audit;
mod auth;
mod authz;
mod cases;
mod database;
mod demo;
mod flows_alerts;
mod hosts;
mod import_cli;
mod imports;
mod intrudect;
mod inventory;
mod ipdr;
mod iris;
mod limits;
mod live;
mod mutations;
mod query_model;
mod schema;
mod security;
mod sessions;
mod statements;
mod tables;
mod tenancy;
mod users;
mod web;
