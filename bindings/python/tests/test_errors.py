"""The exception hierarchy mirrors the core's ErrorKind list, and the README's
error table names the Python class of every kind."""

from __future__ import annotations

import re
from pathlib import Path

import voiceguard as vg

KINDS = {
    "InvalidInput": ("invalid_input", vg.InvalidInputError),
    "UnsupportedFormat": ("unsupported_format", vg.UnsupportedFormatError),
    "ModelMismatch": ("model_mismatch", vg.ModelMismatchError),
    "NotEnrolled": ("not_enrolled", vg.NotEnrolledError),
    "Io": ("io", vg.FileIOError),
    "LimitExceeded": ("limit_exceeded", vg.LimitExceededError),
    "Auth": ("auth", vg.StoreAuthError),
    "Busy": ("busy", vg.StoreBusyError),
    "Internal": ("internal", vg.InternalError),
}

ROOT = Path(__file__).resolve().parents[3]


def core_kinds() -> list[str]:
    """The variants of `ErrorKind` in core/src/error.rs, in order."""
    src = (ROOT / "core" / "src" / "error.rs").read_text()
    body = src.split("pub enum ErrorKind {", 1)[1].split("\n}", 1)[0]
    return re.findall(r"^\s{4}([A-Z][A-Za-z]+),", body, flags=re.M)


def test_one_class_per_core_kind() -> None:
    assert core_kinds() == list(KINDS), "a kind was added to the core: map it in errors.rs"
    for kind, (code, cls) in KINDS.items():
        assert issubclass(cls, vg.VoiceguardError) and issubclass(cls, Exception), kind
        assert cls.kind == code, kind
        assert cls.__module__ == "voiceguard"
        assert cls.__doc__ and code in cls.__doc__, kind
    assert issubclass(vg.InvalidAudioError, vg.InvalidInputError)
    assert issubclass(vg.EnrollmentError, vg.InvalidInputError)
    assert vg.InvalidAudioError.kind == vg.EnrollmentError.kind == "invalid_input"
    assert vg.VoiceguardError.kind is None
    # Distinct classes: one except clause per kind.
    assert len({cls for _, cls in KINDS.values()}) == len(KINDS)


def test_the_readme_table_names_each_class() -> None:
    readme = (ROOT / "README.md").read_text()
    rows = {}
    for line in readme.splitlines():
        m = re.match(r"\|\s*`(\w+)`\s*\|.*\|\s*`?(\w+Error)`?[^|]*\|\s*$", line)
        if m and m.group(1) in KINDS:
            rows[m.group(1)] = m.group(2)
    assert set(rows) == set(KINDS), rows
    for kind, name in rows.items():
        assert getattr(vg, name) is KINDS[kind][1], (kind, name)


def test_an_error_is_raised_with_its_kind_and_advice(tmp_path: Path) -> None:
    try:
        vg.load_audio(tmp_path / "missing.wav")
    except vg.VoiceguardError as e:
        assert type(e) is vg.FileIOError and e.kind == "io"
        assert "missing.wav" in str(e)
    else:
        raise AssertionError("no error")
