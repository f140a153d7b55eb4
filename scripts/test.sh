#!/usr/bin/env bash
# The test command: every Rust test of the workspace (unit, golden, snapshot,
# property and CLI tests, and every rules/**/*.test.toml), then the Python
# package and Spark (scripts/python-test.sh: a venv from PyPI, the wheel built
# with maturin, pytest, Spark in local mode on 100,000 records).
set -euo pipefail
cd "$(dirname "$0")/.."
cargo test --workspace --locked
scripts/python-test.sh
