//! A Kaldi-compatible log mel filterbank (`compute-fbank-feats` defaults), for
//! WeSpeaker / 3D-Speaker style models selected by their manifest.

use super::melscale::{kaldi_filterbank, MelFilter};
use super::window::povey;
use crate::error::{Error, Result};
use realfft::num_complex::Complex;
use realfft::{RealFftPlanner, RealToComplex};
use std::sync::Arc;

/// Settings of Kaldi's fbank: povey window, pre-emphasis, DC removal,
/// `snip_edges=true`, power spectrum, log with an `f32::EPSILON` floor.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FbankConfig {
    /// Input rate in Hz.
    pub sample_rate: u32,
    /// Window length in samples (25 ms = 400 at 16 kHz).
    pub win: usize,
    /// Hop in samples (10 ms = 160 at 16 kHz).
    pub hop: usize,
    /// Number of mel bins.
    pub n_mels: usize,
    /// Lowest filter edge in Hz (Kaldi default 20).
    pub low_hz: f64,
    /// Highest filter edge in Hz; `<= 0` means Nyquist plus this offset (Kaldi default 0).
    pub high_hz: f64,
    /// Pre-emphasis coefficient (Kaldi default 0.97).
    pub preemph: f64,
    /// Subtract each frame's mean before windowing (Kaldi default true).
    pub remove_dc: bool,
    /// Scale applied to [-1, 1] samples first; WeSpeaker feeds int16 range, i.e. 32768.
    pub input_scale: f64,
    /// Subtract the per-utterance mean of each bin afterwards (CMN).
    pub mean_norm: bool,
}

impl FbankConfig {
    /// WeSpeaker's front end: 80 bins, 25/10 ms, int16-scaled input, CMN on.
    pub const WESPEAKER: FbankConfig = FbankConfig {
        sample_rate: 16_000,
        win: 400,
        hop: 160,
        n_mels: 80,
        low_hz: 20.0,
        high_hz: 0.0,
        preemph: 0.97,
        remove_dc: true,
        input_scale: 32_768.0,
        mean_norm: true,
    };
}

/// A planned Kaldi fbank; immutable, share it, one [`FbankState`] per stream.
pub struct FbankPlan {
    config: FbankConfig,
    padded: usize,
    window: Vec<f64>,
    fft: Arc<dyn RealToComplex<f64>>,
    filters: Vec<MelFilter>,
}

impl std::fmt::Debug for FbankPlan {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FbankPlan")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

/// Per-stream scratch for a [`FbankPlan`].
#[derive(Debug, Clone)]
pub struct FbankState {
    frame: Vec<f64>,
    spectrum: Vec<Complex<f64>>,
    scratch: Vec<Complex<f64>>,
    power: Vec<f64>,
}

impl FbankPlan {
    /// Plans the fbank; the FFT size is the window rounded up to a power of two.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] for zero sizes or a hop longer than the window.
    pub fn new(config: FbankConfig) -> Result<Self> {
        if config.win < 2 || config.hop == 0 || config.hop > config.win || config.n_mels == 0 {
            return Err(Error::InvalidArgument {
                what: "fbank configuration",
                value: format!("{config:?}"),
                expected: "win >= 2, 1 <= hop <= win, n_mels >= 1".into(),
            });
        }
        let padded = config.win.next_power_of_two();
        Ok(FbankPlan {
            fft: RealFftPlanner::<f64>::new().plan_fft_forward(padded),
            window: povey(config.win),
            filters: kaldi_filterbank(config.sample_rate, padded, config.n_mels, config.low_hz, config.high_hz),
            padded,
            config,
        })
    }

    /// The configuration.
    #[must_use]
    pub fn config(&self) -> &FbankConfig {
        &self.config
    }

    /// Frames for `n_samples` with `snip_edges`: `1 + (n - win) / hop`, or 0 if shorter than a window.
    #[must_use]
    pub fn n_frames(&self, n_samples: usize) -> usize {
        if n_samples < self.config.win {
            0
        } else {
            1 + (n_samples - self.config.win) / self.config.hop
        }
    }

    /// Makes the per-stream scratch.
    #[must_use]
    pub fn make_state(&self) -> FbankState {
        FbankState {
            frame: self.fft.make_input_vec(),
            spectrum: self.fft.make_output_vec(),
            scratch: self.fft.make_scratch_vec(),
            power: vec![0.0; self.padded / 2 + 1],
        }
    }

    /// Computes log fbank features into `out` (frame-major, `n_frames * n_mels`).
    ///
    /// # Errors
    /// [`Error::BufferLength`] if `out` has the wrong length.
    pub fn process_into(&self, samples: &[f32], state: &mut FbankState, out: &mut [f32]) -> Result<()> {
        let c = &self.config;
        let n_frames = self.n_frames(samples.len());
        if out.len() != n_frames * c.n_mels {
            return Err(Error::BufferLength {
                what: "fbank output buffer",
                expected: n_frames * c.n_mels,
                actual: out.len(),
            });
        }
        for (t, row) in out.chunks_exact_mut(c.n_mels).enumerate() {
            let src = &samples[t * c.hop..t * c.hop + c.win];
            let frame = &mut state.frame[..c.win];
            for (x, s) in frame.iter_mut().zip(src) {
                *x = f64::from(*s) * c.input_scale;
            }
            if c.remove_dc {
                #[allow(clippy::cast_precision_loss)]
                let mean = frame.iter().sum::<f64>() / c.win as f64;
                frame.iter_mut().for_each(|x| *x -= mean);
            }
            if c.preemph != 0.0 {
                for i in (1..c.win).rev() {
                    frame[i] -= c.preemph * frame[i - 1];
                }
                frame[0] -= c.preemph * frame[0];
            }
            for (x, w) in frame.iter_mut().zip(&self.window) {
                *x *= w;
            }
            state.frame[c.win..].fill(0.0);
            self.fft
                .process_with_scratch(&mut state.frame, &mut state.spectrum, &mut state.scratch)
                .map_err(|e| Error::Internal(format!("fbank FFT: {e}")))?;
            for (p, z) in state.power.iter_mut().zip(&state.spectrum) {
                *p = z.norm_sqr();
            }
            for (o, f) in row.iter_mut().zip(&self.filters) {
                let e = f.apply(&state.power).max(f64::from(f32::EPSILON));
                #[allow(clippy::cast_possible_truncation)]
                let v = e.ln() as f32;
                *o = v;
            }
        }
        if c.mean_norm && n_frames > 0 {
            for m in 0..c.n_mels {
                #[allow(clippy::cast_precision_loss)]
                let mean = out.iter().skip(m).step_by(c.n_mels).map(|&v| f64::from(v)).sum::<f64>() / n_frames as f64;
                for v in out.iter_mut().skip(m).step_by(c.n_mels) {
                    #[allow(clippy::cast_possible_truncation)]
                    let shifted = (f64::from(*v) - mean) as f32;
                    *v = shifted;
                }
            }
        }
        Ok(())
    }

    /// Allocating convenience over [`FbankPlan::process_into`].
    ///
    /// # Errors
    /// As [`FbankPlan::process_into`].
    pub fn process(&self, samples: &[f32]) -> Result<Vec<f32>> {
        let mut out = vec![0.0; self.n_frames(samples.len()) * self.config.n_mels];
        self.process_into(samples, &mut self.make_state(), &mut out)?;
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frame_count_follows_snip_edges() {
        let p = FbankPlan::new(FbankConfig::WESPEAKER).unwrap();
        assert_eq!(p.n_frames(399), 0);
        assert_eq!(p.n_frames(400), 1);
        assert_eq!(p.n_frames(16_000), 98);
    }

    #[test]
    fn mel_weights_are_kaldi_native_fbanks_bit_for_bit() {
        // knf.MelBanks(num_bins=80) at 16 kHz / 512, read back with one-hot spectra
        // (kaldi-native-fbank 1.23); Kaldi builds them in f32, so must we.
        let p = FbankPlan::new(FbankConfig::WESPEAKER).unwrap();
        let knf: [(usize, &[f32]); 2] = [
            (1, &[0.503_979_86, 0.135_724_81]),
            (
                57,
                &[0.218_915_7, 0.625_752_57, 0.972_431_4, 0.575_524_87, 0.183_406_74],
            ),
        ];
        for (f, (start, w)) in [&p.filters[0], &p.filters[40]].into_iter().zip(knf) {
            assert_eq!(f.start, start);
            assert_eq!(f.weights, w.iter().map(|&x| f64::from(x)).collect::<Vec<_>>());
        }
        assert_eq!(p.filters.iter().map(|f| f.weights.len()).sum::<usize>(), 501);
    }

    #[test]
    fn tone_peaks_in_the_right_bin_and_cmn_zeroes_means() {
        let mut cfg = FbankConfig::WESPEAKER;
        cfg.mean_norm = false;
        let p = FbankPlan::new(cfg).unwrap();
        #[allow(clippy::cast_precision_loss)]
        let x: Vec<f32> = (0..16_000)
            .map(|i| 0.5 * (2.0 * std::f32::consts::PI * 1000.0 * i as f32 / 16_000.0).sin())
            .collect();
        let f = p.process(&x).unwrap();
        let row = &f[10 * 80..11 * 80];
        let peak = row.iter().enumerate().max_by(|a, b| a.1.total_cmp(b.1)).unwrap().0;
        // 1 kHz on Kaldi's mel scale between 20 Hz and 8 kHz with 80 bins.
        let mel = |h: f64| 1127.0 * (1.0 + h / 700.0).ln();
        let expect = ((mel(1000.0) - mel(20.0)) / ((mel(8000.0) - mel(20.0)) / 81.0) - 1.0).round() as usize;
        assert!(peak.abs_diff(expect) <= 1, "peak {peak} expected {expect}");
        cfg.mean_norm = true;
        let g = FbankPlan::new(cfg).unwrap().process(&x).unwrap();
        let mean0: f32 = g.iter().step_by(80).sum::<f32>() / 98.0;
        assert!(mean0.abs() < 1e-3);
    }
}
