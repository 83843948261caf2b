//! Background work claimed from a table, restart-safe: a replica that dies leaves its
//! work to the others (or to itself, once restarted).

pub mod ipdr;
