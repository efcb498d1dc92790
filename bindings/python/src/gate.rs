//! `StreamingGate`: the core's streaming gate for Python (push, pull,
//! flush, latency_samples, spans).

use crate::audio::mono_input;
use crate::engine::Engine;
use crate::errors::{invalid_audio, IntoPy};
use crate::screen::{Policy, Span};
use crate::store::Store;
use numpy::{PyArray1, ToPyArray};
use pyo3::exceptions::PyRuntimeError;
use pyo3::prelude::*;
use std::sync::{Arc, Mutex};
use voiceguard::gate::{GateConfig, GatePlan, SpanLabel, StreamingGate as CoreGate};

/// The gate and the audio it released that Python has not pulled yet.
struct State {
    gate: CoreGate,
    released: Vec<f32>,
}

impl State {
    /// Moves everything the gate can release into `released`.
    fn drain(&mut self) {
        let mut buf = [0.0f32; 4096];
        loop {
            let n = self.gate.pull(&mut buf);
            if n == 0 {
                break;
            }
            self.released.extend_from_slice(&buf[..n]);
        }
    }
}

/// Holds a live stream back until its speaker is verified, then releases it
/// with every stretch that is not a household member's speech silenced
/// (filled per the policy). The output is the input delayed by exactly
/// `latency_samples()`: output sample n is input sample n - latency, and
/// the first `latency` output samples are zeros.
///
/// Made from an engine, a snapshot of the store's members now (later
/// enrollments need a new gate), a policy (uncertain speech is silenced,
/// never held: a stream cannot be withheld) and a latency in seconds
/// (1-60, default 4.0). Mono 16 kHz audio only. Thread-safe; the GIL is
/// released while it computes.
#[pyclass(module = "voiceguard", frozen)]
pub struct StreamingGate {
    state: Mutex<State>,
    plan: Arc<GatePlan>,
}

fn poisoned() -> PyErr {
    PyRuntimeError::new_err("an earlier call failed inside this gate; make a new StreamingGate")
}

fn label_text(plan: &GatePlan, l: SpanLabel) -> String {
    plan.label(l).to_string()
}

#[pymethods]
impl StreamingGate {
    #[new]
    #[pyo3(signature = (engine, store, policy = None, latency_s = 4.0))]
    fn new(py: Python<'_>, engine: &Engine, store: &Store, policy: Option<Policy>, latency_s: f32) -> PyResult<Self> {
        let policy = match policy {
            Some(p) => p.to_core()?,
            None => voiceguard::screen::Policy::default(),
        };
        let engine = engine.inner.clone();
        py.detach(|| {
            let guard = store.lock()?;
            let st = guard.get()?;
            let config = GateConfig::for_latency(latency_s, policy.window_s);
            let plan = GatePlan::from_store(engine, st, policy, config).py_err()?;
            let gate = CoreGate::new(plan.clone()).py_err()?;
            Ok(StreamingGate {
                state: Mutex::new(State {
                    gate,
                    released: Vec::new(),
                }),
                plan,
            })
        })
    }

    /// Feeds mono samples at 16 kHz (float32, float64 or int16; 1-D, or
    /// (channels, samples), averaged) and decides what it can. Returns the
    /// number of samples taken (all of them). Raises `InvalidAudioError` for
    /// another sample rate (resample to 16 kHz first) and `InvalidInputError`
    /// after `flush()` (call `reset()`).
    #[pyo3(signature = (samples, sr = 16_000))]
    fn push(&self, py: Python<'_>, samples: &Bound<'_, PyAny>, sr: i64) -> PyResult<usize> {
        let input = mono_input(samples, sr, &self.plan.engine().config().limits)?;
        if input.rate.hz() != 16_000 {
            return Err(invalid_audio(format!(
                "the gate takes 16000 Hz audio, got {} Hz; resample the stream to 16 kHz first",
                input.rate.hz()
            )));
        }
        let x = input.samples();
        py.detach(|| {
            let mut s = self.state.lock().map_err(|_| poisoned())?;
            let mut at = 0;
            while at < x.len() {
                let n = s.gate.push(&x[at..]);
                at += n;
                s.gate.process().py_err()?;
                s.drain();
                if n == 0 && s.gate.free_input() == 0 {
                    return Err(crate::errors::invalid_input(
                        "the gate was flushed; call reset() before pushing a new stream",
                    ));
                }
            }
            Ok(x.len())
        })
    }

    /// Released audio not pulled yet, as float32 (at most `max_samples`
    /// when given); an empty array when nothing is decided yet.
    #[pyo3(signature = (max_samples = None))]
    fn pull<'py>(&self, py: Python<'py>, max_samples: Option<usize>) -> PyResult<Bound<'py, PyArray1<f32>>> {
        let mut s = self.state.lock().map_err(|_| poisoned())?;
        s.drain();
        let n = max_samples.map_or(s.released.len(), |m| m.min(s.released.len()));
        let out = s.released[..n].to_pyarray(py);
        s.released.drain(..n);
        Ok(out)
    }

    /// Ends the stream: decides everything pushed, so `pull()` returns the
    /// rest (latency + pushed samples in all). Push again after `reset()`.
    fn flush(&self, py: Python<'_>) -> PyResult<()> {
        py.detach(|| {
            let mut s = self.state.lock().map_err(|_| poisoned())?;
            let r = s.gate.flush();
            s.drain();
            r.py_err()
        })
    }

    /// Forgets the stream and any audio not pulled; the next push is sample 0.
    fn reset(&self) -> PyResult<()> {
        let mut s = self.state.lock().map_err(|_| poisoned())?;
        s.gate.reset();
        s.released.clear();
        Ok(())
    }

    /// The fixed delay between input and output, in samples at 16 kHz.
    fn latency_samples(&self) -> usize {
        self.plan.latency_samples()
    }

    /// The spans decided since the last call, in order: `Span` with
    /// `start_s`, `end_s` (seconds of input), `label` (`"member:<name>"`,
    /// `"other"`, `"uncertain"`, `"nonspeech"`), `score`, and `action`
    /// (`"redact"` for other and uncertain speech, else `"keep"`). The gate
    /// keeps the newest 1024 unread spans (see `dropped_spans`).
    fn spans(&self) -> PyResult<Vec<Span>> {
        let mut s = self.state.lock().map_err(|_| poisoned())?;
        let mut out = Vec::new();
        while let Some(e) = s.gate.pop_span() {
            out.push(Span {
                start_s: e.start_s,
                end_s: e.end_s,
                label: label_text(&self.plan, e.label),
                score: e.score,
                action: Some(if e.label.is_silenced() { "redact" } else { "keep" }.to_string()),
            });
        }
        Ok(out)
    }

    /// Spans dropped unread because `spans()` was not called often enough.
    #[getter]
    fn dropped_spans(&self) -> PyResult<u64> {
        let s = self.state.lock().map_err(|_| poisoned())?;
        Ok(s.gate.stats().dropped_spans)
    }
}
