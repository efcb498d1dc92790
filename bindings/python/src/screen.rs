//! `Policy`, `Span`, `WindowScore` and `ScreenResult`: the screening types.

use crate::errors::{invalid_input, IntoPy};
use pyo3::prelude::*;
use pyo3::types::PyDict;
use voiceguard::screen::{self, Fill, OnNoSpeech, OnOther, OnUncertain};
use voiceguard::Threshold;

/// Default level of `fill="noise"`, dBFS RMS (as the CLI's `--fill noise`).
const NOISE_DBFS: f32 = -60.0;
/// Default level of `fill="tone"`, dBFS RMS (as the CLI's `--fill tone`).
const TONE_DBFS: f32 = -30.0;
/// Frequency of `fill="tone"`, Hz (as the CLI's).
const TONE_HZ: f32 = 1000.0;

/// Screening settings: what happens to `other`, `uncertain` and silent clips,
/// the fill, and the measured thresholds. `Policy()` is the core's
/// privacy-first default; every field can be given as a keyword and set
/// later. `validate()` (also run by `Engine.screen`) raises
/// `InvalidInputError` naming the first field out of range.
#[pyclass(module = "voiceguard", eq, from_py_object)]
#[derive(Clone, PartialEq)]
pub struct Policy {
    /// `"redact"` (default) or `"hold"`: clips with speech of a voice not enrolled.
    #[pyo3(get)]
    on_other: String,
    /// `"hold"` (default) or `"redact"`: clips with speech that cannot be verified.
    #[pyo3(get)]
    on_uncertain: String,
    /// `"pass"` (default) or `"hold"`: clips in which the VAD finds no speech.
    #[pyo3(get)]
    on_no_speech: String,
    /// `"silence"` (default), `"noise"` or `"tone"`: what redacted spans become.
    #[pyo3(get)]
    fill: String,
    /// RMS level of a noise or tone fill, dBFS; `None`: -60 for noise, -30 for tone.
    #[pyo3(get, set)]
    fill_level_dbfs: Option<f64>,
    /// Fade between kept audio and fill, milliseconds (default 10).
    #[pyo3(get, set)]
    fade_ms: f64,
    /// Span cosine at or above which speech is a member's (default 0.83).
    #[pyo3(get, set)]
    accept: f64,
    /// Span cosine below which speech is `other` (default 0.70).
    #[pyo3(get, set)]
    reject: f64,
    /// Window cosine at or above which one window is confidently a member's (default 0.80).
    #[pyo3(get, set)]
    window_accept: f64,
    /// Window cosine below which one window is confidently someone else's (default 0.66).
    #[pyo3(get, set)]
    window_reject: f64,
    /// Windows below this for every member form a dip when `dip_windows` follow each other (default 0.77).
    #[pyo3(get, set)]
    dip_below: f64,
    /// Consecutive low windows that make a dip (default 3).
    #[pyo3(get, set)]
    dip_windows: u32,
    /// Consecutive windows the overlap detector flags that make a span of
    /// overlapped speech, labelled `other` (default 2; 0 turns the rule off).
    #[pyo3(get, set)]
    overlap_windows: u32,
    /// Scoring window, seconds of speech (default 1.6).
    #[pyo3(get, set)]
    window_s: f64,
    /// Hop between scoring windows, seconds (default 0.4).
    #[pyo3(get, set)]
    hop_s: f64,
    /// Least speech a clip needs to be verified, seconds (default 1.0).
    #[pyo3(get, set)]
    min_speech_s: f64,
    /// Shortest span scored on its own, seconds (default 1.0).
    #[pyo3(get, set)]
    min_span_s: f64,
    /// Redaction widened by this much on each side, seconds (default 0.15).
    #[pyo3(get, set)]
    margin_s: f64,
}

/// The Python float of a core `f32` setting, as written (0.83, not 0.8299999833106995).
fn wide(x: f32) -> f64 {
    format!("{x}").parse().unwrap_or(f64::from(x))
}

/// A Python float as the core's `f32` (nearest).
#[allow(clippy::cast_possible_truncation)]
fn narrow(x: f64) -> f32 {
    x as f32
}

fn pick(what: &str, value: &str, allowed: &[&str]) -> PyResult<String> {
    if allowed.contains(&value) {
        Ok(value.to_string())
    } else {
        Err(invalid_input(format!(
            "invalid policy {what}: {value:?}; expected one of {}",
            allowed.iter().map(|a| format!("{a:?}")).collect::<Vec<_>>().join(", ")
        )))
    }
}

const ON_OTHER: [&str; 2] = ["redact", "hold"];
const ON_UNCERTAIN: [&str; 2] = ["hold", "redact"];
const ON_NO_SPEECH: [&str; 2] = ["pass", "hold"];
const FILLS: [&str; 3] = ["silence", "noise", "tone"];

impl Policy {
    /// The core policy these settings describe.
    ///
    /// # Errors
    /// `InvalidInputError` for a field out of range (the core's check).
    pub fn to_core(&self) -> PyResult<screen::Policy> {
        let p = screen::Policy {
            on_other: if self.on_other == "hold" {
                OnOther::Hold
            } else {
                OnOther::Redact
            },
            on_uncertain: if self.on_uncertain == "redact" {
                OnUncertain::Redact
            } else {
                OnUncertain::Hold
            },
            on_no_speech: if self.on_no_speech == "hold" {
                OnNoSpeech::Hold
            } else {
                OnNoSpeech::Pass
            },
            fill: match self.fill.as_str() {
                "noise" => Fill::ComfortNoise {
                    level_dbfs: self.fill_level_dbfs.map_or(NOISE_DBFS, narrow),
                },
                "tone" => Fill::Tone {
                    hz: TONE_HZ,
                    level_dbfs: self.fill_level_dbfs.map_or(TONE_DBFS, narrow),
                },
                _ => {
                    if let Some(l) = self.fill_level_dbfs {
                        return Err(invalid_input(format!(
                            "invalid policy fill_level_dbfs: {l}; a level needs fill=\"noise\" or fill=\"tone\" (silence has none)"
                        )));
                    }
                    Fill::Silence
                }
            },
            fade_ms: narrow(self.fade_ms),
            accept: Threshold(narrow(self.accept)),
            reject: Threshold(narrow(self.reject)),
            window_accept: Threshold(narrow(self.window_accept)),
            window_reject: Threshold(narrow(self.window_reject)),
            dip_below: Threshold(narrow(self.dip_below)),
            dip_windows: self.dip_windows,
            overlap_windows: self.overlap_windows,
            window_s: narrow(self.window_s),
            hop_s: narrow(self.hop_s),
            min_speech_s: narrow(self.min_speech_s),
            min_span_s: narrow(self.min_span_s),
            margin_s: narrow(self.margin_s),
        };
        p.validate().py_err()?;
        Ok(p)
    }
}

#[pymethods]
impl Policy {
    #[new]
    #[pyo3(signature = (
        *, on_other = "redact", on_uncertain = "hold", on_no_speech = "pass", fill = "silence",
        fill_level_dbfs = None, fade_ms = None, accept = None, reject = None, window_accept = None,
        window_reject = None, dip_below = None, dip_windows = None, overlap_windows = None, window_s = None,
        hop_s = None,
        min_speech_s = None, min_span_s = None, margin_s = None
    ))]
    #[allow(clippy::too_many_arguments)]
    fn new(
        on_other: &str,
        on_uncertain: &str,
        on_no_speech: &str,
        fill: &str,
        fill_level_dbfs: Option<f64>,
        fade_ms: Option<f64>,
        accept: Option<f64>,
        reject: Option<f64>,
        window_accept: Option<f64>,
        window_reject: Option<f64>,
        dip_below: Option<f64>,
        dip_windows: Option<u32>,
        overlap_windows: Option<u32>,
        window_s: Option<f64>,
        hop_s: Option<f64>,
        min_speech_s: Option<f64>,
        min_span_s: Option<f64>,
        margin_s: Option<f64>,
    ) -> PyResult<Self> {
        let d = screen::Policy::default();
        let p = Policy {
            on_other: pick("on_other", on_other, &ON_OTHER)?,
            on_uncertain: pick("on_uncertain", on_uncertain, &ON_UNCERTAIN)?,
            on_no_speech: pick("on_no_speech", on_no_speech, &ON_NO_SPEECH)?,
            fill: pick("fill", fill, &FILLS)?,
            fill_level_dbfs,
            fade_ms: fade_ms.unwrap_or(wide(d.fade_ms)),
            accept: accept.unwrap_or(wide(d.accept.0)),
            reject: reject.unwrap_or(wide(d.reject.0)),
            window_accept: window_accept.unwrap_or(wide(d.window_accept.0)),
            window_reject: window_reject.unwrap_or(wide(d.window_reject.0)),
            dip_below: dip_below.unwrap_or(wide(d.dip_below.0)),
            dip_windows: dip_windows.unwrap_or(d.dip_windows),
            overlap_windows: overlap_windows.unwrap_or(d.overlap_windows),
            window_s: window_s.unwrap_or(wide(d.window_s)),
            hop_s: hop_s.unwrap_or(wide(d.hop_s)),
            min_speech_s: min_speech_s.unwrap_or(wide(d.min_speech_s)),
            min_span_s: min_span_s.unwrap_or(wide(d.min_span_s)),
            margin_s: margin_s.unwrap_or(wide(d.margin_s)),
        };
        p.to_core()?;
        Ok(p)
    }

    #[setter]
    fn set_on_other(&mut self, v: &str) -> PyResult<()> {
        self.on_other = pick("on_other", v, &ON_OTHER)?;
        Ok(())
    }

    #[setter]
    fn set_on_uncertain(&mut self, v: &str) -> PyResult<()> {
        self.on_uncertain = pick("on_uncertain", v, &ON_UNCERTAIN)?;
        Ok(())
    }

    #[setter]
    fn set_on_no_speech(&mut self, v: &str) -> PyResult<()> {
        self.on_no_speech = pick("on_no_speech", v, &ON_NO_SPEECH)?;
        Ok(())
    }

    #[setter]
    fn set_fill(&mut self, v: &str) -> PyResult<()> {
        self.fill = pick("fill", v, &FILLS)?;
        Ok(())
    }

    /// Raises `InvalidInputError` naming the first field out of range.
    fn validate(&self) -> PyResult<()> {
        self.to_core().map(|_| ())
    }

    /// The settings as a dict (keyword arguments of `Policy(...)`).
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let d = PyDict::new(py);
        d.set_item("on_other", &self.on_other)?;
        d.set_item("on_uncertain", &self.on_uncertain)?;
        d.set_item("on_no_speech", &self.on_no_speech)?;
        d.set_item("fill", &self.fill)?;
        d.set_item("fill_level_dbfs", self.fill_level_dbfs)?;
        d.set_item("fade_ms", self.fade_ms)?;
        d.set_item("accept", self.accept)?;
        d.set_item("reject", self.reject)?;
        d.set_item("window_accept", self.window_accept)?;
        d.set_item("window_reject", self.window_reject)?;
        d.set_item("dip_below", self.dip_below)?;
        d.set_item("dip_windows", self.dip_windows)?;
        d.set_item("overlap_windows", self.overlap_windows)?;
        d.set_item("window_s", self.window_s)?;
        d.set_item("hop_s", self.hop_s)?;
        d.set_item("min_speech_s", self.min_speech_s)?;
        d.set_item("min_span_s", self.min_span_s)?;
        d.set_item("margin_s", self.margin_s)?;
        Ok(d)
    }

    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        let d = self.to_dict(py)?;
        let mut parts = Vec::new();
        for (k, v) in d.iter() {
            parts.push(format!("{}={}", k.str()?, v.repr()?));
        }
        Ok(format!("Policy({})", parts.join(", ")))
    }
}

/// A stretch of a clip with one label, in seconds from the clip's start.
#[pyclass(module = "voiceguard", frozen, eq)]
#[derive(Clone, PartialEq)]
pub struct Span {
    /// Start, seconds.
    #[pyo3(get)]
    pub start_s: f64,
    /// End, seconds (exclusive).
    #[pyo3(get)]
    pub end_s: f64,
    /// `"member:<name>"`, `"other"`, `"uncertain"`, `"nonspeech"`; `"speech"` from `Engine.vad`.
    #[pyo3(get)]
    pub label: String,
    /// Best cosine of the span's speech to a member; `None` for non-speech,
    /// speech too short to score, and VAD spans.
    #[pyo3(get)]
    pub score: Option<f32>,
    /// `"keep"` or `"redact"` in a screening result; `None` for VAD spans.
    #[pyo3(get)]
    pub action: Option<String>,
}

impl Span {
    pub fn from_core(s: &screen::Span) -> Self {
        Span {
            start_s: s.start_s,
            end_s: s.end_s,
            label: s.label.to_string(),
            score: s.score,
            action: Some(
                match s.action {
                    screen::Action::Keep => "keep",
                    screen::Action::Redact => "redact",
                }
                .to_string(),
            ),
        }
    }
}

#[pymethods]
impl Span {
    /// The member's name for a `"member:<name>"` span, else `None`.
    #[getter]
    fn member(&self) -> Option<&str> {
        self.label.strip_prefix("member:")
    }

    /// `end_s - start_s`.
    #[getter]
    fn duration_s(&self) -> f64 {
        self.end_s - self.start_s
    }

    fn __repr__(&self) -> String {
        format!(
            "Span(start_s={:.3}, end_s={:.3}, label={:?}, score={}, action={})",
            self.start_s,
            self.end_s,
            self.label,
            self.score.map_or_else(|| "None".into(), |s| format!("{s:.4}")),
            self.action.as_ref().map_or_else(|| "None".into(), |a| format!("{a:?}"))
        )
    }
}

/// The best member score of one scoring window.
#[pyclass(module = "voiceguard", frozen)]
#[derive(Clone)]
pub struct WindowScore {
    /// Window start in the clip, seconds.
    #[pyo3(get)]
    pub start_s: f64,
    /// Window end in the clip, seconds.
    #[pyo3(get)]
    pub end_s: f64,
    /// Best-scoring member.
    #[pyo3(get)]
    pub member: String,
    /// Cosine to that member.
    #[pyo3(get)]
    pub score: f32,
}

#[pymethods]
impl WindowScore {
    fn __repr__(&self) -> String {
        format!(
            "WindowScore(start_s={:.3}, end_s={:.3}, member={:?}, score={:.4})",
            self.start_s, self.end_s, self.member, self.score
        )
    }
}

/// What `Engine.screen` decided about one clip.
///
/// `decision` is `"pass"` (`output` is the input array itself), `"redact"`
/// (`output` is a new array of the input's dtype and shape with the
/// `redactions` replaced by the policy's fill) or `"hold"` (`output` is
/// `None`: nothing may be released). There is no default decision.
#[pyclass(module = "voiceguard", frozen)]
pub struct ScreenResult {
    /// `"pass"`, `"redact"` or `"hold"`.
    #[pyo3(get)]
    pub decision: String,
    /// Why, as report codes (`"all_members"`, `"other_speech"`, `"uncertain_speech"`, ...).
    #[pyo3(get)]
    pub reasons: Vec<String>,
    /// Labelled spans covering the clip, in order.
    #[pyo3(get)]
    pub spans: Vec<Span>,
    /// Per-window best member scores.
    #[pyo3(get)]
    pub windows: Vec<WindowScore>,
    /// Replaced ranges in seconds, `(start_s, end_s)`; empty unless redacted.
    #[pyo3(get)]
    pub redactions: Vec<(f64, f64)>,
    /// What may be released: the input (pass), a redacted copy (redact), or `None` (hold).
    #[pyo3(get)]
    pub output: Option<Py<PyAny>>,
    /// Sample rate of `output` (the input's), Hz.
    #[pyo3(get)]
    pub sample_rate: u32,
}

impl ScreenResult {
    pub fn new(v: &screen::Verdict, output: Option<Py<PyAny>>, sample_rate: u32) -> Self {
        ScreenResult {
            decision: v.decision.as_str().to_string(),
            reasons: v.reasons.iter().map(|r| r.as_str().to_string()).collect(),
            spans: v.spans.iter().map(Span::from_core).collect(),
            windows: v
                .windows
                .iter()
                .map(|w| WindowScore {
                    start_s: w.start_s,
                    end_s: w.end_s,
                    member: w.member.clone(),
                    score: w.score,
                })
                .collect(),
            redactions: v.redactions.clone(),
            output,
            sample_rate,
        }
    }
}

#[pymethods]
impl ScreenResult {
    fn __repr__(&self) -> String {
        format!(
            "ScreenResult(decision={:?}, reasons={:?}, spans={}, redactions={:?})",
            self.decision,
            self.reasons,
            self.spans.len(),
            self.redactions
        )
    }
}
