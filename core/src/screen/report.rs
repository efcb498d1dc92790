//! The screening report: what was decided about every clip, and why.
//! Schema: `docs/report.schema.json`, described in `docs/report-schema.md`.

use super::policy::Policy;
use super::verdict::{Decision, Reason, Span, WindowScore};
use serde::{Deserialize, Serialize};

/// Version of the report layout; bumped on any incompatible change.
pub const REPORT_SCHEMA_VERSION: u32 = 1;

/// Which model made the embeddings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ModelRef {
    /// Model id, `name:sha256-prefix`.
    pub id: String,
    /// Full sha256 of the ONNX file, hex.
    pub sha256: String,
}

/// One clip's outcome.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClipReport {
    /// Input path as given (or relative to the input directory).
    pub input: String,
    /// sha256 of the input file's bytes, hex (`None` if it could not be read).
    pub sha256: Option<String>,
    /// Duration in seconds (`None` if it could not be decoded).
    pub duration_s: Option<f64>,
    /// The decision.
    pub decision: Decision,
    /// Why (never empty).
    pub reasons: Vec<Reason>,
    /// The error that forced a hold, with what to do about it.
    pub error: Option<String>,
    /// Path of the written output (`None` when held or not written).
    pub output: Option<String>,
    /// sha256 of the written output, hex.
    pub output_sha256: Option<String>,
    /// Labelled spans covering the clip.
    pub spans: Vec<Span>,
    /// Per-window best member scores.
    pub windows: Vec<WindowScore>,
    /// Ranges replaced in the output, seconds `[start, end]`.
    pub redactions: Vec<(f64, f64)>,
}

/// Totals over all clips.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    /// Clips passed.
    pub pass: usize,
    /// Clips redacted.
    pub redact: usize,
    /// Clips held.
    pub hold: usize,
    /// Seconds of speech labelled `other`.
    pub other_speech_s: f64,
    /// Seconds of speech labelled `uncertain`.
    pub uncertain_speech_s: f64,
    /// Seconds replaced in written outputs.
    pub redacted_s: f64,
}

impl Summary {
    /// Totals of `clips`.
    #[must_use]
    pub fn of(clips: &[ClipReport]) -> Self {
        let mut s = Summary::default();
        for c in clips {
            match c.decision {
                Decision::Pass => s.pass += 1,
                Decision::Redact => s.redact += 1,
                Decision::Hold => s.hold += 1,
            }
            for span in &c.spans {
                let d = span.end_s - span.start_s;
                match span.label {
                    super::Label::Other => s.other_speech_s += d,
                    super::Label::Uncertain => s.uncertain_speech_s += d,
                    _ => {}
                }
            }
            s.redacted_s += c.redactions.iter().map(|(a, b)| b - a).sum::<f64>();
        }
        s
    }
}

/// A whole screening run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Report {
    /// [`REPORT_SCHEMA_VERSION`].
    pub schema_version: u32,
    /// Version of the voiceguard that wrote it.
    pub voiceguard_version: String,
    /// The speaker model.
    pub model: ModelRef,
    /// Every policy setting used.
    pub policy: Policy,
    /// Names of the enrolled members screened against.
    pub members: Vec<String>,
    /// One entry per input clip, in input order.
    pub clips: Vec<ClipReport>,
    /// Totals.
    pub summary: Summary,
}
