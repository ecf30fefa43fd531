//! Who may use the server: one shared secret (Bearer, or the password of HTTP Basic with any user
//! name), and optionally an SSO proxy whose user header is trusted from its own addresses only.
//! Applied as one middleware layer over every route, so pages added later are covered too;
//! `/healthz` alone answers without it.

use std::net::{IpAddr, SocketAddr};
use std::path::Path;
use std::sync::Arc;

use anyhow::Context;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{header, HeaderMap, HeaderName, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use base64::Engine;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::config::ServerConfig;

/// The path that answers without authentication (load balancers' liveness probes).
pub const HEALTH_PATH: &str = "/healthz";

/// The environment variable holding the shared secret.
pub const TOKEN_ENV: &str = "SPENDWATCH_TOKEN";

/// The access rule the server enforces.
#[derive(Clone, Default)]
pub struct Access {
    /// SHA-256 of the shared secret: compared digest to digest, so neither the secret's bytes
    /// nor its length leak through timing.
    token_digest: Option<[u8; 32]>,
    /// The SSO proxy, when one is trusted.
    proxy: Option<TrustedProxy>,
}

impl std::fmt::Debug for Access {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Access")
            .field("token", &self.token_digest.map(|_| "<set>"))
            .field("proxy", &self.proxy)
            .finish()
    }
}

/// An SSO proxy (oauth2-proxy and the like) that signs users in and names them in a header.
#[derive(Debug, Clone)]
pub struct TrustedProxy {
    /// The proxy's own addresses: the header is ignored from anyone else.
    pub addresses: Vec<IpAddr>,
    /// The header naming the signed-in user.
    pub user_header: HeaderName,
}

/// Who a request was let in as.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Principal {
    /// Access is open (loopback without a token).
    Anonymous,
    /// Holder of the shared secret.
    TokenHolder,
    /// A user the trusted proxy named.
    ProxyUser(String),
}

/// Why a request was turned away.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// No or wrong credentials, and a token would be accepted: ask for it.
    Unauthorized,
    /// Only the trusted proxy may reach this server and this request did not come through it.
    NotThroughProxy,
}

impl Access {
    /// Anyone may use the server (allowed on loopback only, see [`Access::check_bind`]).
    pub fn open() -> Self {
        Self::default()
    }

    /// Requires `token` (an empty token is refused: it would let everyone in).
    pub fn with_token(token: &str) -> anyhow::Result<Self> {
        Ok(Self {
            token_digest: Some(digest_of_token(token)?),
            proxy: None,
        })
    }

    /// Also trusts `proxy`'s user header.
    pub fn with_proxy(mut self, proxy: TrustedProxy) -> Self {
        self.proxy = Some(proxy);
        self
    }

    /// The rule from SPENDWATCH_TOKEN (`env_token`) or `[server] token_file`, and
    /// `[server] trusted_proxies`; the environment wins over the file.
    pub fn from_settings(env_token: Option<String>, server: &ServerConfig) -> anyhow::Result<Self> {
        let token = match (env_token.filter(|t| !t.is_empty()), &server.token_file) {
            (Some(t), _) => Some(t),
            (None, Some(file)) => Some(read_token_file(file)?),
            (None, None) => None,
        };
        let mut access = match token {
            Some(t) => Self::with_token(&t)?,
            None => Self::open(),
        };
        if !server.trusted_proxies.is_empty() {
            let user_header = HeaderName::from_bytes(server.user_header.as_bytes())
                .context("[server] user_header is not an HTTP header name")?;
            access = access.with_proxy(TrustedProxy {
                addresses: server.trusted_proxies.clone(),
                user_header,
            });
        }
        Ok(access)
    }

    /// Whether requests must prove who they are.
    pub fn is_required(&self) -> bool {
        self.token_digest.is_some() || self.proxy.is_some()
    }

    /// Refuses to serve an address other machines can reach without authentication.
    pub fn check_bind(&self, addr: SocketAddr) -> anyhow::Result<()> {
        if self.is_required() || addr.ip().is_loopback() {
            return Ok(());
        }
        anyhow::bail!(
            "refusing to serve {addr} without authentication: set {TOKEN_ENV} or `token_file` under [server] in spendwatch.toml (or bind 127.0.0.1)"
        )
    }

    /// Decides on a request's headers and the address it came from.
    pub fn decide(&self, headers: &HeaderMap, peer: Option<IpAddr>) -> Result<Principal, Refusal> {
        if !self.is_required() {
            return Ok(Principal::Anonymous);
        }
        if let Some(user) = self.proxy_user(headers, peer) {
            return Ok(Principal::ProxyUser(user));
        }
        match &self.token_digest {
            Some(expected) if presented_token(headers).is_some_and(|t| matches(expected, &t)) => {
                Ok(Principal::TokenHolder)
            }
            Some(_) => Err(Refusal::Unauthorized),
            None => Err(Refusal::NotThroughProxy),
        }
    }

    /// The user the trusted proxy names, when the request came from one of its addresses.
    fn proxy_user(&self, headers: &HeaderMap, peer: Option<IpAddr>) -> Option<String> {
        let proxy = self.proxy.as_ref()?;
        let peer = canonical(peer?);
        if !proxy.addresses.iter().any(|a| canonical(*a) == peer) {
            return None;
        }
        let user = headers.get(&proxy.user_header)?.to_str().ok()?.trim();
        (!user.is_empty()).then(|| user.to_string())
    }
}

/// An IPv4-mapped IPv6 address (how a dual-stack socket reports IPv4 peers) as plain IPv4.
fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6
            .to_ipv4_mapped()
            .map(IpAddr::V4)
            .unwrap_or(IpAddr::V6(v6)),
        v4 => v4,
    }
}

fn digest_of_token(token: &str) -> anyhow::Result<[u8; 32]> {
    if token.trim().is_empty() {
        anyhow::bail!(
            "the token is empty: put a long random secret in {TOKEN_ENV} or the token file"
        );
    }
    Ok(Sha256::digest(token.as_bytes()).into())
}

/// Reads the secret from `file`, without its trailing line break.
fn read_token_file(file: &Path) -> anyhow::Result<String> {
    let text = std::fs::read_to_string(file).with_context(|| {
        format!(
            "cannot read the token file {} ([server] token_file)",
            file.display()
        )
    })?;
    Ok(text.trim_end_matches(['\n', '\r']).to_string())
}

/// Constant-time comparison of a presented secret with the expected digest.
fn matches(expected: &[u8; 32], presented: &[u8]) -> bool {
    let digest: [u8; 32] = Sha256::digest(presented).into();
    digest.ct_eq(expected).into()
}

/// The secret a request presents: `Bearer <token>`, or the password of `Basic` (any user).
fn presented_token(headers: &HeaderMap) -> Option<Vec<u8>> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?.trim();
    let (scheme, rest) = value.split_once(' ')?;
    let rest = rest.trim();
    if scheme.eq_ignore_ascii_case("bearer") {
        return Some(rest.as_bytes().to_vec());
    }
    if scheme.eq_ignore_ascii_case("basic") {
        let decoded = base64::engine::general_purpose::STANDARD
            .decode(rest)
            .ok()?;
        let colon = decoded.iter().position(|b| *b == b':')?;
        return Some(decoded[colon + 1..].to_vec());
    }
    None
}

/// The middleware: lets a request through as its [`Principal`] (added to its extensions), or
/// answers 401 with a Basic challenge (403 where only the proxy may come in).
pub async fn require(State(access): State<Arc<Access>>, mut req: Request, next: Next) -> Response {
    if req.uri().path() == HEALTH_PATH {
        return next.run(req).await;
    }
    let peer = req
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip());
    match access.decide(req.headers(), peer) {
        Ok(principal) => {
            req.extensions_mut().insert(principal);
            next.run(req).await
        }
        Err(Refusal::Unauthorized) => (
            StatusCode::UNAUTHORIZED,
            [(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static(r#"Basic realm="Spendwatch", charset="UTF-8""#),
            )],
            "authentication required: send the token as `Authorization: Bearer <token>` or as the Basic password\n",
        )
            .into_response(),
        Err(Refusal::NotThroughProxy) => (
            StatusCode::FORBIDDEN,
            "this server is reached through its sign-in proxy only\n",
        )
            .into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(
                HeaderName::from_bytes(k.as_bytes()).unwrap(),
                HeaderValue::from_str(v).unwrap(),
            );
        }
        h
    }

    fn basic(user: &str, password: &str) -> String {
        let raw = format!("{user}:{password}");
        format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode(raw)
        )
    }

    #[test]
    fn bearer_and_basic_with_any_user_carry_the_token() {
        let access = Access::with_token("s3cret:with-colon").unwrap();
        let ok = |h: &[(&str, &str)]| access.decide(&headers(h), None);
        assert_eq!(
            ok(&[("authorization", "Bearer s3cret:with-colon")]),
            Ok(Principal::TokenHolder)
        );
        assert_eq!(
            ok(&[("authorization", &basic("anyone", "s3cret:with-colon"))]),
            Ok(Principal::TokenHolder)
        );
        assert_eq!(
            ok(&[("authorization", &basic("", "s3cret:with-colon"))]),
            Ok(Principal::TokenHolder)
        );
        for bad in [
            "Bearer s3cret",
            "Bearer s3cret:with-colonX",
            "Bearer ",
            "Basic !!!notbase64",
            "Digest s3cret:with-colon",
            "s3cret:with-colon",
        ] {
            assert_eq!(
                ok(&[("authorization", bad)]),
                Err(Refusal::Unauthorized),
                "{bad}"
            );
        }
        assert_eq!(
            ok(&[("authorization", &basic("s3cret:with-colon", "x"))]),
            Err(Refusal::Unauthorized),
            "the token as the user name is not the password"
        );
        assert_eq!(ok(&[]), Err(Refusal::Unauthorized));
    }

    #[test]
    fn an_empty_token_is_refused() {
        assert!(Access::with_token("").is_err());
        assert!(Access::with_token(" \n").is_err());
    }

    #[test]
    fn loopback_may_be_open_other_addresses_may_not() {
        let open = Access::open();
        assert!(open.check_bind("127.0.0.1:3000".parse().unwrap()).is_ok());
        assert!(open.check_bind("[::1]:3000".parse().unwrap()).is_ok());
        let err = open
            .check_bind("0.0.0.0:8080".parse().unwrap())
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("SPENDWATCH_TOKEN") && err.contains("token_file") && !err.contains('\n'),
            "{err}"
        );
        let locked = Access::with_token("t").unwrap();
        assert!(locked.check_bind("0.0.0.0:8080".parse().unwrap()).is_ok());
    }

    #[test]
    fn the_user_header_is_trusted_only_from_the_proxy() {
        let proxy_ip: IpAddr = "10.0.0.5".parse().unwrap();
        let access = Access::with_token("t").unwrap().with_proxy(TrustedProxy {
            addresses: vec![proxy_ip],
            user_header: HeaderName::from_static("x-forwarded-user"),
        });
        let named = headers(&[("x-forwarded-user", "ana@example.com")]);
        assert_eq!(
            access.decide(&named, Some(proxy_ip)),
            Ok(Principal::ProxyUser("ana@example.com".into()))
        );
        let mapped: IpAddr = "::ffff:10.0.0.5".parse().unwrap();
        assert_eq!(
            access.decide(&named, Some(mapped)),
            Ok(Principal::ProxyUser("ana@example.com".into())),
            "a dual-stack socket's view of the proxy is the proxy"
        );
        assert_eq!(
            access.decide(&named, Some("10.0.0.6".parse().unwrap())),
            Err(Refusal::Unauthorized),
            "anyone else sending the header is not believed"
        );
        assert_eq!(access.decide(&named, None), Err(Refusal::Unauthorized));
        assert_eq!(
            access.decide(&headers(&[("x-forwarded-user", " ")]), Some(proxy_ip)),
            Err(Refusal::Unauthorized),
            "a blank user is nobody"
        );
        let proxy_only = Access::open().with_proxy(TrustedProxy {
            addresses: vec![proxy_ip],
            user_header: HeaderName::from_static("x-forwarded-user"),
        });
        assert_eq!(
            proxy_only.decide(&named, Some("10.0.0.6".parse().unwrap())),
            Err(Refusal::NotThroughProxy)
        );
    }

    #[test]
    fn the_environment_wins_over_the_file_and_the_file_loses_its_line_break() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("token");
        std::fs::write(&file, "from-file\n").unwrap();
        let server = ServerConfig {
            token_file: Some(file),
            ..ServerConfig::default()
        };
        let bearer = |t: &str| headers(&[("authorization", &format!("Bearer {t}"))]);
        let from_file = Access::from_settings(None, &server).unwrap();
        assert!(from_file.decide(&bearer("from-file"), None).is_ok());
        let from_env = Access::from_settings(Some("from-env".into()), &server).unwrap();
        assert!(from_env.decide(&bearer("from-env"), None).is_ok());
        assert!(from_env.decide(&bearer("from-file"), None).is_err());
        let missing = ServerConfig {
            token_file: Some(dir.path().join("nope")),
            ..ServerConfig::default()
        };
        let err = format!("{:#}", Access::from_settings(None, &missing).unwrap_err());
        assert!(err.contains("token_file"), "{err}");
    }
}
