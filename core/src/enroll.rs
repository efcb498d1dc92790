//! Enrollment: an [`Enroller`] takes utterances of one household member (files
//! or sample buffers), reports after each one how much speech has been
//! collected and what is wrong with the recording, and finally makes a
//! voiceprint ([`Enrollment`]).
//!
//! The voiceprint is the L2-normalised mean of the L2-normalised utterance
//! embeddings. Its *consistency* is the mean cosine of those utterance
//! embeddings to the voiceprint, which equals the norm of their mean; that
//! identity is what lets [`merge`] combine two enrollments exactly.
//!
//! Quality problems are [`Finding`]s, not errors: a recording with no speech is
//! an [`UtteranceReport`] with `accepted == false`. Only I/O, decoding, invalid
//! arguments and model failures are [`Error`]s.
//!
//! ## Calibration
//! The defaults of [`EnrollConfig`] were measured on the real-speech corpus
//! (`../shared/speech`: 149 LibriSpeech/VCTK/LJ/Arctic clips of 1.4-19 s of
//! speech from 38 speakers, 300 FSDD clips recorded at 8 kHz and upsampled,
//! 4 mixtures of three or four speakers); `core/tests/enroll_corpus.rs`
//! prints the distributions with `--nocapture`.
//! Each field's documentation gives the numbers it was set from.

use crate::audio::{self, AudioBuf};
use crate::embed::Embedding;
use crate::error::{Error, Result};
use crate::pipeline::Engine;
use crate::score::{Score, Threshold};
use crate::units::{Db, SampleRate};
use crate::voiceprint::Member;
use realfft::RealFftPlanner;
use std::fmt;
use std::ops::Range;
use std::path::Path;
use zeroize::Zeroize;

/// Partial windows (1.6 s every ~0.77 s for GE2E) averaged into one "stretch"
/// for the within-utterance voice check: 3 partials span about 3.1 s of speech.
const PARTIALS_PER_STRETCH: usize = 3;
/// Frame length of the SNR estimate, in samples at 16 kHz (20 ms).
const SNR_FRAME: usize = 320;
/// FFT length of the high-band measurement, in samples at 16 kHz (32 ms); hop is half.
const BAND_FFT: usize = 512;
/// Lowest frequency counted in the band measurement's total, in Hz (skips DC and hum).
const BAND_FLOOR_HZ: f32 = 150.0;
/// Edge of the telephone band, in Hz: upsampled 8 kHz audio has nothing above it.
const NARROW_EDGE_HZ: f32 = 4_000.0;
/// Noise power floor of the SNR estimate (-100 dBFS), so digital silence gives a finite SNR.
const NOISE_FLOOR_POWER: f64 = 1e-10;

/// Settings of an [`Enroller`]. All durations are seconds of speech found by
/// the VAD (not of audio), cosines are in [-1, 1], levels in dB.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct EnrollConfig {
    /// Net speech needed over all accepted utterances, in seconds (default 15.0).
    pub min_speech_s: f32,
    /// Accepted utterances needed (default 3).
    pub min_utterances: u32,
    /// Least speech in one utterance, in seconds (default 1.0); shorter
    /// utterances are rejected with [`FindingCode::TooShort`].
    pub min_utterance_speech_s: f32,
    /// Absolute sample value at or above which a sample counts as clipped,
    /// in (0, 1] of full scale (default 0.999).
    pub clip_level: f32,
    /// Share of clipped samples above which [`FindingCode::Clipping`] warns,
    /// in [0, 1] (default 0.001 = 0.1 %). No corpus clip has any clipped sample.
    pub max_clipped_share: f32,
    /// Estimated SNR below which [`FindingCode::LowSnr`] warns, in dB (default 15).
    ///
    /// The estimate is the mean power of the 20 ms frames the VAD calls speech
    /// over the median power of the other frames (speech power net of noise).
    /// Measured on the 116 clean clips with enough non-speech: min 3.0, p5 15.9,
    /// median 30.3 dB; the 6 below 15 dB are LibriSpeech recordings with
    /// audible background (ls-150 reads 3.0 dB: its noise floor is -31 dBFS
    /// under speech at -20 to -28 dBFS). The same clips with white noise
    /// added at 10 dB read 8.8-10.3 dB (p5-max), at 5 dB 4.3-5.3 dB.
    pub min_snr_db: f32,
    /// Non-speech needed to estimate the SNR, in seconds (default 0.25); with
    /// less, `snr_db` is `None` and no SNR finding is made.
    pub min_noise_s: f32,
    /// Cosine below which a new utterance is declared a different voice from
    /// the mean of the accepted ones, rejecting it with
    /// [`FindingCode::MultipleVoices`] (default 0.65). Measured on the 18
    /// corpus speakers with 3+ clips: a clip against one other clip of its
    /// speaker min 0.687, p5 0.788 (none rejected at 0.65), against all the
    /// others min 0.796; a clip of another speaker passes 6.8 % of the time
    /// against one clip and 11.7 % against all of a speaker's clips. So this
    /// is a guard against mistakes, not against impostors:
    /// [`Enrollment::check_matches`] and the verifier use the stricter
    /// [`Threshold::GE2E_EER`] (0.6 % pass).
    pub multi_voice_cosine: f32,
    /// Cosine below which two ~3.1 s stretches of one utterance (each
    /// embedded on its own; needs at least ~5.4 s of speech) are declared
    /// different voices, rejecting it with [`FindingCode::MultipleVoices`]
    /// (default 0.62). Measured: 103 clean clips min 0.692, p5 0.780, median
    /// 0.861; the 4 three-speaker mixtures 0.403-0.536. Lower than
    /// `multi_voice_cosine`: 3 s stretches vary more than whole utterances.
    pub stretch_cosine: f32,
    /// Energy above 4 kHz relative to the energy of the whole band (150 Hz -
    /// 8 kHz) in speech, below which [`FindingCode::Narrowband`] warns that
    /// the audio was recorded at 8 kHz (telephone band) and upsampled, in dB
    /// (default -38, 12 dB from either side). Measured: 300 upsampled FSDD
    /// clips -83.4 to -50.5 dB (median -73.4); 149 wide-band clips -26.5 to
    /// -2.5 dB (median -16.8).
    pub narrowband_db: f32,
    /// Default cosine an enrollment's voiceprint needs to an existing member's
    /// voiceprint before [`merge`] (default [`Threshold::GE2E_EER`], 0.76); see
    /// [`Enrollment::check_matches`].
    pub match_threshold: Threshold,
}

impl Default for EnrollConfig {
    fn default() -> Self {
        EnrollConfig {
            min_speech_s: 15.0,
            min_utterances: 3,
            min_utterance_speech_s: 1.0,
            clip_level: 0.999,
            max_clipped_share: 0.001,
            min_snr_db: 15.0,
            min_noise_s: 0.25,
            multi_voice_cosine: 0.65,
            stretch_cosine: 0.62,
            narrowband_db: -38.0,
            match_threshold: Threshold::GE2E_EER,
        }
    }
}

impl EnrollConfig {
    /// Checks every field's range.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] naming the first field out of range, its
    /// value and the valid range.
    pub fn validate(&self) -> Result<()> {
        let bad = |what: &'static str, value: f32, expected: &str| Error::InvalidArgument {
            what,
            value: value.to_string(),
            expected: expected.to_string(),
        };
        if !(self.min_speech_s.is_finite() && self.min_speech_s >= 0.0) {
            return Err(bad("min_speech_s", self.min_speech_s, "seconds, finite and >= 0"));
        }
        if !(self.min_utterance_speech_s.is_finite() && self.min_utterance_speech_s >= 0.1) {
            return Err(bad(
                "min_utterance_speech_s",
                self.min_utterance_speech_s,
                "seconds, finite and >= 0.1 (the encoder needs some speech)",
            ));
        }
        if !(self.clip_level > 0.0 && self.clip_level <= 1.0) {
            return Err(bad("clip_level", self.clip_level, "a fraction of full scale in (0, 1]"));
        }
        if !(0.0..=1.0).contains(&self.max_clipped_share) {
            return Err(bad("max_clipped_share", self.max_clipped_share, "a share in [0, 1]"));
        }
        if !self.min_snr_db.is_finite() {
            return Err(bad("min_snr_db", self.min_snr_db, "a finite level in dB"));
        }
        if !(self.min_noise_s.is_finite() && self.min_noise_s >= 0.02) {
            return Err(bad(
                "min_noise_s",
                self.min_noise_s,
                "seconds, finite and >= 0.02 (one frame)",
            ));
        }
        if !(-1.0..=1.0).contains(&self.multi_voice_cosine) {
            return Err(bad(
                "multi_voice_cosine",
                self.multi_voice_cosine,
                "a cosine in [-1, 1]",
            ));
        }
        if !(-1.0..=1.0).contains(&self.stretch_cosine) {
            return Err(bad("stretch_cosine", self.stretch_cosine, "a cosine in [-1, 1]"));
        }
        if !self.narrowband_db.is_finite() {
            return Err(bad(
                "narrowband_db",
                self.narrowband_db,
                "a finite level in dB, e.g. -38",
            ));
        }
        if !(-1.0..=1.0).contains(&self.match_threshold.0) {
            return Err(bad("match_threshold", self.match_threshold.0, "a cosine in [-1, 1]"));
        }
        Ok(())
    }
}

/// What a [`Finding`] is about. Stable snake_case codes via [`FindingCode::as_str`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum FindingCode {
    /// Less speech than [`EnrollConfig::min_utterance_speech_s`]. Rejects.
    TooShort,
    /// The VAD found no speech at all. Rejects.
    NoSpeech,
    /// More clipped samples than [`EnrollConfig::max_clipped_share`]. Warns.
    Clipping,
    /// Estimated SNR below [`EnrollConfig::min_snr_db`]. Warns.
    LowSnr,
    /// Parts of the utterance, or the utterance and the member's other
    /// utterances, sound like different people. Rejects.
    MultipleVoices,
    /// Nothing above 4 kHz: 8 kHz (telephone-band) audio upsampled. Warns.
    Narrowband,
}

impl FindingCode {
    /// Stable snake_case code, as printed by the CLI and in JSON.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            FindingCode::TooShort => "too_short",
            FindingCode::NoSpeech => "no_speech",
            FindingCode::Clipping => "clipping",
            FindingCode::LowSnr => "low_snr",
            FindingCode::MultipleVoices => "multiple_voices",
            FindingCode::Narrowband => "narrowband",
        }
    }

    /// Whether a finding of this kind keeps the utterance out of the voiceprint.
    #[must_use]
    pub fn rejects(self) -> bool {
        matches!(
            self,
            FindingCode::TooShort | FindingCode::NoSpeech | FindingCode::MultipleVoices
        )
    }
}

impl fmt::Display for FindingCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One quality problem of an utterance: a code and a plain sentence with the
/// measured value, the limit and what to do.
#[derive(Debug, Clone, PartialEq)]
pub struct Finding {
    /// What the finding is about.
    pub code: FindingCode,
    /// A plain sentence for the person enrolling.
    pub message: String,
}

impl Finding {
    /// Whether this finding keeps the utterance out of the voiceprint
    /// (otherwise it is a warning).
    #[must_use]
    pub fn rejects(&self) -> bool {
        self.code.rejects()
    }
}

impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let level = if self.rejects() { "rejected" } else { "warning" };
        write!(f, "[{}, {level}] {}", self.code, self.message)
    }
}

/// What one utterance contributed, with the measurements behind its findings.
#[derive(Debug, Clone, PartialEq)]
pub struct UtteranceReport {
    /// The file path or the name the caller gave.
    pub source: String,
    /// Sample rate of the input before resampling to 16 kHz, in Hz.
    pub input_rate_hz: u32,
    /// Audio duration, in seconds.
    pub duration_s: f32,
    /// Speech found by the VAD, in seconds.
    pub speech_s: f32,
    /// Whether the utterance is part of the voiceprint (no rejecting finding).
    pub accepted: bool,
    /// Quality findings, rejecting ones first.
    pub findings: Vec<Finding>,
    /// Estimated speech-to-noise ratio in dB (capped near 100 dB for digital
    /// silence between words); `None` with less than
    /// [`EnrollConfig::min_noise_s`] of non-speech or no speech.
    pub snr_db: Option<f32>,
    /// Share of samples at or above [`EnrollConfig::clip_level`], in [0, 1].
    pub clipped_share: f32,
    /// Energy above 4 kHz relative to 150 Hz - 8 kHz, in dB, measured over
    /// speech (over the whole clip when there is too little speech); `None`
    /// for digital silence.
    pub highband_db: Option<f32>,
    /// Lowest cosine between ~3.1 s stretches of the speech, in [-1, 1];
    /// `None` below about 5.4 s of speech (fewer than two stretches).
    pub self_agreement: Option<f32>,
    /// Cosine of this utterance to the mean of the member's utterances
    /// accepted before it, in [-1, 1]; `None` for the first one or if it was
    /// rejected before being compared. [`Enroller::finish`] replaces it with
    /// the cosine to the mean of all the *other* accepted utterances.
    pub agreement: Option<f32>,
}

impl UtteranceReport {
    /// Whether any finding has `code`.
    #[must_use]
    pub fn has(&self, code: FindingCode) -> bool {
        self.findings.iter().any(|f| f.code == code)
    }
}

fn opt(v: Option<f32>, unit: &str) -> String {
    v.map_or_else(|| "n/a".to_string(), |x| format!("{x:.2}{unit}"))
}

impl fmt::Display for UtteranceReport {
    /// One summary line, then one indented line per finding.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}: {}, {:.1} s of speech in {:.1} s ({} Hz); snr {}, clipped {:.3}%, >4 kHz {}, self-agreement {}, agreement {}",
            self.source,
            if self.accepted { "accepted" } else { "rejected" },
            self.speech_s,
            self.duration_s,
            self.input_rate_hz,
            opt(self.snr_db, " dB"),
            100.0 * self.clipped_share,
            opt(self.highband_db, " dB"),
            opt(self.self_agreement, ""),
            opt(self.agreement, ""),
        )?;
        for x in &self.findings {
            write!(f, "\n  {x}")?;
        }
        Ok(())
    }
}

/// How far an enrollment is. Speech in seconds; counts of accepted utterances.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Progress {
    /// Net speech of the accepted utterances, in seconds (including an
    /// existing member's, for [`Enroller::extending`]).
    pub speech_s: f32,
    /// Accepted utterances (including an existing member's, for [`Enroller::extending`]).
    pub utterances: u32,
    /// Speech needed, in seconds ([`EnrollConfig::min_speech_s`]).
    pub required_speech_s: f32,
    /// Utterances needed ([`EnrollConfig::min_utterances`]).
    pub required_utterances: u32,
    /// The lesser of the two fractions done (speech, utterances), in [0, 1].
    pub fraction: f32,
    /// Whether both requirements are met; then [`Enroller::finish`] can succeed.
    pub sufficient: bool,
}

impl Progress {
    fn new(speech_s: f32, utterances: u32, config: &EnrollConfig) -> Self {
        let part = |done: f32, need: f32| if need > 0.0 { (done / need).clamp(0.0, 1.0) } else { 1.0 };
        #[allow(clippy::cast_precision_loss)]
        let by_count = part(utterances as f32, config.min_utterances as f32);
        let fraction = part(speech_s, config.min_speech_s).min(by_count);
        Progress {
            speech_s,
            utterances,
            required_speech_s: config.min_speech_s,
            required_utterances: config.min_utterances,
            fraction,
            sufficient: speech_s >= config.min_speech_s && utterances >= config.min_utterances,
        }
    }
}

impl fmt::Display for Progress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{:.1} of {:.1} s of speech, {} of {} utterances ({:.0}%{})",
            self.speech_s,
            self.required_speech_s,
            self.utterances,
            self.required_utterances,
            100.0 * self.fraction,
            if self.sufficient { ", sufficient" } else { "" }
        )
    }
}

/// A finished enrollment of new utterances: the voiceprint and what it was made from.
#[derive(Debug, Clone, PartialEq)]
pub struct Enrollment {
    /// L2-normalised mean of the accepted utterances' unit embeddings.
    pub voiceprint: Embedding,
    /// Accepted utterances in the voiceprint.
    pub utterances: u32,
    /// Their net speech, in seconds.
    pub speech_s: f32,
    /// Mean cosine of the accepted utterances to the voiceprint, in [-1, 1]
    /// (1 for a single utterance; the corpus enrollments in the tests give 0.95-0.96).
    pub consistency: f32,
    /// Id of the encoder model that made the embeddings.
    pub model_id: String,
    /// Every utterance pushed, accepted or not, in push order.
    pub reports: Vec<UtteranceReport>,
}

impl Enrollment {
    /// A store [`Member`] named `name` from this enrollment; the timestamps are
    /// 0 (the store sets them in `put`).
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] if `name` is empty.
    pub fn into_member(self, name: &str) -> Result<Member> {
        if name.is_empty() {
            return Err(Error::InvalidArgument {
                what: "member name",
                value: "\"\"".into(),
                expected: "a non-empty name".into(),
            });
        }
        Ok(Member {
            name: name.to_string(),
            voiceprint: self.voiceprint.into_vec(),
            utterances: self.utterances,
            speech_s: self.speech_s,
            consistency: self.consistency,
            created_unix: 0,
            updated_unix: 0,
        })
    }

    /// Cosine of this enrollment's voiceprint to `existing`'s, refusing to add
    /// another voice to a member: below `threshold` it is an error (the CLI's
    /// `--force` skips this call).
    ///
    /// # Errors
    /// [`Error::VoiceMismatch`] with the score if it is below `threshold`;
    /// [`Error::BufferLength`] if the dimensions differ; [`Error::InvalidArgument`]
    /// if the stored voiceprint is zero or not finite.
    pub fn check_matches(&self, existing: &Member, threshold: Threshold) -> Result<Score> {
        let score = Score::cosine(&existing.voiceprint, self.voiceprint.as_slice())?;
        if threshold.accepts(score) {
            Ok(score)
        } else {
            Err(Error::VoiceMismatch {
                member: existing.name.clone(),
                score: score.value(),
                threshold: threshold.0,
            })
        }
    }
}

/// `existing` with `new`'s utterances added: the voiceprint of all utterances
/// together, the counts and speech summed, the consistency recomputed. Keeps
/// `existing`'s name and timestamps. Does not check that the voices match:
/// call [`Enrollment::check_matches`] first unless the user forced it.
///
/// Each voiceprint is `v = s / |s|` with `s` the mean of `n` unit utterance
/// embeddings, and its consistency is `c = |s|`, so `n * c * v` recovers the
/// sum of the utterance embeddings. The merged voiceprint is therefore
/// `normalise(n1 c1 v1 + n2 c2 v2)`: the utterance-count-weighted mean, exactly
/// (up to f32 rounding) as if all utterances had been enrolled at once, and
/// the merged consistency `|n1 c1 v1 + n2 c2 v2| / (n1 + n2)` is exact too.
/// Approximation: if `existing.consistency` is not in (0, 1] (e.g. a record
/// written without one), `new.consistency` stands in for it.
///
/// # Errors
/// [`Error::BufferLength`] if the dimensions differ; [`Error::InvalidArgument`]
/// if `existing`'s voiceprint is zero or not finite.
pub fn merge(existing: &Member, new: &Enrollment) -> Result<Member> {
    let old = Embedding::normalized(existing.voiceprint.clone())?;
    let add = new.voiceprint.as_slice();
    if old.dim() != add.len() {
        return Err(Error::BufferLength {
            what: "new voiceprint",
            expected: old.dim(),
            actual: add.len(),
        });
    }
    let c_old = if existing.consistency > 0.0 && existing.consistency <= 1.0 {
        existing.consistency
    } else {
        new.consistency
    };
    let w_old = f64::from(existing.utterances) * f64::from(c_old);
    let w_new = f64::from(new.utterances) * f64::from(new.consistency);
    let sum: Vec<f64> = old
        .as_slice()
        .iter()
        .zip(add)
        .map(|(a, b)| w_old * f64::from(*a) + w_new * f64::from(*b))
        .collect();
    let norm = sum.iter().map(|x| x * x).sum::<f64>().sqrt();
    let total = existing.utterances.saturating_add(new.utterances);
    #[allow(clippy::cast_possible_truncation)]
    let voiceprint = if norm > 0.0 && norm.is_finite() {
        sum.iter().map(|x| (x / norm) as f32).collect()
    } else {
        // Both weights zero (no utterances, or zero consistency): keep the old print.
        old.into_vec()
    };
    #[allow(clippy::cast_possible_truncation)]
    let consistency = if total > 0 {
        (norm / f64::from(total)).clamp(-1.0, 1.0) as f32
    } else {
        existing.consistency
    };
    Ok(Member {
        name: existing.name.clone(),
        voiceprint,
        utterances: total,
        speech_s: existing.speech_s + new.speech_s,
        consistency,
        created_unix: existing.created_unix,
        updated_unix: existing.updated_unix,
    })
}

/// An accepted utterance's embedding and speech.
struct Accepted {
    embedding: Embedding,
    speech_s: f32,
    report: usize,
}

impl fmt::Debug for Accepted {
    /// Leaves the embedding out, so logs never carry voice data.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Accepted")
            .field("speech_s", &self.speech_s)
            .field("report", &self.report)
            .finish_non_exhaustive()
    }
}

/// Accumulates one member's utterances; see the [module docs](self).
///
/// Not `Sync` by intent: one enrollment session owns it. Utterance
/// embeddings are wiped from memory on drop.
#[derive(Debug)]
pub struct Enroller {
    engine: Engine,
    member: String,
    config: EnrollConfig,
    base_speech_s: f32,
    base_utterances: u32,
    accepted: Vec<Accepted>,
    reports: Vec<UtteranceReport>,
}

impl Drop for Enroller {
    fn drop(&mut self) {
        for a in self.accepted.drain(..) {
            a.embedding.into_vec().zeroize();
        }
    }
}

impl Enroller {
    /// A new enrollment of `member` with `engine`'s models. `config` is
    /// checked when audio is pushed (see [`EnrollConfig::validate`]).
    #[must_use]
    pub fn new(engine: &Engine, member: &str, config: EnrollConfig) -> Self {
        Enroller {
            engine: engine.clone(),
            member: member.to_string(),
            config,
            base_speech_s: 0.0,
            base_utterances: 0,
            accepted: Vec::new(),
            reports: Vec::new(),
        }
    }

    /// An enrollment adding utterances to `existing`: [`Enroller::progress`]
    /// counts `existing`'s utterances and speech toward the requirements, so
    /// one more utterance can be enough. The [`Enrollment`] from
    /// [`Enroller::finish`] holds only the new utterances; check it with
    /// [`Enrollment::check_matches`] and combine with [`merge`].
    #[must_use]
    pub fn extending(engine: &Engine, existing: &Member, config: EnrollConfig) -> Self {
        let mut e = Enroller::new(engine, &existing.name, config);
        e.base_utterances = existing.utterances;
        e.base_speech_s = if existing.speech_s.is_finite() {
            existing.speech_s.max(0.0)
        } else {
            0.0
        };
        e
    }

    /// The member's name.
    #[must_use]
    pub fn member(&self) -> &str {
        &self.member
    }

    /// The settings.
    #[must_use]
    pub fn config(&self) -> &EnrollConfig {
        &self.config
    }

    /// Reports of every utterance pushed so far, in order.
    #[must_use]
    pub fn reports(&self) -> &[UtteranceReport] {
        &self.reports
    }

    /// Speech and accepted utterances so far against the requirements.
    #[must_use]
    pub fn progress(&self) -> Progress {
        let speech: f32 = self.accepted.iter().map(|a| a.speech_s).sum();
        let n = u32::try_from(self.accepted.len()).unwrap_or(u32::MAX);
        Progress::new(
            self.base_speech_s + speech,
            self.base_utterances.saturating_add(n),
            &self.config,
        )
    }

    /// Reads `path` (any format [`audio::read_file`] reads, at any rate) and
    /// pushes it as [`Enroller::push_audio`] does, named by its path.
    ///
    /// # Errors
    /// I/O and decoding errors as [`audio::read_file`]; otherwise as
    /// [`Enroller::push_audio`]. Quality problems are findings, not errors.
    pub fn push_file(&mut self, path: &Path) -> Result<UtteranceReport> {
        self.config.validate()?;
        let buf = audio::read_file(path, &self.engine.config().limits)?;
        self.push_audio(&buf, &path.display().to_string())
    }

    /// Analyses one utterance (mono f32 in [-1, 1] at any rate; resampled to
    /// 16 kHz here) and, if no finding rejects it, adds it to the voiceprint.
    /// `source` names it in the report. Returns the report, which is also kept
    /// for [`Enroller::reports`] and the [`Enrollment`].
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] for an invalid [`EnrollConfig`] or a 0 Hz
    /// rate; [`Error::InvalidAudio`] for NaN or infinite samples; model
    /// failures. An empty or silent buffer is a [`FindingCode::NoSpeech`]
    /// finding, not an error.
    pub fn push_audio(&mut self, audio: &AudioBuf, source: &str) -> Result<UtteranceReport> {
        self.config.validate()?;
        let mut report = self.analyse(audio, source)?;
        if let Some(embedding) = report.1.take() {
            self.accepted.push(Accepted {
                embedding,
                speech_s: report.0.speech_s,
                report: self.reports.len(),
            });
        }
        self.reports.push(report.0.clone());
        Ok(report.0)
    }

    /// Measures `audio` and decides; returns the report and, if accepted, the embedding.
    fn analyse(&self, input: &AudioBuf, source: &str) -> Result<(UtteranceReport, Option<Embedding>)> {
        let c = &self.config;
        let name = Path::new(source);
        if input.rate.hz() == 0 {
            return Err(Error::InvalidArgument {
                what: "sample rate",
                value: "0 Hz".into(),
                expected: "the buffer's real rate in Hz, e.g. 16000".into(),
            });
        }
        input.check_finite(name)?;
        let model_rate = self.engine.sample_rate();
        // Clipping is counted before resampling: the resampler's ringing would hide flat tops.
        let clipped_share = clipped_share(&input.samples, c.clip_level);
        let samples = if input.rate == model_rate || input.samples.is_empty() {
            input.samples.clone()
        } else {
            audio::resample_to(&input.samples, input.rate, model_rate)?
        };
        let mut leveled = samples.clone();
        self.engine.level(&mut leveled);
        let segments = if leveled.is_empty() {
            Vec::new()
        } else {
            self.engine.speech_segments(&leveled)?
        };
        let speech_n: usize = segments.iter().map(|r| r.end - r.start).sum();
        let speech_s = model_rate.seconds(speech_n).0;
        let mut report = UtteranceReport {
            source: source.to_string(),
            input_rate_hz: input.rate.hz(),
            duration_s: input.duration().0,
            speech_s,
            accepted: false,
            findings: Vec::new(),
            snr_db: snr_db(&samples, &segments, model_rate.samples(crate::Seconds(c.min_noise_s))),
            clipped_share,
            highband_db: highband_db(&samples, &segments, model_rate),
            self_agreement: None,
            agreement: None,
        };
        let mut findings = Vec::new();
        let mut embedding = None;
        if speech_n == 0 {
            findings.push(Finding {
                code: FindingCode::NoSpeech,
                message: format!(
                    "No speech was found in {:.1} s of audio: check that the microphone works and speak close to it.",
                    report.duration_s
                ),
            });
        } else if speech_s < c.min_utterance_speech_s {
            findings.push(Finding {
                code: FindingCode::TooShort,
                message: format!(
                    "Only {speech_s:.2} s of speech was found (at least {:.1} s per utterance): say a full sentence or two.",
                    c.min_utterance_speech_s
                ),
            });
        } else {
            let mut joined = Vec::with_capacity(speech_n);
            for r in &segments {
                joined.extend_from_slice(&leveled[r.clone()]);
            }
            self.engine.level_speech(&mut joined);
            let partials = self.engine.encoder().embed_partials(&joined)?;
            let utterance = Embedding::mean_of(partials.iter().map(Embedding::as_slice))?;
            report.self_agreement = self_agreement(&self.engine, &joined)?;
            if let Some(a) = report.self_agreement.filter(|a| *a < c.stretch_cosine) {
                findings.push(Finding {
                    code: FindingCode::MultipleVoices,
                    message: format!(
                        "Parts of this recording sound like different people (lowest cosine between 3 s stretches \
                         {a:.2}, at least {:.2} expected for one voice): record {} speaking alone.",
                        c.stretch_cosine, self.member
                    ),
                });
            } else if !self.accepted.is_empty() {
                let centroid = Embedding::mean_of(self.accepted.iter().map(|a| a.embedding.as_slice()))?;
                let a = utterance.cosine(&centroid)?.value();
                report.agreement = Some(a);
                if a < c.multi_voice_cosine {
                    findings.push(Finding {
                        code: FindingCode::MultipleVoices,
                        message: format!(
                            "This voice differs from the {} utterance(s) accepted before it (cosine {a:.2}, at least \
                             {:.2} expected for one voice): make sure {} records every utterance; if the first \
                             one was someone else, start the enrollment again.",
                            self.accepted.len(),
                            c.multi_voice_cosine,
                            self.member
                        ),
                    });
                }
            }
            embedding = Some(utterance);
        }
        if clipped_share > c.max_clipped_share {
            findings.push(Finding {
                code: FindingCode::Clipping,
                message: format!(
                    "{:.2}% of samples are clipped (limit {:.2}%): record further from the microphone or lower the gain.",
                    100.0 * clipped_share,
                    100.0 * c.max_clipped_share
                ),
            });
        }
        if let Some(snr) = report.snr_db.filter(|s| *s < c.min_snr_db) {
            findings.push(Finding {
                code: FindingCode::LowSnr,
                message: format!(
                    "Speech is only {snr:.1} dB above the background noise (at least {:.0} dB wanted): record in a \
                     quieter place, closer to the microphone.",
                    c.min_snr_db
                ),
            });
        }
        if let Some(hb) = report.highband_db.filter(|h| *h < c.narrowband_db) {
            let rate = if input.rate.hz() < 16_000 {
                format!(" (the input is at {} Hz)", input.rate.hz())
            } else {
                String::new()
            };
            findings.push(Finding {
                code: FindingCode::Narrowband,
                message: format!(
                    "There is almost no sound above 4 kHz ({hb:.0} dB of the total, limit {:.0} dB): this looks like \
                     telephone-band audio recorded at 8 kHz and upsampled{rate}; record at 16 kHz or more for a \
                     reliable voiceprint.",
                    c.narrowband_db
                ),
            });
        }
        findings.sort_by_key(|f| !f.rejects());
        report.accepted = !findings.iter().any(Finding::rejects);
        report.findings = findings;
        if !report.accepted {
            if let Some(e) = embedding.take() {
                e.into_vec().zeroize();
            }
        }
        Ok((report, embedding))
    }

    /// Makes the voiceprint from the accepted utterances.
    ///
    /// First re-checks every accepted utterance against the mean of all the
    /// *others* (when there are at least 3): the utterance that disagrees most,
    /// below [`EnrollConfig::multi_voice_cosine`], is taken out with a
    /// [`FindingCode::MultipleVoices`] finding in its report, and the check is
    /// repeated. (At push time an utterance is only compared with those before
    /// it.) Then the requirements are checked. The enroller stays usable: after
    /// an error, push more utterances and call `finish` again.
    ///
    /// # Errors
    /// [`Error::InsufficientEnrollment`] with the amounts found and needed;
    /// [`Error::InvalidArgument`] for an invalid [`EnrollConfig`].
    pub fn finish(&mut self) -> Result<Enrollment> {
        self.config.validate()?;
        self.recheck()?;
        let p = self.progress();
        if !p.sufficient {
            let rejected = self.reports.iter().filter(|r| !r.accepted).count();
            return Err(Error::InsufficientEnrollment {
                member: self.member.clone(),
                reason: format!(
                    "{:.1} s of speech in {} accepted utterance(s), but {:.1} s in at least {} are needed \
                     ({rejected} utterance(s) rejected; see their findings); add more recordings",
                    p.speech_s, p.utterances, p.required_speech_s, p.required_utterances
                ),
            });
        }
        if self.accepted.is_empty() {
            // Sufficient only through an existing member's utterances (or zero requirements).
            return Err(Error::InsufficientEnrollment {
                member: self.member.clone(),
                reason: "no new utterance was accepted; add at least one recording".into(),
            });
        }
        let voiceprint = Embedding::mean_of(self.accepted.iter().map(|a| a.embedding.as_slice()))?;
        let mut cos_sum = 0.0f64;
        for a in &self.accepted {
            cos_sum += f64::from(a.embedding.cosine(&voiceprint)?.value());
        }
        #[allow(clippy::cast_precision_loss, clippy::cast_possible_truncation)]
        let consistency = (cos_sum / self.accepted.len() as f64) as f32;
        Ok(Enrollment {
            voiceprint,
            utterances: u32::try_from(self.accepted.len()).unwrap_or(u32::MAX),
            speech_s: self.accepted.iter().map(|a| a.speech_s).sum(),
            consistency,
            model_id: self.engine.encoder().model_id().to_string(),
            reports: self.reports.clone(),
        })
    }

    /// Leave-one-out agreement of the accepted utterances; drops the worst
    /// outlier below the threshold, repeatedly, recording why in its report.
    fn recheck(&mut self) -> Result<()> {
        let t = self.config.multi_voice_cosine;
        while self.accepted.len() >= 3 {
            let mut worst: Option<(usize, f32)> = None;
            for i in 0..self.accepted.len() {
                let others = Embedding::mean_of(
                    self.accepted
                        .iter()
                        .enumerate()
                        .filter(|(j, _)| *j != i)
                        .map(|(_, a)| a.embedding.as_slice()),
                )?;
                let s = self.accepted[i].embedding.cosine(&others)?.value();
                self.reports[self.accepted[i].report].agreement = Some(s);
                if worst.is_none_or(|(_, w)| s < w) {
                    worst = Some((i, s));
                }
            }
            let Some((i, s)) = worst.filter(|(_, s)| *s < t) else {
                return Ok(());
            };
            let gone = self.accepted.remove(i);
            let others = self.accepted.len();
            let r = &mut self.reports[gone.report];
            r.accepted = false;
            r.findings.insert(
                0,
                Finding {
                    code: FindingCode::MultipleVoices,
                    message: format!(
                        "Taken out when finishing: this voice differs from the other {others} accepted utterances \
                         (cosine {s:.2}, at least {t:.2} expected for one voice); make sure {} records every utterance.",
                        self.member
                    ),
                },
            );
            gone.embedding.into_vec().zeroize();
        }
        Ok(())
    }
}

/// Share of `samples` whose magnitude is at or above `level`, in [0, 1]; 0 when empty.
fn clipped_share(samples: &[f32], level: f32) -> f32 {
    if samples.is_empty() {
        return 0.0;
    }
    let n = samples.iter().filter(|x| x.abs() >= level).count();
    #[allow(clippy::cast_precision_loss, clippy::cast_possible_truncation)]
    let s = (n as f64 / samples.len() as f64) as f32;
    s
}

/// Lowest cosine between the embeddings of stretches of `joined` (the
/// utterance's speech) spanning [`PARTIALS_PER_STRETCH`] consecutive partials
/// each (non-overlapping groups, as `embed_partials` cuts `joined`); `None`
/// with fewer than two stretches.
fn self_agreement(engine: &Engine, joined: &[f32]) -> Result<Option<f32>> {
    let encoder = engine.encoder();
    let partials = encoder.partial_ranges(joined.len());
    let hop = encoder.frontend().hop();
    // Each stretch of PARTIALS_PER_STRETCH partials is embedded on its own,
    // levelled on its own as every embedded stretch of speech is.
    let stretches: Vec<Range<usize>> = partials
        .chunks_exact(PARTIALS_PER_STRETCH)
        .map(|g| (g[0].start * hop).min(joined.len())..(g[g.len() - 1].end * hop).min(joined.len()))
        .filter(|r| r.start < r.end)
        .collect();
    if stretches.len() < 2 {
        return Ok(None);
    }
    let mut state = encoder.make_state();
    let stretches = encoder.embed_ranges(joined, &stretches, engine.speech_level(), &mut state)?;
    let mut lowest = f32::INFINITY;
    for (i, a) in stretches.iter().enumerate() {
        for b in &stretches[i + 1..] {
            lowest = lowest.min(a.cosine(b)?.value());
        }
    }
    Ok(Some(lowest))
}

/// Speech-to-noise ratio in dB of `samples` (mono, any level) given VAD
/// `segments`: the mean power of 20 ms frames touching speech, net of noise,
/// over the median power of the other frames (the median ignores the breaths
/// and word tails the VAD leaves out). `None` with fewer than
/// `min_noise_samples` of non-speech frames or no speech frame.
fn snr_db(samples: &[f32], segments: &[Range<usize>], min_noise_samples: usize) -> Option<f32> {
    let n_frames = samples.len() / SNR_FRAME;
    let mut is_speech = vec![false; n_frames];
    for r in segments {
        let last = r.end.div_ceil(SNR_FRAME).min(n_frames);
        for f in is_speech.iter_mut().take(last).skip(r.start / SNR_FRAME) {
            *f = true;
        }
    }
    let mut speech = (0.0f64, 0usize);
    let mut noise = Vec::new();
    for (frame, &sp) in samples.chunks_exact(SNR_FRAME).zip(&is_speech) {
        #[allow(clippy::cast_precision_loss)]
        let p = frame.iter().map(|&x| f64::from(x) * f64::from(x)).sum::<f64>() / SNR_FRAME as f64;
        if sp {
            speech.0 += p;
            speech.1 += 1;
        } else {
            noise.push(p);
        }
    }
    if speech.1 == 0 || noise.is_empty() || noise.len() * SNR_FRAME < min_noise_samples {
        return None;
    }
    noise.sort_by(f64::total_cmp);
    let n = noise[noise.len() / 2].max(NOISE_FLOOR_POWER);
    #[allow(clippy::cast_precision_loss)]
    let s = speech.0 / speech.1 as f64;
    // Net speech power; at least 1e-6 of the noise (-60 dB) when the "speech" is no louder.
    Some(Db::from_power(((s - n) / n).max(1e-6)).0)
}

/// Energy above 4 kHz relative to 150 Hz - Nyquist in dB, from Hann-windowed
/// 32 ms frames (hop 16 ms) inside the speech `segments`, or over the whole of
/// `samples` when the segments hold no whole frame. `None` if there is no
/// frame or no energy.
fn highband_db(samples: &[f32], segments: &[Range<usize>], rate: SampleRate) -> Option<f32> {
    let whole = 0..samples.len();
    let in_speech = segments.iter().any(|r| r.end - r.start >= BAND_FFT);
    let ranges: &[Range<usize>] = if in_speech {
        segments
    } else {
        std::slice::from_ref(&whole)
    };
    let fft = RealFftPlanner::<f32>::new().plan_fft_forward(BAND_FFT);
    let mut input = fft.make_input_vec();
    let mut spectrum = fft.make_output_vec();
    let window = crate::dsp::hann_periodic(BAND_FFT);
    #[allow(clippy::cast_precision_loss)]
    let bin_hz = rate.hz() as f32 / BAND_FFT as f32;
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    let (floor_bin, edge_bin) = (
        (BAND_FLOOR_HZ / bin_hz).ceil() as usize,
        (NARROW_EDGE_HZ / bin_hz).ceil() as usize,
    );
    let (mut high, mut total) = (0.0f64, 0.0f64);
    for r in ranges {
        let mut start = r.start;
        while start + BAND_FFT <= r.end.min(samples.len()) {
            for ((x, s), w) in input.iter_mut().zip(&samples[start..start + BAND_FFT]).zip(&window) {
                #[allow(clippy::cast_possible_truncation)]
                let v = (f64::from(*s) * w) as f32;
                *x = v;
            }
            // Lengths come from the plan itself, so this cannot fail; skip the frame if it does.
            if fft.process(&mut input, &mut spectrum).is_ok() {
                for (k, c) in spectrum.iter().enumerate().skip(floor_bin) {
                    let p = f64::from(c.norm_sqr());
                    total += p;
                    if k >= edge_bin {
                        high += p;
                    }
                }
            }
            start += BAND_FFT / 2;
        }
    }
    if total > 0.0 && total.is_finite() {
        Some(Db::from_power(high.max(total * 1e-12) / total).0)
    } else {
        None
    }
}

#[cfg(test)]
// One-segment lists of speech ranges are what the functions under test take.
#[allow(clippy::single_range_in_vec_init)]
mod tests {
    use super::*;

    /// xorshift64 white noise in [-a, a].
    fn noise(n: usize, a: f32, seed: u64) -> Vec<f32> {
        let mut s = seed.max(1);
        (0..n)
            .map(|_| {
                s ^= s << 13;
                s ^= s >> 7;
                s ^= s << 17;
                #[allow(clippy::cast_precision_loss)]
                let u = (s >> 11) as f32 / (1u64 << 53) as f32;
                a * (2.0 * u - 1.0)
            })
            .collect()
    }

    /// Windowed-sinc low-pass at `cut_hz` (Blackman, 255 taps), as an 8 kHz
    /// recording upsampled to 16 kHz would be.
    fn lowpass(x: &[f32], cut_hz: f32, rate: f32) -> Vec<f32> {
        let taps = 255usize;
        let m = (taps - 1) as f32;
        let fc = cut_hz / rate;
        let h: Vec<f32> = (0..taps)
            .map(|i| {
                let t = i as f32 - m / 2.0;
                let sinc = if t == 0.0 {
                    2.0 * fc
                } else {
                    (2.0 * std::f32::consts::PI * fc * t).sin() / (std::f32::consts::PI * t)
                };
                let w = 0.42 - 0.5 * (2.0 * std::f32::consts::PI * i as f32 / m).cos()
                    + 0.08 * (4.0 * std::f32::consts::PI * i as f32 / m).cos();
                sinc * w
            })
            .collect();
        (0..x.len())
            .map(|n| (0..taps).filter(|&k| k <= n).map(|k| h[k] * x[n - k]).sum())
            .collect()
    }

    #[test]
    fn narrowband_separates_white_from_lowpassed_noise() {
        let rate = SampleRate(16_000);
        let white = noise(16_000, 0.3, 7);
        let seg = [0..white.len()];
        let wide = highband_db(&white, &seg, rate).unwrap();
        // White noise: (8000 - 4000) / (8000 - 150) of the band, about -0.9 dB.
        assert!((wide - 10.0 * (4000.0f32 / 7850.0).log10()).abs() < 0.5, "white {wide}");
        let narrow = highband_db(&lowpass(&white, 3_700.0, 16_000.0), &seg, rate).unwrap();
        let limit = EnrollConfig::default().narrowband_db;
        assert!(narrow < limit - 10.0, "lowpassed {narrow} dB, limit {limit}");
        assert!(wide > limit + 30.0);
        // Silence has no spectrum; too-short speech falls back to the whole clip.
        assert_eq!(highband_db(&[0.0; 4000], &[0..4000], rate), None);
        assert!(highband_db(&white, &[0..100], rate).is_some());
        assert_eq!(highband_db(&white[..100], &[], rate), None);
    }

    #[test]
    fn clipping_share_counts_at_or_above_level() {
        let x = [0.5, 1.0, -1.0, 0.999, -0.9989, 0.0, 0.2, 0.3, 0.4, 0.1];
        assert!((clipped_share(&x, 0.999) - 0.3).abs() < 1e-7);
        assert!((clipped_share(&x, 1.0) - 0.2).abs() < 1e-7);
        assert_eq!(clipped_share(&[], 0.999), 0.0);
        // A clip scaled x8 and clamped, as a hot microphone gain would.
        let hot: Vec<f32> = noise(10_000, 0.3, 5)
            .iter()
            .map(|v| (v * 8.0).clamp(-1.0, 1.0))
            .collect();
        let s = clipped_share(&hot, 0.999);
        assert!(s > 0.5 && s > EnrollConfig::default().max_clipped_share, "{s}");
    }

    #[test]
    fn snr_of_tone_over_noise() {
        // 1 s of "speech" (a tone, power 0.02) between 0.5 s of noise (power 0.0002 / 3).
        let rate = 16_000usize;
        let mut x = noise(2 * rate, 0.01, 3);
        for (i, v) in x.iter_mut().enumerate().skip(rate / 2).take(rate) {
            #[allow(clippy::cast_precision_loss)]
            let t = i as f32 / rate as f32;
            *v += 0.2 * (2.0 * std::f32::consts::PI * 440.0 * t).sin();
        }
        let seg = [rate / 2..rate / 2 + rate];
        let snr = snr_db(&x, &seg, 4000).unwrap();
        let expect = 10.0 * (0.02f32 / (0.0001 / 3.0)).log10();
        assert!((snr - expect).abs() < 0.5, "snr {snr} expected {expect}");
        // Too little non-speech: no estimate.
        assert_eq!(snr_db(&x, &[0..2 * rate - 1000], 4000), None);
        assert_eq!(snr_db(&x, &[], 4000), None);
        // Digital silence around speech: finite, high.
        let mut y = vec![0.0; 2 * rate];
        y[rate / 2..rate / 2 + rate].copy_from_slice(&x[rate / 2..rate / 2 + rate]);
        let s = snr_db(&y, &seg, 4000).unwrap();
        assert!(s.is_finite() && s > 70.0, "{s}");
    }

    #[test]
    fn progress_arithmetic() {
        let c = EnrollConfig::default();
        let p = Progress::new(7.5, 3, &c);
        assert!((p.fraction - 0.5).abs() < 1e-6 && !p.sufficient);
        let p = Progress::new(30.0, 1, &c);
        assert!((p.fraction - 1.0 / 3.0).abs() < 1e-6 && !p.sufficient);
        let p = Progress::new(15.0, 3, &c);
        assert!((p.fraction - 1.0).abs() < 1e-6 && p.sufficient);
        let p = Progress::new(40.0, 9, &c);
        assert!((p.fraction - 1.0).abs() < 1e-6 && p.sufficient);
        let zero = EnrollConfig {
            min_speech_s: 0.0,
            min_utterances: 0,
            ..c
        };
        let p = Progress::new(0.0, 0, &zero);
        assert!(p.sufficient && (p.fraction - 1.0).abs() < 1e-6);
        assert_eq!(
            Progress::new(3.0, 1, &c).to_string(),
            "3.0 of 15.0 s of speech, 1 of 3 utterances (20%)"
        );
    }

    #[test]
    fn config_validation_names_the_field() {
        assert!(EnrollConfig::default().validate().is_ok());
        for (c, what) in [
            (
                EnrollConfig {
                    min_utterance_speech_s: 0.0,
                    ..EnrollConfig::default()
                },
                "min_utterance_speech_s",
            ),
            (
                EnrollConfig {
                    clip_level: 1.5,
                    ..EnrollConfig::default()
                },
                "clip_level",
            ),
            (
                EnrollConfig {
                    multi_voice_cosine: f32::NAN,
                    ..EnrollConfig::default()
                },
                "multi_voice_cosine",
            ),
            (
                EnrollConfig {
                    stretch_cosine: 1.5,
                    ..EnrollConfig::default()
                },
                "stretch_cosine",
            ),
            (
                EnrollConfig {
                    min_speech_s: f32::INFINITY,
                    ..EnrollConfig::default()
                },
                "min_speech_s",
            ),
        ] {
            match c.validate() {
                Err(Error::InvalidArgument { what: w, .. }) => assert_eq!(w, what),
                other => panic!("{what}: {other:?}"),
            }
        }
    }

    #[test]
    fn codes_and_rejection() {
        assert_eq!(FindingCode::LowSnr.as_str(), "low_snr");
        assert_eq!(FindingCode::MultipleVoices.to_string(), "multiple_voices");
        assert!(FindingCode::NoSpeech.rejects() && FindingCode::TooShort.rejects());
        assert!(!FindingCode::Clipping.rejects() && !FindingCode::Narrowband.rejects());
    }

    fn unit(v: &[f32]) -> Embedding {
        Embedding::normalized(v.to_vec()).unwrap()
    }

    fn enrollment(parts: &[&[f32]]) -> Enrollment {
        let vp = Embedding::mean_of(
            parts
                .iter()
                .map(|p| unit(p).into_vec())
                .collect::<Vec<_>>()
                .iter()
                .map(Vec::as_slice),
        )
        .unwrap();
        let cons = parts.iter().map(|p| unit(p).cosine(&vp).unwrap().value()).sum::<f32>() / parts.len() as f32;
        Enrollment {
            voiceprint: vp,
            utterances: u32::try_from(parts.len()).unwrap(),
            speech_s: 5.0 * parts.len() as f32,
            consistency: cons,
            model_id: "test".into(),
            reports: Vec::new(),
        }
    }

    #[test]
    fn merge_equals_enrolling_everything_at_once() {
        let a: [&[f32]; 2] = [&[1.0, 0.2, 0.0], &[0.9, 0.0, 0.3]];
        let b: [&[f32]; 3] = [&[0.8, 0.5, 0.1], &[1.0, -0.1, 0.2], &[0.7, 0.3, 0.4]];
        let all: Vec<&[f32]> = a.iter().chain(&b).copied().collect();
        let existing = enrollment(&a).into_member("ann").unwrap();
        let merged = merge(&existing, &enrollment(&b)).unwrap();
        let direct = enrollment(&all);
        for (m, d) in merged.voiceprint.iter().zip(direct.voiceprint.as_slice()) {
            assert!(
                (m - d).abs() < 1e-5,
                "{:?} vs {:?}",
                merged.voiceprint,
                direct.voiceprint
            );
        }
        assert!((merged.consistency - direct.consistency).abs() < 1e-5);
        assert_eq!(merged.utterances, 5);
        assert!((merged.speech_s - 25.0).abs() < 1e-4);
        assert_eq!(merged.name, "ann");
        // Dimension mismatch is an error, not a panic.
        let short = enrollment(&[&[1.0, 0.0]]);
        assert!(matches!(merge(&existing, &short), Err(Error::BufferLength { .. })));
        assert!(short.check_matches(&existing, Threshold::GE2E_EER).is_err());
    }

    #[test]
    fn check_matches_refuses_another_voice() {
        let e = enrollment(&[&[1.0, 0.1, 0.0]]);
        let same = enrollment(&[&[0.95, 0.15, 0.05]]).into_member("ann").unwrap();
        let other = enrollment(&[&[0.0, 1.0, 0.0]]).into_member("bob").unwrap();
        assert!(e.check_matches(&same, Threshold::GE2E_EER).unwrap().value() > 0.9);
        match e.check_matches(&other, Threshold::GE2E_EER) {
            Err(Error::VoiceMismatch {
                member,
                score,
                threshold,
            }) => {
                assert_eq!(member, "bob");
                assert!(score < 0.2 && (threshold - 0.76).abs() < 1e-6);
            }
            r => panic!("{r:?}"),
        }
        assert!(enrollment(&[&[1.0]]).into_member("").is_err());
    }
}
