"""Writes the shared benchmark recording: household clips of the corpus in
sorted path order, concatenated and cut to exactly SECONDS, 16 kHz PCM16.
With a third argument, also writes the paths of the first FILES of those clips
(one per line, clips of at least 2 s) for the end-to-end and memory comparisons."""
import csv
import os
import sys

import numpy as np
import soundfile as sf

SECONDS = 600
RATE = 16_000
FILES = 100


def main(corpus: str, out: str, files_out: str | None = None) -> None:
    with open(os.path.join(corpus, "manifest.tsv"), newline="") as f:
        rows = [r for r in csv.DictReader(f, delimiter="\t") if r["role"] == "household"]
    want = SECONDS * RATE
    parts, have = [], 0
    for r in sorted(rows, key=lambda r: r["path"]):
        x, sr = sf.read(os.path.join(corpus, r["path"]), dtype="int16")
        assert sr == RATE and x.ndim == 1, r["path"]
        parts.append(x)
        have += len(x)
        if have >= want:
            break
    if have < want:
        sys.exit(f"corpus has only {have / RATE:.1f} s of household speech, need {SECONDS}")
    sf.write(out, np.concatenate(parts)[:want], RATE, subtype="PCM_16")
    print(f"{out}: {SECONDS} s from {len(parts)} household clips", file=sys.stderr)
    if files_out:
        # Whole utterances (>= 2 s; the digits speakers' clips are too short to embed).
        long = [r for r in sorted(rows, key=lambda r: r["path"]) if float(r["duration_s"]) >= 2.0]
        paths = [os.path.join(corpus, r["path"]) for r in long[:FILES]]
        with open(files_out, "w") as f:
            f.write("\n".join(paths) + "\n")
        print(f"{files_out}: {len(paths)} clips", file=sys.stderr)


if __name__ == "__main__":
    main(*sys.argv[1:4])
