"""`engine.embed` on a 10 s clip from Python vs the same call's time in the
Rust core (timed in Rust around `Engine::embed_samples`), in one run: the
binding adds little."""

from __future__ import annotations

import statistics
import time

import numpy as np
import numpy.typing as npt

import voiceguard as vg
from conftest import data, read_int16


def ten_seconds() -> npt.NDArray[np.float32]:
    a, sr = read_int16(data("librivox-sas01_1.wav"))
    b, _ = read_int16(data("librivox-sas01_4.wav"))
    x = np.concatenate([a, b])[: 10 * sr]
    assert x.size == 10 * sr
    y: npt.NDArray[np.float32] = x.astype(np.float32) / np.float32(32768)
    return y


def test_embed_10s_python_vs_rust(engine: vg.Engine) -> None:
    x = ten_seconds()
    engine.embed(x, 16000)  # plan this batch size once
    py_times, rust_times = [], []
    for _ in range(10):
        t0 = time.perf_counter()
        e, rust = engine._embed_timed(x, 16000)
        py_times.append(time.perf_counter() - t0)
        rust_times.append(rust)
    np.testing.assert_array_equal(e, engine.embed(x, 16000))
    py_ms = 1000 * statistics.median(py_times)
    rust_ms = 1000 * statistics.median(rust_times)
    print(
        f"engine.embed, 10 s clip: Python {py_ms:.1f} ms, Rust core {rust_ms:.1f} ms "
        f"(median of 10; binding overhead {py_ms - rust_ms:.2f} ms); "
        f"{10_000 / py_ms:.0f}x real time"
    )
    assert py_ms <= 1.1 * rust_ms + 5.0
