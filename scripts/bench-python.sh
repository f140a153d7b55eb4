#!/usr/bin/env bash
# Side-by-side figures (docs/python.md): N generated trial merchants (default
# 200,000) as JSON Lines and Parquet; `guifan run` on each, `decide_arrow`
# from Python, Spark local[2], and the zen-engine package on the same rules.
# Release builds; the venv of scripts/python-test.sh plus zen-engine.
set -euo pipefail
cd "$(dirname "$0")/.."
n="${1:-200000}"
venv="${GUIFAN_VENV:-target/python-venv}"
[ -x "$venv/bin/python" ] || python3 -m venv "$venv"
venv="$(cd "$venv" && pwd)"
"$venv/bin/pip" install -q --disable-pip-version-check -r crates/guifan-py/requirements-test.txt zen-engine==2.1.3
cargo build --locked --release -q -p guifan-cli -p guifan-bench --bins
rm -rf target/wheels/guifan-*.whl
"$venv/bin/maturin" build --quiet --locked --release --manifest-path crates/guifan-py/Cargo.toml -o target/wheels
"$venv/bin/pip" install -q --disable-pip-version-check --force-reinstall --no-deps target/wheels/guifan-*.whl
data="$(mktemp -d)"
trap 'rm -rf "$data"' EXIT
target/release/guifan-gen --merchants "$n" > "$data/trial.jsonl"
target/release/guifan-gen --merchants "$n" --format parquet --out "$data/parquet" 2>/dev/null
cd crates/guifan-bench/zen
"$venv/bin/python" bench.py "$data" "$n"
