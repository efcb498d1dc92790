#!/usr/bin/env python3
"""Reference mel spectrograms from librosa 0.11 for the Rust front-end parity test.

Writes models/ge2e/reference/mel/<name>.json: librosa.feature.melspectrogram of
2.0 s of real speech from the corpus (../shared/speech or $VOICEGUARD_CORPUS),
exactly Resemblyzer's call (sr=16000, n_fft=400, hop_length=160, n_mels=40;
librosa defaults: periodic Hann window, center=True with pad_mode="constant",
i.e. n_fft//2 zeros on each side, Slaney mel scale and norm, power 2),
computed in float64 from the int16 samples / 32768.

    python -m venv /tmp/v && /tmp/v/bin/pip install -r models/ge2e/requirements.txt
    /tmp/v/bin/python models/ge2e/mel_reference.py
"""
import json
import os
import sys
from pathlib import Path

import librosa
import numpy as np
import soundfile as sf

ROOT = Path(__file__).resolve().parents[2]
CORPUS = Path(os.environ.get("VOICEGUARD_CORPUS", ROOT.parent / "shared" / "speech"))
CASES = [
    ("ls1688_0000", "ls-1688/1688-142285-0000.wav", 16000),
    ("vctk_p226_first", None, 8000),
    ("lj_linda_first", None, 0),
]
SECONDS = 2.0


def first_clip(speaker: str) -> str:
    rows = [l.split("\t") for l in (CORPUS / "manifest.tsv").read_text().splitlines()[1:]]
    return sorted(r[0] for r in rows if r[1] == speaker)[0]


def main() -> int:
    if not (CORPUS / "manifest.tsv").is_file():
        print(f"corpus not found at {CORPUS}", file=sys.stderr)
        return 1
    out_dir = ROOT / "models/ge2e/reference/mel"
    out_dir.mkdir(parents=True, exist_ok=True)
    speakers = {"vctk_p226_first": "vctk-p226", "lj_linda_first": "lj-linda"}
    for name, rel, start in CASES:
        rel = rel or first_clip(speakers[name])
        data, sr = sf.read(CORPUS / rel, dtype="int16")
        assert sr == 16000
        y = data[start : start + int(SECONDS * sr)].astype(np.float64) / 32768.0
        mel = librosa.feature.melspectrogram(y=y, sr=16000, n_fft=400, hop_length=160, n_mels=40)
        doc = {
            "schema_version": 1,
            "generator": "models/ge2e/mel_reference.py",
            "librosa": librosa.__version__,
            "source": rel,
            "start_sample": start,
            "n_samples": len(y),
            "shape": [mel.shape[1], mel.shape[0]],
            "mel": [float(f"{v:.12g}") for v in mel.T.reshape(-1)],
        }
        (out_dir / f"{name}.json").write_text(json.dumps(doc, separators=(",", ":")) + "\n")
        print(name, rel, mel.shape)
    return 0


if __name__ == "__main__":
    sys.exit(main())
