"""examples/python/evaluate.py: its DET and EER arithmetic on scores whose
answer is known, and the run on a few corpus speakers end to end."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest

from conftest import Clip

SCRIPT = Path(__file__).resolve().parents[3] / "examples" / "python" / "evaluate.py"


def load() -> ModuleType:
    spec = importlib.util.spec_from_file_location("evaluate", SCRIPT)
    assert spec and spec.loader
    mod = importlib.util.module_from_spec(spec)
    sys.modules["evaluate"] = mod
    spec.loader.exec_module(mod)
    return mod


def test_det_and_eer_on_known_scores() -> None:
    ev = load()
    # The core's own EER test case (core/src/score.rs): one target below one
    # non-target of four each: 25 % at 0.6.
    t = ev.Trials(np.array([0.2, 0.6, 0.7, 0.8]), np.array([0.1, 0.3, 0.4, 0.65]))
    d = ev.det(t)
    i = int(np.searchsorted(d.thresholds, 0.6))
    assert d.far[i] == 0.25 and d.frr[i] == 0.25
    rate, at = ev.eer(d)
    assert rate == pytest.approx(0.25) and at == 0.6
    # Perfect separation: EER 0 somewhere between the classes.
    d = ev.det(ev.Trials(np.array([0.9, 0.8]), np.array([0.1, 0.2])))
    rate, at = ev.eer(d)
    assert rate == 0.0 and 0.2 < at <= 0.8


def test_trials_pair_every_clip_once() -> None:
    ev = load()
    emb = np.eye(4, dtype=np.float32)
    t = ev.trials(emb, ["a", "a", "b", "c"])
    assert t.target.size == 1 and t.nontarget.size == 5


def test_selection_skips_digits_mixtures_and_short_clips(corpus: list[Clip]) -> None:
    ev = load()
    picked = ev.clips(corpus[0].path.parents[1])
    assert picked and all(not s.startswith("fsdd") and "+" not in s for _, s in picked)
    durations = {c.path: c.duration_s for c in corpus}
    assert all(durations[p] >= 2.0 for p, _ in picked)
