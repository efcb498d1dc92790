//! Screening: decide, redact or hold back a clip according to whose voices
//! are in it. Fails closed: no error and no unverified speech leads to `pass`.
//!
//! - [`analyze`] finds the speech and embeds sliding windows over it (depends
//!   only on clip and model);
//! - [`decide`] labels spans against a household's voiceprints and applies a
//!   [`Policy`];
//! - [`redact_interleaved`] replaces spans in the original audio;
//! - [`screen_file`] does all of it for a file and writes the output
//!   atomically, returning a [`ClipReport`] for the [`Report`].

mod analysis;
mod decide;
mod file;
mod policy;
mod redact;
mod report;
mod verdict;

pub use analysis::{overlap_margins, window_ranges, Analysis, Embedder, SpeechAudio, SpeechMap, WindowEmbedding};
pub use decide::{decide, Voiceprint, SEARCH_COARSE_S, SEARCH_STEP_S, SNAP_S, SNAP_SAFE_S};
pub use file::{output_path, screen_file, write_bytes_atomic, OutputOptions};
pub use policy::{Fill, OnNoSpeech, OnOther, OnUncertain, Policy};
pub use redact::redact_interleaved;
pub(crate) use redact::{fade_weight, FillGen};
pub use report::{ClipReport, ModelRef, Report, Summary, REPORT_SCHEMA_VERSION};
pub use verdict::{Action, Decision, Label, Reason, Span, Verdict, WindowScore};

use crate::audio::AudioBuf;
use crate::error::{Error, Result};
use crate::pipeline::Engine;
use std::path::Path;

/// Window and hop of `policy` in samples at the model rate.
fn window_hop(engine: &Engine, policy: &Policy) -> (usize, usize) {
    let rate = f64::from(engine.sample_rate().hz());
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    let f = |s: f32| ((f64::from(s) * rate).round() as usize).max(1);
    (f(policy.window_s), f(policy.hop_s))
}

/// Finds the speech of `audio` (mono at the model rate) and embeds windows
/// of `policy.window_s` every `policy.hop_s` over it. Returns the analysis and
/// the speech audio, which embeds further ranges on demand.
///
/// # Errors
/// [`Error::InvalidAudio`] if `audio` is not at the model rate or not
/// finite; [`Error::InvalidArgument`] for a bad policy; model errors.
pub fn analyze(engine: &Engine, audio: &AudioBuf, policy: &Policy, source: &Path) -> Result<(Analysis, SpeechAudio)> {
    policy.validate()?;
    if audio.rate != engine.sample_rate() {
        return Err(Error::InvalidAudio {
            path: source.into(),
            reason: format!(
                "audio is at {} Hz but screening needs {} Hz; resample it first (audio::load does)",
                audio.rate.hz(),
                engine.sample_rate().hz()
            ),
        });
    }
    analyze_samples(engine, &audio.samples, policy, source)
}

/// [`analyze`] on mono samples at the model rate borrowed from the caller
/// (the levelled copy is the only one made).
///
/// # Errors
/// As [`analyze`].
pub fn analyze_samples(
    engine: &Engine,
    samples: &[f32],
    policy: &Policy,
    source: &Path,
) -> Result<(Analysis, SpeechAudio)> {
    policy.validate()?;
    crate::audio::check_finite_samples(samples, source)?;
    let mut leveled = samples.to_vec();
    engine.level(&mut leveled);
    let segments = engine.speech_segments(&leveled)?;
    let map = SpeechMap {
        n_samples: leveled.len(),
        rate: engine.sample_rate(),
        segments,
    };
    let mut speech = SpeechAudio::new(engine.encoder().clone(), &leveled, &map, engine.speech_level())?;
    let (window, hop) = window_hop(engine, policy);
    let windows = speech.windows(window, hop)?;
    let overlap = overlap_margins(engine.encoder().overlap_detector(), &windows);
    Ok((
        Analysis {
            map,
            window,
            hop,
            windows,
            overlap,
        },
        speech,
    ))
}

/// [`analyze`] then [`decide`]: the verdict on one mono clip at the model rate.
///
/// # Errors
/// As [`analyze`] and [`decide`]; callers turn an error into a hold.
pub fn screen_audio(
    engine: &Engine,
    audio: &AudioBuf,
    members: &[Voiceprint<'_>],
    policy: &Policy,
    source: &Path,
) -> Result<Verdict> {
    let (analysis, mut speech) = analyze(engine, audio, policy, source)?;
    decide(&analysis, members, policy, &mut speech)
}

/// [`screen_audio`] on mono samples at the model rate borrowed from the caller.
///
/// # Errors
/// As [`analyze`] and [`decide`]; callers turn an error into a hold.
pub fn screen_samples(
    engine: &Engine,
    samples: &[f32],
    members: &[Voiceprint<'_>],
    policy: &Policy,
    source: &Path,
) -> Result<Verdict> {
    let (analysis, mut speech) = analyze_samples(engine, samples, policy, source)?;
    decide(&analysis, members, policy, &mut speech)
}
