#!/usr/bin/env python3
"""Checks that the committed models and their committed reference outputs agree.

For models/ge2e: the manifest's sha256 matches encoder.onnx, and onnxruntime on
each reference/*.json mel input reproduces `embedding_onnxruntime` (<= 1e-6).
For models/silero_vad: sha256, and onnxruntime streaming over each reference's
samples reproduces `probs` (<= 1e-6). Run by .ci/run; needs numpy + onnxruntime.
"""
import hashlib
import json
import sys
import tomllib
from pathlib import Path

import numpy as np
import onnxruntime as ort

MODELS = Path(__file__).resolve().parent


def session(model_dir: Path):
    manifest = tomllib.loads((model_dir / "manifest.toml").read_text())
    onnx_path = model_dir / manifest["file"]
    digest = hashlib.sha256(onnx_path.read_bytes()).hexdigest()
    if digest != manifest["sha256"]:
        sys.exit(f"{onnx_path}: sha256 {digest} but manifest says {manifest['sha256']}")
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = 1
    return manifest, ort.InferenceSession(str(onnx_path), opts, providers=["CPUExecutionProvider"])


def check_ge2e() -> float:
    manifest, sess = session(MODELS / "ge2e")
    worst = 0.0
    files = sorted((MODELS / "ge2e/reference").glob("*.json"))
    if not files:
        sys.exit("models/ge2e/reference has no reference cases")
    for f in files:
        doc = json.loads(f.read_text())
        mels = np.asarray(doc["mels"], dtype=np.float32).reshape(doc["shape"])
        out = sess.run([manifest["output"]["name"]], {manifest["input"]["name"]: mels})[0]
        want = np.asarray(doc["embedding_onnxruntime"], dtype=np.float64).reshape(out.shape)
        worst = max(worst, float(np.abs(out - want).max()))
    print(f"ge2e: {len(files)} cases, max |onnxruntime - committed| = {worst:.2e}")
    return worst


def check_silero() -> float:
    manifest, sess = session(MODELS / "silero_vad")
    s = manifest["stream"]
    worst = 0.0
    files = sorted((MODELS / "silero_vad/reference").glob("*.json"))
    if not files:
        sys.exit("models/silero_vad/reference has no reference cases")
    for f in files:
        doc = json.loads(f.read_text())
        x = np.asarray(doc["samples"], dtype=np.float32) / 32768.0
        n, c = s["chunk_samples"], s["context_samples"]
        state = np.zeros(s["state_shape"], dtype=np.float32)
        context = np.zeros(c, dtype=np.float32)
        probs = []
        for i in range(0, len(x), n):
            chunk = x[i : i + n]
            if len(chunk) < n:
                chunk = np.pad(chunk, (0, n - len(chunk)))
            inp = np.concatenate([context, chunk])[None, :]
            prob, state = sess.run(
                [s["output_name"], s["state_out_name"]], {s["input_name"]: inp, s["state_name"]: state}
            )
            probs.append(float(prob.reshape(-1)[0]))
            context = chunk[-c:]
        worst = max(worst, float(np.abs(np.asarray(probs) - np.asarray(doc["probs"])).max()))
    print(f"silero_vad: {len(files)} cases, max |onnxruntime - committed| = {worst:.2e}")
    return worst


def main() -> int:
    bad = [name for name, w in (("ge2e", check_ge2e()), ("silero_vad", check_silero())) if w > 1e-6]
    if bad:
        print(f"reference outputs drifted from the models: {bad}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
