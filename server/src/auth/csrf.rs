//! Cross-site request forgery: a browser attaches the session cookie to requests that
//! other sites make it send, so a cookie-authenticated write must come from Pivot's own
//! pages. Browsers mark where a request comes from in `Origin` (every cross-origin and
//! every POST fetch) or `Referer`; it must name the host the request was sent to.
//! Token-authenticated requests carry no ambient credentials and need no check.

use axum::http::{header, HeaderMap};

/// Whether the request names this server as its origin. `required`: a request that
/// names no origin at all is refused too (cookie-authenticated writes); otherwise it
/// passes (scripts signing in with curl send no Origin).
///
/// This server is `public` (`PIVOT_PUBLIC_URL`, how browsers reach it, one address or
/// several separated by commas) when configured;
/// otherwise the `Host` the request was sent to, if that is an address or `localhost`.
/// A name in `Host` is not trusted unless configured: a page of `evil.example` whose
/// name was rebound to Pivot's address sends `Host: evil.example` and a matching Origin.
pub fn same_origin(headers: &HeaderMap, required: bool, public: Option<&str>) -> Result<(), String> {
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .map(|h| h.trim().to_ascii_lowercase());
    let claimed = headers
        .get(header::ORIGIN)
        .or_else(|| headers.get(header::REFERER))
        .and_then(|v| v.to_str().ok());
    let Some(claimed) = claimed else {
        return if required {
            Err("a request authenticated by the session cookie must send Origin or Referer".into())
        } else {
            Ok(())
        };
    };
    let from = authority(claimed);
    let ours = match public {
        // Several addresses may be configured, separated by commas.
        Some(urls) => urls.split(',').any(|u| authority(u).is_some_and(|a| Some(a) == from)),
        None => host
            .filter(|h| is_address_or_localhost(h))
            .is_some_and(|h| Some(h) == from),
    };
    match from {
        Some(_) if ours => Ok(()),
        _ => Err(format!(
            "cross-origin request refused: {claimed:?} is not this server (set PIVOT_PUBLIC_URL to the address browsers use)"
        )),
    }
}

/// Whether `host[:port]` names an IP address or `localhost`.
fn is_address_or_localhost(authority: &str) -> bool {
    let host = match authority.strip_prefix('[') {
        Some(v6) => v6.split(']').next().unwrap_or_default(),
        None => authority.rsplit_once(':').map_or(authority, |(h, port)| {
            if port.bytes().all(|b| b.is_ascii_digit()) {
                h
            } else {
                authority
            }
        }),
    };
    host == "localhost" || host.parse::<std::net::IpAddr>().is_ok()
}

/// `host[:port]` of an origin or URL, lower-cased; `None` for `null` or garbage.
fn authority(url: &str) -> Option<String> {
    let (_, rest) = url.trim().split_once("://")?;
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let authority = &rest[..end];
    (!authority.is_empty() && !authority.contains('@')).then(|| authority.to_ascii_lowercase())
}

#[cfg(test)]
mod tests {
    use axum::http::HeaderValue;

    use super::*;

    fn headers(pairs: &[(header::HeaderName, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(k.clone(), HeaderValue::from_str(v).unwrap());
        }
        h
    }

    #[test]
    fn origin_or_referer_must_name_the_host() {
        let ok = headers(&[
            (header::HOST, "127.0.0.1:8080"),
            (header::ORIGIN, "http://127.0.0.1:8080"),
        ]);
        assert!(same_origin(&ok, true, None).is_ok());
        let referer = headers(&[
            (header::HOST, "pivot.example"),
            (header::REFERER, "https://Pivot.example/cases?id=1"),
        ]);
        assert!(same_origin(&referer, true, Some("https://pivot.example")).is_ok());
        // A name is trusted only when configured (DNS rebinding).
        assert!(same_origin(&referer, true, None).is_err());
        assert!(same_origin(&ok, true, Some("https://pivot.example")).is_err());
        assert!(same_origin(&referer, true, Some("http://10.0.0.1:8080, https://pivot.example")).is_ok());
        let v6 = headers(&[(header::HOST, "[::1]:8080"), (header::ORIGIN, "http://[::1]:8080")]);
        assert!(same_origin(&v6, true, None).is_ok());
        for bad in [
            "http://evil.example",
            "null",
            "http://127.0.0.1:8081",
            "http://127.0.0.1:8080@evil.example",
        ] {
            let h = headers(&[(header::HOST, "127.0.0.1:8080"), (header::ORIGIN, bad)]);
            assert!(same_origin(&h, false, None).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_missing_origin_passes_only_when_not_required() {
        let h = headers(&[(header::HOST, "127.0.0.1:8080")]);
        assert!(same_origin(&h, false, None).is_ok());
        assert!(same_origin(&h, true, None).is_err());
    }
}
