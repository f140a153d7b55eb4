#!/usr/bin/env bash
# `guifan serve` against another build of it, interleaved (this machine is
# noisy: only ratios measured in one run compare): 1,000-record batches of the
# catalogue mix on 4 connections, and single records on 16, with oha
# (`cargo install oha`), each server in turn, ROUNDS times.
#   crates/guifan-bench/scripts/serve_ab.sh OTHER_GUIFAN [SECONDS] [ROUNDS]
set -euo pipefail
root="$(cd "$(dirname "$0")/../../.." && pwd)"
other=${1:?the other guifan binary}
seconds=${2:-5}
rounds=${3:-5}
this="$root/target/release/guifan"
gen="$root/target/release/guifan-gen"
work=$(mktemp -d)
trap 'kill $a $b 2>/dev/null || true; rm -rf "$work"' EXIT
cp -r "$root/rules" "$work/rules"
"$gen" --mix 1000 > "$work/batch.jsonl"
head -1 "$root/examples/douyin_zero_deposit_trial.jsonl" > "$work/one.json"
"$other" serve --rules "$work/rules" --listen 127.0.0.1:18093 2> "$work/a.log" &
a=$!
"$this" serve --rules "$work/rules" --listen 127.0.0.1:18094 2> "$work/b.log" &
b=$!
sleep 1
at="at=2023-04-20T12:00:00%2B08:00"
rate() { # port body connections
  oha -z "${seconds}s" -c "$3" --no-tui -m POST -D "$2" "http://127.0.0.1:$1/v1/decide?$at" \
    | awk '/Requests\/sec/ {print $2}'
}
# The two answer every request alike before anything is timed.
for body in batch.jsonl one.json; do
  cmp <(curl -s --data-binary @"$work/$body" "http://127.0.0.1:18093/v1/decide?$at") \
      <(curl -s --data-binary @"$work/$body" "http://127.0.0.1:18094/v1/decide?$at")
done
echo "round  batches/s other  this  ratio   single/s other  this  ratio"
for r in $(seq 1 "$rounds"); do
  ba=$(rate 18093 "$work/batch.jsonl" 4); bb=$(rate 18094 "$work/batch.jsonl" 4)
  sa=$(rate 18093 "$work/one.json" 16); sb=$(rate 18094 "$work/one.json" 16)
  printf "%5d  %15.1f %6.1f %6.3f  %15.0f %6.0f %6.3f\n" "$r" "$ba" "$bb" "$(echo "$bb / $ba" | bc -l)" \
    "$sa" "$sb" "$(echo "$sb / $sa" | bc -l)"
done
