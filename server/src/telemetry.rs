//! Logging: `RUST_LOG` wins; otherwise info for Spendwatch, warnings for libraries.

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
        .compact()
        .try_init();
}
