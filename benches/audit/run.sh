#!/usr/bin/env bash
# Audit throughput: audio hours audited per wall-clock hour for an export of
# N clips (default 1,000) from the speech corpus, with --jobs 1 and --jobs 2.
#
#   bash benches/audit/run.sh [N]      (VG=path/to/voiceguard to skip the build)
#
# Household: lj-linda and ls-3331 enrolled from their first three clips.
# The export cycles through every other non-mixture corpus clip (and the two
# members' remaining clips), each with a JSON sidecar. Prints one line per
# run and the scaling from 1 to 2 jobs. Release build.
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$(pwd)
N=${1:-1000}
CORPUS=${VOICEGUARD_CORPUS:-$ROOT/../shared/speech}
[ -f "$CORPUS/manifest.tsv" ] || { echo "speech corpus not found at $CORPUS" >&2; exit 1; }
# VG=path/to/voiceguard skips the build (e.g. the binary `cargo test` built).
if [ -z "${VG:-}" ]; then
  cargo build --release -p voiceguard-cli >&2
  VG=$ROOT/target/release/voiceguard
fi
WORK=$(mktemp -d "${TMPDIR:-/tmp}/vg-audit-bench.XXXXXX")
trap 'rm -rf "$WORK"' EXIT

$VG keygen --out "$WORK/home.key" >/dev/null
for spk in lj-linda ls-3331; do
  mapfile -t first < <(ls "$CORPUS/$spk"/*.wav | sort | head -3)
  $VG enroll --store "$WORK/home.vgs" --key-file "$WORK/home.key" --member "$spk" "${first[@]}" >/dev/null
done
mapfile -t pool < <(awk -F'\t' 'NR > 1 && $9 != "mixture" {print $1}' "$CORPUS/manifest.tsv" | sort)
for ((i = 0; i < N; i++)); do
  rel=${pool[$((i * 37 % ${#pool[@]}))]} # a stride spreads every N over the speakers
  d="$WORK/export/part$((i / 100))"
  mkdir -p "$d"
  ln -s "$CORPUS/$rel" "$d/clip-$i.wav"
  printf '{"clip": %d, "source": "%s"}\n' "$i" "$rel" > "$d/clip-$i.json"
done

declare -A secs
for jobs in 1 2; do
  out="$WORK/out-$jobs"
  t0=$(date +%s.%N)
  code=0
  $VG audit --store "$WORK/home.vgs" --key-file "$WORK/home.key" --export "$WORK/export" --out "$out" \
    --jobs "$jobs" --on-suspicious release-verified >/dev/null 2>&1 || code=$?
  t1=$(date +%s.%N)
  [ "$code" = 0 ] || [ "$code" = 3 ] || { echo "audit failed with exit $code" >&2; exit 1; }
  audio_s=$(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['totals']['audio_s'])" "$out/voiceguard-manifest.json")
  wall=$(python3 -c "print($t1 - $t0)")
  secs[$jobs]=$wall
  python3 -c "
a, w, j, n = $audio_s, $wall, $jobs, $N
print(f'jobs {j}: {n} clips, {a / 3600:.2f} h of audio in {w:.1f} s wall: {a / w:.0f} audio hours per wall-clock hour ({a / w:.0f}x real time)')"
done
python3 -c "print(f'scaling 1 -> 2 jobs: {${secs[1]} / ${secs[2]}:.2f}x')"
