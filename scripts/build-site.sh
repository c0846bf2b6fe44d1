#!/usr/bin/env bash
# Builds the two browser bundles into target/site, as cargo-leptos would,
# without its 35-minute install: the phone's (the member's pages) and the
# console's, each a wasm32 cdylib of its own (app/bundles/), then
# wasm-bindgen. No wasm-opt: Debian's (binaryen 108) breaks hydration; see README.
set -euo pipefail
cd "$(dirname "$0")/.."
site=target/site
pkg=$site/pkg
profile=wasm-release
out=target/wasm32-unknown-unknown/$profile
# One cargo run for both: the app crate and its dependencies compile once.
cargo build -p vanguard-phone -p vanguard-console --lib --target wasm32-unknown-unknown --profile "$profile"
mkdir -p "$pkg"
bindgen() {
  wasm-bindgen --target web --no-typescript --remove-name-section --remove-producers-section \
    --out-dir "$pkg" --out-name "$2" "$out/$1.wasm"
}
bindgen vanguard_phone vanguard
bindgen vanguard_console console
cp style/main.css "$pkg/vanguard.css"
# The console's own rules: its bundle only.
cp style/console.css "$pkg/console.css"
cp -r public/. "$site/"
# The service worker's caches are named for this exact build, so a new
# deployment installs beside the old one and replaces it cleanly.
version=$(cat "$pkg"/vanguard.js "$pkg"/vanguard_bg.wasm "$pkg"/console.js "$pkg"/console_bg.wasm "$pkg"/vanguard.css "$pkg"/console.css public/* | sha256sum | cut -c1-12)
sed -i "s/__VERSION__/$version/" "$site/sw.js"
# Pre-compressed copies, served by the static handler when the client
# accepts gzip: zopfli's gzip, about 5% smaller than gzip -9
# (server/src/precompress.rs). The server binary does it, built once for
# both this and `make server`.
cargo build -q -p vanguard-server
target/debug/vanguard precompress "$pkg"
