//! Integration tests for the spendwatch process: one binary, modules by area.

mod api;
mod aws_mocks;
mod cli;
mod demo;
mod helpers;
mod moto;
mod pages;
mod startup;
mod sync;
mod whatif;
