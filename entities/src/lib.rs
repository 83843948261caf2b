//! SeaORM entities of Pivot, one file per table. No logic lives here: queries and
//! invariants are in `server::domain`, the API types in `server::graphql`.

pub mod alert;
pub mod analysis_status;
pub mod api_token;
pub mod asset;
pub mod asset_type;
pub mod audit_event;
pub mod case;
pub mod case_alert;
pub mod customer;
pub mod device;
pub mod dns_record;
pub mod evidence;
pub mod flow;
pub mod host;
pub mod hostname;
pub mod ioc;
pub mod ioc_asset;
pub mod ioc_case;
pub mod network;
pub mod note;
pub mod note_group;
pub mod note_revision;
pub mod port;
pub mod scan;
pub mod script_result;
pub mod service;
pub mod session;
pub mod task;
pub mod timeline_event;
pub mod timeline_event_asset;
pub mod user;
pub mod user_customer;
