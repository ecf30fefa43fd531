//! Logging: `RUST_LOG` wins; otherwise info for Spendwatch and one line per HTTP request,
//! warnings for libraries.

use std::io::IsTerminal;

use tracing_subscriber::EnvFilter;

/// How log lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    /// Compact text for people.
    Text,
    /// One JSON object a line, for log collectors.
    Json,
}

/// Installs the global subscriber on stderr. `verbose` turns on debug logs.
pub fn init(verbose: bool, format: LogFormat) {
    let default = if verbose {
        "server=debug,app=debug,tower_http=debug,info"
    } else {
        "server=info,app=info,tower_http::trace=info,warn"
    };
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    let _ = match format {
        LogFormat::Json => builder.json().with_current_span(true).try_init(),
        // Colour only for a person at a terminal: a log file must not fill with escape codes.
        LogFormat::Text => builder
            .with_ansi(std::io::stderr().is_terminal())
            .compact()
            .try_init(),
    };
}
