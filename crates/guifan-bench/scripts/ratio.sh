#!/usr/bin/env bash
# Guifan ÷ the hand-written reference (`guifan-ref`: serde struct, rust_decimal,
# plain `if`s, one thread, the same decision JSON Lines), whole processes on the
# same generated file of Douyin trial merchants, interleaved round by round so
# that the machine's noise falls on all of them alike. Prints the median wall
# time of each, records/s, and the ratios the performance issue sets targets for.
#   crates/guifan-bench/scripts/ratio.sh [MERCHANTS=200000] [ROUNDS=5]
set -euo pipefail
root="$(cd "$(dirname "$0")/../../.." && pwd)"
n=${1:-200000}
rounds=${2:-5}
at=2023-04-20T12:00:00+08:00
(cd "$root" && cargo build --release --quiet -p guifan-cli -p guifan-bench)
guifan="$root/target/release/guifan"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$root/target/release/guifan-gen" --merchants "$n" > "$work/data.jsonl"

# The same decisions first: a speed-up that changes one is a bug.
"$root/target/release/guifan-ref" --data "$work/data.jsonl" --at $at > "$work/ref.jsonl"
"$guifan" run --rules "$root/rules" --data "$work/data.jsonl" --at $at -q > "$work/guifan.jsonl"
cmp -s "$work/ref.jsonl" "$work/guifan.jsonl" || { echo "guifan and the reference disagree" >&2; exit 1; }

declare -A commands=(
  [reference]="$root/target/release/guifan-ref --data $work/data.jsonl --at $at"
  [guifan_1]="$guifan run --jobs 1 --rules $root/rules --data $work/data.jsonl --at $at -q"
  [guifan_all]="$guifan run --rules $root/rules --data $work/data.jsonl --at $at -q"
)
order=(reference guifan_1 guifan_all)
for name in "${order[@]}"; do : > "$work/$name.times"; done
for round in $(seq 1 "$rounds"); do
  for name in "${order[@]}"; do
    start=$(date +%s%N)
    ${commands[$name]} > "$work/out.jsonl"
    end=$(date +%s%N)
    echo $(( (end - start) / 1000 )) >> "$work/$name.times"
  done
done
median() { sort -n "$1" | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
ref=$(median "$work/reference.times")
one=$(median "$work/guifan_1.times")
all=$(median "$work/guifan_all.times")
echo "$n merchants, $rounds interleaved rounds, median wall time, output to a file"
echo
echo "| | median s | records/s | ratio |"
echo "| --- | --- | --- | --- |"
awk -v n="$n" -v ref="$ref" -v one="$one" -v all="$all" 'BEGIN {
  printf "| hand-written reference, one thread | %.3f | %.0f | 1 |\n", ref/1e6, n/(ref/1e6)
  printf "| `guifan run --jobs 1` | %.3f | %.0f | %.2f× the reference |\n", one/1e6, n/(one/1e6), ref/one
  printf "| `guifan run`, both cores | %.3f | %.0f | %.2f× the reference; %.2f× one core |\n", all/1e6, n/(all/1e6), ref/all, one/all
}'
