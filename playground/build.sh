#!/usr/bin/env bash
# Builds everything the playground needs from a fresh clone, into playground/dist:
# the engine (crates/guifan-wasm) for wasm32 with wasm-bindgen, the page (npm,
# esbuild), the bundled catalogue and the diagnostics page. Installs the wasm32
# target, wasm-bindgen-cli (at the exact version of the wasm-bindgen crate)
# and the npm packages when they are missing. Then: `guifan serve --playground`.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(dirname "$here")"
cd "$root"

rustup target list --installed 2>/dev/null | grep -qx wasm32-unknown-unknown \
  || rustup target add wasm32-unknown-unknown
# The bindings generator must be the very version the crate is built with.
version="$(grep -A1 '^name = "wasm-bindgen"$' Cargo.lock | sed -n 's/^version = "\(.*\)"$/\1/p')"
if [ "$(wasm-bindgen --version 2>/dev/null | awk '{print $2}')" != "$version" ]; then
  cargo install wasm-bindgen-cli --version "=$version"
fi

cargo build --locked --profile wasm --target wasm32-unknown-unknown -p guifan-wasm
rm -rf "$here/pkg"
wasm-bindgen --target web --no-typescript --out-dir "$here/pkg" \
  target/wasm32-unknown-unknown/wasm/guifan_wasm.wasm

cd "$here"
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund
fi
npm run --silent bundle
echo "playground: built in $here/dist; serve it with: guifan serve --playground"
