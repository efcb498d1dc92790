"""Parity with the float64 numpy reference (tests/ge2e_reference.py) on 20
real clips of the corpus: the reference's level, mel front end, partials and
LSTM, given the speech segments `Engine.vad` found."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import voiceguard as vg
from conftest import Clip, corpus_dir, missing
import ge2e_reference as ref

ONNX = Path(__file__).resolve().parents[3] / "models" / "ge2e" / "encoder.onnx"


def twenty_clips(corpus: list[Clip]) -> list[Clip]:
    """Sentence clips of at least 2 s, spread over the speakers (sorted, deterministic)."""
    pool = sorted(
        (c for c in corpus if c.role != "mixture" and not c.speaker.startswith("fsdd") and c.duration_s >= 2.0),
        key=lambda c: str(c.path),
    )
    step = max(1, len(pool) // 20)
    return pool[::step][:20]


def test_the_front_end_matches_a_librosa_reference_case() -> None:
    # The committed librosa 0.11 mel reference (models/ge2e/reference/mel) for
    # one clip anchors the numpy front end itself.
    import json

    root = Path(__file__).resolve().parents[3]
    doc = json.loads((root / "models/ge2e/reference/mel/ls1688_0000.json").read_text())
    src = corpus_dir() / doc["source"]
    if not src.is_file():
        missing(f"{src} (the corpus clip of the mel reference) is absent")
    x, sr = vg.load_audio(src)
    y = x[doc["start_sample"] : doc["start_sample"] + doc["n_samples"]].astype(np.float64)
    mel = ref.mel_power(y)
    want = np.asarray(doc["mel"]).reshape(doc["shape"])
    assert mel.shape == want.shape
    big = want > 1e-6
    rel = np.abs(mel[big] - want[big]) / want[big]
    print(f"numpy mel vs librosa: max relative error {rel.max():.2e}")
    assert rel.max() < 1e-4


def test_embeddings_match_the_numpy_reference(engine: vg.Engine, corpus: list[Clip]) -> None:
    clips = twenty_clips(corpus)
    assert len(clips) == 20
    encoder = ref.Encoder(ONNX)
    cosines = []
    for clip in clips:
        x, sr = vg.load_audio(clip.path)
        assert sr == 16000, clip
        got = engine.embed(x, sr).astype(np.float64)
        segments = [(round(s.start_s * sr), round(s.end_s * sr)) for s in engine.vad(x, sr)]
        want = ref.embed_clip(
            encoder,
            x.astype(np.float64),
            segments,
            speech_level=engine.speech_dbfs,
        )
        cosines.append(float(got @ want))
    worst = min(cosines)
    print(f"python vs numpy reference: 20 clips, min cosine {worst:.7f}, max |1-cos| {1 - worst:.1e}")
    assert worst >= 0.9999
