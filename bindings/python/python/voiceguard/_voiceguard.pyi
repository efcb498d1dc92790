"""Type stubs of the private extension `voiceguard._voiceguard` (PyO3).

Audio arguments accept numpy arrays of float32, float64 (values in [-1, 1])
or int16, 1-D (mono) or 2-D (channels, samples), at 4 to 384 kHz.
"""

import os
import pathlib
from types import TracebackType
from typing import Literal, Optional, Sequence, Tuple, Type, TypedDict, Union

import numpy as np
import numpy.typing as npt

_AudioArray = Union[
    npt.NDArray[np.float32], npt.NDArray[np.float64], npt.NDArray[np.int16]
]
_PathLike = Union[str, "os.PathLike[str]"]
_Utterance = Union[_PathLike, Tuple[_AudioArray, int]]

__version__: str
MODEL_SAMPLE_RATE: int
DEFAULT_THRESHOLD: float

# ---------------------------------------------------------------- errors

class VoiceguardError(Exception):
    """Base class of every voiceguard error; `kind` is the core's error kind."""

    kind: Optional[str]

class InvalidInputError(VoiceguardError):
    """Bad argument or unusable input (kind `invalid_input`)."""

class InvalidAudioError(InvalidInputError):
    """Empty, NaN/infinite or too little speech (kind `invalid_input`)."""

class EnrollmentError(InvalidInputError):
    """Enrollment wrote nothing because of the utterances; see `.report`."""

    report: "EnrollmentReport"

class UnsupportedFormatError(VoiceguardError):
    """Not a readable WAV/FLAC/OGG/MP3, or a damaged store header."""

class ModelMismatchError(VoiceguardError):
    """A model differs from its manifest, or a store was made with another model."""

class NotEnrolledError(VoiceguardError):
    """The member named is not in the store."""

class FileIOError(VoiceguardError):
    """The operating system could not read or write a file."""

class LimitExceededError(VoiceguardError):
    """Duration, channels or sample rate beyond the safety limits."""

class StoreAuthError(VoiceguardError):
    """Wrong store key, or the store file was modified."""

class StoreBusyError(VoiceguardError):
    """Another process or open Store holds the store's lock."""

class InternalError(VoiceguardError):
    """A bug in voiceguard or its model runtime; treat the audio as unverified."""

# ---------------------------------------------------------------- audio

def load_audio(
    path: _PathLike, *, mono: bool = True
) -> Tuple[npt.NDArray[np.float32], int]:
    """Reads WAV/FLAC/OGG/MP3 at its own rate: float32 mono, or (channels, samples)."""

def generate_key() -> bytes:
    """A new random 32-byte store key."""

# ---------------------------------------------------------------- screening types

class Policy:
    """Screening settings; `Policy()` is the measured privacy-first default."""

    on_other: Literal["redact", "hold"]
    on_uncertain: Literal["hold", "redact"]
    on_no_speech: Literal["pass", "hold"]
    fill: Literal["silence", "noise", "tone"]
    fill_level_dbfs: Optional[float]
    fade_ms: float
    accept: float
    reject: float
    window_accept: float
    window_reject: float
    dip_below: float
    dip_windows: int
    overlap_windows: int
    window_s: float
    hop_s: float
    min_speech_s: float
    min_span_s: float
    margin_s: float

    def __init__(
        self,
        *,
        on_other: Literal["redact", "hold"] = "redact",
        on_uncertain: Literal["hold", "redact"] = "hold",
        on_no_speech: Literal["pass", "hold"] = "pass",
        fill: Literal["silence", "noise", "tone"] = "silence",
        fill_level_dbfs: Optional[float] = None,
        fade_ms: Optional[float] = None,
        accept: Optional[float] = None,
        reject: Optional[float] = None,
        window_accept: Optional[float] = None,
        window_reject: Optional[float] = None,
        dip_below: Optional[float] = None,
        dip_windows: Optional[int] = None,
        overlap_windows: Optional[int] = None,
        window_s: Optional[float] = None,
        hop_s: Optional[float] = None,
        min_speech_s: Optional[float] = None,
        min_span_s: Optional[float] = None,
        margin_s: Optional[float] = None,
    ) -> None: ...
    def validate(self) -> None:
        """Raises InvalidInputError naming the first field out of range."""

    def to_dict(self) -> dict[str, Union[str, float, int, None]]:
        """The settings as keyword arguments of `Policy(...)`."""

class Span:
    """A stretch of a clip with one label, in seconds."""

    @property
    def start_s(self) -> float: ...
    @property
    def end_s(self) -> float: ...
    @property
    def label(self) -> str:
        """"member:<name>", "other", "uncertain", "nonspeech", or "speech" (VAD)."""

    @property
    def score(self) -> Optional[float]: ...
    @property
    def action(self) -> Optional[Literal["keep", "redact"]]: ...
    @property
    def member(self) -> Optional[str]: ...
    @property
    def duration_s(self) -> float: ...

class WindowScore:
    """The best member score of one scoring window."""

    @property
    def start_s(self) -> float: ...
    @property
    def end_s(self) -> float: ...
    @property
    def member(self) -> str: ...
    @property
    def score(self) -> float: ...

class ScreenResult:
    """Decision, reasons, spans, window scores, redactions and the output."""

    @property
    def decision(self) -> Literal["pass", "redact", "hold"]: ...
    @property
    def reasons(self) -> list[str]: ...
    @property
    def spans(self) -> list[Span]: ...
    @property
    def windows(self) -> list[WindowScore]: ...
    @property
    def redactions(self) -> list[Tuple[float, float]]: ...
    @property
    def output(self) -> Optional[_AudioArray]:
        """The input (pass), a redacted copy of its dtype and shape (redact), or None (hold)."""

    @property
    def sample_rate(self) -> int: ...

# ---------------------------------------------------------------- store types

class Finding:
    """One quality finding of an enrollment utterance."""

    @property
    def code(self) -> str: ...
    @property
    def message(self) -> str: ...
    @property
    def rejects(self) -> bool: ...

class UtteranceReport:
    """What one enrollment utterance contributed."""

    @property
    def source(self) -> str: ...
    @property
    def accepted(self) -> bool: ...
    @property
    def speech_s(self) -> float: ...
    @property
    def duration_s(self) -> float: ...
    @property
    def input_rate_hz(self) -> int: ...
    @property
    def findings(self) -> list[Finding]: ...
    @property
    def snr_db(self) -> Optional[float]: ...
    @property
    def clipped_share(self) -> float: ...
    @property
    def highband_db(self) -> Optional[float]: ...
    @property
    def self_agreement(self) -> Optional[float]: ...
    @property
    def agreement(self) -> Optional[float]: ...

class EnrollmentReport:
    """The outcome of Store.enroll."""

    @property
    def name(self) -> str: ...
    @property
    def action(self) -> Literal["enrolled", "updated", "refused"]: ...
    @property
    def enrolled(self) -> bool: ...
    @property
    def utterances(self) -> list[UtteranceReport]: ...
    @property
    def speech_s(self) -> float: ...
    @property
    def accepted(self) -> int: ...
    @property
    def required_speech_s(self) -> float: ...
    @property
    def required_utterances(self) -> int: ...
    @property
    def progress(self) -> float: ...
    @property
    def consistency(self) -> Optional[float]: ...
    @property
    def match_score(self) -> Optional[float]: ...
    @property
    def message(self) -> str: ...

class Member:
    """One enrolled member (no voiceprint)."""

    @property
    def name(self) -> str: ...
    @property
    def utterances(self) -> int: ...
    @property
    def speech_s(self) -> float: ...
    @property
    def consistency(self) -> float: ...
    @property
    def created_unix(self) -> int: ...
    @property
    def updated_unix(self) -> int: ...

class VerifyResult(TypedDict):
    """What Store.verify returns."""

    member: Optional[str]
    score: Optional[float]
    scores: dict[str, float]
    speech_s: float
    threshold: float

# ---------------------------------------------------------------- engine and store

class Engine:
    """GE2E encoder and VAD with their settings; thread-safe, releases the GIL."""

    def __init__(
        self,
        model_dir: Optional[_PathLike] = None,
        *,
        vad: Literal["silero", "energy"] = "silero",
        vad_model_dir: Optional[_PathLike] = None,
        precision: Literal["f32", "bf16"] = "f32",
    ) -> None: ...
    @property
    def sample_rate(self) -> int: ...
    @property
    def precision(self) -> Literal["f32", "bf16"]: ...
    @property
    def dim(self) -> int: ...
    @property
    def model_id(self) -> str: ...
    @property
    def min_speech_s(self) -> float: ...
    @property
    def speech_dbfs(self) -> Optional[float]: ...
    @property
    def leveling(self) -> Literal["speech", "raise_only"]: ...
    def embed(self, samples: _AudioArray, sr: int) -> npt.NDArray[np.float32]:
        """The (256,) unit-norm speaker embedding of a clip (as `voiceguard embed`)."""

    def _embed_timed(
        self, samples: _AudioArray, sr: int
    ) -> Tuple[npt.NDArray[np.float32], float]:
        """embed, plus the seconds spent in the Rust core (benchmarks only)."""

    def embed_windows(
        self,
        samples: _AudioArray,
        sr: int,
        window_s: float = 1.6,
        hop_s: float = 0.4,
    ) -> Tuple[npt.NDArray[np.float64], npt.NDArray[np.float32]]:
        """(times (n, 2) start/end seconds, embeddings (n, 256)) of sliding windows."""

    def vad(self, samples: _AudioArray, sr: int) -> list[Span]:
        """Speech segments (label "speech") that `embed` joins."""

    def screen(
        self,
        samples: _AudioArray,
        sr: int,
        store: "Store",
        policy: Optional[Policy] = None,
    ) -> ScreenResult:
        """Decide pass / redact / hold for a clip against the store's members."""

class Store:
    """An encrypted household voiceprint store, locked while open."""

    @classmethod
    def open(
        cls,
        path: _PathLike,
        key: Union[bytes, _PathLike],
        engine: Optional[Engine] = None,
        *,
        readonly: bool = False,
    ) -> "Store": ...
    @property
    def path(self) -> pathlib.Path: ...
    @property
    def readonly(self) -> bool: ...
    @property
    def closed(self) -> bool: ...
    @property
    def model_id(self) -> str: ...
    def members(self) -> list[Member]: ...
    def __len__(self) -> int: ...
    def __contains__(self, name: str) -> bool: ...
    def enroll(
        self,
        name: str,
        utterances: Sequence[_Utterance],
        *,
        force: bool = False,
        min_speech_s: Optional[float] = None,
        min_utterances: Optional[int] = None,
    ) -> EnrollmentReport: ...
    def forget(self, name: str) -> None: ...
    def verify(
        self, samples: _AudioArray, sr: int, *, threshold: float = 0.76
    ) -> VerifyResult: ...
    def close(self) -> None: ...
    def __enter__(self) -> "Store": ...
    def __exit__(
        self,
        exc_type: Optional[Type[BaseException]],
        exc: Optional[BaseException],
        tb: Optional[TracebackType],
    ) -> bool: ...

class StreamingGate:
    """Holds a 16 kHz mono stream back until its speaker is verified and
    releases it, delayed by exactly ``latency_samples()``, with speech that is
    not a household member's silenced."""

    def __init__(
        self,
        engine: Engine,
        store: Store,
        policy: Optional[Policy] = None,
        latency_s: float = 4.0,
    ) -> None: ...
    def push(self, samples: _AudioArray, sr: int = 16000) -> int:
        """Feed samples (16 kHz only); returns how many were taken (all)."""

    def pull(self, max_samples: Optional[int] = None) -> npt.NDArray[np.float32]:
        """Released audio not pulled yet (empty until decided)."""

    def flush(self) -> None:
        """Decide the rest of the stream; ``pull()`` then returns all of it."""

    def reset(self) -> None:
        """Forget the stream; the next push is sample 0."""

    def latency_samples(self) -> int:
        """Fixed delay between input and output, in samples at 16 kHz."""

    def spans(self) -> list[Span]:
        """Spans decided since the last call, in order."""

    @property
    def dropped_spans(self) -> int:
        """Spans dropped unread (the gate keeps the newest 1024)."""
