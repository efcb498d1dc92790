"""Arrays in: dtypes, shapes, strides, rates; and `load_audio`."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import voiceguard as vg
from conftest import data, read_int16, write_int16


def test_load_audio_matches_the_wav_samples() -> None:
    x, sr = vg.load_audio(data("librivox-sas01_2.wav"))
    pcm, sr_wav = read_int16(data("librivox-sas01_2.wav"))
    assert sr == sr_wav == 16000
    assert x.dtype == np.float32 and x.ndim == 1
    np.testing.assert_array_equal(x, pcm.astype(np.float32) / np.float32(32768))


def test_load_audio_keeps_channels_when_asked(tmp_path: Path) -> None:
    pcm, sr = read_int16(data("librivox-sas01_2.wav"))
    stereo = np.stack([pcm, (pcm // 2).astype(np.int16)])
    p = tmp_path / "stereo.wav"
    import wave

    with wave.open(str(p), "wb") as w:
        w.setnchannels(2)
        w.setsampwidth(2)
        w.setframerate(sr)
        w.writeframes(stereo.T.astype("<i2").tobytes())
    planar, sr2 = vg.load_audio(p, mono=False)
    assert sr2 == sr and planar.shape == (2, pcm.size)
    np.testing.assert_array_equal(planar * 32768, stereo.astype(np.float32))
    mono, _ = vg.load_audio(p)
    np.testing.assert_array_equal(mono, (planar[0] + planar[1]) * np.float32(0.5))


def test_load_audio_errors_name_the_problem(tmp_path: Path) -> None:
    with pytest.raises(vg.FileIOError, match="nope.wav"):
        vg.load_audio(tmp_path / "nope.wav")
    bad = tmp_path / "bad.wav"
    bad.write_bytes(b"this is not audio at all")
    with pytest.raises(vg.UnsupportedFormatError, match="convert it to WAV"):
        vg.load_audio(bad)
    empty = tmp_path / "empty.wav"
    empty.write_bytes(b"")
    with pytest.raises(vg.InvalidAudioError, match="empty"):
        vg.load_audio(empty)


def test_every_dtype_gives_the_same_embedding(engine: vg.Engine) -> None:
    pcm, sr = read_int16(data("librivox-sas01_1.wav"))
    f32 = pcm.astype(np.float32) / np.float32(32768)
    ref = engine.embed(f32, sr)
    assert ref.shape == (256,) and ref.dtype == np.float32
    assert abs(float(np.linalg.norm(ref)) - 1.0) < 1e-5
    np.testing.assert_array_equal(engine.embed(pcm, sr), ref)
    # float64 of the same values converts exactly to the same float32 samples.
    np.testing.assert_array_equal(engine.embed(f32.astype(np.float64), sr), ref)
    # A read-only array is fine (nothing is written to it).
    ro = f32.copy()
    ro.flags.writeable = False
    np.testing.assert_array_equal(engine.embed(ro, sr), ref)


def test_channels_are_averaged_and_strided_views_are_handled(engine: vg.Engine) -> None:
    pcm, sr = read_int16(data("librivox-sas01_1.wav"))
    x = pcm.astype(np.float32) / np.float32(32768)
    # (channels, samples): two identical channels average to the same clip.
    two = np.stack([x, x])
    np.testing.assert_array_equal(engine.embed(two, sr), engine.embed(x, sr))
    np.testing.assert_array_equal(engine.embed(np.stack([pcm, pcm]), sr), engine.embed(x, sr))
    # A Fortran-ordered (channels, samples) array and a strided mono view.
    np.testing.assert_array_equal(engine.embed(np.asfortranarray(two), sr), engine.embed(x, sr))
    interleaved = np.empty(2 * x.size, dtype=np.float32)
    interleaved[0::2] = x
    interleaved[1::2] = -1.0
    view = interleaved[0::2]
    assert not view.flags.c_contiguous
    np.testing.assert_array_equal(engine.embed(view, sr), engine.embed(x, sr))


def test_other_rates_are_resampled(engine: vg.Engine, tmp_path: Path) -> None:
    # The same clip at 8 kHz (every other sample) still embeds near the 16 kHz one.
    pcm, sr = read_int16(data("librivox-sas01_1.wav"))
    x = pcm.astype(np.float32) / np.float32(32768)
    e16 = engine.embed(x, sr)
    e8 = engine.embed(x[::2].copy(), sr // 2)
    assert e8.shape == (256,)
    assert float(e8 @ e16) > 0.8
    # And the same numbers as a file at that rate read by load_audio.
    p = tmp_path / "8k.wav"
    write_int16(p, pcm[::2], sr // 2)
    y, sr8 = vg.load_audio(p)
    assert sr8 == 8000
    np.testing.assert_array_equal(engine.embed(y, sr8), e8)


@pytest.mark.parametrize(
    "bad, match",
    [
        (np.zeros((16000, 2), dtype=np.float32), r"x\.T"),
        (np.zeros((2, 3, 4), dtype=np.float32), "3 dimensions"),
        (np.zeros(16000, dtype=np.int32), "dtype int32"),
        (np.zeros(16000, dtype=">f4"), "dtype >f4"),
        (np.zeros(16000, dtype=np.complex64), "dtype complex64"),
    ],
)
def test_bad_arrays_are_refused_clearly(engine: vg.Engine, bad: object, match: str) -> None:
    with pytest.raises(vg.InvalidInputError, match=match):
        engine.embed(bad, 16000)  # type: ignore[arg-type]


def test_non_arrays_and_bad_rates_are_refused(engine: vg.Engine) -> None:
    x = np.zeros(16000, dtype=np.float32)
    with pytest.raises(vg.InvalidInputError, match="numpy.ndarray, got list"):
        engine.embed([0.0] * 16000, 16000)  # type: ignore[arg-type]
    with pytest.raises(vg.InvalidInputError, match="sample rate: 0 Hz"):
        engine.embed(x, 0)
    with pytest.raises(vg.InvalidInputError, match="sample rate: -16000 Hz"):
        engine.embed(x, -16000)
    with pytest.raises(vg.LimitExceededError, match="sample rate"):
        engine.embed(x, 1000)
    with pytest.raises(vg.LimitExceededError, match="channel count"):
        engine.embed(np.zeros((33, 100), dtype=np.float32), 16000)


def test_bad_audio_is_invalid_audio(engine: vg.Engine) -> None:
    x = np.zeros(32000, dtype=np.float32)
    with pytest.raises(vg.InvalidAudioError, match=r"0\.0 s of speech, at least 1\.0 s"):
        engine.embed(x, 16000)
    x[100] = np.nan
    with pytest.raises(vg.InvalidAudioError, match="not finite"):
        engine.embed(x, 16000)
    with pytest.raises(vg.InvalidAudioError):
        engine.embed(np.zeros(0, dtype=np.float32), 16000)
