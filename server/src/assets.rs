//! Static assets compiled into the binary: the stylesheet and public/.

use axum::http::header;
use axum::response::IntoResponse;

/// The compiled stylesheet (style/main.scss via grass at build time).
pub const STYLE_CSS: &str = include_str!(concat!(env!("OUT_DIR"), "/style.css"));
const FAVICON_SVG: &str = include_str!("../../public/favicon.svg");

const CACHE: &str = "public, max-age=3600";

/// GET /style.css
pub async fn style() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, CACHE),
        ],
        STYLE_CSS,
    )
}

/// GET /favicon.svg
pub async fn favicon() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "image/svg+xml"),
            (header::CACHE_CONTROL, CACHE),
        ],
        FAVICON_SVG,
    )
}
