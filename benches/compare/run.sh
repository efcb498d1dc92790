#!/usr/bin/env bash
# Latency of voiceguard's stages against the peers on the same 10 minutes of
# real speech, one thread each; prints a markdown table of seconds of compute
# per hour of audio. Usage: benches/compare/run.sh [reps]  (default 3)
# Needs the speech corpus ($VOICEGUARD_CORPUS or ../shared/speech) and python3.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
reps="${1:-3}"
corpus="${VOICEGUARD_CORPUS:-$root/../shared/speech}"
if [[ ! -f "$corpus/manifest.tsv" ]]; then
    echo "SKIPPED: speech corpus not found (set VOICEGUARD_CORPUS)" >&2
    exit 0
fi

# One thread everywhere.
export OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1 NUMBA_NUM_THREADS=1 RAYON_NUM_THREADS=1

venv="$root/target/compare-venv"
if [[ ! -x "$venv/bin/python" ]]; then
    python3 -m venv "$venv"
fi
"$venv/bin/python" -m pip install -q --disable-pip-version-check -r "$here/requirements.txt" >&2
py="$venv/bin/python"

work="$(mktemp -d "${TMPDIR:-/tmp}/voiceguard-compare.XXXXXX")"
trap 'rm -rf "$work"' EXIT
"$py" "$here/make_audio.py" "$corpus" "$work/speech600.wav"

(cd "$root" && cargo build --release -q -p voiceguard-benches --example compare_driver)
"$root/target/release/examples/compare_driver" "$work/speech600.wav" --reps "$reps" \
    --dump-partials "$work/partials.f32" | tee "$work/ours.jsonl" >&2
grep '"stage": "partials"' "$work/ours.jsonl" > "$work/partials.json"
"$py" "$here/peers.py" "$work/speech600.wav" "$work/partials.f32" "$work/partials.json" "$reps" \
    | tee "$work/peers.jsonl" >&2

echo "Resemblyzer end to end: SKIPPED (not part of this step; would need torch)" >&2
"$py" "$here/table.py" "$work/ours.jsonl" "$work/peers.jsonl"
