//! The JSON API's error shapes through the real router: `{"error": "..."}` with the right status,
//! and nothing of the server's internals in a 500.

use axum::http::StatusCode;

use crate::helpers::{spawn_app, TestApp};

/// GETs `uri` and returns the status, the content type and the body parsed as JSON.
async fn get_json(app: &TestApp, uri: &str) -> (StatusCode, String, serde_json::Value) {
    use axum::body::Body;
    use http_body_util::BodyExt;
    use tower::ServiceExt;

    let req = axum::http::Request::get(uri).body(Body::empty()).unwrap();
    let res = app.router.clone().oneshot(req).await.unwrap();
    let status = res.status();
    let content_type = res
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default();
    let bytes = res.into_body().collect().await.unwrap().to_bytes();
    let body = serde_json::from_slice(&bytes)
        .unwrap_or_else(|e| panic!("{uri}: body is not JSON ({e}): {bytes:?}"));
    (status, content_type, body)
}

#[tokio::test]
async fn a_bad_query_is_a_json_400_with_its_message() {
    let app = spawn_app(None).await;
    let (status, content_type, body) = get_json(&app, "/api/recommendations?removed=yes").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(content_type, "application/json");
    assert_eq!(
        body,
        serde_json::json!({"error": "'removed=yes' is not show or hide"})
    );
}

#[tokio::test]
async fn a_query_the_endpoint_cannot_read_is_a_json_400() {
    let app = spawn_app(None).await;
    let (status, _, body) = get_json(&app, "/api/recommendations?removed=show&removed=hide").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let message = body["error"].as_str().unwrap();
    assert!(message.contains("removed"), "{message}");
}

#[tokio::test]
async fn an_unknown_api_path_is_a_json_404() {
    let app = spawn_app(None).await;
    let (status, content_type, body) = get_json(&app, "/api/no-such-thing").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(content_type, "application/json");
    assert_eq!(
        body,
        serde_json::json!({"error": "there is no API endpoint /api/no-such-thing"})
    );
}

#[tokio::test]
async fn an_unknown_page_is_still_the_html_404() {
    let app = spawn_app(None).await;
    let (status, html) = app.get("/no-such-page").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(
        html.contains("There is no page at /no-such-page."),
        "{html}"
    );
}

#[tokio::test]
async fn a_store_failure_is_a_json_500_without_internals() {
    let app = spawn_app(None).await;
    app.store.close().await;
    let (status, content_type, body) = get_json(&app, "/api/recommendations").await;
    assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(content_type, "application/json");
    assert_eq!(
        body,
        serde_json::json!({"error": "internal error: see the server log"})
    );
}
