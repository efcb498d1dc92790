"""`Engine`: embeddings equal the CLI's, windows, VAD, and the GIL released."""

from __future__ import annotations

import json
import subprocess
import threading
import time
from pathlib import Path

import numpy as np
import pytest

import voiceguard as vg
from conftest import Clip, data, read_int16


def cli_embed(cli: Path, paths: list[Path]) -> list[dict[str, object]]:
    out = subprocess.run(
        [str(cli), "embed", "--json", *map(str, paths)],
        check=True,
        capture_output=True,
        text=True,
    )
    docs = json.loads(out.stdout)
    assert isinstance(docs, list)
    return docs


def test_embeddings_equal_the_cli(engine: vg.Engine, cli: Path, corpus: list[Clip]) -> None:
    # The demo clips, plus corpus clips at other rates / lengths, in one CLI run.
    paths = sorted(DATA_CLIPS)
    picked = [c.path for c in corpus if c.role == "household" and not c.speaker.startswith("fsdd")]
    paths += picked[:: max(1, len(picked) // 12)][:12]
    docs = cli_embed(cli, paths)
    assert len(docs) == len(paths)
    worst = 0.0
    for p, doc in zip(paths, docs):
        assert "embedding" in doc, doc
        want = np.asarray(doc["embedding"], dtype=np.float64)
        x, sr = vg.load_audio(p)
        got = engine.embed(x, sr).astype(np.float64)
        worst = max(worst, float(np.abs(got - want).max()))
    print(f"python vs CLI embed --json: {len(paths)} clips, max |difference| {worst:.2e}")
    assert worst <= 1e-6


DATA_CLIPS = [
    data(n)
    for n in [
        "librivox-sas01_1.wav",
        "librivox-sas01_2.wav",
        "arctic-awb_1.wav",
        "arctic-slt_1.wav",
    ]
]


def test_embed_windows(engine: vg.Engine) -> None:
    pcm, sr = read_int16(data("librivox-sas01_1.wav"))
    times, emb = engine.embed_windows(pcm, sr, window_s=1.6, hop_s=0.4)
    n = times.shape[0]
    duration = pcm.size / sr
    assert times.dtype == np.float64 and times.shape == (n, 2)
    assert emb.dtype == np.float32 and emb.shape == (n, 256)
    # Windows start every 0.4 s, last 1.6 s (the last may be shorter), cover the clip.
    np.testing.assert_allclose(np.diff(times[:, 0]), 0.4, atol=1e-9)
    np.testing.assert_allclose(times[:-1, 1] - times[:-1, 0], 1.6, atol=1e-9)
    assert times[0, 0] == 0.0 and abs(times[-1, 1] - duration) < 1e-9
    assert n == int(np.ceil((duration - 1.6) / 0.4)) + 1
    np.testing.assert_allclose(np.linalg.norm(emb, axis=1), 1.0, atol=1e-5)
    # Windows of the reader agree with the reader's whole-clip embedding more
    # than windows of a stranger do.
    whole = engine.embed(pcm, sr)
    other, sr2 = read_int16(data("arctic-awb_1.wav"))
    _, emb_other = engine.embed_windows(other, sr2)
    assert float(np.median(emb @ whole)) > float(np.median(emb_other @ whole)) + 0.1
    with pytest.raises(vg.InvalidInputError, match="hop_s"):
        engine.embed_windows(pcm, sr, hop_s=0.0)


def test_vad_finds_the_speech_where_it_is(engine: vg.Engine) -> None:
    pcm, sr = read_int16(data("librivox-sas01_2.wav"))
    speech = engine.vad(pcm, sr)
    assert speech and all(s.label == "speech" and s.action is None for s in speech)
    # Prepend 2 s of silence: every segment moves by 2 s.
    padded = np.concatenate([np.zeros(2 * sr, dtype=np.int16), pcm])
    moved = engine.vad(padded, sr)
    assert moved[0].start_s >= 2.0
    assert len(moved) == len(speech)
    for a, b in zip(speech, moved):
        assert abs((b.start_s - a.start_s) - 2.0) < 0.05
    total = sum(s.duration_s for s in speech)
    assert 1.0 < total <= pcm.size / sr
    assert engine.vad(np.zeros(sr, dtype=np.float32), sr) == []


def test_the_gil_is_released_while_embedding(engine: vg.Engine) -> None:
    """Two threads embedding at once overlap in time, and a pure-Python
    thread keeps running meanwhile. With the GIL held through a call,
    neither could happen: another thread cannot even take a timestamp."""
    pcm, sr = read_int16(data("librivox-sas01_1.wav"))
    x = np.tile(pcm.astype(np.float32) / 32768, 2)  # ~14 s
    engine.embed(x, sr)  # plan the model for this batch size once
    calls: dict[int, list[tuple[float, float]]] = {0: [], 1: []}
    stop = threading.Event()
    ticks: list[float] = []

    def worker(i: int) -> None:
        for _ in range(4):
            t0 = time.perf_counter()
            engine.embed(x, sr)
            calls[i].append((t0, time.perf_counter()))

    def python_loop() -> None:
        while not stop.is_set():
            ticks.append(time.perf_counter())
            sum(range(200))

    threads = [threading.Thread(target=worker, args=(i,)) for i in (0, 1)]
    spinner = threading.Thread(target=python_loop)
    spinner.start()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    stop.set()
    spinner.join()
    overlap = sum(
        max(0.0, min(a1, b1) - max(a0, b0)) for a0, a1 in calls[0] for b0, b1 in calls[1]
    )
    busy = sum(b - a for a, b in calls[0])
    # Python ticks taken while some embed call was in its middle half.
    middles = [(a + (b - a) / 4, b - (b - a) / 4) for c in calls.values() for a, b in c]
    inside = sum(1 for t in ticks if any(a < t < b for a, b in middles))
    print(
        f"embed calls overlapped {overlap:.2f} s of {busy:.2f} s; "
        f"{inside} Python ticks inside embed calls"
    )
    assert overlap > 0.25 * busy
    assert inside > 100


def test_bf16_precision_embeds_as_f32_does(engine: vg.Engine) -> None:
    assert engine.precision == "f32"
    fast = vg.Engine(precision="bf16")
    # bf16 where the CPU has AVX-512 BF16, f32 elsewhere.
    assert fast.precision in ("bf16", "f32")
    pcm, sr = read_int16(data("librivox-sas01_1.wav"))
    cos = float(engine.embed(pcm, sr) @ fast.embed(pcm, sr))
    assert cos > 0.999, cos
    with pytest.raises(vg.InvalidInputError, match="precision"):
        vg.Engine(precision="f16")  # type: ignore[arg-type]
