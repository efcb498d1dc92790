"""Shared fixtures: repository paths, the corpus, the `voiceguard` command,
one engine per session, and a household store of the demo clips.

Tests that need the speech corpus (`../shared/speech` or
$VOICEGUARD_CORPUS) or the release `voiceguard` binary (built by
`cargo build --release`, or $VOICEGUARD_CLI) skip with a printed reason
when they are absent, unless VOICEGUARD_REQUIRE_CORPUS=1 (as in CI), which
makes them fail instead.
"""

from __future__ import annotations

import csv
import os

# One BLAS thread: the numpy reference's small matrix products are slower
# with threads spinning against the engine's (2-core machines).
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")
import shutil
import wave
from pathlib import Path
from typing import Iterator, NamedTuple

import numpy as np
import numpy.typing as npt
import pytest

import voiceguard as vg

ROOT = Path(__file__).resolve().parents[3]
DATA = ROOT / "examples" / "data"
REQUIRED = os.environ.get("VOICEGUARD_REQUIRE_CORPUS") == "1"


def missing(reason: str) -> None:
    """Skip (printing why), or fail in CI where everything must be present."""
    if REQUIRED:
        pytest.fail(f"{reason} (VOICEGUARD_REQUIRE_CORPUS=1 makes this an error)")
    print(f"SKIPPED: {reason}")
    pytest.skip(reason)


def data(name: str) -> Path:
    return DATA / name


def read_int16(path: Path) -> tuple[npt.NDArray[np.int16], int]:
    """A 16-bit PCM mono WAV as int16 samples (no voiceguard code involved)."""
    with wave.open(str(path), "rb") as w:
        assert w.getsampwidth() == 2 and w.getnchannels() == 1, path
        pcm = np.frombuffer(w.readframes(w.getnframes()), dtype="<i2").astype(np.int16)
        return pcm, w.getframerate()


def write_int16(path: Path, x: npt.NDArray[np.int16], sr: int) -> None:
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(sr)
        w.writeframes(x.astype("<i2").tobytes())


class Clip(NamedTuple):
    path: Path
    speaker: str
    duration_s: float
    role: str


def corpus_dir() -> Path:
    env = os.environ.get("VOICEGUARD_CORPUS")
    return Path(env) if env else ROOT.parent / "shared" / "speech"


@pytest.fixture(scope="session")
def corpus() -> list[Clip]:
    d = corpus_dir()
    manifest = d / "manifest.tsv"
    if not manifest.is_file():
        missing(f"the speech corpus is not at {d} (set VOICEGUARD_CORPUS)")
    with manifest.open(newline="") as f:
        rows = list(csv.DictReader(f, delimiter="\t"))
    return [
        Clip(d / r["path"], r["speaker_id"], float(r["duration_s"]), r["role"])
        for r in rows
    ]


@pytest.fixture(scope="session")
def cli() -> Path:
    env = os.environ.get("VOICEGUARD_CLI")
    candidates = [Path(env)] if env else [ROOT / "target" / "release" / "voiceguard"]
    which = shutil.which("voiceguard")
    if not env and which:
        candidates.append(Path(which))
    for c in candidates:
        if c.is_file() and os.access(c, os.X_OK):
            return c
    missing(
        "the voiceguard command is not built (cargo build --release -p voiceguard-cli, "
        "or set VOICEGUARD_CLI)"
    )
    raise AssertionError("unreachable")


@pytest.fixture(scope="session")
def engine() -> vg.Engine:
    return vg.Engine()


HOUSEHOLD_A = ["librivox-sas01_1.wav", "librivox-sas01_3.wav", "librivox-sas01_4.wav"]


class Household(NamedTuple):
    store_path: Path
    key: bytes
    key_file: Path


@pytest.fixture(scope="session")
def household(
    engine: vg.Engine, tmp_path_factory: pytest.TempPathFactory
) -> Household:
    """A closed store with members `sas` (3 clips, default rule) and `slt`
    (its one clip, with the rule lowered), and its key as bytes and as a
    0600 key file the CLI can read."""
    d = tmp_path_factory.mktemp("household")
    key = vg.generate_key()
    key_file = d / "home.key"
    fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(key)
    path = d / "home.vgs"
    with vg.Store.open(path, key, engine) as store:
        r = store.enroll("sas", [data(n) for n in HOUSEHOLD_A])
        assert r.action == "enrolled", r
        x, sr = read_int16(data("arctic-slt_1.wav"))
        r = store.enroll("slt", [(x, sr)], min_speech_s=2.0, min_utterances=1)
        assert r.action == "enrolled", r
    return Household(path, key, key_file)


@pytest.fixture()
def store(household: Household, engine: vg.Engine) -> Iterator[vg.Store]:
    """The household store, opened read-only for one test."""
    with vg.Store.open(household.store_path, household.key, engine, readonly=True) as s:
        yield s
