"""StreamingGate: the core's streaming gate through the bindings: output is
the input delayed by `latency_samples()`, the stranger of the demo mix is
silenced and the member kept, chunk size and dtype do not change the
output, spans cover the stream, and misuse raises clear errors."""

from __future__ import annotations

from pathlib import Path
from typing import Union

import numpy as np
import numpy.typing as npt
import pytest

import voiceguard as vg
from conftest import Household, read_int16
from test_scenario import mixed_clip


def stream(
    gate: vg.StreamingGate, x: Union[npt.NDArray[np.float32], npt.NDArray[np.int16]], chunk: int
) -> npt.NDArray[np.float32]:
    parts = []
    for i in range(0, x.size, chunk):
        assert gate.push(x[i : i + chunk], 16000) == min(chunk, x.size - i)
        parts.append(gate.pull())
    gate.flush()
    parts.append(gate.pull())
    return np.concatenate(parts)


def test_gate_delays_the_stream_and_silences_the_stranger(
    household: Household, engine: vg.Engine, tmp_path: Path
) -> None:
    mixed = tmp_path / "mixed.wav"
    mixed_clip(mixed)
    pcm, sr = read_int16(mixed)
    x = (pcm.astype(np.float32) / np.float32(32768)).astype(np.float32)
    with vg.Store.open(household.store_path, household.key, engine, readonly=True) as store:
        gate = vg.StreamingGate(engine, store)
        wide = vg.StreamingGate(engine, store, latency_s=5.0)
    lat = gate.latency_samples()
    assert lat == 64000 and wide.latency_samples() == 80000
    out = stream(gate, x, 160)
    assert out.dtype == np.float32 and out.size == lat + x.size
    assert not out[:lat].any()
    released = out[lat:]
    spans = gate.spans()
    assert spans and spans[0].start_s == 0.0 and abs(spans[-1].end_s - x.size / sr) < 1e-9
    assert all(a.end_s == b.start_s for a, b in zip(spans, spans[1:]))
    assert any(s.label == "member:sas" for s in spans), spans
    for s in spans:
        i, j = int(round(s.start_s * sr)), int(round(s.end_s * sr))
        if s.action == "redact":
            assert not released[i:j].any(), s
    # The stranger's turn (between the two pauses) is silenced; the member's
    # last turn is kept (the first scores uncertain offline too).
    silenced = (released == 0) & (x != 0)
    stranger = slice(int(3.3 * sr), int(6.0 * sr))
    assert silenced[stranger].mean() > 0.9
    assert silenced[-int(2.5 * sr) :].mean() < 0.2
    # The same stream as int16 in one push: the same output.
    with vg.Store.open(household.store_path, household.key, engine, readonly=True) as store:
        again = vg.StreamingGate(engine, store)
    np.testing.assert_array_equal(stream(again, pcm, pcm.size), out)
    assert again.dropped_spans == 0


def test_gate_misuse_raises_clear_errors(household: Household, engine: vg.Engine) -> None:
    pcm, _ = read_int16(Path(__file__).resolve().parents[3] / "examples" / "data" / "arctic-awb_1.wav")
    with vg.Store.open(household.store_path, household.key, engine, readonly=True) as store:
        gate = vg.StreamingGate(engine, store)
        with pytest.raises(vg.InvalidInputError, match="latency"):
            vg.StreamingGate(engine, store, latency_s=0.1)
    with pytest.raises(vg.InvalidAudioError, match="16 kHz"):
        gate.push(pcm, 8000)
    gate.push(pcm)
    gate.flush()
    with pytest.raises(vg.InvalidInputError, match="reset"):
        gate.push(pcm)
    gate.reset()
    assert gate.pull().size == 0
    assert gate.push(pcm[:1600]) == 1600
