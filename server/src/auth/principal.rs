//! The principal of a request, resolved in one place from the credentials it presents,
//! whatever the transport or dialect: each reads them its own way ([`Presented`]: an
//! `Authorization` header, a key header, fields of a body), and one set of rules says
//! whether they hold. Who may then do what is `domain::access`.

use axum::http::{header, HeaderMap};
use entities::user;
use sea_orm::DatabaseConnection;
use tower_sessions::Session;

use super::login;
use crate::domain::access::{Principal, Via};
use crate::domain::error::DomainResult;
use crate::domain::tenancy;
use crate::domain::users;

/// Credentials as a request presents them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Presented {
    /// None: the browser session cookie, if any, decides.
    Nothing,
    /// Something in the place of credentials that is none (`Authorization: Basic` where
    /// a token is expected, an empty key): refused, never replaced by the cookie.
    Malformed,
    /// An API token secret.
    Token(String),
    /// An API token and the name of the user it must belong to (a token and someone
    /// else's name is refused).
    TokenOf { token: String, username: String },
    /// A user name and password sent with the request (HTTP Basic): checked as a
    /// sign-in is, under its limits (`login::Purpose::Request`).
    Password { username: String, password: String },
}

/// Where a request comes from, beside its credentials.
#[derive(Clone, Copy, Default)]
pub struct Origin<'a> {
    /// The browser session, for a request that presents nothing else.
    pub session: Option<&'a Session>,
    /// The client's address (sign-in limits count by it).
    pub address: Option<&'a str>,
    /// SQLite's one writer (a password check records its attempt).
    pub gate: Option<&'a crate::db::WriteGate>,
}

/// What the credentials of a request amount to.
pub enum Credentials {
    /// None were sent.
    Anonymous,
    /// Some were sent and are not valid (unknown, revoked or expired token, inactive user).
    Invalid,
    Valid(Box<Principal>),
}

/// The caller that `presented` (or else the session cookie) stands for.
pub async fn resolve(db: &DatabaseConnection, presented: &Presented, origin: Origin<'_>) -> DomainResult<Credentials> {
    let (secret, username) = match presented {
        Presented::Nothing => return from_session(db, origin.session).await,
        Presented::Malformed => return Ok(Credentials::Invalid),
        Presented::Password { username, password } => {
            return Ok(
                match login::login(
                    db,
                    origin.gate,
                    username,
                    password,
                    origin.address,
                    login::Purpose::Request,
                )
                .await?
                {
                    login::Outcome::SignedIn(user) => {
                        Credentials::Valid(Box::new(of_user(db, user, Via::Password).await?))
                    }
                    login::Outcome::Refused | login::Outcome::RateLimited => Credentials::Invalid,
                },
            )
        }
        Presented::Token(secret) => (secret, None),
        Presented::TokenOf { token, username } => (token, Some(username)),
    };
    let user = users::by_token(db, secret)
        .await?
        .filter(|u| username.is_none_or(|name| u.username == name.trim()));
    Ok(match user {
        Some(user) => Credentials::Valid(Box::new(of_user(db, user, Via::Token).await?)),
        None => Credentials::Invalid,
    })
}

/// An API token sent as `Authorization: Bearer <secret>` (or ntopng's `Token <secret>`).
pub fn authorization(headers: &HeaderMap) -> Presented {
    let Some(value) = headers.get(header::AUTHORIZATION) else {
        return Presented::Nothing;
    };
    value
        .to_str()
        .unwrap_or_default()
        .trim()
        .split_once(' ')
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer") || scheme.eq_ignore_ascii_case("token"))
        .map(|(_, secret)| secret.trim())
        .filter(|s| !s.is_empty())
        .map_or(Presented::Malformed, |s| Presented::Token(s.to_string()))
}

/// A user name and password sent as `Authorization: Basic` (ntopng's clients);
/// `Nothing` for another scheme, so that the caller's other extractors may read it.
pub fn basic(headers: &HeaderMap) -> Presented {
    use base64::Engine;
    let Some(value) = headers.get(header::AUTHORIZATION) else {
        return Presented::Nothing;
    };
    let value = value.to_str().unwrap_or_default().trim();
    let Some((scheme, encoded)) = value.split_once(' ') else {
        return Presented::Nothing;
    };
    if !scheme.eq_ignore_ascii_case("basic") {
        return Presented::Nothing;
    }
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(encoded.trim())
        .ok()
        .and_then(|b| String::from_utf8(b).ok());
    match decoded.as_deref().and_then(|d| d.split_once(':')) {
        Some((username, password)) if !username.is_empty() => Presented::Password {
            username: username.to_string(),
            password: password.to_string(),
        },
        _ => Presented::Malformed,
    }
}

/// An API token sent bare in header `name` (DFIR-IRIS's `X-IRIS-AUTH`).
pub fn key_header(headers: &HeaderMap, name: &str) -> Presented {
    match headers.get(name).map(|v| v.to_str().unwrap_or_default().trim()) {
        None => Presented::Nothing,
        Some("") => Presented::Malformed,
        Some(key) => Presented::Token(key.to_string()),
    }
}

/// The principal of an active user, who proved who it is `via`.
pub async fn of_user(db: &DatabaseConnection, user: user::Model, via: Via) -> DomainResult<Principal> {
    let scope = tenancy::of_user(db, user.id).await?;
    Ok(Principal { user, via, scope })
}

async fn from_session(db: &DatabaseConnection, session: Option<&Session>) -> DomainResult<Credentials> {
    let Some(session) = session else {
        return Ok(Credentials::Anonymous);
    };
    // A session that cannot be read (store down, garbled record) counts as none.
    let Ok(Some(id)) = session.get::<i64>(super::sessions::USER_KEY).await else {
        return Ok(Credentials::Anonymous);
    };
    Ok(match users::active_by_id(db, id).await? {
        Some(user) => Credentials::Valid(Box::new(of_user(db, user, Via::Session).await?)),
        // Deactivated or deleted since sign-in.
        None => Credentials::Invalid,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with(name: &str, value: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(
            axum::http::HeaderName::from_bytes(name.as_bytes()).unwrap(),
            value.parse().unwrap(),
        );
        h
    }

    #[test]
    fn tokens_are_read_from_their_headers() {
        assert_eq!(authorization(&HeaderMap::new()), Presented::Nothing);
        assert_eq!(
            authorization(&with("authorization", "Bearer  pvt_x ")),
            Presented::Token("pvt_x".into())
        );
        assert_eq!(
            authorization(&with("authorization", "token pvt_x")),
            Presented::Token("pvt_x".into())
        );
        assert_eq!(
            authorization(&with("authorization", "Basic YTpi")),
            Presented::Malformed
        );
        assert_eq!(authorization(&with("authorization", "Bearer ")), Presented::Malformed);
        assert_eq!(
            key_header(&with("x-iris-auth", "k"), "x-iris-auth"),
            Presented::Token("k".into())
        );
        assert_eq!(
            key_header(&with("x-iris-auth", " "), "x-iris-auth"),
            Presented::Malformed
        );
        assert_eq!(key_header(&HeaderMap::new(), "x-iris-auth"), Presented::Nothing);
        // admin:secret:with:colons
        assert_eq!(
            basic(&with("authorization", "Basic YWRtaW46c2VjcmV0OndpdGg6Y29sb25z")),
            Presented::Password {
                username: "admin".into(),
                password: "secret:with:colons".into()
            }
        );
        assert_eq!(basic(&with("authorization", "Bearer pvt_x")), Presented::Nothing);
        assert_eq!(basic(&with("authorization", "Basic !!")), Presented::Malformed);
        assert_eq!(
            basic(&with("authorization", "Basic OnNlY3JldA==")),
            Presented::Malformed
        );
    }
}
