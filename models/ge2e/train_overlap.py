#!/usr/bin/env python3
"""Trains the overlapped-speech detector shipped as models/ge2e/overlap.json.

The detector is a logistic regression on the GE2E embedding of one 1.6 s
scoring window: it tells a window in which two voices talk at once from one
with a single voice (or two voices one after the other). It costs a dot
product per window, as the window embeddings exist anyway.

Training speakers: the 20 single-clip speakers of ../shared/speech (role
`stranger-single-clip`). No household member of the screening tests is among
them, and the overlap test (core/tests/screen_corpus.rs) draws its talkers
from the other speakers, so the test measures speakers the detector never
heard.

Data, all from those speakers' VAD speech, windows embedded as screening
embeds them (each window levelled to -27 dBFS on its own):
- single voice: every window of every clip (label 0);
- two voices in turn: A then B, 3 s each (label 0);
- two voices at once: 4 s of A with B under it at 0, -2, -4 or -6 dB
  (RMS), and 6 s of A with 2.5 s of B in the middle as in the overlap test,
  windows at least half overlapped (label 1; windows touching the overlap
  less than that are left out).

The threshold is chosen without the test data: speaker-disjoint 4-fold cross
validation inside the training speakers gives out-of-fold logits, and the
threshold is the one at which 0.1 % of single-voice windows are flagged
(1 in 1,000, the operating point screening uses for stranger windows).

Usage (needs numpy and the voiceguard wheel: `pip install ./bindings/python`):
    python models/ge2e/train_overlap.py [--corpus DIR] [--out models/ge2e/overlap.json]
    python models/ge2e/train_overlap.py --check    # retrain, compare with the committed file
Deterministic for a given corpus and wheel; `.ci/run` runs `--check`.
"""

import argparse
import csv
import hashlib
import json
import os
import random
import sys

import numpy as np
import voiceguard as vg

GAINS_DB = (0.0, -2.0, -4.0, -6.0)
FALSE_ALARM = 0.001
L2 = 1e-2


def load_speech(engine, corpus, speakers):
    rows = list(csv.DictReader(open(os.path.join(corpus, "manifest.tsv")), delimiter="\t"))
    speech = {}
    for r in rows:
        if r["speaker_id"] not in speakers:
            continue
        x, sr = vg.load_audio(os.path.join(corpus, r["path"]))
        if x.ndim > 1:
            x = x.mean(axis=0)
        if sr != 16000:
            raise SystemExit(f"{r['path']}: {sr} Hz, expected 16000")
        spans = engine.vad(x, sr)
        parts = [x[int(s.start_s * sr) : int(s.end_s * sr)] for s in spans]
        if parts:
            speech.setdefault(r["speaker_id"], []).append(np.concatenate(parts).astype(np.float32))
    return speech


def windows(engine, x):
    times, emb = engine.embed_windows(x, 16000, 1.6, 0.4)
    return np.asarray(times), np.asarray(emb)


def rms(x):
    return float(np.sqrt(np.mean(x.astype(np.float64) ** 2)) + 1e-12)


def mix(a, b, gain_db, at=0):
    """`b` under `a` from sample `at`, at `gain_db` relative to `a`'s RMS."""
    m = a.astype(np.float64).copy()
    g = rms(a) / rms(b) * 10 ** (gain_db / 20)
    m[at : at + len(b)] += g * b
    peak = np.abs(m).max()
    if peak > 1:
        m /= peak
    return m.astype(np.float32)


def examples(engine, speech, names, seed):
    """(embeddings, labels, speaker index) for the speakers `names`."""
    rng = random.Random(seed)
    X, y, who = [], [], []

    def add(e, label, s):
        X.append(e)
        y.extend([label] * len(e))
        who.extend([s] * len(e))

    for s in names:
        for x in speech[s]:
            add(windows(engine, x)[1], 0, s)
    pairs = [(a, b) for a in names for b in names if a != b]
    for i, (a, b) in enumerate(pairs):
        xa, xb = rng.choice(speech[a]), rng.choice(speech[b])
        # In turn.
        if i % 2 == 0:
            add(windows(engine, np.concatenate([xa[: 3 * 16000], xb[: 3 * 16000]]))[1], 0, a)
        # At once, the whole stretch.
        n = min(len(xa), len(xb), 4 * 16000)
        if n >= 2 * 16000:
            add(windows(engine, mix(xa[:n], xb[:n], GAINS_DB[i % 4]))[1], 1, a)
        # At once, 2.5 s in the middle of 6 s (as the overlap test).
        if len(xa) >= 6 * 16000 and len(xb) >= int(2.5 * 16000):
            base = xa[: 6 * 16000]
            ins = xb[: int(2.5 * 16000)]
            at = len(base) // 2 - len(ins) // 2
            times, e = windows(engine, mix(base, ins, GAINS_DB[(i + 1) % 4], at))
            lo, hi = at / 16000, (at + len(ins)) / 16000
            frac = np.array(
                [max(0.0, min(t1, hi) - max(t0, lo)) / max(t1 - t0, 1e-9) for t0, t1 in times]
            )
            add(e[frac >= 0.5], 1, a)
            add(e[frac == 0.0], 0, a)
    return np.concatenate(X), np.array(y, dtype=np.float64), np.array(who)


def fit(X, y):
    """Class-balanced L2 logistic regression on standardised inputs; returns
    weights and bias on the raw embedding."""
    mu, sd = X.mean(0), X.std(0) + 1e-6
    Z = (X - mu) / sd
    w, b = np.zeros(Z.shape[1]), 0.0
    cw = np.where(y == 1, 0.5 / y.mean(), 0.5 / (1 - y.mean()))
    for _ in range(4000):
        p = 1 / (1 + np.exp(-(Z @ w + b)))
        g = (p - y) * cw
        w -= 0.5 * (Z.T @ g / len(y) + L2 * w)
        b -= 0.5 * g.mean()
    return w / sd, b - float(np.sum(w * mu / sd))


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser()
    ap.add_argument(
        "--corpus",
        default=os.environ.get("VOICEGUARD_CORPUS", os.path.join(here, "..", "..", "..", "shared", "speech")),
    )
    ap.add_argument("--out", default=os.path.join(here, "overlap.json"))
    ap.add_argument("--check", action="store_true", help="retrain and compare with --out instead of writing it")
    args = ap.parse_args()
    rows = list(csv.DictReader(open(os.path.join(args.corpus, "manifest.tsv")), delimiter="\t"))
    names = sorted({r["speaker_id"] for r in rows if r["role"] == "stranger-single-clip"})
    engine = vg.Engine()
    speech = load_speech(engine, args.corpus, set(names))
    X, y, who = examples(engine, speech, names, seed=2026)
    print(f"{len(names)} speakers; windows: {int((y == 0).sum())} one voice or in turn, {int(y.sum())} overlapped",
          file=sys.stderr)

    # Speaker-disjoint 4-fold cross validation: out-of-fold logits.
    order = sorted(names)
    random.Random(4).shuffle(order)
    folds = [set(order[k::4]) for k in range(4)]
    oof = np.zeros(len(y))
    for f in folds:
        test = np.array([s in f for s in who])
        w, b = fit(X[~test], y[~test])
        oof[test] = X[test] @ w + b
    neg, pos = oof[y == 0], oof[y == 1]
    for fa in (0.0025, 0.001, 0.0005, 0.0002):
        t = float(np.quantile(neg, 1 - fa))
        print(f"  out-of-fold: {fa:.2%} of one-voice windows flagged at logit {t:.3f}, "
              f"{(pos > t).mean():.1%} of overlapped", file=sys.stderr)
    threshold = float(np.quantile(neg, 1 - FALSE_ALARM))
    detected = float((pos > threshold).mean())
    auc = float((pos[:, None] > neg[None, :]).mean())
    print(f"cross-validated: AUC {auc:.4f}; at {FALSE_ALARM:.2%} of one-voice windows flagged, "
          f"{detected:.1%} of overlapped windows flagged", file=sys.stderr)

    w, b = fit(X, y)
    encoder_sha = hashlib.sha256(open(os.path.join(here, "encoder.onnx"), "rb").read()).hexdigest()
    out = {
        "schema_version": 1,
        "kind": "logistic_regression",
        "description": "Overlapped speech (two voices at once) from one GE2E window embedding (1.6 s, levelled to -27 dBFS)",
        "encoder_sha256": encoder_sha,
        "trained_on": names,
        "rebuild": "python models/ge2e/train_overlap.py",
        "cross_validation": {
            "folds": 4,
            "auc": round(auc, 6),
            "one_voice_flagged": FALSE_ALARM,
            "overlapped_flagged": round(detected, 6),
        },
        "threshold": threshold,
        "bias": float(b),
        "weights": [float(v) for v in w],
    }
    if args.check:
        old = json.load(open(args.out))
        dw = max(abs(a - b) for a, b in zip(old["weights"], out["weights"]))
        same = (
            old["trained_on"] == out["trained_on"]
            and old["encoder_sha256"] == out["encoder_sha256"]
            and len(old["weights"]) == len(out["weights"])
            and dw <= 1e-4
            and abs(old["bias"] - out["bias"]) <= 1e-4
            and abs(old["threshold"] - out["threshold"]) <= 1e-3
        )
        print(f"check: max weight difference {dw:.2e}, threshold {old['threshold']:.4f} vs {out['threshold']:.4f}",
              file=sys.stderr)
        if not same:
            raise SystemExit(f"{args.out} differs from what train_overlap.py makes now: rebuild and commit it")
        print(f"{args.out} matches a fresh training run", file=sys.stderr)
        return
    tmp = args.out + ".tmp"
    with open(tmp, "w") as fh:
        json.dump(out, fh, indent=1)
        fh.write("\n")
    os.replace(tmp, args.out)
    print(f"wrote {args.out}", file=sys.stderr)


if __name__ == "__main__":
    main()
