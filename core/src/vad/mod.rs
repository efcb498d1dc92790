//! Voice activity detection: Silero through tract, a pure-DSP energy VAD, and
//! hysteresis that turns per-frame probabilities into speech segments.

mod energy;
mod segments;
mod silero;

pub use energy::{EnergyPreset, EnergyVad};
pub use segments::{speech_segments, SegmentConfig};
pub use silero::{SileroModel, SileroVad};

use crate::error::Result;

/// A streaming frame classifier. Each call takes exactly [`Vad::frame_len`]
/// new mono samples at 16 kHz and returns a speech probability in [0, 1].
pub trait Vad {
    /// New samples per call.
    fn frame_len(&self) -> usize;
    /// Classifies the next frame.
    ///
    /// # Errors
    /// [`crate::Error::BufferLength`] if `frame.len() != frame_len()`;
    /// [`crate::Error::Model`] if a model runtime fails.
    fn process(&mut self, frame: &[f32]) -> Result<f32>;
    /// Forgets all stream state.
    fn reset(&mut self);
}

/// Runs `vad` over `samples` from a fresh state, one probability per
/// `frame_len` samples; a partial last frame is classified zero-padded (the
/// caller's audio is not changed).
///
/// # Errors
/// As [`Vad::process`].
pub fn frame_probabilities(vad: &mut dyn Vad, samples: &[f32]) -> Result<Vec<f32>> {
    vad.reset();
    let n = vad.frame_len();
    let mut probs = Vec::with_capacity(samples.len().div_ceil(n));
    let mut last = vec![0.0; n];
    for chunk in samples.chunks(n) {
        if chunk.len() == n {
            probs.push(vad.process(chunk)?);
        } else {
            last[..chunk.len()].copy_from_slice(chunk);
            probs.push(vad.process(&last)?);
        }
    }
    Ok(probs)
}

/// Speech segments of `samples` (sample ranges), by `vad` and `config`.
///
/// # Errors
/// As [`Vad::process`].
pub fn detect(vad: &mut dyn Vad, samples: &[f32], config: &SegmentConfig) -> Result<Vec<std::ops::Range<usize>>> {
    let probs = frame_probabilities(vad, samples)?;
    Ok(speech_segments(&probs, vad.frame_len(), samples.len(), config))
}
