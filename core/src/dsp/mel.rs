//! The GE2E front end: a librosa-compatible mel power spectrogram.

use super::melscale::{slaney_filterbank, MelFilter};
use super::window::hann_periodic;
use crate::error::{Error, Result};
use realfft::num_complex::Complex;
use realfft::{RealFftPlanner, RealToComplex};
use std::sync::Arc;

/// Settings of a librosa `feature.melspectrogram` call (Slaney filters,
/// periodic Hann window, `center=True` with zero padding, power 2, no log).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MelConfig {
    /// Input rate in Hz.
    pub sample_rate: u32,
    /// FFT size in samples (also the window length).
    pub n_fft: usize,
    /// Hop between frames in samples.
    pub hop: usize,
    /// Number of mel bands.
    pub n_mels: usize,
    /// Lowest filter edge in Hz.
    pub fmin_hz: f64,
    /// Highest filter edge in Hz.
    pub fmax_hz: f64,
}

impl MelConfig {
    /// Resemblyzer's front end: 16 kHz, 25 ms window (400), 10 ms hop (160), 40 mels.
    pub const GE2E: MelConfig = MelConfig {
        sample_rate: 16_000,
        n_fft: 400,
        hop: 160,
        n_mels: 40,
        fmin_hz: 0.0,
        fmax_hz: 8000.0,
    };
}

/// A planned mel front end: FFT plan, window and filterbank. Immutable and
/// `Send + Sync`; share it in an `Arc` and give each stream a [`MelState`].
pub struct MelPlan {
    config: MelConfig,
    window: Vec<f64>,
    fft: Arc<dyn RealToComplex<f64>>,
    filters: Vec<MelFilter>,
}

impl std::fmt::Debug for MelPlan {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MelPlan")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

/// Per-stream scratch for a [`MelPlan`]; make it with [`MelPlan::make_state`].
#[derive(Debug, Clone)]
pub struct MelState {
    frame: Vec<f64>,
    spectrum: Vec<Complex<f64>>,
    scratch: Vec<Complex<f64>>,
    power: Vec<f64>,
}

impl MelPlan {
    /// Plans the front end.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] if a size is zero, the hop exceeds the FFT, or
    /// `fmax` is above Nyquist.
    pub fn new(config: MelConfig) -> Result<Self> {
        if config.n_fft < 2 || config.hop == 0 || config.hop > config.n_fft || config.n_mels == 0 {
            return Err(Error::InvalidArgument {
                what: "mel configuration",
                value: format!("{config:?}"),
                expected: "n_fft >= 2, 1 <= hop <= n_fft, n_mels >= 1".into(),
            });
        }
        if config.fmax_hz > f64::from(config.sample_rate) / 2.0 || config.fmin_hz >= config.fmax_hz {
            return Err(Error::InvalidArgument {
                what: "mel frequency range",
                value: format!("{}..{} Hz", config.fmin_hz, config.fmax_hz),
                expected: "0 <= fmin < fmax <= sample_rate / 2".into(),
            });
        }
        let fft = RealFftPlanner::<f64>::new().plan_fft_forward(config.n_fft);
        Ok(MelPlan {
            window: hann_periodic(config.n_fft),
            filters: slaney_filterbank(
                config.sample_rate,
                config.n_fft,
                config.n_mels,
                config.fmin_hz,
                config.fmax_hz,
            ),
            fft,
            config,
        })
    }

    /// The configuration this plan was built from.
    #[must_use]
    pub fn config(&self) -> &MelConfig {
        &self.config
    }

    /// Number of mel bands per frame.
    #[must_use]
    pub fn n_mels(&self) -> usize {
        self.config.n_mels
    }

    /// Frames produced for `n_samples` input samples: `1 + n_samples / hop` (centred framing).
    #[must_use]
    pub fn n_frames(&self, n_samples: usize) -> usize {
        1 + n_samples / self.config.hop
    }

    /// Makes the per-stream scratch.
    #[must_use]
    pub fn make_state(&self) -> MelState {
        MelState {
            frame: self.fft.make_input_vec(),
            spectrum: self.fft.make_output_vec(),
            scratch: self.fft.make_scratch_vec(),
            power: vec![0.0; self.config.n_fft / 2 + 1],
        }
    }

    /// Computes the mel power spectrogram of `samples` (mono, at the configured
    /// rate) into `out`, frame-major (`out[t * n_mels + m]`), with librosa's
    /// centring: frame `t` covers samples `[t*hop - n_fft/2, t*hop + n_fft/2)`,
    /// zeros outside the signal. Allocates nothing.
    ///
    /// # Errors
    /// [`Error::BufferLength`] unless `out.len() == n_frames(samples.len()) * n_mels`.
    pub fn process_into(&self, samples: &[f32], state: &mut MelState, out: &mut [f32]) -> Result<()> {
        self.process_frames_into(samples, self.n_frames(samples.len()), state, out)
    }

    /// Computes the first `n_frames` frames of the centred spectrogram of
    /// `samples`, treating samples past the end as zeros (librosa's constant
    /// padding). With `n_frames > n_frames(samples.len())` this equals padding
    /// `samples` with zeros first, without copying them. Allocates nothing.
    ///
    /// # Errors
    /// [`Error::BufferLength`] unless `out.len() == n_frames * n_mels`.
    pub fn process_frames_into(
        &self,
        samples: &[f32],
        n_frames: usize,
        state: &mut MelState,
        out: &mut [f32],
    ) -> Result<()> {
        let n_mels = self.config.n_mels;
        if out.len() != n_frames * n_mels {
            return Err(Error::BufferLength {
                what: "mel output buffer",
                expected: n_frames * n_mels,
                actual: out.len(),
            });
        }
        let half = self.config.n_fft / 2;
        for (t, row) in out.chunks_exact_mut(n_mels).enumerate() {
            let centre = t * self.config.hop;
            for (i, (x, w)) in state.frame.iter_mut().zip(&self.window).enumerate() {
                let pos = (centre + i).checked_sub(half);
                let s = pos.and_then(|p| samples.get(p)).copied().unwrap_or(0.0);
                *x = f64::from(s) * w;
            }
            self.fft
                .process_with_scratch(&mut state.frame, &mut state.spectrum, &mut state.scratch)
                .map_err(|e| Error::Internal(format!("mel FFT: {e}")))?;
            for (p, c) in state.power.iter_mut().zip(&state.spectrum) {
                *p = c.norm_sqr();
            }
            for (o, f) in row.iter_mut().zip(&self.filters) {
                #[allow(clippy::cast_possible_truncation)]
                let v = f.apply(&state.power) as f32;
                *o = v;
            }
        }
        Ok(())
    }

    /// Allocating convenience over [`MelPlan::process_into`].
    ///
    /// # Errors
    /// As [`MelPlan::process_into`].
    pub fn process(&self, samples: &[f32]) -> Result<Vec<f32>> {
        let mut out = vec![0.0; self.n_frames(samples.len()) * self.config.n_mels];
        self.process_into(samples, &mut self.make_state(), &mut out)?;
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Naive DFT + dense filterbank, the obviously-correct reference.
    fn naive(samples: &[f32], c: MelConfig) -> Vec<f64> {
        let fb = slaney_filterbank(c.sample_rate, c.n_fft, c.n_mels, c.fmin_hz, c.fmax_hz);
        let win = hann_periodic(c.n_fft);
        let n_frames = 1 + samples.len() / c.hop;
        let mut out = Vec::new();
        for t in 0..n_frames {
            let frame: Vec<f64> = (0..c.n_fft)
                .map(|i| {
                    let p = (t * c.hop + i) as i64 - (c.n_fft / 2) as i64;
                    let s = if p >= 0 {
                        samples.get(p as usize).copied().unwrap_or(0.0)
                    } else {
                        0.0
                    };
                    f64::from(s) * win[i]
                })
                .collect();
            let power: Vec<f64> = (0..=c.n_fft / 2)
                .map(|k| {
                    let (mut re, mut im) = (0.0, 0.0);
                    for (n, x) in frame.iter().enumerate() {
                        let a = -2.0 * std::f64::consts::PI * (k * n) as f64 / c.n_fft as f64;
                        re += x * a.cos();
                        im += x * a.sin();
                    }
                    re * re + im * im
                })
                .collect();
            out.extend(fb.iter().map(|f| f.apply(&power)));
        }
        out
    }

    #[test]
    fn matches_naive_dft_on_seeded_noise() {
        let mut seed = 0x1234_5678_u64;
        let x: Vec<f32> = (0..1234)
            .map(|_| {
                seed = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
                ((seed >> 33) as f32 / (1u64 << 31) as f32) - 0.5
            })
            .collect();
        let plan = MelPlan::new(MelConfig::GE2E).unwrap();
        let ours = plan.process(&x).unwrap();
        let reference = naive(&x, MelConfig::GE2E);
        assert_eq!(ours.len(), reference.len());
        for (a, b) in ours.iter().zip(&reference) {
            assert!((f64::from(*a) - b).abs() <= 1e-5 * b.abs().max(1e-3), "{a} vs {b}");
        }
    }

    #[test]
    fn wrong_output_length_is_an_error() {
        let plan = MelPlan::new(MelConfig::GE2E).unwrap();
        let mut st = plan.make_state();
        let err = plan.process_into(&[0.0; 1600], &mut st, &mut [0.0; 7]).unwrap_err();
        assert!(err.to_string().contains("expected 440"), "{err}");
    }
}
