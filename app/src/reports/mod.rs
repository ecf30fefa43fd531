//! Page data builders shared by the HTML pages, the JSON endpoints and the CLI: each reads the
//! store and runs the analysis.

pub mod cache;
pub mod recommendations;
