//! Browser safety as middleware over every route: state-changing requests only from this site's
//! own pages (CSRF), and security headers on every response.

use axum::body::Body;
use axum::extract::Request;
use axum::http::{header, HeaderMap, HeaderName, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

/// The Content-Security-Policy: nothing inline (but the page's own nonce-marked script, when
/// the page has one), nothing from elsewhere, no framing.
pub fn content_security_policy(script_nonce: Option<&str>) -> String {
    let nonce = script_nonce
        .filter(|n| is_nonce(n))
        .map(|n| format!(" 'nonce-{n}'"))
        .unwrap_or_default();
    format!("default-src 'none'; script-src 'self'{nonce}; style-src 'self'; img-src 'self' data:; connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'")
}

/// Whether `n` may stand in a CSP nonce source (base64 or base64url characters only).
fn is_nonce(n: &str) -> bool {
    !n.is_empty()
        && n.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"+/-_=".contains(&b))
}

/// Headers every response carries besides the policy.
const SECURITY_HEADERS: [(HeaderName, &str); 4] = [
    (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
    // Same-origin Referers only: the CSRF check can fall back on them, and no URL of ours
    // (service and cluster names) leaks to other sites.
    (header::REFERRER_POLICY, "same-origin"),
    (header::X_FRAME_OPTIONS, "DENY"),
    (
        HeaderName::from_static("cross-origin-opener-policy"),
        "same-origin",
    ),
];

/// Adds the security headers to every response (a handler's own value wins).
pub async fn security_headers(req: Request, next: Next) -> Response {
    let mut res = next.run(req).await;
    let headers = res.headers_mut();
    let nonce = headers.remove(app::routes::SCRIPT_NONCE_HEADER);
    let policy = content_security_policy(nonce.as_ref().and_then(|n| n.to_str().ok()));
    if let Ok(policy) = HeaderValue::from_str(&policy) {
        headers.insert(header::CONTENT_SECURITY_POLICY, policy);
    }
    for (name, value) in SECURITY_HEADERS {
        headers
            .entry(name)
            .or_insert(HeaderValue::from_static(value));
    }
    res
}

/// Methods that never change anything.
fn is_safe(method: &Method) -> bool {
    matches!(
        *method,
        Method::GET | Method::HEAD | Method::OPTIONS | Method::TRACE
    )
}

/// "Sync now" takes no arguments, so the body of its form is dropped before Leptos decodes it: a
/// body its decoder cannot parse (a fuzzer found "[0…") would otherwise be a 500, not a sync.
pub async fn sync_now_ignores_its_body(req: Request, next: Next) -> Response {
    use leptos::server_fn::ServerFn;
    if req.method() != Method::POST || req.uri().path() != app::pages::sync::SyncNow::PATH {
        return next.run(req).await;
    }
    let (mut parts, _) = req.into_parts();
    parts.headers.remove(header::CONTENT_LENGTH);
    next.run(Request::from_parts(parts, Body::empty())).await
}

/// Refuses (403, with the reason) a state-changing request that does not come from this site.
pub async fn same_origin_writes(req: Request, next: Next) -> Response {
    if is_safe(req.method()) {
        return next.run(req).await;
    }
    let host = req
        .headers()
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .map(str::to_string)
        .or_else(|| req.uri().authority().map(|a| a.to_string()));
    match check_origin(req.headers(), host.as_deref()) {
        Ok(()) => next.run(req).await,
        Err(reason) => (StatusCode::FORBIDDEN, format!("{reason}\n")).into_response(),
    }
}

/// Whether a state-changing request's Origin (or, without one, its Referer) is this host.
/// Without either, only a request carrying a Bearer token passes: a browser never adds one on
/// its own, so a script that has the token is not a forged form.
pub fn check_origin(headers: &HeaderMap, host: Option<&str>) -> Result<(), String> {
    let source = headers
        .get(header::ORIGIN)
        .or_else(|| headers.get(header::REFERER))
        .map(|v| v.to_str().unwrap_or(""));
    let Some(source) = source else {
        return if has_bearer(headers) {
            Ok(())
        } else {
            Err("refused: a request that changes something must come from this site's own pages (no Origin or Referer header)".into())
        };
    };
    let Some(host) = host.filter(|h| !h.is_empty()) else {
        return Err("refused: the request names no Host to check its Origin against".into());
    };
    match authority_of(source) {
        Some(authority) if authority.eq_ignore_ascii_case(host) => Ok(()),
        _ => Err(format!(
            "refused: a request from '{}' may not change anything here (cross-site request)",
            source.chars().take(200).collect::<String>()
        )),
    }
}

fn has_bearer(headers: &HeaderMap) -> bool {
    headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split_once(' '))
        .is_some_and(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
}

/// `host[:port]` of an `http(s)://...` URL or origin; None for `null` and anything else.
fn authority_of(url: &str) -> Option<&str> {
    let rest = url
        .strip_prefix("http://")
        .or_else(|| url.strip_prefix("https://"))?;
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let authority = &rest[..end];
    // A user-info part (`evil@host`) would let a foreign origin look like ours.
    (!authority.is_empty() && !authority.contains('@')).then_some(authority)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with(pairs: &[(HeaderName, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(k.clone(), HeaderValue::from_str(v).unwrap());
        }
        h
    }

    #[test]
    fn same_site_origin_or_referer_passes() {
        let host = Some("spend.example.com:8080");
        for h in [
            with(&[(header::ORIGIN, "http://spend.example.com:8080")]),
            with(&[(header::ORIGIN, "https://SPEND.example.com:8080")]),
            with(&[(header::REFERER, "http://spend.example.com:8080/sync?x=1")]),
        ] {
            assert_eq!(check_origin(&h, host), Ok(()), "{h:?}");
        }
    }

    #[test]
    fn foreign_null_or_missing_origin_is_refused() {
        let host = Some("spend.example.com");
        for h in [
            with(&[(header::ORIGIN, "https://evil.example")]),
            with(&[(header::ORIGIN, "null")]),
            with(&[(header::ORIGIN, "http://spend.example.com.evil.example")]),
            with(&[(header::ORIGIN, "http://spend.example.com@evil.example")]),
            with(&[(header::REFERER, "https://evil.example/spend.example.com")]),
            with(&[
                (header::ORIGIN, "https://evil.example"),
                (header::REFERER, "http://spend.example.com/sync"),
            ]),
            with(&[(header::AUTHORIZATION, "Basic dTpw")]),
            HeaderMap::new(),
        ] {
            assert!(check_origin(&h, host).is_err(), "{h:?}");
        }
        let same = with(&[(header::ORIGIN, "http://spend.example.com")]);
        assert!(
            check_origin(&same, None).is_err(),
            "no host, nothing to match"
        );
    }

    #[test]
    fn the_policy_allows_the_page_nonce_and_nothing_inline() {
        let p = content_security_policy(Some("AbC-_9+/="));
        assert!(p.contains("script-src 'self' 'nonce-AbC-_9+/='"), "{p}");
        let p = content_security_policy(Some("x'; script-src *"));
        assert!(!p.contains("nonce") && !p.contains('*'), "{p}");
        assert!(!content_security_policy(None).contains("unsafe-inline"));
    }

    #[test]
    fn a_script_with_a_bearer_token_needs_no_origin() {
        let h = with(&[(header::AUTHORIZATION, "Bearer abc")]);
        assert_eq!(check_origin(&h, Some("spend.example.com")), Ok(()));
    }
}
