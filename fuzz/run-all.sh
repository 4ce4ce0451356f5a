#!/usr/bin/env bash
# Runs every fuzz target (or TARGETS) for FUZZ_SECONDS (default 600) each, one after the other, at a low CPU
# priority, and appends libFuzzer's final statistics to fuzz/runs.log. See README.md.
set -euo pipefail
cd "$(dirname "$0")"
SECONDS_EACH=${FUZZ_SECONDS:-600}
for target in ${TARGETS:-jid xml_element basic_header request_decoder pre_execution c2s_input}; do
  dict=()
  case $target in
    pre_execution) dict=(-dict=dicts/graphql.dict) ;;
    xml_element|c2s_input) dict=(-dict=dicts/xml.dict) ;;
  esac
  echo "== $target $(date -u +%FT%TZ) ${SECONDS_EACH}s" | tee -a runs.log
  nice -n 10 cargo +nightly fuzz run -O "$target" "corpus/$target" -- \
    -max_total_time="$SECONDS_EACH" -timeout=10 -rss_limit_mb=2048 -max_len=8192 \
    -print_final_stats=1 "${dict[@]}" 2>&1 | tee "logs-$target.txt" | grep -E '^(stat::|==|SUMMARY|artifact_prefix|Test unit written|Done)' | tee -a runs.log || true
done
