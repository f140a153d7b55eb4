#!/usr/bin/env bash
# Seeds a target's corpus from the repository and fuzzes it.
#   fuzz/run.sh TARGET [SECONDS]      (targets: rule_file, fmt_roundtrip, data_line, policy_eval)
# Needs `cargo install cargo-fuzz`; runs on the stable toolchain through RUSTC_BOOTSTRAP.
set -euo pipefail
cd "$(dirname "$0")/.."
target=${1:?usage: fuzz/run.sh rule_file|fmt_roundtrip|data_line|policy_eval [SECONDS]}
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
    done
    dict=fuzz/dict/data.dict ;;
  *) echo "unknown target $target" >&2; exit 2 ;;
esac
RUSTC_BOOTSTRAP=1 cargo fuzz run -O "$target" "$corpus" -- \
  -dict="$dict" -max_total_time="$seconds" -max_len=65536 -timeout=10 -rss_limit_mb=4096 \
  -print_final_stats=1 -fork=1 -ignore_crashes=1 -ignore_timeouts=1 -ignore_ooms=1
