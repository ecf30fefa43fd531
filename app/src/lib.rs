//! Spendwatch's model and views: domain types, the SQLite store, pure analysis, the report
//! builders and the server-rendered Leptos pages.
//!
//! Data flows one way: collectors (in the `server` crate) -> store (all SQL) -> analysis (pure, no
//! I/O, `now` passed in) -> reports (page data shared by the page, its JSON endpoint and the CLI)
//! -> pages.

pub mod analysis;
pub mod charts;
pub mod clock;
pub mod components;
pub mod domain;
pub mod error;
pub mod format;
pub mod pages;
pub mod reports;
pub mod routes;
pub mod settings;
pub mod state;
pub mod store;

pub use routes::{shell, App};
pub use state::{AppState, SyncTrigger};
