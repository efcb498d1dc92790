//! `Store`: a household's encrypted voiceprint store, with enrollment,
//! `forget`, `members` and `verify`; and the enrollment report types.

use crate::audio::{at_model_rate, mono_input, source};
use crate::engine::Engine;
use crate::errors::{invalid_input, EnrollmentError, InternalError, IntoPy};
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict, PyTuple, PyType};
use std::path::PathBuf;
use std::sync::{RwLock, RwLockReadGuard, RwLockWriteGuard};
use voiceguard::audio::AudioBuf;
use voiceguard::enroll::{self, EnrollConfig, Enroller};
use voiceguard::voiceprint::{Access, StoreKey, VoiceprintStore};
use voiceguard::{Error, Threshold};

/// One quality finding of an enrollment utterance.
#[pyclass(module = "voiceguard", frozen)]
#[derive(Clone)]
pub struct Finding {
    /// `"too_short"`, `"no_speech"`, `"multiple_voices"` (these reject the
    /// utterance), `"clipping"`, `"low_snr"`, `"narrowband"` (warnings).
    #[pyo3(get)]
    code: String,
    /// A plain sentence with the measured value, the limit and what to do.
    #[pyo3(get)]
    message: String,
    /// Whether this finding keeps the utterance out of the voiceprint.
    #[pyo3(get)]
    rejects: bool,
}

#[pymethods]
impl Finding {
    fn __repr__(&self) -> String {
        format!(
            "Finding(code={:?}, rejects={}, message={:?})",
            self.code, self.rejects, self.message
        )
    }
}

/// What one enrollment utterance contributed, with its measurements.
#[pyclass(module = "voiceguard", frozen)]
#[derive(Clone)]
pub struct UtteranceReport {
    /// The file path, or `"<array N>"` for the N-th utterance given as an array.
    #[pyo3(get)]
    source: String,
    /// Whether it is part of the voiceprint (no rejecting finding).
    #[pyo3(get)]
    accepted: bool,
    /// Speech found by the VAD, seconds.
    #[pyo3(get)]
    speech_s: f32,
    /// Audio duration, seconds.
    #[pyo3(get)]
    duration_s: f32,
    /// Sample rate before resampling, Hz.
    #[pyo3(get)]
    input_rate_hz: u32,
    /// Quality findings, rejecting ones first.
    #[pyo3(get)]
    findings: Vec<Finding>,
    /// Estimated speech-to-noise ratio, dB (`None` without enough non-speech).
    #[pyo3(get)]
    snr_db: Option<f32>,
    /// Share of clipped samples, in [0, 1].
    #[pyo3(get)]
    clipped_share: f32,
    /// Energy above 4 kHz relative to the whole band, dB.
    #[pyo3(get)]
    highband_db: Option<f32>,
    /// Lowest cosine between ~3 s stretches of the speech (`None` below ~5.4 s).
    #[pyo3(get)]
    self_agreement: Option<f32>,
    /// Cosine to the member's other accepted utterances.
    #[pyo3(get)]
    agreement: Option<f32>,
}

impl UtteranceReport {
    fn from_core(r: &enroll::UtteranceReport) -> Self {
        UtteranceReport {
            source: r.source.clone(),
            accepted: r.accepted,
            speech_s: r.speech_s,
            duration_s: r.duration_s,
            input_rate_hz: r.input_rate_hz,
            findings: r
                .findings
                .iter()
                .map(|f| Finding {
                    code: f.code.as_str().to_string(),
                    message: f.message.clone(),
                    rejects: f.rejects(),
                })
                .collect(),
            snr_db: r.snr_db,
            clipped_share: r.clipped_share,
            highband_db: r.highband_db,
            self_agreement: r.self_agreement,
            agreement: r.agreement,
        }
    }
}

#[pymethods]
impl UtteranceReport {
    fn __repr__(&self) -> String {
        format!(
            "UtteranceReport(source={:?}, accepted={}, speech_s={:.2}, findings={:?})",
            self.source,
            self.accepted,
            self.speech_s,
            self.findings.iter().map(|f| f.code.as_str()).collect::<Vec<_>>()
        )
    }
}

/// The outcome of `Store.enroll`.
///
/// `action` is `"enrolled"` (a new member), `"updated"` (utterances added to
/// an existing member) or `"refused"` (nothing was written; `message` says
/// why: too little accepted speech, or another voice than the member's). A
/// refusal is raised as `EnrollmentError`, which carries this report as
/// `.report`.
#[pyclass(module = "voiceguard", frozen)]
#[derive(Clone)]
pub struct EnrollmentReport {
    /// The member's name.
    #[pyo3(get)]
    name: String,
    /// `"enrolled"`, `"updated"` or `"refused"`.
    #[pyo3(get)]
    action: String,
    /// One report per utterance given, in order.
    #[pyo3(get)]
    utterances: Vec<UtteranceReport>,
    /// Accepted speech, seconds (with an existing member's when updating).
    #[pyo3(get)]
    speech_s: f32,
    /// Accepted utterances (with an existing member's when updating).
    #[pyo3(get)]
    accepted: u32,
    /// Speech required, seconds.
    #[pyo3(get)]
    required_speech_s: f32,
    /// Utterances required.
    #[pyo3(get)]
    required_utterances: u32,
    /// The lesser of the two fractions done, in [0, 1].
    #[pyo3(get)]
    progress: f32,
    /// Mean cosine of the member's utterances to the voiceprint (`None` if refused).
    #[pyo3(get)]
    consistency: Option<f32>,
    /// Cosine of the new utterances to the existing voiceprint (updates only).
    #[pyo3(get)]
    match_score: Option<f32>,
    /// A plain sentence: what was done, or why nothing was.
    #[pyo3(get)]
    message: String,
}

#[pymethods]
impl EnrollmentReport {
    /// Whether the member is now in the store with these utterances.
    #[getter]
    fn enrolled(&self) -> bool {
        self.action != "refused"
    }

    fn __repr__(&self) -> String {
        format!(
            "EnrollmentReport(name={:?}, action={:?}, speech_s={:.1}, accepted={}, message={:?})",
            self.name, self.action, self.speech_s, self.accepted, self.message
        )
    }
}

/// One enrolled member, without the voiceprint.
#[pyclass(module = "voiceguard", frozen)]
#[derive(Clone)]
pub struct Member {
    /// Display name, unique in the store.
    #[pyo3(get)]
    name: String,
    /// Utterances enrolled.
    #[pyo3(get)]
    utterances: u32,
    /// Seconds of speech enrolled.
    #[pyo3(get)]
    speech_s: f32,
    /// Mean cosine of the utterances to the voiceprint.
    #[pyo3(get)]
    consistency: f32,
    /// Creation time, seconds since the Unix epoch.
    #[pyo3(get)]
    created_unix: i64,
    /// Last update, seconds since the Unix epoch.
    #[pyo3(get)]
    updated_unix: i64,
}

#[pymethods]
impl Member {
    fn __repr__(&self) -> String {
        format!(
            "Member(name={:?}, utterances={}, speech_s={:.1}, consistency={:.3})",
            self.name, self.utterances, self.speech_s, self.consistency
        )
    }
}

/// A household's voiceprint store: one file, encrypted and authenticated
/// with a 32-byte key, locked while open (exclusively unless read-only).
/// Open it with `Store.open`; close it with `close()` or a `with` block so
/// other processes (the `voiceguard` command) can use it.
#[pyclass(module = "voiceguard", frozen)]
pub struct Store {
    inner: RwLock<Option<VoiceprintStore>>,
    engine: voiceguard::Engine,
    path: PathBuf,
    readonly: bool,
}

/// A read lock on an open store.
pub struct ReadGuard<'a>(RwLockReadGuard<'a, Option<VoiceprintStore>>);

impl ReadGuard<'_> {
    /// The store, or `InvalidInputError` if it was closed.
    pub fn get(&self) -> PyResult<&VoiceprintStore> {
        self.0.as_ref().ok_or_else(closed)
    }
}

fn closed() -> PyErr {
    invalid_input("the store is closed; open it again with Store.open")
}

fn poisoned() -> PyErr {
    InternalError::new_err(
        "the store's lock was poisoned by a failure in another thread; open the store again, and report it",
    )
}

impl Store {
    /// A read lock (call without the GIL).
    pub fn lock(&self) -> PyResult<ReadGuard<'_>> {
        self.inner.read().map(ReadGuard).map_err(|_| poisoned())
    }

    fn write(&self) -> PyResult<RwLockWriteGuard<'_, Option<VoiceprintStore>>> {
        self.inner.write().map_err(|_| poisoned())
    }
}

/// A store key from `bytes` (32 raw bytes) or a key file path (mode 0600).
fn key_from(key: &Bound<'_, PyAny>) -> PyResult<StoreKey> {
    if let Ok(b) = key.cast::<PyBytes>() {
        return StoreKey::from_bytes(b.as_bytes()).py_err();
    }
    if let Ok(p) = key.extract::<PathBuf>() {
        return StoreKey::read_file(&p).py_err();
    }
    Err(invalid_input(
        "invalid store key: expected 32 bytes (`voiceguard.generate_key()`) or the path of a key file",
    ))
}

/// One utterance to enroll.
enum Utterance {
    File(PathBuf),
    Audio(AudioBuf, String),
}

fn utterances(list: &Bound<'_, PyAny>, engine: &voiceguard::Engine) -> PyResult<Vec<Utterance>> {
    let mut out = Vec::new();
    let bad = |i: usize| {
        invalid_input(format!(
            "utterance {i}: expected a file path or a (samples, sample_rate) tuple"
        ))
    };
    if list.is_instance_of::<pyo3::types::PyString>() {
        return Err(invalid_input(
            "utterances must be a list of paths or (samples, sample_rate) tuples, not one string; wrap it in a list",
        ));
    }
    for (i, item) in list.try_iter()?.enumerate() {
        let item = item?;
        if let Ok(t) = item.cast::<PyTuple>() {
            if t.len() != 2 {
                return Err(bad(i));
            }
            let sr: i64 = t.get_item(1)?.extract().map_err(|_| bad(i))?;
            let arr = t.get_item(0)?;
            let input = mono_input(&arr, sr, &engine.config().limits)?;
            let rate = input.rate;
            out.push(Utterance::Audio(
                AudioBuf::new(input.into_vec(), rate),
                format!("<array {i}>"),
            ));
        } else if let Ok(p) = item.extract::<PathBuf>() {
            out.push(Utterance::File(p));
        } else {
            return Err(bad(i));
        }
    }
    if out.is_empty() {
        return Err(invalid_input(
            "no utterances given; pass at least one file path or (samples, sample_rate) tuple",
        ));
    }
    Ok(out)
}

/// The enrollment outcome before it becomes a Python object.
struct Outcome {
    report: EnrollmentReport,
    refused: bool,
}

fn report_of(
    name: &str,
    enroller: &Enroller,
    action: &str,
    consistency: Option<f32>,
    match_score: Option<f32>,
    message: String,
) -> EnrollmentReport {
    let p = enroller.progress();
    EnrollmentReport {
        name: name.to_string(),
        action: action.to_string(),
        utterances: enroller.reports().iter().map(UtteranceReport::from_core).collect(),
        speech_s: p.speech_s,
        accepted: p.utterances,
        required_speech_s: p.required_speech_s,
        required_utterances: p.required_utterances,
        progress: p.fraction,
        consistency,
        match_score,
        message,
    }
}

#[pymethods]
impl Store {
    /// Opens the store at `path`, creating an empty one if it does not exist
    /// (unless `readonly`). `key` is the 32-byte key (`generate_key()`) or
    /// the path of a key file as `voiceguard keygen` writes it (mode 0600).
    /// `engine` (default: the bundled models) makes the enrollment and
    /// verification embeddings; a store made with another model raises
    /// `ModelMismatchError`.
    ///
    /// Raises `StoreAuthError` for a wrong key or a modified file,
    /// `StoreBusyError` if another process or `Store` holds it,
    /// `FileIOError` if it cannot be read or written.
    #[classmethod]
    #[pyo3(signature = (path, key, engine = None, *, readonly = false))]
    fn open(
        _cls: &Bound<'_, PyType>,
        py: Python<'_>,
        path: PathBuf,
        key: &Bound<'_, PyAny>,
        engine: Option<PyRef<'_, Engine>>,
        readonly: bool,
    ) -> PyResult<Self> {
        let key = key_from(key)?;
        let engine = match engine {
            Some(e) => e.inner.clone(),
            None => Engine::bundled()?.inner,
        };
        let model_id = engine.encoder().model_id().to_string();
        let dim = engine.encoder().dim();
        let store = py
            .detach(|| {
                if readonly {
                    VoiceprintStore::open(&path, key, &model_id, Access::Read)
                } else {
                    VoiceprintStore::open_or_create(&path, key, &model_id, dim)
                }
            })
            .py_err()?;
        Ok(Store {
            inner: RwLock::new(Some(store)),
            engine,
            path,
            readonly,
        })
    }

    /// The store file.
    #[getter]
    fn path(&self) -> PathBuf {
        self.path.clone()
    }

    /// Whether it was opened read-only (enroll and forget then raise).
    #[getter]
    fn readonly(&self) -> bool {
        self.readonly
    }

    /// Whether `close()` was called.
    #[getter]
    fn closed(&self, py: Python<'_>) -> PyResult<bool> {
        py.detach(|| Ok(self.lock()?.0.is_none()))
    }

    /// Id of the model the voiceprints were made with.
    #[getter]
    fn model_id(&self, py: Python<'_>) -> PyResult<String> {
        py.detach(|| Ok(self.lock()?.get()?.model_id().to_string()))
    }

    /// The members, in enrollment order (names and statistics, no voiceprints).
    fn members(&self, py: Python<'_>) -> PyResult<Vec<Member>> {
        py.detach(|| {
            Ok(self
                .lock()?
                .get()?
                .members()
                .iter()
                .map(|m| Member {
                    name: m.name.clone(),
                    utterances: m.utterances,
                    speech_s: m.speech_s,
                    consistency: m.consistency,
                    created_unix: m.created_unix,
                    updated_unix: m.updated_unix,
                })
                .collect())
        })
    }

    fn __len__(&self, py: Python<'_>) -> PyResult<usize> {
        py.detach(|| Ok(self.lock()?.get()?.members().len()))
    }

    fn __contains__(&self, py: Python<'_>, name: &str) -> PyResult<bool> {
        py.detach(|| Ok(self.lock()?.get()?.member(name).is_some()))
    }

    /// Enrolls `name` from `utterances` (file paths, or `(samples,
    /// sample_rate)` tuples) and saves the store. Each utterance is checked
    /// (speech, clipping, noise, band, one voice); by default 15 s of speech
    /// in at least 3 accepted utterances are needed (`min_speech_s`,
    /// `min_utterances`). An existing member's utterances count toward that,
    /// and new ones are added to it unless they sound like another voice
    /// (cosine < 0.76; `force=True` adds them anyway).
    ///
    /// Returns the `EnrollmentReport`. Raises `EnrollmentError` (with
    /// `.report`) when nothing was written because of the utterances;
    /// `FileIOError`, `UnsupportedFormatError`, ... for a file that cannot be
    /// read.
    #[pyo3(signature = (name, utterances, *, force = false, min_speech_s = None, min_utterances = None))]
    fn enroll(
        &self,
        py: Python<'_>,
        name: &str,
        utterances: &Bound<'_, PyAny>,
        force: bool,
        min_speech_s: Option<f32>,
        min_utterances: Option<u32>,
    ) -> PyResult<EnrollmentReport> {
        if self.readonly {
            return Err(invalid_input(format!(
                "{} was opened read-only; open it with readonly=False to enroll",
                self.path.display()
            )));
        }
        let utts = self::utterances(utterances, &self.engine)?;
        let mut config = EnrollConfig::default();
        if let Some(s) = min_speech_s {
            config.min_speech_s = s;
        }
        if let Some(n) = min_utterances {
            config.min_utterances = n;
        }
        config.validate().py_err()?;
        let outcome = py.detach(|| -> PyResult<Outcome> {
            let mut guard = self.write()?;
            let store = guard.as_mut().ok_or_else(closed)?;
            let existing = store.member(name).cloned();
            let mut enroller = match &existing {
                Some(m) => Enroller::extending(&self.engine, m, config),
                None => Enroller::new(&self.engine, name, config),
            };
            for u in &utts {
                match u {
                    Utterance::File(p) => enroller.push_file(p),
                    Utterance::Audio(a, src) => enroller.push_audio(a, src),
                }
                .py_err()?;
            }
            let refused = |enroller: &Enroller, e: &Error| Outcome {
                report: report_of(name, enroller, "refused", None, None, e.to_string()),
                refused: true,
            };
            let enrollment = match enroller.finish() {
                Ok(x) => x,
                Err(e @ Error::InsufficientEnrollment { .. }) => return Ok(refused(&enroller, &e)),
                Err(e) => return Err(crate::errors::to_py(&e)),
            };
            let (member, action, score) = match &existing {
                Some(old) => {
                    let score = match enrollment.check_matches(old, Threshold::GE2E_EER) {
                        Ok(s) => Some(s.value()),
                        Err(e @ Error::VoiceMismatch { .. }) if !force => return Ok(refused(&enroller, &e)),
                        Err(Error::VoiceMismatch { score, .. }) => Some(score),
                        Err(e) => return Err(crate::errors::to_py(&e)),
                    };
                    (enroll::merge(old, &enrollment).py_err()?, "updated", score)
                }
                None => (enrollment.into_member(name).py_err()?, "enrolled", None),
            };
            let consistency = member.consistency;
            let message = format!(
                "{action} {name:?}: {} utterances, {:.1} s of speech, consistency {consistency:.3}",
                member.utterances, member.speech_s
            );
            store.put(member).py_err()?;
            Ok(Outcome {
                report: report_of(name, &enroller, action, Some(consistency), score, message),
                refused: false,
            })
        })?;
        if outcome.refused {
            let err = EnrollmentError::new_err(outcome.report.message.clone());
            err.value(py).setattr("report", Py::new(py, outcome.report)?)?;
            return Err(err);
        }
        Ok(outcome.report)
    }

    /// Removes `name` and rewrites the file (right to erasure). Raises
    /// `NotEnrolledError` if there is no such member.
    fn forget(&self, py: Python<'_>, name: &str) -> PyResult<()> {
        if self.readonly {
            return Err(invalid_input(format!(
                "{} was opened read-only; open it with readonly=False to forget a member",
                self.path.display()
            )));
        }
        py.detach(|| {
            let mut guard = self.write()?;
            guard.as_mut().ok_or_else(closed)?.forget(name).py_err()
        })
    }

    /// Verifies a clip against every member: embeds it as `Engine.embed`
    /// does and returns a dict with `member` (the best member at or above
    /// `threshold`, else `None`), `score` (the best cosine, `None` without
    /// members), `scores` (every member's
    /// cosine, best first), `speech_s` and `threshold` (default 0.76, the
    /// corpus's equal-error point rounded up).
    #[pyo3(signature = (samples, sr, *, threshold = 0.76))]
    fn verify<'py>(
        &self,
        py: Python<'py>,
        samples: &Bound<'py, PyAny>,
        sr: i64,
        threshold: f32,
    ) -> PyResult<Bound<'py, PyDict>> {
        if !(threshold.is_finite() && (-1.0..=1.0).contains(&threshold)) {
            return Err(invalid_input(format!(
                "invalid threshold: {threshold}; expected a cosine in [-1, 1], e.g. 0.76"
            )));
        }
        let input = mono_input(samples, sr, &self.engine.config().limits)?;
        let (x, rate) = (input.samples(), input.rate);
        let (scores, speech_s) = py.detach(|| -> PyResult<_> {
            let mut buf = Vec::new();
            let x = at_model_rate(x, rate, &mut buf).py_err()?;
            let clip = self.engine.embed_samples(x, source()).py_err()?;
            let scores = self.lock()?.get()?.scores(&clip.embedding).py_err()?;
            Ok((scores, clip.speech.0))
        })?;
        let d = PyDict::new(py);
        let best = scores.first();
        let accepted = best.filter(|(_, s)| Threshold(threshold).accepts(*s));
        d.set_item("member", accepted.map(|(n, _)| n.clone()))?;
        d.set_item("score", best.map(|(_, s)| s.value()))?;
        let all = PyDict::new(py);
        for (n, s) in &scores {
            all.set_item(n, s.value())?;
        }
        d.set_item("scores", all)?;
        d.set_item("speech_s", speech_s)?;
        d.set_item("threshold", threshold)?;
        Ok(d)
    }

    /// Releases the store and its lock; later calls raise `InvalidInputError`.
    fn close(&self, py: Python<'_>) -> PyResult<()> {
        py.detach(|| {
            self.write()?.take();
            Ok(())
        })
    }

    fn __enter__(slf: Py<Self>) -> Py<Self> {
        slf
    }

    fn __exit__(
        &self,
        py: Python<'_>,
        _exc_type: &Bound<'_, PyAny>,
        _exc: &Bound<'_, PyAny>,
        _tb: &Bound<'_, PyAny>,
    ) -> PyResult<bool> {
        self.close(py)?;
        Ok(false)
    }

    fn __repr__(&self) -> String {
        format!(
            "Store(path={:?}, readonly={})",
            self.path.display().to_string(),
            self.readonly
        )
    }
}

/// A new random 32-byte store key from the operating system.
#[pyfunction]
pub fn generate_key(py: Python<'_>) -> PyResult<Bound<'_, PyBytes>> {
    let key = StoreKey::generate().py_err()?;
    Ok(PyBytes::new(py, key.as_bytes()))
}
