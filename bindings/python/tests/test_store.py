"""`Store`: open/create with a key, enroll (paths and arrays), members,
forget, verify; locks, wrong keys and closed stores."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

import voiceguard as vg
from conftest import HOUSEHOLD_A, Household, data, read_int16


def test_members_of_the_household(store: vg.Store) -> None:
    names = [m.name for m in store.members()]
    assert names == ["sas", "slt"]
    assert len(store) == 2 and "sas" in store and "nobody" not in store
    sas = store.members()[0]
    assert sas.utterances == 3 and sas.speech_s >= 15.0
    assert 0.8 < sas.consistency <= 1.0
    assert sas.created_unix > 1_600_000_000
    assert store.readonly and not store.closed


def test_verify_names_the_member_and_rejects_the_stranger(store: vg.Store) -> None:
    for name in ["librivox-sas01_2.wav", "librivox-sas01_5.wav"]:
        x, sr = read_int16(data(name))
        r = store.verify(x, sr)
        assert r["member"] == "sas", (name, r)
        assert r["score"] is not None and r["score"] >= r["threshold"] == pytest.approx(0.76)
        assert list(r["scores"]) == ["sas", "slt"]
        assert r["speech_s"] > 1.0
    x, sr = read_int16(data("arctic-awb_1.wav"))
    r = store.verify(x, sr)
    assert r["member"] is None, r
    assert r["score"] is not None and r["score"] < 0.76
    with pytest.raises(vg.InvalidInputError, match="threshold"):
        store.verify(x, sr, threshold=2.0)


def test_enroll_from_arrays_equals_enroll_from_files(engine: vg.Engine, tmp_path: Path) -> None:
    key = vg.generate_key()
    arrays = [read_int16(data(n)) for n in HOUSEHOLD_A]
    with vg.Store.open(tmp_path / "a.vgs", key, engine) as a, vg.Store.open(
        tmp_path / "b.vgs", key, engine
    ) as b:
        ra = a.enroll("sas", [data(n) for n in HOUSEHOLD_A])
        rb = b.enroll("sas", arrays)
        assert ra.action == rb.action == "enrolled" and ra.enrolled
        assert [u.source for u in rb.utterances] == ["<array 0>", "<array 1>", "<array 2>"]
        assert [u.accepted for u in ra.utterances] == [True, True, True]
        assert ra.speech_s == pytest.approx(rb.speech_s)
        assert ra.consistency == pytest.approx(rb.consistency, abs=1e-6)
        assert ra.progress == 1.0 and ra.accepted == 3 and ra.required_utterances == 3
        x, sr = read_int16(data("librivox-sas01_2.wav"))
        assert a.verify(x, sr)["score"] == pytest.approx(b.verify(x, sr)["score"], abs=1e-6)


def test_insufficient_enrollment_writes_nothing_and_reports_why(
    engine: vg.Engine, tmp_path: Path
) -> None:
    path = tmp_path / "s.vgs"
    with vg.Store.open(path, vg.generate_key(), engine) as s:
        silence = np.zeros(16000 * 3, dtype=np.float32)
        with pytest.raises(vg.EnrollmentError, match=r"insufficient.*add more recordings") as e:
            s.enroll("ana", [data("librivox-sas01_2.wav"), (silence, 16000)])
        report = e.value.report
        assert report.action == "refused" and not report.enrolled
        assert [u.accepted for u in report.utterances] == [True, False]
        assert report.utterances[1].findings[0].code == "no_speech"
        assert report.utterances[1].findings[0].rejects
        assert 0.0 < report.progress < 1.0
        assert isinstance(e.value, vg.InvalidInputError) and e.value.kind == "invalid_input"
        assert len(s) == 0


def test_another_voice_is_not_added_to_a_member(engine: vg.Engine, tmp_path: Path) -> None:
    with vg.Store.open(tmp_path / "s.vgs", vg.generate_key(), engine) as s:
        s.enroll("sas", [data(n) for n in HOUSEHOLD_A])
        awb = [read_int16(data("arctic-awb_1.wav"))]
        with pytest.raises(vg.EnrollmentError, match="do not match") as e:
            s.enroll("sas", awb, min_speech_s=1.0, min_utterances=1)
        assert e.value.report.action == "refused"
        assert s.members()[0].utterances == 3
        r = s.enroll("sas", awb, min_speech_s=1.0, min_utterances=1, force=True)
        assert r.action == "updated" and r.match_score is not None and r.match_score < 0.76
        assert s.members()[0].utterances == 4
        # A matching voice is added without force.
        r = s.enroll("sas", [data("librivox-sas01_5.wav")], min_speech_s=1.0, min_utterances=1)
        assert r.action == "updated" and r.match_score is not None


def test_forget(engine: vg.Engine, tmp_path: Path) -> None:
    with vg.Store.open(tmp_path / "s.vgs", vg.generate_key(), engine) as s:
        s.enroll("sas", [data(n) for n in HOUSEHOLD_A])
        s.forget("sas")
        assert s.members() == []
        with pytest.raises(vg.NotEnrolledError, match='no member named "sas"'):
            s.forget("sas")


def test_reopen_wrong_key_lock_and_close(engine: vg.Engine, tmp_path: Path) -> None:
    path = tmp_path / "s.vgs"
    key = vg.generate_key()
    s = vg.Store.open(path, key, engine)
    s.enroll("sas", [data(n) for n in HOUSEHOLD_A])
    with pytest.raises(vg.StoreBusyError, match="locked"):
        vg.Store.open(path, key, engine, readonly=True)
    s.close()
    assert s.closed
    with pytest.raises(vg.InvalidInputError, match="closed"):
        s.members()
    with pytest.raises(vg.StoreAuthError, match="wrong key"):
        vg.Store.open(path, vg.generate_key(), engine)
    with pytest.raises(vg.InvalidInputError, match="exactly 32"):
        vg.Store.open(path, b"short", engine)
    # Two readers at once are fine; a reader cannot enroll.
    with vg.Store.open(path, key, engine, readonly=True) as r1, vg.Store.open(
        path, key, readonly=True
    ) as r2:
        assert [m.name for m in r1.members()] == [m.name for m in r2.members()] == ["sas"]
        with pytest.raises(vg.InvalidInputError, match="read-only"):
            r1.enroll("x", [data("librivox-sas01_2.wav")])
    with pytest.raises(vg.FileIOError):
        vg.Store.open(tmp_path / "missing.vgs", key, engine, readonly=True)
    # A modified byte fails authentication.
    raw = bytearray(path.read_bytes())
    raw[-5] ^= 0x01
    path.write_bytes(bytes(raw))
    with pytest.raises(vg.StoreAuthError):
        vg.Store.open(path, key, engine, readonly=True)


def test_key_files(household: Household, engine: vg.Engine, tmp_path: Path) -> None:
    with vg.Store.open(household.store_path, household.key_file, engine, readonly=True) as s:
        assert "sas" in s
    loose = tmp_path / "loose.key"
    loose.write_bytes(household.key)
    os.chmod(loose, 0o644)
    with pytest.raises(vg.InvalidInputError, match="chmod 600"):
        vg.Store.open(household.store_path, loose, engine, readonly=True)
    with pytest.raises(vg.InvalidInputError, match="32 bytes"):
        vg.Store.open(household.store_path, 12345, engine)  # type: ignore[arg-type]


def test_model_files_are_checked_against_their_manifest(household: Household, tmp_path: Path) -> None:
    energy = vg.Engine(vad="energy")  # same encoder: same model id, so the store opens
    with vg.Store.open(household.store_path, household.key, energy, readonly=True) as s:
        assert s.model_id == energy.model_id
    model = Path(__file__).resolve().parents[3] / "models" / "ge2e"
    d = tmp_path / "ge2e"
    d.mkdir()
    (d / "encoder.onnx").write_bytes((model / "encoder.onnx").read_bytes())
    manifest = (model / "manifest.toml").read_text()
    (d / "manifest.toml").write_text(manifest)
    assert vg.Engine(d).model_id == energy.model_id
    (d / "manifest.toml").write_text(manifest.replace('sha256 = "5', 'sha256 = "6', 1))
    with pytest.raises(vg.ModelMismatchError, match="expected 6"):
        vg.Engine(d)
    with pytest.raises(vg.FileIOError, match="manifest.toml"):
        vg.Engine(tmp_path)
