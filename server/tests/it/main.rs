//! Integration tests for the spendwatch process: one binary, modules by area.

mod cli;
mod demo;
mod helpers;
mod pages;
