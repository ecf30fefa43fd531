//! The Spendwatch process: command line, configuration, demo data, and the HTTP server that mounts
//! the app's pages.

pub mod assets;
pub mod cli;
pub mod config;
pub mod demo;
pub mod output;
pub mod startup;
pub mod telemetry;
