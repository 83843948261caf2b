//! Who is asking: password hashing, API tokens, and the principal every request
//! resolves to (written once, for GraphQL and later for the REST dialects).

pub mod csrf;
pub mod login;
pub mod passwords;
pub mod permissions;
pub mod principal;
pub mod sessions;
pub mod tokens;
