#!/usr/bin/env python3
"""Speaker-verification evaluation with the voiceguard Python bindings.

Embeds every sentence clip of at least 2 s in the speech corpus (LibriSpeech,
VCTK, LJ, ARCTIC; no digits, no mixtures) with `Engine.embed`, in threads
(the bindings release the GIL), scores every pair of clips by cosine,
and prints the equal error rate and points of the DET curve (false
acceptance vs false rejection over thresholds). Saves the DET plot as a PNG.

    pip install ./bindings/python matplotlib
    python examples/python/evaluate.py [--corpus DIR] [--out det.png]

The corpus is ../shared/speech (or $VOICEGUARD_CORPUS): manifest.tsv and one
folder per speaker.
"""

from __future__ import annotations

import argparse
import csv
import os
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from statistics import NormalDist
from typing import NamedTuple

import numpy as np
import numpy.typing as npt

import voiceguard as vg

ROOT = Path(__file__).resolve().parents[2]
MIN_DURATION_S = 2.0


class Trials(NamedTuple):
    target: npt.NDArray[np.float64]
    nontarget: npt.NDArray[np.float64]


class Det(NamedTuple):
    thresholds: npt.NDArray[np.float64]
    far: npt.NDArray[np.float64]
    frr: npt.NDArray[np.float64]


def default_corpus() -> Path:
    env = os.environ.get("VOICEGUARD_CORPUS")
    return Path(env) if env else ROOT.parent / "shared" / "speech"


def clips(corpus: Path) -> list[tuple[Path, str]]:
    with (corpus / "manifest.tsv").open(newline="") as f:
        rows = list(csv.DictReader(f, delimiter="\t"))
    return sorted(
        (corpus / r["path"], r["speaker_id"])
        for r in rows
        if r["role"] != "mixture"
        and not r["speaker_id"].startswith("fsdd")
        and float(r["duration_s"]) >= MIN_DURATION_S
    )


def embed_all(engine: vg.Engine, paths: list[Path], threads: int) -> npt.NDArray[np.float32]:
    def one(p: Path) -> npt.NDArray[np.float32]:
        x, sr = vg.load_audio(p)
        return engine.embed(x, sr)

    with ThreadPoolExecutor(max_workers=threads) as pool:
        return np.stack(list(pool.map(one, paths)))


def trials(emb: npt.NDArray[np.float32], speakers: list[str]) -> Trials:
    scores = emb.astype(np.float64) @ emb.astype(np.float64).T
    same = np.array(speakers)[:, None] == np.array(speakers)[None, :]
    upper = np.triu(np.ones_like(same, dtype=bool), k=1)
    return Trials(scores[upper & same], scores[upper & ~same])


def det(t: Trials) -> Det:
    """False acceptance (non-target >= threshold) and false rejection
    (target < threshold) at every distinct score."""
    thresholds = np.unique(np.concatenate([t.target, t.nontarget]))
    nt = np.sort(t.nontarget)
    tg = np.sort(t.target)
    far = 1.0 - np.searchsorted(nt, thresholds, side="left") / nt.size
    frr = np.searchsorted(tg, thresholds, side="left") / tg.size
    return Det(thresholds, far, frr)


def eer(d: Det) -> tuple[float, float]:
    """Equal error rate and its threshold, as the core's `equal_error_rate`:
    the threshold minimising max(FAR, FRR), the rate the mean of the two there."""
    i = int(np.argmin(np.maximum(d.far, d.frr)))
    return float((d.far[i] + d.frr[i]) / 2), float(d.thresholds[i])


def plot(d: Det, rate: float, out: Path, n_target: int, n_nontarget: int) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    nd = NormalDist()
    lo, hi = 1e-4, 0.5

    def clip(v: float) -> float:
        return min(max(float(v), lo), hi)

    xs = [nd.inv_cdf(clip(v)) for v in d.far]
    ys = [nd.inv_cdf(clip(v)) for v in d.frr]
    ticks = [0.0001, 0.001, 0.01, 0.02, 0.05, 0.1, 0.2, 0.4]
    pos = [nd.inv_cdf(v) for v in ticks]
    labels = [f"{100 * v:g}" for v in ticks]
    fig, ax = plt.subplots(figsize=(6, 6), dpi=100)
    ax.plot(xs, ys, lw=2, label=f"GE2E (voiceguard), EER {100 * rate:.2f} %")
    e = nd.inv_cdf(clip(rate))
    ax.plot([e], [e], "o", color="C3", label="equal error rate")
    ax.plot([pos[0], pos[-1]], [pos[0], pos[-1]], ":", color="grey", lw=1)
    ax.set_xticks(pos, labels)
    ax.set_yticks(pos, labels)
    ax.set_xlim(pos[0], pos[-1])
    ax.set_ylim(pos[0], pos[-1])
    ax.set_xlabel("false acceptance rate (%)")
    ax.set_ylabel("false rejection rate (%)")
    ax.set_title(f"DET: {n_target} target / {n_nontarget} non-target trials")
    ax.grid(True, alpha=0.3)
    ax.legend(loc="upper right")
    fig.tight_layout()
    fig.savefig(out)
    plt.close(fig)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    ap.add_argument("--corpus", type=Path, default=default_corpus())
    ap.add_argument("--out", type=Path, default=Path("det.png"), help="DET plot PNG (default det.png)")
    ap.add_argument("--threads", type=int, default=os.cpu_count() or 2)
    args = ap.parse_args(argv)
    if not (args.corpus / "manifest.tsv").is_file():
        print(f"no corpus at {args.corpus} (manifest.tsv missing); pass --corpus DIR", file=sys.stderr)
        return 1
    todo = clips(args.corpus)
    t0 = time.perf_counter()
    engine = vg.Engine()
    emb = embed_all(engine, [p for p, _ in todo], args.threads)
    t_embed = time.perf_counter() - t0
    speakers = [s for _, s in todo]
    t = trials(emb, speakers)
    d = det(t)
    rate, at = eer(d)
    print(
        f"{len(todo)} clips of {len(set(speakers))} speakers embedded in {t_embed:.1f} s "
        f"({args.threads} threads)"
    )
    print(f"trials: {t.target.size} target, {t.nontarget.size} non-target")
    print(f"EER {100 * rate:.2f} % at cosine {at:.3f}")
    print("DET points (threshold: FAR %, FRR %):")
    for th in [0.65, 0.70, 0.75, 0.80, 0.85]:
        i = min(int(np.searchsorted(d.thresholds, th)), d.thresholds.size - 1)
        print(f"  {th:.2f}: {100 * d.far[i]:6.2f} {100 * d.frr[i]:6.2f}")
    plot(d, rate, args.out, t.target.size, t.nontarget.size)
    print(f"DET plot: {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
