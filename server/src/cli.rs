//! The command line: `serve` and `demo`, with help that teaches.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context;
use clap::{Args, Parser, Subcommand};

use app::clock::SystemClock;
use app::settings::Settings;
use app::store::Store;
use app::AppState;

use crate::demo::{self, DemoSpec};

/// Spendwatch: what your ECS/Fargate services cost, whether they are the right size, and whether
/// their alarms and scaling thresholds are set right.
#[derive(Debug, Parser)]
#[command(
    name = "spendwatch",
    version,
    about,
    after_help = "Start here:\n  spendwatch serve --demo        serve the built-in demo at http://127.0.0.1:3000/\n  spendwatch demo --services 50 --days 90 --db big.db   a bigger demo database\n\nAll data lives in one SQLite file (--db). Times are UTC."
)]
pub struct Cli {
    /// SQLite database file (created if missing).
    #[arg(long, global = true, env = "SPENDWATCH_DB", default_value = "spendwatch.db")]
    pub db: PathBuf,
    /// Log debug detail to stderr (RUST_LOG overrides).
    #[arg(long, short, global = true)]
    pub verbose: bool,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the web app.
    ///
    /// Pages are rendered on the server and work without JavaScript. With --demo, an empty
    /// database is first filled with the demo dataset, so you can look around without AWS.
    Serve(ServeArgs),
    /// Write the deterministic demo dataset into --db.
    ///
    /// Models the mangu-publishing production cluster: two Fargate services with autoscaling,
    /// per-minute CPU, memory, task and load balancer metrics, the seven alarms with their
    /// history (an incident and a flapping alarm included), and 14 months of daily costs whose
    /// Fargate lines agree with the simulated task-hours at list prices. Existing demo rows are
    /// overwritten; other data is kept.
    Demo(DemoArgs),
}

/// Options for `serve`.
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address to listen on. Use 0.0.0.0:3000 to accept other machines (there is no login).
    #[arg(long, default_value = "127.0.0.1:3000")]
    pub bind: SocketAddr,
    /// Fill an empty database with the demo dataset before serving.
    #[arg(long)]
    pub demo: bool,
}

/// Options for `demo`.
#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Number of services (the first two are the seed's server and client).
    #[arg(long, default_value_t = 2, value_parser = clap::value_parser!(u32).range(1..=500))]
    pub services: u32,
    /// Days of per-minute metrics to generate, ending now.
    #[arg(long, default_value_t = 90, value_parser = clap::value_parser!(u32).range(1..=400))]
    pub days: u32,
    /// Random seed: the same seed, size and end give the same data.
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// Last instant of the data, as YYYY-MM-DD or YYYY-MM-DDTHH:MM (UTC). Default: the current hour.
    #[arg(long, value_parser = parse_end)]
    pub end: Option<i64>,
}

/// Runs the parsed command line.
pub async fn run(cli: Cli) -> anyhow::Result<()> {
    let store = Store::open(&cli.db).await.context("opening the database (--db)")?;
    match cli.command {
        Command::Serve(args) => {
            if args.demo && store.is_empty().await? {
                println!("{} is empty: loading the demo dataset first.", cli.db.display());
                demo::generate(&store, &DemoSpec::default_ending(now_hour()), true).await?;
            }
            let state = AppState::new(store, Arc::new(SystemClock), Settings::default());
            crate::startup::serve(state, args.bind).await
        }
        Command::Demo(args) => {
            let spec = DemoSpec {
                services: args.services as usize,
                days: args.days,
                seed: args.seed,
                end: args.end.unwrap_or_else(now_hour),
            };
            let started = std::time::Instant::now();
            let report = demo::generate(&store, &spec, true).await?;
            store.close().await;
            println!(
                "Wrote the demo to {}: {} services, {} days, {} datapoints, {} alarms, {} history items, {} cost rows in {:.1} s.",
                cli.db.display(),
                spec.services,
                spec.days,
                report.datapoints,
                report.alarms,
                report.history_items,
                report.cost_rows,
                started.elapsed().as_secs_f64()
            );
            Ok(())
        }
    }
}

fn now_hour() -> i64 {
    let now = chrono::Utc::now().timestamp();
    now - now.rem_euclid(3600)
}

fn parse_end(s: &str) -> Result<i64, String> {
    use chrono::{NaiveDate, NaiveDateTime};
    if let Ok(d) = NaiveDate::parse_from_str(s, "%Y-%m-%d") {
        return Ok(d.and_hms_opt(0, 0, 0).expect("midnight").and_utc().timestamp());
    }
    NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M")
        .map(|d| d.and_utc().timestamp())
        .map_err(|_| format!("'{s}' is not YYYY-MM-DD or YYYY-MM-DDTHH:MM"))
}
