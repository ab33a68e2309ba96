#!/usr/bin/env bash
# Runs every fuzz target for SECONDS each (default 10) from its seeds, and prints per target the
# executions and findings. Exits non-zero if any target found something (or did not run).
#
#   fuzz/run.sh [SECONDS]
#
# Needs `cargo install cargo-fuzz --locked`. cargo-fuzz passes nightly flags (-Zsanitizer=…);
# the stable toolchain accepts them with RUSTC_BOOTSTRAP=1, which this script sets.
# Environment:
#   FUZZ_TARGETS     targets to run, space-separated (default: all, from `cargo fuzz list`)
#   FUZZ_SANITIZER   address (default) or none
#   FUZZ_TARGET_DIR  cargo's target dir (default: <repo>/target/fuzz, as `cargo xtask fuzz`)
#   FUZZ_JOBS        cargo build jobs (default: cargo's)
# The working corpus is fuzz/corpus/<target> (not committed); fuzz/seeds/<target> (committed) is
# read as a second corpus every run, so the seeds are always merged in. A finding is written to
# fuzz/artifacts/<target>/ (reproduce: cargo fuzz run <target> <file>); logs go to
# fuzz/artifacts/logs/<target>.log.
set -uo pipefail

seconds="${1:-10}"
case "$seconds" in '' | *[!0-9]*) echo "usage: fuzz/run.sh [SECONDS]" >&2; exit 2 ;; esac

fuzz_dir="$(cd "$(dirname "$0")" && pwd)"
root="$(dirname "$fuzz_dir")"
export RUSTC_BOOTSTRAP=1
sanitizer="${FUZZ_SANITIZER:-address}"
target_dir="${FUZZ_TARGET_DIR:-$root/target/fuzz}"
cargo_fuzz=(cargo fuzz)
common=(--fuzz-dir "$fuzz_dir" --sanitizer "$sanitizer" --target-dir "$target_dir")
[ -n "${FUZZ_JOBS:-}" ] && common+=(--jobs "$FUZZ_JOBS")

if ! cargo fuzz --version >/dev/null 2>&1; then
  echo "fuzz/run.sh: cargo-fuzz is not installed: cargo install cargo-fuzz --locked" >&2
  exit 2
fi

targets="${FUZZ_TARGETS:-$("${cargo_fuzz[@]}" list --fuzz-dir "$fuzz_dir")}"

echo "==> building the fuzz targets (sanitizer: $sanitizer)"
if ! "${cargo_fuzz[@]}" build "${common[@]}"; then
  echo "fuzz/run.sh: the fuzz targets do not build" >&2
  exit 1
fi

mkdir -p "$fuzz_dir/artifacts/logs"
failed=0
summary=()
for target in $targets; do
  corpus="$fuzz_dir/corpus/$target"
  seeds="$fuzz_dir/seeds/$target"
  mkdir -p "$corpus" "$fuzz_dir/artifacts/$target"
  log="$fuzz_dir/artifacts/logs/$target.log"
  before="$(find "$fuzz_dir/artifacts/$target" -type f | wc -l)"
  corpora=("$corpus")
  [ -d "$seeds" ] && corpora+=("$seeds")
  echo "==> $target: ${seconds}s"
  "${cargo_fuzz[@]}" run "${common[@]}" "$target" "${corpora[@]}" -- \
    -max_total_time="$seconds" -timeout=30 -print_final_stats=1 >"$log" 2>&1
  status=$?
  execs="$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | tail -n 1 | grep -o '[0-9]*$')"
  after="$(find "$fuzz_dir/artifacts/$target" -type f | wc -l)"
  findings=$((after - before))
  if [ "$status" -ne 0 ] && [ "$findings" -eq 0 ]; then
    findings=1 # a crash before libFuzzer wrote an artifact, or a failed run
  fi
  if [ "$findings" -ne 0 ]; then
    failed=1
    echo "    FINDING in $target (exit $status): see $log"
    grep -E '^(thread .* panicked|==[0-9]+==ERROR|SUMMARY|artifact_prefix|Test unit written)' "$log" | head -n 8 | sed 's/^/    /'
  fi
  summary+=("$(printf '%-18s %12s %9s' "$target" "${execs:-?}" "$findings")")
done

echo
printf '%-18s %12s %9s\n' target executions findings
printf '%s\n' "${summary[@]}"
exit "$failed"
