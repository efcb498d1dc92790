#!/usr/bin/env bash
# Fuzzes the voiceprint store's byte layout (core/src/voiceprint/format.rs)
# with cargo-fuzz's `store_decode` target for VOICEGUARD_FUZZ_SECONDS seconds
# (default 60). Works on the stable toolchain: `--sanitizer none` needs no
# nightly flags. Exits non-zero on any crash, panic, timeout or OOM.
# The corpus it grows (core/fuzz/corpus/, gitignored) is kept between runs on
# the same machine; the committed seeds are core/fuzz/seeds/.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
SECONDS_TO_FUZZ=${VOICEGUARD_FUZZ_SECONDS:-60}
TARGET=store_decode
T0=$(date +%s)

export PATH="${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"
if ! cargo fuzz --version >/dev/null 2>&1; then
  t=$(date +%s)
  echo "=== fuzz: installing cargo-fuzz"
  cargo install cargo-fuzz --locked
  echo "=== fuzz: cargo install cargo-fuzz took $(( $(date +%s) - t )) s"
fi
echo "=== fuzz: $(cargo fuzz --version)"

cd "$ROOT/core"
t=$(date +%s)
cargo fuzz build "$TARGET" --sanitizer none
echo "=== fuzz: build took $(( $(date +%s) - t )) s"

mkdir -p "fuzz/corpus/$TARGET"
t=$(date +%s)
# New inputs go to the first directory (scratch); the seeds are only read.
# -timeout: one input running longer than 10 s counts as a crash (a hang).
status=0
cargo fuzz run "$TARGET" "fuzz/corpus/$TARGET" fuzz/seeds --sanitizer none -- \
  -max_total_time="$SECONDS_TO_FUZZ" -rss_limit_mb=512 -timeout=10 -print_final_stats=1 || status=$?
echo "=== fuzz: run took $(( $(date +%s) - t )) s (total $(( $(date +%s) - T0 )) s)"
if [ "$status" -ne 0 ]; then
  echo "fuzz: $TARGET FAILED (exit $status); the failing input is under core/fuzz/artifacts/$TARGET/." >&2
  echo "fuzz: reproduce with: cd core && cargo fuzz run $TARGET --sanitizer none <artifact>" >&2
  exit "$status"
fi
echo "fuzz: $TARGET ran ${SECONDS_TO_FUZZ} s with no crash"
