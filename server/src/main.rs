//! `spendwatch`: see `spendwatch --help`.

use clap::Parser;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    server::memory::tune_allocator();
    let cli = server::cli::Cli::parse();
    server::telemetry::init(cli.verbose, cli.log_format);
    match server::cli::run(cli).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
