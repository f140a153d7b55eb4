#!/usr/bin/env bash
# Load test of `guifan serve` on loopback with oha (`cargo install oha`):
# single records, 1,000-record batches, and single records while the rules are
# edited and reloaded every half second (no request may fail).
#   crates/guifan-bench/scripts/load_test.sh [SECONDS]
set -euo pipefail
root="$(cd "$(dirname "$0")/../../.." && pwd)"
seconds=${1:-10}
guifan="$root/target/release/guifan"
gen="$root/target/release/guifan-gen"
work=$(mktemp -d)
trap 'kill $server 2>/dev/null || true; rm -rf "$work"' EXIT
cp -r "$root/rules" "$work/rules"
"$gen" --mix 1000 > "$work/batch.jsonl"
head -1 "$root/examples/douyin_zero_deposit_trial.jsonl" > "$work/one.json"
port=18091
"$guifan" serve --rules "$work/rules" --listen 127.0.0.1:$port --watch-ms 100 2> "$work/serve.log" &
server=$!
sleep 1
url="http://127.0.0.1:$port/v1/decide?at=2023-04-20T12:00:00%2B08:00"
echo "== single records, 16 connections, ${seconds}s"
oha -z "${seconds}s" -c 16 --no-tui -m POST -D "$work/one.json" "$url" | grep -E "Success rate|Requests/sec|50.00%|99.00%|\[200\]|\[4|\[5"
echo "== 1,000-record batches, 4 connections, ${seconds}s"
oha -z "${seconds}s" -c 4 --no-tui -m POST -D "$work/batch.jsonl" "$url" | grep -E "Success rate|Requests/sec|50.00%|99.00%|\[200\]|\[4|\[5"
echo "== single records while the rules are edited every 0.5 s"
policy="$work/rules/douyin/zero_deposit_trial.policy"
(
  for i in $(seq 1 $((seconds * 2))); do
    sed -i "s/param personal_listing_cap: int = [0-9]*/param personal_listing_cap: int = $((100 + i))/" "$policy"
    sleep 0.5
  done
) &
editor=$!
oha -z "${seconds}s" -c 16 --no-tui -m POST -D "$work/one.json" "$url" | grep -E "Success rate|Requests/sec|50.00%|99.00%|\[200\]|\[4|\[5"
wait $editor
curl -s "http://127.0.0.1:$port/metrics" | grep -E "^guifan_(reloads|reload_failures)_total"
