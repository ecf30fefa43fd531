//! The Spendwatch process: command line, configuration, demo data, and the HTTP server that mounts
//! the app's pages.

pub mod api;
pub mod assets;
pub mod aws;
pub mod background;
pub mod cli;
pub mod collectors;
pub mod config;
pub mod demo;
pub mod output;
pub mod startup;
pub mod sync;
pub mod telemetry;
