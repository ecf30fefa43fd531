//! `spendwatch`: see `spendwatch --help`.

use clap::Parser;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let cli = server::cli::Cli::parse();
    // Only the long-running server hands memory back; a one-shot command (recommend, costs) is
    // faster keeping what it frees for reuse, and gives it all back when it exits.
    if matches!(cli.command, server::cli::Command::Serve(_)) {
        server::memory::tune_allocator();
    }
    server::telemetry::init(cli.verbose, cli.log_format);
    match server::cli::run(cli).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
