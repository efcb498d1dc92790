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
"$py" "$here/make_audio.py" "$corpus" "$work/speech600.wav" "$work/files.txt"

(cd "$root" && cargo build --release -q -p voiceguard-benches --example compare_driver \
    && cargo build --release -q -p voiceguard-cli)
"$root/target/release/examples/compare_driver" "$work/speech600.wav" --reps "$reps" \
    --dump-partials "$work/partials.f32" --e2e-files "$work/files.txt" | tee "$work/ours.jsonl" >&2

# Peak memory of `voiceguard screen` on the same 100 files, against a household
# of one member enrolled from four clips of the first speaker who has four.
vg="$root/target/release/voiceguard"
"$vg" keygen --out "$work/home.key" >&2
mapfile -t files < "$work/files.txt"
mapfile -t enroll_files < <(awk '{d = $0; sub("/[^/]*$", "", d); if (!(d in n)) order[k++] = d; n[d]++
    if (n[d] <= 4) f[d] = f[d] $0 "\n"} END {for (i = 0; i < k; i++) if (n[order[i]] >= 4) {printf "%s", f[order[i]]; exit}}' "$work/files.txt")
"$vg" enroll --store "$work/home.vgs" --key-file "$work/home.key" --member first "${enroll_files[@]}" >&2
"$py" "$here/max_rss.py" rss_voiceguard_screen -- "$vg" screen --store "$work/home.vgs" \
    --key-file "$work/home.key" --out "$work/screened" "${files[@]}" | tee -a "$work/ours.jsonl" >&2
grep '"stage": "partials"' "$work/ours.jsonl" > "$work/partials.json"
"$py" "$here/peers.py" "$work/speech600.wav" "$work/partials.f32" "$work/partials.json" "$reps" \
    | tee "$work/peers.jsonl" >&2

# Resemblyzer's Python pipeline (torch CPU) in a throw-away venv. The PyPI
# torch wheel pulls gigabytes of CUDA libraries, so it is never installed by CI
# (setuptools < 81: webrtcvad, which resemblyzer imports, needs pkg_resources);
# point RESEMBLYZER_VENV at an existing venv to reuse one.
# SKIP_RESEMBLYZER=1 leaves this row out (for a quick run of the other rows).
rvenv="${RESEMBLYZER_VENV:-$root/target/resemblyzer-venv}"
if [[ -n "${SKIP_RESEMBLYZER:-}" ]]; then
    echo "Resemblyzer end to end: SKIPPED (SKIP_RESEMBLYZER is set)" >&2
elif [[ ! -x "$rvenv/bin/python" ]] || ! "$rvenv/bin/python" -c "import resemblyzer, torch" 2>/dev/null; then
    echo "installing resemblyzer 0.1.4 + torch (CPU use) into $rvenv ..." >&2
    { python3 -m venv "$rvenv" && "$rvenv/bin/pip" install -q --disable-pip-version-check \
        resemblyzer==0.1.4 librosa==0.11.0 "setuptools<81" >&2; } || echo "Resemblyzer end to end: SKIPPED (could not install resemblyzer and torch into $rvenv)" >&2
fi
if [[ -z "${SKIP_RESEMBLYZER:-}" ]] && "$rvenv/bin/python" -c "import resemblyzer, torch" 2>/dev/null; then
    "$rvenv/bin/python" "$here/resemblyzer_e2e.py" "$work/files.txt" "$reps" | tee -a "$work/peers.jsonl" >&2
fi
"$py" "$here/table.py" "$work/ours.jsonl" "$work/peers.jsonl"
