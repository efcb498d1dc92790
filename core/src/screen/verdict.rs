//! What screening concludes about a clip: [`Decision`], [`Reason`]s, labelled [`Span`]s.

use serde::{Deserialize, Serialize};
use std::fmt;

/// The fate of a clip. Deliberately no `Default`: every decision is made by
/// [`decide`](super::decide), and every error path ends in [`Decision::Hold`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Decision {
    /// All speech is household speech (or there is none): released unchanged.
    Pass,
    /// Some speech is `other`: released with those spans replaced.
    Redact,
    /// Withheld: no output is written.
    Hold,
}

impl Decision {
    /// `"pass"`, `"redact"` or `"hold"`.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Decision::Pass => "pass",
            Decision::Redact => "redact",
            Decision::Hold => "hold",
        }
    }
}

impl fmt::Display for Decision {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why a clip got its decision (report code in `snake_case`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Reason {
    /// All speech matched household members.
    AllMembers,
    /// The VAD found no speech.
    NoSpeech,
    /// Some speech is `other`.
    OtherSpeech,
    /// Some speech is `uncertain`.
    UncertainSpeech,
    /// The policy holds clips with `other` speech instead of redacting.
    PolicyHold,
    /// The store has no members: no voice audio leaves an account with no enrolled voices.
    EmptyStore,
    /// Speech was found, but less than the policy's `min_speech_s`; or the
    /// whole clip is shorter than that, speech or not.
    TooShort,
    /// The clip could not be read or processed (see the error in the report).
    Error,
}

impl Reason {
    /// The report code, e.g. `"other_speech"`.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Reason::AllMembers => "all_members",
            Reason::NoSpeech => "no_speech",
            Reason::OtherSpeech => "other_speech",
            Reason::UncertainSpeech => "uncertain_speech",
            Reason::PolicyHold => "policy_hold",
            Reason::EmptyStore => "empty_store",
            Reason::TooShort => "too_short",
            Reason::Error => "error",
        }
    }
}

/// Who is speaking in a span.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Label {
    /// The enrolled member of this name.
    Member(String),
    /// A voice that is not enrolled.
    Other,
    /// Speech that could not be verified either way.
    Uncertain,
    /// No speech (VAD).
    Nonspeech,
}

impl Label {
    /// Whether this is speech of no enrolled member (`other` or `uncertain`).
    #[must_use]
    pub fn is_unverified_speech(&self) -> bool {
        matches!(self, Label::Other | Label::Uncertain)
    }
}

impl fmt::Display for Label {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Label::Member(n) => write!(f, "member:{n}"),
            Label::Other => f.write_str("other"),
            Label::Uncertain => f.write_str("uncertain"),
            Label::Nonspeech => f.write_str("nonspeech"),
        }
    }
}

impl Serialize for Label {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Label {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Ok(match s.as_str() {
            "other" => Label::Other,
            "uncertain" => Label::Uncertain,
            "nonspeech" => Label::Nonspeech,
            _ => match s.strip_prefix("member:") {
                Some(n) if !n.is_empty() => Label::Member(n.to_owned()),
                _ => return Err(serde::de::Error::custom(format!("unknown span label {s:?}"))),
            },
        })
    }
}

/// What the output does with a span.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// Released as recorded.
    Keep,
    /// Replaced by the policy's fill (or the clip is held).
    Redact,
}

/// A stretch of the clip with one label, in seconds from the clip's start.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Span {
    /// Start, seconds.
    pub start_s: f64,
    /// End, seconds (exclusive).
    pub end_s: f64,
    /// Who speaks.
    pub label: Label,
    /// Best cosine of the span's speech to a member (`None` for non-speech or
    /// speech too short to score).
    pub score: Option<f32>,
    /// What the output does with it.
    pub action: Action,
}

/// The best member score of one scoring window.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WindowScore {
    /// Window start in the clip, seconds.
    pub start_s: f64,
    /// Window end in the clip, seconds (a window over a pause spans it).
    pub end_s: f64,
    /// Best-scoring member.
    pub member: String,
    /// Cosine to that member.
    pub score: f32,
}

/// Screening's conclusion about one clip.
#[derive(Debug, Clone, PartialEq)]
pub struct Verdict {
    /// The decision.
    pub decision: Decision,
    /// Why (sorted, no duplicates; never empty).
    pub reasons: Vec<Reason>,
    /// Labelled spans covering the whole clip in order (none for an empty clip).
    pub spans: Vec<Span>,
    /// Per-window best scores, for plots and audits.
    pub windows: Vec<WindowScore>,
    /// Ranges to replace, in seconds (with the policy margin applied,
    /// merged, sorted); empty unless `decision` is [`Decision::Redact`].
    pub redactions: Vec<(f64, f64)>,
}

impl Verdict {
    /// A hold for `reason` with no analysis (errors, empty store).
    #[must_use]
    pub fn hold(reason: Reason) -> Self {
        Verdict {
            decision: Decision::Hold,
            reasons: vec![reason],
            spans: Vec::new(),
            windows: Vec::new(),
            redactions: Vec::new(),
        }
    }

    /// Seconds of speech labelled `other` or `uncertain`.
    #[must_use]
    pub fn unverified_speech_s(&self) -> f64 {
        self.spans
            .iter()
            .filter(|s| s.label.is_unverified_speech())
            .map(|s| s.end_s - s.start_s)
            .sum()
    }

    /// Seconds replaced in the output (0 unless redacted).
    #[must_use]
    pub fn redacted_s(&self) -> f64 {
        self.redactions.iter().map(|(a, b)| b - a).sum()
    }
}
