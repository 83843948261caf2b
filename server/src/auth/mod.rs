//! Who is calling: the credentials each transport and dialect presents, resolved by
//! one set of rules into the principal a request acts as (`principal`), browser
//! sessions and sign-in, and same-origin checks. What a principal may do, and the
//! users, passwords and tokens behind it, are `domain` (`access`, `users`).

pub mod csrf;
pub mod login;
pub mod principal;
pub mod sessions;
