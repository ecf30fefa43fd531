//! Logging: `RUST_LOG` wins; otherwise info for Spendwatch, warnings for libraries.

use std::io::IsTerminal;

use tracing_subscriber::EnvFilter;

/// Installs the global subscriber (stderr, compact). `verbose` turns on debug logs.
pub fn init(verbose: bool) {
    let default = if verbose {
        "server=debug,app=debug,info"
    } else {
        "server=info,app=info,warn"
    };
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        // Colour only for a person at a terminal: a log file must not fill with escape codes.
        .with_ansi(std::io::stderr().is_terminal())
        .compact()
        .try_init();
}
