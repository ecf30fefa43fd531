//! Integration tests for the spendwatch process: one binary, modules by area.

mod alarms;
mod api;
mod aws_mocks;
mod cli;
mod costs;
mod demo;
mod faults;
mod helpers;
mod moto;
mod pages;
mod security;
mod startup;
mod sync;
mod whatif;
