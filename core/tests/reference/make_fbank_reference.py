#!/usr/bin/env python3
"""Reference log-mel fbank features for core/tests/fbank_parity.rs.

Computed with kaldi-native-fbank (the front end WeSpeaker and sherpa use) with
dither 0 on short excerpts of real corpus clips, without mean normalisation.

Pinned environment (Python 3.11):
    kaldi-native-fbank==1.23.0
    numpy==2.4.6
    soundfile==0.14.0

Usage (from the repository root):
    python3 -m venv /tmp/venv-knf
    /tmp/venv-knf/bin/pip install kaldi-native-fbank==1.23.0 numpy==2.4.6 soundfile==0.14.0
    /tmp/venv-knf/bin/python core/tests/reference/make_fbank_reference.py

The corpus is $VOICEGUARD_CORPUS, else ../shared/speech beside the repository.
"""

import json
import os
import sys
from pathlib import Path

import kaldi_native_fbank as knf
import numpy as np
import soundfile as sf

ROOT = Path(__file__).resolve().parents[3]
OUT = ROOT / "core/tests/reference/fbank"
GENERATOR = "core/tests/reference/make_fbank_reference.py"

# (output name, corpus-relative source, start sample, number of samples)
CASES = [
    ("ls-1688-142285-0000", "ls-1688/1688-142285-0000.wav", 0, 32000),
    ("vctk-p225_003", "vctk-p225/p225_003.wav", 8000, 32000),
]


def corpus_dir() -> Path:
    env = os.environ.get("VOICEGUARD_CORPUS")
    return Path(env) if env else (ROOT / "../shared/speech").resolve()


def options() -> knf.FbankOptions:
    opts = knf.FbankOptions()
    opts.frame_opts.dither = 0.0
    opts.frame_opts.snip_edges = True
    opts.frame_opts.samp_freq = 16000
    opts.frame_opts.frame_length_ms = 25
    opts.frame_opts.frame_shift_ms = 10
    opts.frame_opts.preemph_coeff = 0.97
    opts.frame_opts.remove_dc_offset = True
    opts.frame_opts.window_type = "povey"
    opts.frame_opts.round_to_power_of_two = True
    opts.mel_opts.num_bins = 80
    opts.mel_opts.low_freq = 20
    opts.mel_opts.high_freq = 0
    opts.use_energy = False
    opts.use_log_fbank = True
    opts.use_power = True
    return opts


def fbank(samples: np.ndarray) -> np.ndarray:
    fb = knf.OnlineFbank(options())
    fb.accept_waveform(16000, samples.tolist())
    fb.input_finished()
    return np.stack([np.asarray(fb.get_frame(i), dtype=np.float32) for i in range(fb.num_frames_ready)])


def main() -> int:
    corpus = corpus_dir()
    if not (corpus / "manifest.tsv").is_file():
        print(f"corpus not found at {corpus} (set VOICEGUARD_CORPUS)", file=sys.stderr)
        return 1
    OUT.mkdir(parents=True, exist_ok=True)
    for name, rel, start, n in CASES:
        wav, rate = sf.read(corpus / rel, dtype="int16")
        assert rate == 16000 and wav.ndim == 1, (rel, rate, wav.shape)
        # Kaldi convention: int16 values as float (x * 32768 for x in [-1, 1)).
        samples = wav[start : start + n].astype(np.float32)
        assert len(samples) == n, (rel, len(samples))
        feats = fbank(samples)
        doc = {
            "schema_version": 1,
            "generator": GENERATOR,
            "kaldi_native_fbank": knf.__version__,
            "source": rel,
            "start_sample": start,
            "n_samples": n,
            "shape": list(feats.shape),
            "fbank": [float(f"{v:.8g}") for v in feats.reshape(-1)],
        }
        path = OUT / f"{name}.json"
        path.write_text(json.dumps(doc, separators=(",", ":")) + "\n")
        print(f"{path.relative_to(ROOT)}: {feats.shape}, min {feats.min():.4f}, max {feats.max():.4f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
