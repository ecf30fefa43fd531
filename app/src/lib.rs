//! Spendwatch's model and views: domain types, the SQLite store, pure analysis, and the
//! server-rendered Leptos pages. Data flows one way: store -> analysis -> pages.

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
