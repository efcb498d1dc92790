"""voiceguard: on-device speaker verification that redacts or holds back
audio of voices that are not enrolled in a household. Fails closed.

Numpy in, numpy out, the Rust core's speed (the GIL is released while it
computes)::

    import voiceguard as vg

    engine = vg.Engine()                        # bundled GE2E encoder + Silero VAD
    x, sr = vg.load_audio("clip.wav")           # float32 mono, the file's rate
    e = engine.embed(x, sr)                     # (256,) float32, unit norm

    key = vg.generate_key()                     # keep it: the store is encrypted
    with vg.Store.open("home.vgs", key, engine) as store:
        store.enroll("ana", ["ana1.wav", "ana2.wav", "ana3.wav"])
        print(store.verify(x, sr))              # {'member': 'ana', 'score': 0.87, ...}
        r = engine.screen(x, sr, store)         # decision, spans, redacted output
        if r.decision != "hold":
            release(r.output)

Audio arrays may be float32, float64 (in [-1, 1]) or int16, 1-D or
(channels, samples), at 4 to 384 kHz. Errors are `VoiceguardError`
subclasses, one per kind of the core's errors (see `VoiceguardError`).
"""

from ._voiceguard import (
    DEFAULT_THRESHOLD,
    MODEL_SAMPLE_RATE,
    EnrollmentError,
    EnrollmentReport,
    Engine,
    FileIOError,
    Finding,
    InternalError,
    InvalidAudioError,
    InvalidInputError,
    LimitExceededError,
    Member,
    ModelMismatchError,
    NotEnrolledError,
    Policy,
    ScreenResult,
    Span,
    Store,
    StoreAuthError,
    StoreBusyError,
    StreamingGate,
    UnsupportedFormatError,
    UtteranceReport,
    VoiceguardError,
    WindowScore,
    __version__,
    generate_key,
    load_audio,
)

__all__ = [
    "DEFAULT_THRESHOLD",
    "MODEL_SAMPLE_RATE",
    "EnrollmentError",
    "EnrollmentReport",
    "Engine",
    "FileIOError",
    "Finding",
    "InternalError",
    "InvalidAudioError",
    "InvalidInputError",
    "LimitExceededError",
    "Member",
    "ModelMismatchError",
    "NotEnrolledError",
    "Policy",
    "ScreenResult",
    "Span",
    "Store",
    "StoreAuthError",
    "StoreBusyError",
    "StreamingGate",
    "UnsupportedFormatError",
    "UtteranceReport",
    "VoiceguardError",
    "WindowScore",
    "__version__",
    "generate_key",
    "load_audio",
]
