#!/usr/bin/env bash
# The C library stage of .ci/run (also fine to run by hand):
#   1. tools: the pinned cbindgen, a C compiler, pkg-config, valgrind;
#   2. the committed header matches what cbindgen generates from src/;
#   3. the error-path program and the example, linked against the static
#      library, run under valgrind memcheck: no errors, no definite leaks.
# The functional C tests (decisions equal to the Rust API's on corpus clips,
# static/shared/pkg-config links) run in `cargo test` (tests/c_api.rs); this
# stage reuses the libraries that run built.
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$(pwd)
CBINDGEN_VERSION=0.29.4

tools() {
  if [ "$(cbindgen --version 2>/dev/null | awk '{print $2}' || true)" != "$CBINDGEN_VERSION" ]; then
    cargo install --locked cbindgen --version "$CBINDGEN_VERSION"
  fi
  local missing=()
  command -v cc >/dev/null || missing+=(gcc libc6-dev)
  command -v pkg-config >/dev/null || missing+=(pkg-config)
  command -v valgrind >/dev/null || missing+=(valgrind)
  if [ ${#missing[@]} -gt 0 ]; then
    echo "installing ${missing[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  fi
}

header_drift() {
  bash bindings/c/gen-header.sh
  if ! git diff --exit-code -- bindings/c/include/voiceguard.h; then
    echo "bindings/c/include/voiceguard.h differs from what cbindgen $CBINDGEN_VERSION generates:" >&2
    echo "run 'bash bindings/c/gen-header.sh' and commit the header" >&2
    exit 1
  fi
  echo "header up to date (cbindgen $CBINDGEN_VERSION)"
}

# The static library from the last release build: `cargo test --release`
# leaves it in target/release/deps, `cargo build --release` in target/release.
find_lib() {
  local t=${CARGO_TARGET_DIR:-$ROOT/target}/release best=
  for f in "$t/deps/libvoiceguard.a" "$t/libvoiceguard.a"; do
    if [ -f "$f" ] && { [ -z "$best" ] || [ "$f" -nt "$best" ]; }; then best=$f; fi
  done
  if [ -z "$best" ]; then
    echo "no libvoiceguard.a under $t: run 'cargo test --workspace --release' first" >&2
    exit 1
  fi
  echo "$best"
}

memcheck() {
  local lib work
  lib=$(find_lib)
  work=$(mktemp -d)
  trap 'rm -rf "$work"' RETURN
  strip -g -o "$work/stripped.a" "$lib"
  echo "static library: $lib: $(stat -c %s "$lib") bytes, $(stat -c %s "$work/stripped.a") without debug info"
  local cflags=(-std=c11 -O1 -g -Wall -Wextra -Werror -I bindings/c/include)
  local libs=("$lib" -lgcc_s -lutil -lrt -lpthread -lm -ldl)
  cc "${cflags[@]}" bindings/c/tests/errors.c -o "$work/errors" "${libs[@]}"
  cc "${cflags[@]}" bindings/c/examples/screen_wav.c -o "$work/screen_wav" "${libs[@]}"
  local vg=(valgrind --quiet --error-exitcode=1 --leak-check=full --errors-for-leak-kinds=definite
            --show-leak-kinds=definite)
  mkdir "$work/tmp" "$work/out"
  time "${vg[@]}" "$work/errors" "$work/tmp" "$ROOT/models"
  # A short household from the demo clips (valgrind runs tract ~50x slower):
  # one 3 s utterance, then a 3.3 s member clip and a 4 s stranger.
  local key=000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f
  VG_MIN_SPEECH_S=1.5 VG_MIN_UTTERANCES=1 "${vg[@]}" "$work/screen_wav" enroll "$work/h.vgstore" "$key" sas \
    examples/data/librivox-sas01_2.wav
  "${vg[@]}" "$work/screen_wav" screen "$work/h.vgstore" "$key" "$work/out" \
    examples/data/librivox-sas01_5.wav examples/data/arctic-awb_1.wav
  # The streaming gate: a 3.3 s member clip in 10 ms int16 pushes.
  "${vg[@]}" "$work/screen_wav" stream "$work/h.vgstore" "$key" "$work/streamed.wav" \
    examples/data/librivox-sas01_5.wav
  echo "valgrind memcheck: no errors, no definite leaks"
}

case "${1:-all}" in
  tools | header_drift | memcheck) "$1" ;;
  all) tools; header_drift; memcheck ;;
  *) echo "usage: $0 [tools|header_drift|memcheck|all]" >&2; exit 2 ;;
esac
