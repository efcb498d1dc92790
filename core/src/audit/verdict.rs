//! The export-level verdict: is this export the household's at all?

use crate::error::{Error, Result};
use crate::screen::{ClipReport, Label, Reason};
use serde::{Deserialize, Serialize};

/// Whether the export as a whole looks like the household's.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum VerdictKind {
    /// Non-household speech stays below the thresholds: clips are released per clip.
    Consistent,
    /// Too many speech clips are not household speech: the export itself is wrong.
    Suspicious,
}

/// What a suspicious export releases.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OnSuspicious {
    /// Hold every file of the export (default).
    HoldAll,
    /// Release the clips that passed verification (and non-audio files not
    /// tied to a held clip); hold the redacted clips with the rest.
    ReleaseVerified,
}

/// When an export is `suspicious`: both bounds must be reached.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct VerdictThresholds {
    /// Share of speech clips that are not household speech, in [0, 1], at or
    /// above which the export is suspicious.
    pub min_share: f64,
    /// Number of non-household speech clips at or above which the export may
    /// be suspicious (so a handful of guest clips in a small export never is).
    pub min_count: usize,
}

impl VerdictThresholds {
    /// Default share: 0.5. Measured on the corpus (`core/tests/audit_incidents.rs`,
    /// household of 2 enrolled speakers, 200 of its clips of 1.5-10 s): its own
    /// clips alone have a non-household share of 0.24 (short and uncertain
    /// clips are held), an ordinary export with 10 guest clips 0.27, a
    /// misdirected export (plus 1,700 clips of others) 0.92, a stranger's
    /// export to an empty store 1.0. 0.5 leaves more than 0.2 on both sides.
    pub const DEFAULT_MIN_SHARE: f64 = 0.5;
    /// Default count: 20 non-household speech clips.
    pub const DEFAULT_MIN_COUNT: usize = 20;

    /// Checks the ranges.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] if `min_share` is outside [0, 1] or not finite.
    pub fn validate(&self) -> Result<()> {
        if !(0.0..=1.0).contains(&self.min_share) {
            return Err(Error::InvalidArgument {
                what: "suspicious share",
                value: self.min_share.to_string(),
                expected: "a share between 0 and 1 (e.g. 0.5 for half of the speech clips)".into(),
            });
        }
        Ok(())
    }
}

impl Default for VerdictThresholds {
    fn default() -> Self {
        VerdictThresholds {
            min_share: Self::DEFAULT_MIN_SHARE,
            min_count: Self::DEFAULT_MIN_COUNT,
        }
    }
}

/// The export verdict with the counts behind it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExportVerdict {
    /// `consistent` or `suspicious`.
    pub verdict: VerdictKind,
    /// One plain sentence saying why; the first line of every report.
    pub headline: String,
    /// Audio clips screened (decoded or not).
    pub clips: usize,
    /// Clips with speech (any labelled speech span).
    pub speech_clips: usize,
    /// Speech clips with speech that is not verified household speech
    /// (`other` or `uncertain` spans, including every speech clip of an empty store).
    pub non_household_clips: usize,
    /// `non_household_clips / speech_clips` (0 without speech clips).
    pub non_household_share: f64,
    /// Clips that could not be screened (held on error).
    pub error_clips: usize,
    /// Whether the store had no members.
    pub empty_store: bool,
    /// The thresholds applied.
    pub thresholds: VerdictThresholds,
}

/// Whether `clip` has speech, and whether any of it is not household speech.
#[must_use]
pub fn speech_of(clip: &ClipReport) -> (bool, bool) {
    let speech = clip.spans.iter().any(|s| s.label != Label::Nonspeech);
    let unverified = clip.spans.iter().any(|s| s.label.is_unverified_speech());
    (speech, speech && unverified)
}

impl ExportVerdict {
    /// The verdict over the screened audio `clips` of one export.
    #[must_use]
    pub fn of(clips: &[ClipReport], thresholds: VerdictThresholds) -> Self {
        let mut speech_clips = 0;
        let mut non_household = 0;
        let mut errors = 0;
        let mut empty_store = false;
        for c in clips {
            let (speech, other) = speech_of(c);
            speech_clips += usize::from(speech);
            non_household += usize::from(other);
            errors += usize::from(c.reasons.contains(&Reason::Error));
            empty_store |= c.reasons.contains(&Reason::EmptyStore);
        }
        #[allow(clippy::cast_precision_loss)]
        let share = if speech_clips == 0 {
            0.0
        } else {
            non_household as f64 / speech_clips as f64
        };
        let suspicious = non_household >= thresholds.min_count.max(1) && share >= thresholds.min_share;
        let verdict = if suspicious {
            VerdictKind::Suspicious
        } else {
            VerdictKind::Consistent
        };
        let pct = share * 100.0;
        let mut headline = match verdict {
            VerdictKind::Suspicious => format!(
                "Export verdict: SUSPICIOUS: {non_household} of {speech_clips} speech clips ({pct:.1} %) are not household speech \
                 (thresholds: at least {} clips and {:.0} %)",
                thresholds.min_count,
                thresholds.min_share * 100.0
            ),
            VerdictKind::Consistent => format!(
                "Export verdict: consistent: {non_household} of {speech_clips} speech clips ({pct:.1} %) are not household speech \
                 (suspicious from {} clips and {:.0} %)",
                thresholds.min_count,
                thresholds.min_share * 100.0
            ),
        };
        if empty_store {
            headline
                .push_str("; the household store has no enrolled voices, so no speech can be released (empty_store)");
        }
        if errors > 0 {
            headline.push_str(&format!("; {errors} clip(s) could not be screened and are held"));
        }
        ExportVerdict {
            verdict,
            headline,
            clips: clips.len(),
            speech_clips,
            non_household_clips: non_household,
            non_household_share: share,
            error_clips: errors,
            empty_store,
            thresholds,
        }
    }
}
