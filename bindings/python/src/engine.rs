//! `Engine`: the models and settings, and every call that computes on audio.
//! The GIL is released around all compute (`py.detach`).

use crate::audio::{self, at_model_rate, mono_input, redacted_copy, redaction_weights, require_samples, source};
use crate::errors::{invalid_input, IntoPy};
use crate::screen::{Policy, ScreenResult, Span};
use crate::store::Store;
use numpy::ndarray::Array2;
use numpy::{PyArray1, PyArray2};
use pyo3::prelude::*;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;
use voiceguard::embed::Precision;
use voiceguard::screen::{self, Decision, Voiceprint};
use voiceguard::vad::{EnergyPreset, SileroModel};
use voiceguard::{EngineConfig, SampleRate, SpeakerEncoder, VadChoice};

/// The speaker encoder (GE2E) and VAD with their settings. Immutable and
/// thread-safe: share one engine between threads; every method releases the
/// GIL while it computes.
///
/// Audio arguments (`samples`, `sr`) are numpy arrays of `float32`,
/// `float64` (values in [-1, 1]) or `int16`, 1-D (mono) or 2-D
/// `(channels, samples)` (channels are averaged), at any rate from 4 to
/// 384 kHz (resampled to 16 kHz). A contiguous mono `float32` array is read
/// in place, without a copy: do not write to it from another thread during
/// the call.
#[pyclass(module = "voiceguard", frozen)]
pub struct Engine {
    pub(crate) inner: voiceguard::Engine,
}

impl Engine {
    fn embed_timed<'py>(
        &self,
        py: Python<'py>,
        samples: &Bound<'py, PyAny>,
        sr: i64,
    ) -> PyResult<(Bound<'py, PyArray1<f32>>, f64)> {
        let input = mono_input(samples, sr, &self.inner.config().limits)?;
        let (x, rate) = (input.samples(), input.rate);
        let (clip, secs) = py
            .detach(|| {
                let t0 = Instant::now();
                let mut buf = Vec::new();
                let x = at_model_rate(x, rate, &mut buf)?;
                let clip = self.inner.embed_samples(x, source())?;
                Ok::<_, voiceguard::Error>((clip, t0.elapsed().as_secs_f64()))
            })
            .py_err()?;
        Ok((PyArray1::from_vec(py, clip.embedding.into_vec()), secs))
    }

    /// The bundled models with the default settings.
    pub fn bundled() -> PyResult<Self> {
        Ok(Engine {
            inner: voiceguard::Engine::bundled().py_err()?,
        })
    }
}

/// `(times, embeddings)` of `Engine.embed_windows`.
type Windows<'py> = (Bound<'py, PyArray2<f64>>, Bound<'py, PyArray2<f32>>);

/// Seconds to a whole number of samples at the model rate (at least 1).
fn samples_of(what: &str, s: f64) -> PyResult<usize> {
    if !(s.is_finite() && s > 0.0 && s <= 3600.0) {
        return Err(invalid_input(format!(
            "invalid {what}: {s} s; expected seconds in (0, 3600], e.g. 1.6"
        )));
    }
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    let n = (s * f64::from(SampleRate::MODEL.hz())).round().max(1.0) as usize;
    Ok(n)
}

fn secs(n: usize) -> f64 {
    #[allow(clippy::cast_precision_loss)]
    let s = n as f64 / f64::from(SampleRate::MODEL.hz());
    s
}

#[pymethods]
impl Engine {
    /// Loads the models: the bundled GE2E encoder and Silero VAD unless
    /// `model_dir` / `vad_model_dir` name model directories (with a
    /// `manifest.toml`; a file that differs from its manifest raises
    /// `ModelMismatchError`). `vad="energy"` uses the pure-DSP energy VAD.
    /// `precision="bf16"` runs the encoder's LSTM products in bfloat16 on
    /// CPUs with AVX-512 BF16 (1.6-1.9x faster, embeddings within cosine
    /// 1e-4 of f32; other CPUs run f32: see the `precision` property).
    #[new]
    #[pyo3(signature = (model_dir = None, *, vad = "silero", vad_model_dir = None, precision = "f32"))]
    fn new(
        py: Python<'_>,
        model_dir: Option<PathBuf>,
        vad: &str,
        vad_model_dir: Option<PathBuf>,
        precision: &str,
    ) -> PyResult<Self> {
        let precision = match precision {
            "f32" => Precision::F32,
            "bf16" => Precision::Bf16,
            other => {
                return Err(invalid_input(format!(
                    "invalid precision: {other:?}; expected \"f32\" or \"bf16\""
                )))
            }
        };
        if vad != "silero" && vad != "energy" {
            return Err(invalid_input(format!(
                "invalid vad: {vad:?}; expected \"silero\" or \"energy\""
            )));
        }
        if vad == "energy" && vad_model_dir.is_some() {
            return Err(invalid_input(
                "vad_model_dir is a Silero model directory; it cannot be used with vad=\"energy\"",
            ));
        }
        let energy = vad == "energy";
        let inner = py
            .detach(|| -> voiceguard::Result<voiceguard::Engine> {
                let mut encoder = match &model_dir {
                    Some(d) => SpeakerEncoder::from_dir(d)?,
                    None => SpeakerEncoder::bundled()?,
                };
                encoder.set_precision(precision);
                let vad = if energy {
                    VadChoice::Energy(EnergyPreset::Normal)
                } else {
                    match &vad_model_dir {
                        Some(d) => VadChoice::Silero(SileroModel::from_dir(d)?),
                        None => VadChoice::Silero(SileroModel::bundled()?),
                    }
                };
                voiceguard::Engine::new(Arc::new(encoder), vad, EngineConfig::default())
            })
            .py_err()?;
        Ok(Engine { inner })
    }

    /// The model rate, Hz (16000).
    #[getter]
    fn sample_rate(&self) -> u32 {
        self.inner.sample_rate().hz()
    }

    /// The embedding dimension (256).
    #[getter]
    fn dim(&self) -> usize {
        self.inner.encoder().dim()
    }

    /// The encoder's id (`name:sha256-prefix`); stores record it.
    #[getter]
    fn model_id(&self) -> String {
        self.inner.encoder().model_id().to_string()
    }

    /// Least speech a clip needs to be embedded, seconds (1.0).
    #[getter]
    fn min_speech_s(&self) -> f32 {
        self.inner.config().min_speech_s
    }

    /// Level each stretch of speech is brought to before it is embedded,
    /// dBFS (-27), or `None` when `leveling` is `"raise_only"`.
    #[getter]
    fn speech_dbfs(&self) -> Option<f32> {
        self.inner.speech_level().map(|d| d.0)
    }

    /// The encoder's precision in force: `"f32"`, or `"bf16"` when asked for
    /// and the CPU has AVX-512 BF16.
    #[getter]
    fn precision(&self) -> &'static str {
        match self.inner.encoder().precision() {
            Precision::F32 => "f32",
            Precision::Bf16 => "bf16",
        }
    }

    /// `"speech"` (the default: each stretch of speech that one embedding
    /// describes is raised or lowered to `speech_dbfs` on its own) or
    /// `"raise_only"` (Resemblyzer's: the whole clip raised if quieter).
    #[getter]
    fn leveling(&self) -> &'static str {
        match self.inner.config().leveling {
            voiceguard::level::Leveling::Speech => "speech",
            voiceguard::level::Leveling::RaiseOnly => "raise_only",
        }
    }

    /// The speaker embedding of a clip: `float32` array of shape `(256,)`,
    /// unit norm. The clip is raised to -30 dBFS if quieter, its speech found
    /// by the VAD and joined, brought to -27 dBFS both ways (`speech_dbfs`),
    /// and embedded as Resemblyzer's `embed_utterance` does (the same numbers
    /// as `voiceguard embed`).
    ///
    /// Raises `InvalidAudioError` with less than 1 s of speech, or for NaN or
    /// infinite samples; `InvalidInputError` for a bad array or rate.
    fn embed<'py>(&self, py: Python<'py>, samples: &Bound<'py, PyAny>, sr: i64) -> PyResult<Bound<'py, PyArray1<f32>>> {
        Ok(self.embed_timed(py, samples, sr)?.0)
    }

    /// `embed`, also returning the seconds spent in the core (resampling and
    /// `Engine::embed_samples`, timed in Rust): the rest of the call's time
    /// is the binding's (array checks, conversion, GIL, result array). For
    /// benchmarks; not part of the stable API.
    fn _embed_timed<'py>(
        &self,
        py: Python<'py>,
        samples: &Bound<'py, PyAny>,
        sr: i64,
    ) -> PyResult<(Bound<'py, PyArray1<f32>>, f64)> {
        self.embed_timed(py, samples, sr)
    }

    /// Embeddings of sliding windows over the whole clip (no VAD): windows of
    /// `window_s` every `hop_s` seconds at 16 kHz (the last one may be
    /// shorter), each brought to -27 dBFS on its own (`speech_dbfs`) and
    /// embedded as an utterance. Returns `(times, embeddings)`: `times` is `float64`
    /// `(n, 2)` with each window's start and end in seconds, `embeddings`
    /// `float32` `(n, 256)`, unit-norm rows.
    #[pyo3(signature = (samples, sr, window_s = 1.6, hop_s = 0.4))]
    fn embed_windows<'py>(
        &self,
        py: Python<'py>,
        samples: &Bound<'py, PyAny>,
        sr: i64,
        window_s: f64,
        hop_s: f64,
    ) -> PyResult<Windows<'py>> {
        let (window, hop) = (samples_of("window_s", window_s)?, samples_of("hop_s", hop_s)?);
        let input = mono_input(samples, sr, &self.inner.config().limits)?;
        require_samples(input.samples())?;
        let (x, rate) = (input.samples(), input.rate);
        let encoder = self.inner.encoder();
        let level = self.inner.speech_level();
        let (times, emb) = py
            .detach(|| -> voiceguard::Result<(Array2<f64>, Array2<f32>)> {
                let mut buf = Vec::new();
                let x = at_model_rate(x, rate, &mut buf)?;
                let mut leveled = x.to_vec();
                self.inner.level(&mut leveled);
                let wins = encoder.embed_windows(&leveled, window, hop, level)?;
                let dim = encoder.dim();
                let mut times = Array2::<f64>::zeros((wins.len(), 2));
                let mut emb = Array2::<f32>::zeros((wins.len(), dim));
                for (i, (start, e)) in wins.iter().enumerate() {
                    times[[i, 0]] = secs(*start);
                    times[[i, 1]] = secs((*start + window).min(leveled.len()));
                    emb.row_mut(i).iter_mut().zip(e.as_slice()).for_each(|(o, v)| *o = *v);
                }
                Ok((times, emb))
            })
            .py_err()?;
        Ok((
            PyArray2::from_owned_array(py, times),
            PyArray2::from_owned_array(py, emb),
        ))
    }

    /// Speech found by the VAD, as `Span`s with label `"speech"` (seconds;
    /// sorted, not overlapping). These are the segments `embed` joins: the
    /// clip is raised to -30 dBFS first if quieter, as there.
    fn vad(&self, py: Python<'_>, samples: &Bound<'_, PyAny>, sr: i64) -> PyResult<Vec<Span>> {
        let input = mono_input(samples, sr, &self.inner.config().limits)?;
        let (x, rate) = (input.samples(), input.rate);
        let segments = py
            .detach(|| -> voiceguard::Result<_> {
                let mut buf = Vec::new();
                let x = at_model_rate(x, rate, &mut buf)?;
                let mut leveled = x.to_vec();
                self.inner.level(&mut leveled);
                self.inner.speech_segments(&leveled)
            })
            .py_err()?;
        Ok(segments
            .into_iter()
            .map(|r| Span {
                start_s: secs(r.start),
                end_s: secs(r.end),
                label: "speech".into(),
                score: None,
                action: None,
            })
            .collect())
    }

    /// Screens a clip against the household in `store` under `policy`
    /// (default `Policy()`): labels every stretch of speech, decides
    /// `"pass"`, `"redact"` or `"hold"`, and makes the output. See
    /// `ScreenResult`. A store with no members holds every clip with speech.
    ///
    /// An exception (bad array, model failure) means no decision was made:
    /// treat the clip as held.
    #[pyo3(signature = (samples, sr, store, policy = None))]
    fn screen(
        &self,
        py: Python<'_>,
        samples: &Bound<'_, PyAny>,
        sr: i64,
        store: &Store,
        policy: Option<Policy>,
    ) -> PyResult<ScreenResult> {
        let policy = match policy {
            Some(p) => p.to_core()?,
            None => screen::Policy::default(),
        };
        let input = mono_input(samples, sr, &self.inner.config().limits)?;
        let (x, rate) = (input.samples(), input.rate);
        let frames = match samples.cast::<numpy::PyUntypedArray>() {
            Ok(a) => numpy::PyUntypedArrayMethods::shape(a).last().copied().unwrap_or(0),
            Err(_) => x.len(),
        };
        let (verdict, weights) = py.detach(|| -> PyResult<_> {
            let guard = store.lock()?;
            let st = guard.get()?;
            if st.model_id() != self.inner.encoder().model_id() {
                return Err(crate::errors::to_py(&voiceguard::Error::ModelMismatch {
                    model: format!("store {}", st.path().display()),
                    what: "model id the voiceprints were made with",
                    expected: self.inner.encoder().model_id().to_string(),
                    found: st.model_id().to_string(),
                }));
            }
            let members: Vec<Voiceprint<'_>> = st
                .members()
                .iter()
                .map(|m| Voiceprint {
                    name: &m.name,
                    vector: &m.voiceprint,
                })
                .collect();
            let mut buf = Vec::new();
            let x16 = at_model_rate(x, rate, &mut buf).py_err()?;
            let verdict = screen::screen_samples(&self.inner, x16, &members, &policy, source()).py_err()?;
            let weights = if verdict.decision == Decision::Redact {
                Some(redaction_weights(frames, rate, &verdict.redactions, policy.fill, policy.fade_ms).py_err()?)
            } else {
                None
            };
            Ok((verdict, weights))
        })?;
        let output = match (verdict.decision, weights) {
            (Decision::Pass, _) => Some(samples.clone().unbind()),
            (Decision::Redact, Some((keep, add))) => Some(redacted_copy(samples, &keep, &add)?.unbind()),
            _ => None,
        };
        Ok(ScreenResult::new(&verdict, output, rate.hz()))
    }

    fn __repr__(&self) -> String {
        format!("Engine(model_id={:?})", self.inner.encoder().model_id())
    }
}

/// Reads an audio file (WAV, FLAC, OGG/Vorbis, MP3; sniffed from the
/// content) at its own rate. Returns `(samples, sample_rate)`: `float32` in
/// [-1, 1], mono (channels averaged) unless `mono=False`, which gives
/// `(channels, samples)`. Raises `FileIOError`, `UnsupportedFormatError`,
/// `LimitExceededError` or `InvalidAudioError`.
#[pyfunction]
#[pyo3(signature = (path, *, mono = true))]
pub fn load_audio(py: Python<'_>, path: PathBuf, mono: bool) -> PyResult<(Bound<'_, PyAny>, u32)> {
    audio::load(py, path, mono)
}
