//! The Spendwatch process: command line, configuration, the AWS collectors and the sync that runs
//! them into the store (the first step of collectors -> store -> analysis -> reports -> pages), demo
//! data, and the HTTP server that mounts the app's pages.

pub mod access;
pub mod alarms_cli;
pub mod api;
pub mod assets;
pub mod aws;
pub mod background;
pub mod cli;
pub mod collectors;
pub mod config;
pub mod costs_cli;
pub mod demo;
pub mod guard;
pub mod memory;
pub mod ops;
pub mod output;
pub mod progress;
pub mod startup;
pub mod sync;
pub mod telemetry;
pub mod whatif_cmd;
