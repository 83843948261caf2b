//! Opaque global IDs (`Node.id`): base64url of `Kind:number`. Clients treat them as
//! opaque; the kind makes `node(id:)` possible and catches IDs passed to the wrong field.

use async_graphql::ID;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;

use super::error::{DomainError, DomainResult};

macro_rules! kinds {
    ($($kind:ident),* $(,)?) => {
        /// Every type that implements `Node`.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub enum Kind { $($kind),* }

        impl Kind {
            pub const ALL: &'static [Kind] = &[$(Kind::$kind),*];

            pub fn name(self) -> &'static str {
                match self { $(Kind::$kind => stringify!($kind)),* }
            }

            pub fn from_name(name: &str) -> Option<Kind> {
                match name { $(stringify!($kind) => Some(Kind::$kind),)* _ => None }
            }
        }
    };
}

kinds!(
    Host,
    Port,
    Scan,
    Flow,
    Alert,
    AlertPcap,
    Customer,
    Case,
    Ioc,
    Note,
    NoteGroup,
    Asset,
    AssetType,
    Task,
    TimelineEvent,
    Evidence,
    Device,
    Network,
    Service,
    DnsRecord,
    User,
    ApiToken,
    AuditEvent,
    IpdrQuery,
    Import,
);

pub fn encode(kind: Kind, id: i64) -> ID {
    ID(URL_SAFE_NO_PAD.encode(format!("{}:{id}", kind.name())))
}

/// Any global ID: its kind and row number.
pub fn decode_any(field: &str, id: &str) -> DomainResult<(Kind, i64)> {
    let bad = || DomainError::bad(field, format!("{id:?} is not a Pivot ID"));
    let raw = URL_SAFE_NO_PAD.decode(id.trim()).map_err(|_| bad())?;
    let text = String::from_utf8(raw).map_err(|_| bad())?;
    let (kind, number) = text.split_once(':').ok_or_else(bad)?;
    let kind = Kind::from_name(kind).ok_or_else(bad)?;
    let number = number.parse::<i64>().ok().filter(|n| *n > 0).ok_or_else(bad)?;
    Ok((kind, number))
}

/// A global ID that must be of `kind`.
pub fn decode(field: &str, id: &ID, kind: Kind) -> DomainResult<i64> {
    match decode_any(field, id)? {
        (k, n) if k == kind => Ok(n),
        (k, _) => Err(DomainError::bad(
            field,
            format!("expected the ID of a {}, got a {}", kind.name(), k.name()),
        )),
    }
}

pub fn decode_opt(field: &str, id: Option<&ID>, kind: Kind) -> DomainResult<Option<i64>> {
    id.map(|id| decode(field, id, kind)).transpose()
}

pub fn decode_all(field: &str, ids: &[ID], kind: Kind) -> DomainResult<Vec<i64>> {
    ids.iter().map(|id| decode(field, id, kind)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip() {
        let id = encode(Kind::TimelineEvent, 42);
        assert_eq!(decode_any("id", &id).unwrap(), (Kind::TimelineEvent, 42));
        assert_eq!(decode("id", &id, Kind::TimelineEvent).unwrap(), 42);
        assert!(!id.as_str().contains(':'), "IDs are opaque");
    }

    #[test]
    fn rejects_wrong_kind_and_garbage() {
        let id = encode(Kind::Host, 1);
        let err = decode("caseId", &id, Kind::Case).unwrap_err().to_string();
        assert!(err.starts_with("caseId: expected the ID of a Case"), "{err}");
        for bad in [
            "",
            "!!",
            "SG9zdA",
            "SG9zdDox=",
            &URL_SAFE_NO_PAD.encode("Nope:1"),
            &URL_SAFE_NO_PAD.encode("Host:-1"),
        ] {
            assert!(decode_any("id", bad).is_err(), "{bad}");
        }
    }
}
