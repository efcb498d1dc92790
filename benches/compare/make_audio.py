"""Writes the shared benchmark recording: household clips of the corpus in
sorted path order, concatenated and cut to exactly SECONDS, 16 kHz PCM16."""
import csv
import os
import sys

import numpy as np
import soundfile as sf

SECONDS = 600
RATE = 16_000


def main(corpus: str, out: str) -> None:
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


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
