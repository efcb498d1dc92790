//! [`Policy`]: every setting that turns scores into a decision, with the
//! privacy-first defaults measured on real speech.

use crate::error::{Error, Result};
use crate::score::Threshold;
use serde::{Deserialize, Serialize};

/// What happens to a clip with speech labelled `other` (a voice that is not enrolled).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OnOther {
    /// Replace the `other` spans with the [`Fill`]; household speech is kept (default).
    Redact,
    /// Withhold the whole clip.
    Hold,
}

/// What happens to a clip with speech labelled `uncertain` (scores between
/// the reject and accept thresholds, or too short to verify).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OnUncertain {
    /// Withhold the whole clip (default: unverified audio never leaves).
    Hold,
    /// Treat uncertain speech as `other`: redact it (or hold, per [`OnOther`]).
    Redact,
}

/// What happens to a clip in which the VAD finds no speech.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OnNoSpeech {
    /// Release it unchanged: there is no voice in it (default).
    Pass,
    /// Withhold it.
    Hold,
}

/// What redacted spans are replaced with.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Fill {
    /// Digital silence (default).
    Silence,
    /// White noise at `level_dbfs` RMS (dBFS, e.g. -60), from a fixed seed so
    /// outputs are reproducible.
    ComfortNoise {
        /// RMS level of the noise, dBFS.
        level_dbfs: f32,
    },
    /// A sine tone of `hz` at `level_dbfs` RMS, so a listener hears where audio was removed.
    Tone {
        /// Tone frequency, Hz.
        hz: f32,
        /// RMS level of the tone, dBFS.
        level_dbfs: f32,
    },
}

/// Screening settings. [`Policy::default`] is the measured privacy-first
/// operating point (see the README's screening section); every field is in
/// the report so a decision can be reproduced.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Policy {
    /// Clips with `other` speech: redact (default) or hold.
    pub on_other: OnOther,
    /// Clips with `uncertain` speech: hold (default) or redact.
    pub on_uncertain: OnUncertain,
    /// Clips without speech: pass (default) or hold.
    pub on_no_speech: OnNoSpeech,
    /// Replacement of redacted spans.
    pub fill: Fill,
    /// Raised-cosine fade between kept audio and the fill, in milliseconds
    /// (default 10). The fades lie in the kept audio, so a redacted span is
    /// replaced completely.
    pub fade_ms: f32,
    /// Cosine at or above which a span of speech (scored as a whole) is a
    /// member's (default 0.83). Measured on `../shared/speech`: held-out
    /// member clips of 3 s or more score 0.834 at the least (p5 0.864);
    /// stranger clips p99.9 0.801, max 0.833 (a similar-voice pair).
    pub accept: Threshold,
    /// Cosine below which a span is `other` (default 0.70); between `reject`
    /// and `accept` it is `uncertain`.
    pub reject: Threshold,
    /// Cosine at or above which one scoring window is confidently a member's
    /// (default 0.80: the best of 2-4 members' scores of stranger windows
    /// has p99.9 0.782, p99.95 0.788).
    pub window_accept: Threshold,
    /// Cosine below which one window is confidently someone else's (default
    /// 0.66: member windows measured p0.1 0.658, min 0.640; stranger windows
    /// median 0.496). Windows between the two window thresholds place no
    /// boundary.
    pub window_reject: Threshold,
    /// Windows scoring below this for every member (but not below
    /// `window_reject`) mark a dip when at least `dip_windows` follow each
    /// other (default 0.77; member windows p5 0.752): the dip becomes a span of
    /// its own, scored as a whole, so a similar voice inside a member's
    /// speech is not averaged into it.
    pub dip_below: Threshold,
    /// Consecutive low windows that make a dip (default 3, about 2.4 s).
    pub dip_windows: u32,
    /// Consecutive windows the encoder's overlapped-speech detector flags
    /// that make a span of overlapped speech (two voices at once), labelled
    /// `other` however well a member's voice in it scores: the other voice
    /// is redacted with the member's over that span (default 2, 0.8 s of
    /// hop; 0 turns the rule off; without a detector it is off).
    #[serde(default = "default_overlap_windows")]
    pub overlap_windows: u32,
    /// Scoring window, in seconds of speech (default 1.6: one GE2E partial).
    pub window_s: f32,
    /// Hop between scoring windows, in seconds (default 0.4).
    pub hop_s: f32,
    /// Least speech a clip needs to be verified at all, in seconds (default
    /// 1.0); a clip with some speech but less than this is held
    /// (`too_short`), and so is a clip shorter than this in which the VAD
    /// finds none (too little context to rule speech out).
    pub min_speech_s: f32,
    /// Shortest span scored on its own, in seconds (default 1.0); a shorter
    /// span between two spans of one member joins them if it is not clearly
    /// `other`, otherwise it is `uncertain`.
    pub min_span_s: f32,
    /// Redaction is widened by this much into neighbouring kept speech on
    /// each side, in seconds (default 0.15): boundaries are estimates, and a
    /// syllable of a stranger is worse than a syllable of a member lost.
    pub margin_s: f32,
}

fn default_overlap_windows() -> u32 {
    Policy::default().overlap_windows
}

impl Default for Policy {
    fn default() -> Self {
        Policy {
            on_other: OnOther::Redact,
            on_uncertain: OnUncertain::Hold,
            on_no_speech: OnNoSpeech::Pass,
            fill: Fill::Silence,
            fade_ms: 10.0,
            accept: Threshold(0.83),
            reject: Threshold(0.70),
            window_accept: Threshold(0.80),
            window_reject: Threshold(0.66),
            dip_below: Threshold(0.77),
            dip_windows: 3,
            overlap_windows: 2,
            window_s: 1.6,
            hop_s: 0.4,
            min_speech_s: 1.0,
            min_span_s: 1.0,
            margin_s: 0.15,
        }
    }
}

impl Policy {
    /// Checks every field's range.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] naming the first bad field, its value and the valid range.
    pub fn validate(&self) -> Result<()> {
        let bad = |what: &'static str, value: f32, expected: &str| Error::InvalidArgument {
            what,
            value: format!("{value}"),
            expected: expected.into(),
        };
        let (a, r) = (self.accept.0, self.reject.0);
        if !(a.is_finite() && (-1.0..=1.0).contains(&a)) {
            return Err(bad("policy accept threshold", a, "a cosine in [-1, 1]"));
        }
        if !(r.is_finite() && (-1.0..=a).contains(&r)) {
            return Err(bad("policy reject threshold", r, "a cosine in [-1, accept]"));
        }
        let (wa, wr) = (self.window_accept.0, self.window_reject.0);
        if !(wa.is_finite() && (-1.0..=1.0).contains(&wa)) {
            return Err(bad("policy window_accept threshold", wa, "a cosine in [-1, 1]"));
        }
        if !(wr.is_finite() && (-1.0..=wa).contains(&wr)) {
            return Err(bad(
                "policy window_reject threshold",
                wr,
                "a cosine in [-1, window_accept]",
            ));
        }
        if !(self.window_s.is_finite() && (0.5..=10.0).contains(&self.window_s)) {
            return Err(bad("policy window", self.window_s, "0.5 to 10 seconds"));
        }
        if !(self.hop_s.is_finite() && self.hop_s >= 0.05 && self.hop_s <= self.window_s) {
            return Err(bad("policy hop", self.hop_s, "0.05 s up to the window length"));
        }
        for (what, v, hi) in [
            ("policy fade", self.fade_ms, 1000.0),
            ("policy min_speech_s", self.min_speech_s, 60.0),
            ("policy min_span_s", self.min_span_s, 60.0),
            ("policy margin_s", self.margin_s, 5.0),
        ] {
            if !(v.is_finite() && (0.0..=hi).contains(&v)) {
                return Err(bad(what, v, &format!("0 to {hi}")));
            }
        }
        match self.fill {
            Fill::Silence => {}
            Fill::ComfortNoise { level_dbfs } => {
                if !(level_dbfs.is_finite() && (-120.0..=-20.0).contains(&level_dbfs)) {
                    return Err(bad("comfort noise level", level_dbfs, "-120 to -20 dBFS"));
                }
            }
            Fill::Tone { hz, level_dbfs } => {
                if !(hz.is_finite() && (20.0..=20_000.0).contains(&hz)) {
                    return Err(bad("tone frequency", hz, "20 to 20000 Hz"));
                }
                if !(level_dbfs.is_finite() && (-120.0..=-6.0).contains(&level_dbfs)) {
                    return Err(bad("tone level", level_dbfs, "-120 to -6 dBFS"));
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_is_valid_and_fails_closed() {
        let p = Policy::default();
        p.validate().unwrap();
        assert_eq!(p.on_uncertain, OnUncertain::Hold);
        assert!(p.reject.0 < p.accept.0);
    }

    #[test]
    fn bad_fields_are_named() {
        let p = Policy {
            hop_s: 0.0,
            ..Policy::default()
        };
        let e = p.validate().unwrap_err().to_string();
        assert!(e.contains("hop"), "{e}");
        let p = Policy {
            reject: Threshold(0.9),
            ..Policy::default()
        };
        assert!(p.validate().unwrap_err().to_string().contains("reject"));
    }
}
