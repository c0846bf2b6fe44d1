#!/usr/bin/env bash
# Builds the browser bundle into target/site, as cargo-leptos would, without
# its 35-minute install: the hydrate build for wasm32, then wasm-bindgen.
# No wasm-opt: Debian's (binaryen 108) breaks hydration; see README.
set -euo pipefail
cd "$(dirname "$0")/.."
site=target/site
pkg=$site/pkg
profile=wasm-release
cargo build -p vanguard-app --lib --target wasm32-unknown-unknown --profile "$profile" --features hydrate
mkdir -p "$pkg"
wasm-bindgen --target web --no-typescript --remove-name-section --remove-producers-section --out-dir "$pkg" --out-name vanguard \
  "target/wasm32-unknown-unknown/$profile/vanguard_app.wasm"
cp style/main.css "$pkg/vanguard.css"
cp -r public/. "$site/"
# The service worker's caches are named for this exact build, so a new
# deployment installs beside the old one and replaces it cleanly.
version=$(cat "$pkg"/vanguard.js "$pkg"/vanguard_bg.wasm "$pkg"/vanguard.css public/* | sha256sum | cut -c1-12)
sed -i "s/__VERSION__/$version/" "$site/sw.js"
# Pre-compressed copies, served by the static handler when the client
# accepts gzip: zopfli's gzip, about 5% smaller than gzip -9 (server/src/precompress.rs).
cargo run -q -p vanguard-server -- precompress "$pkg"
