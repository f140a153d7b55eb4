#!/usr/bin/env bash
# The Python package and Spark: a virtual environment from PyPI (as pinned in
# crates/guifan-py/requirements-test.txt), the wheel built by maturin and
# installed, then pytest: the API, Spark in local mode on 100,000 generated
# records of every kind (compared with `guifan run`), and the README's example.
# Needs python3 (3.9+) and Java 17 for Spark; downloads nothing at test time
# but from PyPI and crates.io.
set -euo pipefail
cd "$(dirname "$0")/.."
venv="${GUIFAN_VENV:-target/python-venv}"
profile="${GUIFAN_PY_PROFILE:-dev}"
if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv"
fi
venv="$(cd "$venv" && pwd)"
"$venv/bin/pip" install -q --disable-pip-version-check -r crates/guifan-py/requirements-test.txt
# The command-line tools the tests compare with.
cargo build --locked -q -p guifan-cli -p guifan-bench --bins
rm -rf target/wheels/guifan-*.whl
"$venv/bin/maturin" build --quiet --locked --profile "$profile" \
  --manifest-path crates/guifan-py/Cargo.toml -o target/wheels
"$venv/bin/pip" install -q --disable-pip-version-check --force-reinstall --no-deps target/wheels/guifan-*.whl
cd crates/guifan-py
# Not the source tree's package: the installed wheel is what is tested.
PYTHONSAFEPATH=1 "$venv/bin/python" -m pytest -q -p no:cacheprovider tests "$@"
