#!/usr/bin/env bash
# Seeds a target's corpus from the repository and fuzzes it.
#   fuzz/run.sh TARGET [SECONDS]      (targets: rule_file, fmt_roundtrip, data_line, policy_eval, columnar)
# Needs `cargo install cargo-fuzz`; runs on the stable toolchain through RUSTC_BOOTSTRAP.
set -euo pipefail
cd "$(dirname "$0")/.."
target=${1:?usage: fuzz/run.sh rule_file|fmt_roundtrip|data_line|policy_eval|columnar [SECONDS]}
seconds=${2:-1800}
corpus=fuzz/corpus/$target
mkdir -p "$corpus"
case $target in
  rule_file|fmt_roundtrip|policy_eval)
    for f in rules/*/*.policy rules/schema/*.schema docs/*.md; do
      cp "$f" "$corpus/seed-$(basename "$f")"
    done
    dict=fuzz/dict/guifan.dict ;;
  data_line)
    i=0
    for f in examples/*.jsonl; do
      while IFS= read -r line; do
        i=$((i + 1)); printf '%s\n' "$line" > "$corpus/seed-$i.jsonl"
      done < "$f"
      cp "$f" "$corpus/seed-$(basename "$f")"
      # The same records with their kind last, and with a key no schema
      # declares: the fast decoder's other layouts.
      sed -E 's/^\{"kind": *("[^"]*"), *(.*)\}$/{\2, "kind": \1}/' "$f" > "$corpus/seed-kind-last-$(basename "$f")"
      sed -E 's/^\{/{"undeclared":{"a":[1,"x",null,-0.5]},/' "$f" > "$corpus/seed-undeclared-$(basename "$f")"
    done
    dict=fuzz/dict/data.dict ;;
  columnar)
    # Parquet files of a few generated records of every kind, each led by the
    # byte that picks Parquet (even) for the target.
    seeds=$(mktemp -d)
    cargo run -q -p guifan-bench --bin guifan-gen -- --mix 40 --format parquet --out "$seeds" 2>/dev/null
    for f in "$seeds"/*.parquet; do
      { printf '\000'; cat "$f"; } > "$corpus/seed-$(basename "$f")"
    done
    rm -rf "$seeds"
    dict=fuzz/dict/data.dict ;;
  *) echo "unknown target $target" >&2; exit 2 ;;
esac
RUSTC_BOOTSTRAP=1 cargo fuzz run -O "$target" "$corpus" -- \
  -dict="$dict" -max_total_time="$seconds" -max_len=65536 -timeout=10 -rss_limit_mb=4096 \
  -print_final_stats=1 -fork=1 -ignore_crashes=1 -ignore_timeouts=1 -ignore_ooms=1
