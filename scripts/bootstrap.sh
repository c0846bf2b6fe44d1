#!/usr/bin/env bash
# Installs what building and testing need, only where it is missing; costs a
# few `command -v` checks when everything is present. Idempotent.
#   scripts/bootstrap.sh        what `make run` needs
#   scripts/bootstrap.sh test   also what `make test` needs (Chromium,
#                               PostgreSQL, the browser-test npm packages)
set -euo pipefail
cd "$(dirname "$0")/.."
say() { printf '\033[1;34m[bootstrap]\033[0m %s\n' "$*"; }

# The wasm-bindgen CLI must match the crate exactly; read the version from the lock.
wasm_bindgen_version() {
  awk '/^name = "wasm-bindgen"$/ { getline; gsub(/version = |"/, ""); print; exit }' Cargo.lock
}

apt_ready=""
apt_install() {
  if [ -z "$apt_ready" ]; then
    say "apt-get update"
    apt-get update -qq
    apt_ready=1
  fi
  say "apt-get install $*"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

if ! command -v cargo >/dev/null; then
  echo "cargo is missing: install Rust (stable) with rustup first" >&2
  exit 1
fi

if ! rustup target list --installed 2>/dev/null | grep -qx wasm32-unknown-unknown; then
  say "adding the wasm32-unknown-unknown target"
  rustup target add wasm32-unknown-unknown
fi

want=$(wasm_bindgen_version)
have=$(wasm-bindgen --version 2>/dev/null | awk '{print $2}' || true)
if [ "$have" != "$want" ]; then
  # Not --locked: the CLI's own lockfile pins a crate the registry lacks.
  say "installing wasm-bindgen-cli $want (about 8 minutes on 2 cores)"
  cargo install wasm-bindgen-cli --version "=$want"
fi

if [ "${1:-}" = "test" ]; then
  if ! command -v chromium >/dev/null; then
    apt_install chromium
  fi
  # The browser suite's screenshots need Chinese glyphs.
  if [ ! -d /usr/share/fonts/opentype/noto ] || ! ls /usr/share/fonts/opentype/noto | grep -q CJK; then
    apt_install fonts-noto-cjk
  fi
  if ! command -v pg_ctlcluster >/dev/null; then
    apt_install postgresql
  fi
  scripts/postgres.sh start
  if [ ! -d tests/browser/node_modules/playwright-core ]; then
    say "installing the browser-test packages"
    (cd tests/browser && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --silent)
  fi
fi
