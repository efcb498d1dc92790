#!/usr/bin/env bash
# Regenerates include/voiceguard.h from src/ with the pinned cbindgen.
# .ci/run runs it and fails if the committed header differs.
set -euo pipefail
cd "$(dirname "$0")"
want=0.29.4
have=$(cbindgen --version 2>/dev/null | awk '{print $2}' || true)
if [ "$have" != "$want" ]; then
  echo "cbindgen $want is needed (found ${have:-none}): cargo install --locked cbindgen --version $want" >&2
  exit 1
fi
cbindgen --quiet --config cbindgen.toml --crate voiceguard-c --output include/voiceguard.h .
