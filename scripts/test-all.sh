#!/usr/bin/env bash
# Installs everything the tests need on a fresh Debian machine, then runs every test:
# formatting, lints, Rust unit and integration tests, and the browser tests.
#
#   ./scripts/test-all.sh                 # install what is missing, then test
#   ./scripts/test-all.sh --install-only  # only install what is missing
#
# Needs only Rust (rustup or Debian's) and apt. Installs what is missing, and nothing twice:
#   - Debian: chromium (browser tests), sqlite3 (the browser tests read the database),
#     python3-venv (Debian's python3 cannot make a venv without it)
#   - Node.js and npm, at least the version end2end's locked packages ask for, from apt when
#     missing (apt's nodejs must be new enough; nothing is downloaded from outside the registries)
#   - rustfmt and clippy (rustup components)
#   - Python: a venv in .venv with moto[server] (the stand-in AWS for sync tests)
#   - npm: end2end's locked packages (playwright-core; it drives Debian's Chromium, downloads none)
# CARGO_TARGET_DIR, if set, is honoured; otherwise builds are cached outside the clone.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
cache="${XDG_CACHE_HOME:-$HOME/.cache}"

install_only=false
case "${1:-}" in
  --install-only) install_only=true ;;
  "") ;;
  *) echo "usage: $0 [--install-only]" >&2; exit 2 ;;
esac

step() { printf '\n==> %s\n' "$*"; }

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  if ! command -v sudo >/dev/null; then
    echo "error: installing packages needs root or sudo; run as root or install sudo" >&2
    exit 1
  fi
  SUDO="sudo"
fi
export DEBIAN_FRONTEND=noninteractive

# Whether a Debian package is installed.
installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'; }

# Installs the Debian packages given that are not installed yet (apt-get update only then).
apt_install() {
  local missing=()
  for p in "$@"; do installed "$p" || missing+=("$p"); done
  [ ${#missing[@]} -eq 0 ] && return 0
  echo "installing ${missing[*]}"
  if [ -z "${apt_updated:-}" ]; then $SUDO apt-get update -qq; apt_updated=1; fi
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

# The major version in a version string: 20 for v20.11.1, 18.20.4+dfsg-1, or 1:18.19.0.
major() { printf '%s\n' "$1" | sed -E 's/^[0-9]+://; s/^v//; s/[^0-9].*//'; }

# The Node.js major version end2end's locked packages need (their highest ">=N"), default 20.
node_needed() {
  local n
  n=$(grep -o '"node": *">= *[0-9]*' end2end/package-lock.json end2end/package.json 2>/dev/null |
    grep -o '[0-9]*$' | sort -n | tail -1) || true
  echo "${n:-20}"
}

# Whether node and npm on PATH are present and at least major version $1.
node_ok() {
  command -v node >/dev/null && command -v npm >/dev/null &&
    [ "$(major "$(node --version)")" -ge "$1" ]
}

step "Debian packages: chromium, sqlite3"
apt_install chromium sqlite3 ca-certificates

step "Node.js and npm"
need=$(node_needed)
if ! node_ok "$need"; then
  debian=$(apt-cache show --no-all-versions nodejs 2>/dev/null | sed -n 's/^Version: //p' | head -1) || true
  if [ -n "$debian" ] && [ "$(major "$debian")" -ge "$need" ]; then
    apt_install nodejs npm
  else
    # Only package registries are reachable from CI, so no official tarball is fetched here.
    echo "error: end2end needs Node.js $need or newer with npm, and apt offers ${debian:-no nodejs}:" >&2
    echo "  install Node.js $need+ (a newer Debian release, or an apt source that has it) and run again" >&2
    exit 1
  fi
  if ! node_ok "$need"; then
    echo "error: Node.js $need or newer with npm is needed; found $(node --version 2>/dev/null || echo none)" >&2
    exit 1
  fi
fi
echo "node $(node --version), npm $(npm --version)"

step "rustfmt and clippy"
# (cargo subcommand, rustup component, Debian package for a Rust from apt)
for tool in "fmt rustfmt rustfmt" "clippy clippy rust-clippy"; do
  read -r sub component package <<<"$tool"
  if ! cargo "$sub" --version >/dev/null 2>&1; then
    if command -v rustup >/dev/null; then
      rustup component add "$component"
    else
      apt_install "$package"
    fi
  fi
done

step "Python venv with moto[server]"
# A venv that lost its python (or was made without pip) is made again.
if ! { [ -x "$root/.venv/bin/python" ] && "$root/.venv/bin/python" -m pip --version >/dev/null 2>&1; }; then
  rm -rf "$root/.venv"
  # The first python3 on PATH may not be Debian's (pyenv, conda): use it if it makes a venv with
  # pip, else Debian's, which needs python3-venv for that.
  if ! { command -v python3 >/dev/null && python3 -m venv "$root/.venv" >/dev/null 2>&1 &&
    "$root/.venv/bin/python" -m pip --version >/dev/null 2>&1; }; then
    rm -rf "$root/.venv"
    apt_install python3 python3-venv
    /usr/bin/python3 -m venv "$root/.venv"
  fi
fi
if ! "$root/.venv/bin/python" -c 'import moto, flask, sys; sys.exit(not moto.__version__.startswith("5."))' 2>/dev/null ||
  [ ! -x "$root/.venv/bin/moto_server" ]; then
  "$root/.venv/bin/python" -m pip install --quiet --disable-pip-version-check 'moto[server]>=5,<6'
fi
export MOTO_SERVER="$root/.venv/bin/moto_server"

step "npm packages for end2end"
# npm ci starts from scratch each time: skip it when the installed tree already matches the lock.
if [ -d end2end/node_modules/playwright-core ] &&
  [ end2end/node_modules/.package-lock.json -nt end2end/package-lock.json ]; then
  echo "up to date"
else
  (cd end2end && npm ci --no-audit --no-fund --loglevel=error)
fi

if $install_only; then
  step "installed everything the tests need"
  exit 0
fi

export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$cache/spendwatch-target}"
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
