//! Unit newtypes: sample rates, durations and scores carry their unit in the type.

/// A sample rate in Hz (samples per second per channel).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SampleRate(pub u32);

impl SampleRate {
    /// 16 000 Hz, the rate every model in voiceguard runs at.
    pub const MODEL: SampleRate = SampleRate(16_000);

    /// The rate in Hz.
    #[must_use]
    pub fn hz(self) -> u32 {
        self.0
    }

    /// Duration in seconds of `n` samples at this rate.
    #[must_use]
    pub fn seconds(self, n: usize) -> Seconds {
        #[allow(clippy::cast_precision_loss)]
        Seconds(n as f32 / self.0 as f32)
    }

    /// Number of whole samples in `s` seconds at this rate (rounded to nearest).
    #[must_use]
    pub fn samples(self, s: Seconds) -> usize {
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        let n = (f64::from(s.0.max(0.0)) * f64::from(self.0)).round() as usize;
        n
    }
}

/// A duration in seconds.
#[derive(Debug, Clone, Copy, PartialEq, PartialOrd, Default)]
pub struct Seconds(pub f32);

/// A level in decibels (dBFS when relative to full scale).
#[derive(Debug, Clone, Copy, PartialEq, PartialOrd)]
pub struct Db(pub f32);

impl Db {
    /// Converts a power ratio to decibels; 0 maps to -inf.
    #[must_use]
    pub fn from_power(p: f64) -> Db {
        #[allow(clippy::cast_possible_truncation)]
        Db((10.0 * p.log10()) as f32)
    }
}
