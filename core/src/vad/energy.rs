//! A pure-DSP VAD for firmware without a network model: frame energy against
//! an adaptive noise floor.

use super::Vad;
use crate::error::{Error, Result};

/// Named operating points of [`EnergyVad`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EnergyPreset {
    /// Quiet rooms: speech 9 dB over the floor counts.
    Quiet,
    /// Default: 12 dB over the floor.
    Normal,
    /// Noisy rooms: 16 dB over the floor.
    Noisy,
}

impl EnergyPreset {
    fn margin_db(self) -> f32 {
        match self {
            EnergyPreset::Quiet => 9.0,
            EnergyPreset::Normal => 12.0,
            EnergyPreset::Noisy => 16.0,
        }
    }
}

/// Energy VAD over 512-sample (32 ms) frames at 16 kHz. The noise floor
/// follows frame energy down at once and up by 0.2 dB per frame (about 6 dB/s);
/// probability rises linearly from the margin below to 6 dB above it. Frames
/// under -60 dBFS are never speech.
#[derive(Debug, Clone)]
pub struct EnergyVad {
    preset: EnergyPreset,
    floor_db: f32,
    frames: u32,
}

impl EnergyVad {
    /// Samples per frame.
    pub const FRAME: usize = 512;

    /// A fresh VAD with a preset.
    #[must_use]
    pub fn new(preset: EnergyPreset) -> Self {
        EnergyVad {
            preset,
            floor_db: -70.0,
            frames: 0,
        }
    }
}

impl Vad for EnergyVad {
    fn frame_len(&self) -> usize {
        Self::FRAME
    }

    fn process(&mut self, frame: &[f32]) -> Result<f32> {
        if frame.len() != Self::FRAME {
            return Err(Error::BufferLength {
                what: "energy VAD frame",
                expected: Self::FRAME,
                actual: frame.len(),
            });
        }
        #[allow(clippy::cast_precision_loss)]
        let mean_sq = frame.iter().map(|&x| f64::from(x) * f64::from(x)).sum::<f64>() / Self::FRAME as f64;
        #[allow(clippy::cast_possible_truncation)]
        let db = (10.0 * (mean_sq + 1e-12).log10()) as f32;
        if self.frames == 0 || db < self.floor_db {
            self.floor_db = db;
        } else {
            self.floor_db += 0.2;
        }
        self.frames = self.frames.saturating_add(1);
        if db < -60.0 {
            return Ok(0.0);
        }
        let over = db - self.floor_db.max(-70.0);
        let margin = self.preset.margin_db();
        Ok(((over - (margin - 6.0)) / 12.0).clamp(0.0, 1.0))
    }

    fn reset(&mut self) {
        self.floor_db = -70.0;
        self.frames = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tone_bursts_over_quiet_noise_are_speech() {
        let mut v = EnergyVad::new(EnergyPreset::Normal);
        let mut seed = 7u64;
        let mut noise = || {
            seed = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
            #[allow(clippy::cast_precision_loss)]
            let r = ((seed >> 33) as f32 / (1u64 << 31) as f32) - 0.5;
            r * 0.002
        };
        let quiet: Vec<f32> = (0..512).map(|_| noise()).collect();
        #[allow(clippy::cast_precision_loss)]
        let loud: Vec<f32> = (0..512).map(|i| 0.3 * (i as f32 * 0.2).sin()).collect();
        for _ in 0..20 {
            assert!(v.process(&quiet).unwrap() < 0.5);
        }
        assert!(v.process(&loud).unwrap() > 0.9);
        assert!(v.process(&[0.0; 10]).is_err());
    }
}
