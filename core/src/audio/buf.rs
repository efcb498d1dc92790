//! [`AudioBuf`]: mono f32 samples with their rate.

use crate::error::{Error, Result};
use crate::units::{SampleRate, Seconds};
use std::path::Path;

/// Mono audio: f32 samples in [-1, 1] at `rate`. Owns its samples.
#[derive(Debug, Clone, PartialEq)]
pub struct AudioBuf {
    /// The samples, mono, nominally in [-1, 1].
    pub samples: Vec<f32>,
    /// Samples per second.
    pub rate: SampleRate,
    /// Channel count of the source before mix-down (1 for mono sources).
    pub source_channels: u16,
}

/// Facts about a decoded file, before resampling.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AudioInfo {
    /// Duration in seconds.
    pub duration: Seconds,
    /// The file's sample rate.
    pub rate: SampleRate,
    /// The file's channel count.
    pub channels: u16,
}

impl AudioBuf {
    /// Wraps mono samples at `rate`.
    #[must_use]
    pub fn new(samples: Vec<f32>, rate: SampleRate) -> Self {
        AudioBuf {
            samples,
            rate,
            source_channels: 1,
        }
    }

    /// Mixes interleaved frames of `channels` channels down to mono (mean of channels).
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] if `channels` is 0 or does not divide the length.
    pub fn from_interleaved(interleaved: &[f32], channels: u16, rate: SampleRate) -> Result<Self> {
        let ch = usize::from(channels);
        if ch == 0 || !interleaved.len().is_multiple_of(ch) {
            return Err(Error::InvalidArgument {
                what: "channel count",
                value: format!("{channels} for {} interleaved samples", interleaved.len()),
                expected: "at least 1 and dividing the sample count".into(),
            });
        }
        let samples = if ch == 1 {
            interleaved.to_vec()
        } else {
            #[allow(clippy::cast_precision_loss)]
            let scale = 1.0 / ch as f32;
            interleaved
                .chunks_exact(ch)
                .map(|f| f.iter().sum::<f32>() * scale)
                .collect()
        };
        Ok(AudioBuf {
            samples,
            rate,
            source_channels: channels,
        })
    }

    /// Duration in seconds.
    #[must_use]
    pub fn duration(&self) -> Seconds {
        self.rate.seconds(self.samples.len())
    }

    /// Facts about this buffer as a decoded file.
    #[must_use]
    pub fn info(&self) -> AudioInfo {
        AudioInfo {
            duration: self.duration(),
            rate: self.rate,
            channels: self.source_channels,
        }
    }

    /// Refuses NaN or infinite samples, which no model can score.
    ///
    /// # Errors
    /// [`Error::InvalidAudio`] naming how many samples are not finite.
    pub fn check_finite(&self, path: &Path) -> Result<()> {
        check_finite(&self.samples, path)
    }
}

/// Refuses NaN or infinite samples in `samples`; `path` names the source in the message.
///
/// # Errors
/// [`Error::InvalidAudio`] naming how many samples are not finite.
pub(crate) fn check_finite(samples: &[f32], path: &Path) -> Result<()> {
    let bad = samples.iter().filter(|x| !x.is_finite()).count();
    if bad == 0 {
        Ok(())
    } else {
        Err(Error::InvalidAudio {
            path: path.into(),
            reason: format!(
                "{bad} of {} samples are not finite (NaN or infinity); the file is corrupt, export it again",
                samples.len()
            ),
        })
    }
}
