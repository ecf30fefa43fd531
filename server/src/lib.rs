//! The Spendwatch process: command line, configuration, demo data, and the HTTP server that mounts
//! the app's pages.

pub mod assets;
pub mod cli;
pub mod demo;
pub mod startup;
pub mod telemetry;
