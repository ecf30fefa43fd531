#!/usr/bin/env bash
# Installs everything the tests need on a fresh Debian machine, then runs every test:
# formatting, lints, Rust unit and integration tests, and the browser tests.
#
#   ./scripts/test-all.sh
#
# Installs (each run; already-installed packages are skipped quickly):
#   - Debian: chromium (browser tests), sqlite3 (the browser tests read the database)
#   - Python: a venv in .venv with moto[server] (the stand-in AWS for sync tests)
#   - npm: end2end's locked packages (playwright-core; it drives Debian's Chromium, downloads none)
# CARGO_TARGET_DIR, if set, is honoured; otherwise builds are cached outside the clone.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

step() { printf '\n==> %s\n' "$*"; }

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi

step "Debian packages: chromium, sqlite3"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends chromium sqlite3 ca-certificates >/dev/null

step "Python venv with moto[server]"
python3 -m venv "$root/.venv"
"$root/.venv/bin/pip" install --quiet --disable-pip-version-check 'moto[server]>=5,<6'
export MOTO_SERVER="$root/.venv/bin/moto_server"

step "npm packages for end2end"
(cd end2end && npm ci --no-audit --no-fund --loglevel=error)

export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/spendwatch-target}"
export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-never}"

step "cargo fmt --check"
cargo fmt --all -- --check

step "cargo clippy (warnings are errors)"
cargo clippy --workspace --all-targets --locked -- -D warnings

step "cargo test"
cargo test --workspace --locked

step "browser tests (Chromium, JavaScript off and on)"
# cargo test built the binary (target/debug/spendwatch) for the CLI tests; the browser tests use it.
(cd end2end && SPENDWATCH_BIN="$CARGO_TARGET_DIR/debug/spendwatch" npm test)

step "all tests passed"
