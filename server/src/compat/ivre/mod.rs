//! IVRE's web API (`/cgi`, `../shared/specs/ivre-web-api.txt` and
//! `../shared/specs/notes/ivre.md`): in progress (issue 24). So far, the reading of
//! the `q` parameter into terms ([`q`]); its keywords are translated into the query
//! model next, then the routes.

pub mod q;
