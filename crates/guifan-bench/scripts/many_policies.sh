#!/usr/bin/env bash
# Writes a rules directory of N generated policies (default 1000) to DIR: the
# bundled schema, and copies of the bundled policies and their tests under new
# IDs (`douyin.zero_deposit_trial_17`), for timing `guifan check` and `fmt`.
#   crates/guifan-bench/scripts/many_policies.sh DIR [N]
set -euo pipefail
root="$(cd "$(dirname "$0")/../../.." && pwd)"
out=${1:?usage: many_policies.sh DIR [N]}
n=${2:-1000}
rm -rf "$out"
mkdir -p "$out/schema"
cp "$root"/rules/schema/*.schema "$out/schema/"
policies=("$root"/rules/*/*.policy)
i=0
while [ "$i" -lt "$n" ]; do
  for p in "${policies[@]}"; do
    [ "$i" -ge "$n" ] && break
    i=$((i + 1))
    name=$(basename "$p" .policy)
    dir="$out/p$((i / 100))"
    mkdir -p "$dir"
    id=$(sed -n 's/^policy \([a-z0-9_.]*\) {.*/\1/p' "$p")
    sed "s/^policy $id {/policy ${id}_$i {/" "$p" > "$dir/${name}_$i.policy"
    test_file="${p%.policy}.test.toml"
    if [ -f "$test_file" ]; then
      sed "s/^policy = \"$id\"/policy = \"${id}_$i\"/" "$test_file" > "$dir/${name}_$i.test.toml"
    fi
  done
done
echo "$i policies in $out"
