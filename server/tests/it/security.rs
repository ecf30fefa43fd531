//! The server's edge (issue 13): access by token or trusted proxy, CSRF, security headers,
//! health, readiness and metrics, on the in-process router; and the binary refusing to serve
//! other machines without a token.

use std::net::SocketAddr;
use std::sync::atomic::Ordering;
use std::sync::Arc;

use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{header, HeaderMap, Request, StatusCode};
use base64::Engine;
use http_body_util::BodyExt;
use tower::ServiceExt;

use app::clock::FixedClock;
use app::settings::Settings;
use server::access::{Access, TrustedProxy};
use server::startup::{build_state, router_with, StateSpec};

use crate::helpers::{small_spec, test_end, FakeSync};

const TOKEN: &str = "correct horse battery staple";

/// The app on the small demo, with `access`, and a fake sync trigger to count "Sync now".
struct Edge {
    _dir: tempfile::TempDir,
    router: axum::Router,
    sync: Arc<FakeSync>,
}

async fn edge(access: Access) -> Edge {
    let dir = tempfile::tempdir().unwrap();
    let sync = Arc::new(FakeSync::default());
    let state = build_state(StateSpec {
        db: dir.path().join("spendwatch.db"),
        demo: Some(small_spec()),
        progress: false,
        clock: Arc::new(FixedClock(test_end())),
        settings: Settings::default(),
    })
    .await
    .unwrap()
    .with_sync(sync.clone());
    Edge {
        _dir: dir,
        router: router_with(state, access),
        sync,
    }
}

struct Answer {
    status: StatusCode,
    headers: HeaderMap,
    body: String,
}

impl Edge {
    async fn send(&self, req: Request<Body>) -> Answer {
        let res = self.router.clone().oneshot(req).await.unwrap();
        let (status, headers) = (res.status(), res.headers().clone());
        let bytes = res.into_body().collect().await.unwrap().to_bytes();
        Answer {
            status,
            headers,
            body: String::from_utf8_lossy(&bytes).into_owned(),
        }
    }

    async fn get(&self, uri: &str, auth: Option<&str>) -> Answer {
        let mut req = Request::get(uri).header(header::HOST, "spend.test");
        if let Some(a) = auth {
            req = req.header(header::AUTHORIZATION, a);
        }
        self.send(req.body(Body::empty()).unwrap()).await
    }
}

fn bearer() -> String {
    format!("Bearer {TOKEN}")
}

fn basic(user: &str, password: &str) -> String {
    let raw = format!("{user}:{password}");
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(raw)
    )
}

/// Every kind of route: pages, a page with path parameters, the API and its CSV, assets, the
/// server function, ops endpoints, and paths no route matches (how pages added later behave).
const EVERY_KIND: [&str; 12] = [
    "/",
    "/services",
    "/services/mangu-publishing-cluster-production/mangu-publishing-server",
    "/sync",
    "/api/overview",
    "/api/services?format=csv",
    "/style.css",
    "/api/sync_now",
    "/readyz",
    "/metrics",
    "/some/page/added/later",
    "/api/added-later",
];

#[tokio::test]
async fn with_a_token_everything_but_healthz_asks_for_it() {
    let app = edge(Access::with_token(TOKEN).unwrap()).await;
    for uri in EVERY_KIND {
        let a = app.get(uri, None).await;
        assert_eq!(a.status, StatusCode::UNAUTHORIZED, "{uri}");
        assert_eq!(
            a.headers[header::WWW_AUTHENTICATE],
            r#"Basic realm="Spendwatch", charset="UTF-8""#,
            "{uri}: a browser shows its login prompt"
        );
        assert!(
            !a.body.contains("mangu"),
            "{uri}: nothing leaks: {}",
            a.body
        );
        let wrong = app.get(uri, Some("Bearer not-the-token")).await;
        assert_eq!(wrong.status, StatusCode::UNAUTHORIZED, "{uri}");
        let wrong = app.get(uri, Some(&basic("admin", "guess"))).await;
        assert_eq!(wrong.status, StatusCode::UNAUTHORIZED, "{uri}");
    }
    let health = app.get("/healthz", None).await;
    assert_eq!(health.status, StatusCode::OK);
}

#[tokio::test]
async fn the_token_opens_every_page_as_bearer_or_basic_password() {
    let app = edge(Access::with_token(TOKEN).unwrap()).await;
    for auth in [bearer(), basic("anyone", TOKEN), basic("", TOKEN)] {
        for uri in ["/", "/services", "/api/overview", "/style.css", "/readyz"] {
            let a = app.get(uri, Some(&auth)).await;
            assert_eq!(a.status, StatusCode::OK, "{uri} with {auth}: {}", a.body);
        }
        let missing = app.get("/some/page/added/later", Some(&auth)).await;
        assert_eq!(missing.status, StatusCode::NOT_FOUND);
    }
}

#[tokio::test]
async fn the_proxy_user_header_counts_only_from_the_proxy() {
    let proxy: SocketAddr = "10.1.2.3:40000".parse().unwrap();
    let access = Access::open().with_proxy(TrustedProxy {
        addresses: vec![proxy.ip()],
        user_header: header::HeaderName::from_static("x-forwarded-user"),
    });
    let app = edge(access).await;
    let from = |peer: SocketAddr, user: Option<&str>| {
        let mut req = Request::get("/services").header(header::HOST, "spend.test");
        if let Some(u) = user {
            req = req.header("x-forwarded-user", u);
        }
        let mut req = req.body(Body::empty()).unwrap();
        req.extensions_mut().insert(ConnectInfo(peer));
        req
    };
    assert_eq!(
        app.send(from(proxy, Some("ana@example.com"))).await.status,
        StatusCode::OK
    );
    let elsewhere: SocketAddr = "10.1.2.4:40000".parse().unwrap();
    assert_eq!(
        app.send(from(elsewhere, Some("ana@example.com")))
            .await
            .status,
        StatusCode::FORBIDDEN,
        "the header from anyone but the proxy is not believed"
    );
    assert_eq!(
        app.send(from(proxy, None)).await.status,
        StatusCode::FORBIDDEN,
        "the proxy without a user is nobody"
    );
}

fn sync_now(origin: Option<(&str, &str)>, auth: Option<&str>) -> Request<Body> {
    let mut req = Request::post("/api/sync_now")
        .header(header::HOST, "spend.test")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header(header::ACCEPT, "text/html");
    if let Some((name, value)) = origin {
        req = req.header(name, value);
    }
    if let Some(a) = auth {
        req = req.header(header::AUTHORIZATION, a);
    }
    req.body(Body::empty()).unwrap()
}

#[tokio::test]
async fn sync_now_from_another_site_is_refused_and_starts_nothing() {
    let app = edge(Access::open()).await;
    let started = || app.sync.started.load(Ordering::SeqCst);
    for origin in [
        Some(("origin", "https://evil.example")),
        Some(("origin", "null")),
        Some(("referer", "https://evil.example/spend.test/sync")),
        None,
    ] {
        let a = app.send(sync_now(origin, None)).await;
        assert_eq!(a.status, StatusCode::FORBIDDEN, "{origin:?}");
        assert!(a.body.contains("refused"), "a reason: {}", a.body);
    }
    assert_eq!(started(), 0, "no forged request started a sync");

    let a = app
        .send(sync_now(Some(("origin", "http://spend.test")), None))
        .await;
    assert!(a.status.is_redirection(), "{}", a.status);
    assert_eq!(started(), 1, "this site's own form works");
    let a = app
        .send(sync_now(Some(("referer", "http://spend.test/sync")), None))
        .await;
    assert!(a.status.is_redirection(), "{}", a.status);
    assert_eq!(started(), 2, "a Referer from this site does too");
}

#[tokio::test]
async fn a_get_never_starts_a_sync() {
    let app = edge(Access::open()).await;
    let a = app.get("/api/sync_now", None).await;
    assert!(!a.status.is_success(), "{}", a.status);
    assert_eq!(app.sync.started.load(Ordering::SeqCst), 0);
}

#[tokio::test]
async fn a_script_with_the_token_may_sync_without_an_origin_but_a_browser_with_basic_may_not() {
    let app = edge(Access::with_token(TOKEN).unwrap()).await;
    let a = app.send(sync_now(None, Some(&bearer()))).await;
    assert!(
        a.status.is_redirection() || a.status.is_success(),
        "{}",
        a.status
    );
    assert_eq!(app.sync.started.load(Ordering::SeqCst), 1);
    let a = app
        .send(sync_now(
            Some(("origin", "https://evil.example")),
            Some(&basic("u", TOKEN)),
        ))
        .await;
    assert_eq!(
        a.status,
        StatusCode::FORBIDDEN,
        "the browser's remembered Basic login does not let another site sync"
    );
    assert_eq!(app.sync.started.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn every_response_carries_the_security_headers() {
    let app = edge(Access::with_token(TOKEN).unwrap()).await;
    let mut answers = Vec::new();
    for uri in EVERY_KIND {
        answers.push((uri, app.get(uri, Some(&bearer())).await));
        answers.push((uri, app.get(uri, None).await)); // the 401 too
    }
    answers.push((
        "foreign POST",
        app.send(sync_now(
            Some(("origin", "https://evil.example")),
            Some(&bearer()),
        ))
        .await,
    ));
    for (uri, a) in answers {
        let csp = a.headers[header::CONTENT_SECURITY_POLICY].to_str().unwrap();
        assert!(
            csp.contains("frame-ancestors 'none'") && csp.contains("script-src 'self'"),
            "{uri}: {csp}"
        );
        assert!(!csp.contains("unsafe-inline"), "{uri}: {csp}");
        assert_eq!(
            a.headers[header::X_CONTENT_TYPE_OPTIONS],
            "nosniff",
            "{uri}"
        );
        assert_eq!(a.headers[header::REFERRER_POLICY], "same-origin", "{uri}");
        assert!(
            a.headers.get(header::SET_COOKIE).is_none(),
            "{uri}: no cookies"
        );
    }
}

/// The pages emit nothing the policy would block: no inline script, no inline style, no event
/// handler attribute, no `javascript:` URL.
#[tokio::test]
async fn pages_hold_nothing_inline_that_the_policy_blocks() {
    let app = edge(Access::open()).await;
    // Every page without parameters the router knows (pages added later included), a page with
    // parameters, and the not-found page.
    let mut uris: Vec<String> = leptos_axum::generate_route_list(app::App)
        .iter()
        .map(|r| r.path().to_string())
        .filter(|p| !p.contains('{') && !p.contains(':') && !p.contains('*'))
        .collect();
    assert!(uris.len() >= 5, "the route list is read: {uris:?}");
    uris.push("/services/mangu-publishing-cluster-production/mangu-publishing-server".into());
    uris.push("/no-such-page".into());
    for uri in &uris {
        let page = app.get(uri, None).await;
        let csp = page.headers[header::CONTENT_SECURITY_POLICY]
            .to_str()
            .unwrap();
        let nonce = csp
            .split("'nonce-")
            .nth(1)
            .and_then(|rest| rest.split('\'').next());
        assert!(
            page.headers.get(app::routes::SCRIPT_NONCE_HEADER).is_none(),
            "the nonce's carrier header is not sent"
        );
        let lower = page.body.to_ascii_lowercase();
        for (i, _) in page.body.match_indices("<script") {
            let tag = &page.body[i..i + page.body[i..].find('>').unwrap()];
            let marked = nonce.is_some_and(|n| tag.contains(&format!(r#"nonce="{n}""#)));
            assert!(
                tag.contains(" src=") || marked,
                "{uri}: an inline script without the policy's nonce: {tag} ({csp})"
            );
        }
        assert!(
            !lower.contains(" style=\""),
            "{uri}: an inline style attribute"
        );
        assert!(!lower.contains("<style"), "{uri}: an inline style element");
        assert!(!lower.contains("javascript:"), "{uri}");
        assert!(
            !lower.contains(" onclick=")
                && !lower.contains(" onload=")
                && !lower.contains(" onsubmit="),
            "{uri}: an event handler attribute"
        );
    }
}

#[tokio::test]
async fn health_readiness_and_metrics_say_what_they_should() {
    let app = edge(Access::open()).await;
    let health = app.get("/healthz", None).await;
    assert_eq!(
        (health.status, health.body.as_str()),
        (StatusCode::OK, "ok\n")
    );
    let ready = app.get("/readyz", None).await;
    assert_eq!(ready.status, StatusCode::OK, "{}", ready.body);

    app.get("/services", None).await;
    app.get("/services", None).await;
    app.get("/services?sort=nonsense", None).await;
    app.get("/services/c/n?range=forever", None).await;
    app.get("/nope/1", None).await;
    app.get("/nope/2", None).await;
    let m = app.get("/metrics", None).await;
    assert_eq!(m.status, StatusCode::OK);
    assert!(m.headers[header::CONTENT_TYPE]
        .to_str()
        .unwrap()
        .starts_with("text/plain; version=0.0.4"));
    let value = |key: &str| -> f64 {
        m.body
            .lines()
            .find_map(|l| l.strip_prefix(key).and_then(|v| v.strip_prefix(' ')))
            .unwrap_or_else(|| panic!("{key} missing from\n{}", m.body))
            .parse()
            .unwrap()
    };
    let services_200 =
        value(r#"spendwatch_http_requests_total{route="/services",method="GET",status="200"}"#);
    let services_400 =
        value(r#"spendwatch_http_requests_total{route="/services",method="GET",status="400"}"#);
    assert_eq!((services_200, services_400), (2.0, 1.0));
    assert_eq!(
        value(r#"spendwatch_http_requests_total{route="unmatched",method="GET",status="404"}"#),
        2.0,
        "unknown paths share one label"
    );
    assert!(
        m.body.contains(r#"route="/services/{cluster}/{name}""#),
        "a route with parameters is counted by its pattern"
    );
    assert_eq!(
        value(r#"spendwatch_http_request_duration_seconds_count{route="/services",method="GET"}"#),
        3.0
    );

    // The store's figures, read the way the pages read them.
    let store = app_store(&app).await;
    let expected_points: i64 = store.list_sync_runs(10).await.unwrap()[0].datapoints_written;
    assert_eq!(
        value("spendwatch_datapoints_stored"),
        expected_points as f64
    );
    assert!(value("spendwatch_database_size_bytes") > 0.0);
    assert_eq!(value(r#"spendwatch_last_sync_outcome{outcome="ok"}"#), 1.0);
    assert_eq!(
        value(r#"spendwatch_last_sync_outcome{outcome="failed"}"#),
        0.0
    );
    assert!(value("spendwatch_last_sync_started_timestamp_seconds") > 0.0);
}

/// A second handle on the edge's database.
async fn app_store(app: &Edge) -> app::store::Store {
    app::store::Store::open(&app._dir.path().join("spendwatch.db"))
        .await
        .unwrap()
}

fn spendwatch() -> std::process::Command {
    let mut c = std::process::Command::new(env!("CARGO_BIN_EXE_spendwatch"));
    c.env_remove("SPENDWATCH_DB")
        .env_remove("RUST_LOG")
        .env_remove("SPENDWATCH_TOKEN")
        .env_remove("SPENDWATCH_CONFIG");
    c
}

#[test]
fn serving_other_machines_without_a_token_is_refused_before_anything_is_done() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("s.db");
    let out = spendwatch()
        .current_dir(dir.path())
        .arg("--db")
        .arg(&db)
        .args(["serve", "--demo", "--bind", "0.0.0.0:0"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(err.trim().lines().count(), 1, "one line: {err}");
    assert!(
        err.contains("SPENDWATCH_TOKEN") && err.contains("token_file"),
        "names the setting: {err}"
    );
    assert!(!db.exists(), "nothing was opened or loaded");
}

/// A served process: its address, and its stderr file (the log).
struct Served {
    child: std::process::Child,
    port: u16,
    log: std::path::PathBuf,
    _dir: tempfile::TempDir,
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts `spendwatch serve` on an empty database with `env` and `args` and waits (no time limit
/// of our own: the test runner has one) until it says where it serves.
fn serve(env: &[(&str, &str)], args: &[&str]) -> Served {
    let dir = tempfile::tempdir().unwrap();
    let (out_path, log) = (dir.path().join("out.log"), dir.path().join("err.log"));
    let mut cmd = spendwatch();
    cmd.current_dir(dir.path())
        .arg("--db")
        .arg(dir.path().join("s.db"))
        .args(args)
        .stdout(std::fs::File::create(&out_path).unwrap())
        .stderr(std::fs::File::create(&log).unwrap())
        .stdin(std::process::Stdio::null());
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut child = cmd.spawn().unwrap();
    let port = loop {
        let out = std::fs::read_to_string(&out_path).unwrap_or_default();
        if let Some(rest) = out.split("serving http://").nth(1) {
            let addr = rest.split('/').next().unwrap();
            break addr.rsplit(':').next().unwrap().parse().unwrap();
        }
        if let Some(status) = child.try_wait().unwrap() {
            panic!(
                "the server stopped ({status}): {}",
                std::fs::read_to_string(&log).unwrap_or_default()
            );
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    };
    Served {
        child,
        port,
        log,
        _dir: dir,
    }
}

/// One HTTP/1.1 request on loopback; returns the status line's code and the whole answer.
fn http(port: u16, request_head: &str) -> (u16, String) {
    use std::io::{Read, Write};
    let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    write!(
        s,
        "{request_head}Host: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut answer = String::new();
    s.read_to_string(&mut answer).unwrap();
    let code = answer
        .split(' ')
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    (code, answer)
}

#[test]
fn with_a_token_any_address_is_served_and_asks_for_it() {
    let served = serve(
        &[("SPENDWATCH_TOKEN", TOKEN)],
        &["serve", "--bind", "0.0.0.0:0"],
    );
    let port = served.port;
    assert_eq!(http(port, "GET /healthz HTTP/1.1\r\n").0, 200);
    let (code, answer) = http(port, "GET /sync HTTP/1.1\r\n");
    assert_eq!(code, 401, "{answer}");
    assert!(answer.contains("www-authenticate: Basic"), "{answer}");
    let auth = format!(
        "GET /sync HTTP/1.1\r\nAuthorization: {}\r\n",
        basic("me", TOKEN)
    );
    assert_eq!(http(port, &auth).0, 200);
}

#[test]
fn the_token_file_named_in_the_config_is_read() {
    let dir = tempfile::tempdir().unwrap();
    let token = dir.path().join("token");
    std::fs::write(&token, format!("{TOKEN}\n")).unwrap();
    let config = dir.path().join("spendwatch.toml");
    std::fs::write(
        &config,
        format!("[server]\ntoken_file = {:?}\n", token.display().to_string()),
    )
    .unwrap();
    let served = serve(
        &[],
        &[
            "--config",
            config.to_str().unwrap(),
            "serve",
            "--bind",
            "0.0.0.0:0",
        ],
    );
    let bearer = format!("GET /api/tiers HTTP/1.1\r\nAuthorization: Bearer {TOKEN}\r\n");
    assert_eq!(http(served.port, &bearer).0, 200);
    assert_eq!(http(served.port, "GET /api/tiers HTTP/1.1\r\n").0, 401);
}

#[test]
fn json_logs_have_a_line_per_request_with_its_latency_and_sigterm_stops_cleanly() {
    let mut served = serve(
        &[],
        &["--log-format", "json", "serve", "--bind", "127.0.0.1:0"],
    );
    assert_eq!(http(served.port, "GET /tiers HTTP/1.1\r\n").0, 200);
    let status = std::process::Command::new("kill")
        .args(["-TERM", &served.child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let exit = served.child.wait().unwrap();
    assert!(exit.success(), "SIGTERM is a clean stop: {exit}");
    let log = std::fs::read_to_string(&served.log).unwrap();
    let lines: Vec<serde_json::Value> = log
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
        .collect();
    let request = lines
        .iter()
        .find(|l| l["span"]["uri"] == "/tiers")
        .unwrap_or_else(|| panic!("no line for the request: {log}"));
    assert_eq!(request["level"], "INFO");
    assert!(
        request["fields"]["latency"].is_string(),
        "with its latency: {request}"
    );
}
