#!/usr/bin/env bash
# Coverage-guided fuzzing of every untrusted-input decoder (see fuzz/src/harness.rs).
#
#   scripts/fuzz.sh [SECONDS_PER_TARGET] [TARGET...]
#
# Needs cargo-fuzz (`cargo install cargo-fuzz`); runs on a stable toolchain through
# RUSTC_BOOTSTRAP=1. Each target runs for SECONDS_PER_TARGET (default 300) on one core, growing
# fuzz/corpus/<target>/ (kept out of git; the seeds in fuzz/seeds/<target>/ are read too). A crash lands in
# fuzz/artifacts/<target>/: copy it into fuzz/regressions/<target>/ once fixed, and
# `cargo test -p sangam-core --test fuzz_regressions` replays it for ever after.
# Prints, per target, the time run, executions, coverage and whether anything was found.
set -euo pipefail
cd "$(dirname "$0")/../fuzz"
secs="${1:-300}"
shift || true
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  targets=(wire_decode whole_batch bundle_import store_apply xlsform_import expr)
fi
export RUSTC_BOOTSTRAP=1
cargo fuzz build -O -s none >/dev/null
mkdir -p logs
for t in "${targets[@]}"; do
  mkdir -p "corpus/$t" "artifacts/$t"
  status=0
  cargo fuzz run -O -s none "$t" "corpus/$t" "seeds/$t" -- -max_total_time="$secs" -rss_limit_mb=2048 -timeout=20 \
    -artifact_prefix="artifacts/$t/" >"logs/$t.log" 2>&1 || status=$?
  last=$(grep -E '^#[0-9]+' "logs/$t.log" | tail -1 || true)
  found=$(ls "artifacts/$t" | wc -l)
  echo "$t: ${secs}s, exit $status, artifacts $found, last: $last"
done
