//! Domain logic shared by the API layers: validation, queries, invariants. Nothing
//! here knows about HTTP. Filter and input types derive `InputObject` so that the API
//! and the domain share one definition of each (one way to do each thing).

pub mod alerts;
pub mod crud;
pub mod error;
pub mod filters;
pub mod flows;
pub mod hosts;
pub mod ids;
pub mod ip;
pub mod ports;
pub mod text;
pub mod values;
