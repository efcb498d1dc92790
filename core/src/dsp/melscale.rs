//! Mel filterbanks, stored sparsely (each filter's first FFT bin and its weights).

/// One triangular mel filter over FFT power bins.
#[derive(Debug, Clone, PartialEq)]
pub struct MelFilter {
    /// Index of the first FFT bin with a non-zero weight.
    pub start: usize,
    /// Weights of bins `start..start + weights.len()`.
    pub weights: Vec<f64>,
}

impl MelFilter {
    /// Applies the filter to a power spectrum (one value per FFT bin).
    #[must_use]
    #[inline]
    pub fn apply(&self, power: &[f64]) -> f64 {
        power[self.start..self.start + self.weights.len()]
            .iter()
            .zip(&self.weights)
            .map(|(p, w)| p * w)
            .sum()
    }

    fn from_dense(row: &[f64]) -> MelFilter {
        let start = row.iter().position(|&w| w != 0.0).unwrap_or(0);
        let end = row.iter().rposition(|&w| w != 0.0).map_or(start, |e| e + 1);
        MelFilter {
            start,
            weights: row[start..end].to_vec(),
        }
    }
}

fn hz_to_mel_slaney(hz: f64) -> f64 {
    let f_sp = 200.0 / 3.0;
    let min_log_hz = 1000.0;
    let min_log_mel = min_log_hz / f_sp;
    let logstep = 6.4f64.ln() / 27.0;
    if hz >= min_log_hz {
        min_log_mel + (hz / min_log_hz).ln() / logstep
    } else {
        hz / f_sp
    }
}

fn mel_to_hz_slaney(mel: f64) -> f64 {
    let f_sp = 200.0 / 3.0;
    let min_log_hz = 1000.0;
    let min_log_mel = min_log_hz / f_sp;
    let logstep = 6.4f64.ln() / 27.0;
    if mel >= min_log_mel {
        min_log_hz * (logstep * (mel - min_log_mel)).exp()
    } else {
        f_sp * mel
    }
}

/// librosa's `filters.mel(sr, n_fft, n_mels, fmin, fmax, htk=False, norm="slaney")`:
/// Slaney mel scale, area-normalised triangles, weights rounded to f32 as librosa's
/// default `dtype=float32` does. `sample_rate`, `fmin_hz`, `fmax_hz` in Hz.
#[must_use]
pub fn slaney_filterbank(sample_rate: u32, n_fft: usize, n_mels: usize, fmin_hz: f64, fmax_hz: f64) -> Vec<MelFilter> {
    let n_bins = n_fft / 2 + 1;
    #[allow(clippy::cast_precision_loss)]
    let fftfreqs: Vec<f64> = (0..n_bins)
        .map(|i| i as f64 * f64::from(sample_rate) / n_fft as f64)
        .collect();
    let (mmin, mmax) = (hz_to_mel_slaney(fmin_hz), hz_to_mel_slaney(fmax_hz));
    #[allow(clippy::cast_precision_loss)]
    let mel_f: Vec<f64> = (0..n_mels + 2)
        .map(|i| mel_to_hz_slaney(mmin + (mmax - mmin) * i as f64 / (n_mels + 1) as f64))
        .collect();
    (0..n_mels)
        .map(|m| {
            let (lo_d, hi_d) = (mel_f[m + 1] - mel_f[m], mel_f[m + 2] - mel_f[m + 1]);
            let enorm = 2.0 / (mel_f[m + 2] - mel_f[m]);
            let row: Vec<f64> = fftfreqs
                .iter()
                .map(|&f| {
                    let lower = -(mel_f[m] - f) / lo_d;
                    let upper = (mel_f[m + 2] - f) / hi_d;
                    #[allow(clippy::cast_possible_truncation)]
                    let w = (lower.min(upper).max(0.0) * enorm) as f32;
                    f64::from(w)
                })
                .collect();
            MelFilter::from_dense(&row)
        })
        .collect()
}

/// Kaldi's mel scale `1127 ln(1 + f / 700)`, in f32 like Kaldi's `MelBanks::MelScale`.
fn kaldi_mel(hz: f32) -> f32 {
    1127.0 * (1.0 + hz / 700.0).ln()
}

/// Kaldi's `MelBanks` (triangles in the mel domain, unnormalised) over the first
/// `padded / 2` FFT bins, as `compute-fbank-feats` builds them.
///
/// Kaldi (`BaseFloat`) and kaldi-native-fbank compute the band edges and weights
/// in f32, with each edge taken as `mel_low + k * delta`; the same f32 steps here
/// give their weights exactly (doing it in f64 differs by up to 1e-5 absolute,
/// 3e-4 relative at the triangle feet).
#[must_use]
#[allow(clippy::cast_possible_truncation, clippy::cast_precision_loss)]
pub fn kaldi_filterbank(sample_rate: u32, padded: usize, n_bins: usize, low_hz: f64, high_hz: f64) -> Vec<MelFilter> {
    let sample_freq = sample_rate as f32;
    let nyquist = 0.5 * sample_freq;
    let high = if high_hz > 0.0 {
        high_hz as f32
    } else {
        nyquist + high_hz as f32
    };
    let n_fft_bins = padded / 2;
    let bin_width = sample_freq / padded as f32;
    let (mel_low, mel_high) = (kaldi_mel(low_hz as f32), kaldi_mel(high));
    let delta = (mel_high - mel_low) / (n_bins + 1) as f32;
    (0..n_bins)
        .map(|b| {
            let left = mel_low + b as f32 * delta;
            let center = mel_low + (b + 1) as f32 * delta;
            let right = mel_low + (b + 2) as f32 * delta;
            let row: Vec<f64> = (0..n_fft_bins)
                .map(|i| {
                    let mel = kaldi_mel(bin_width * i as f32);
                    if mel > left && mel < right {
                        let w = if mel <= center {
                            (mel - left) / (center - left)
                        } else {
                            (right - mel) / (right - center)
                        };
                        f64::from(w)
                    } else {
                        0.0
                    }
                })
                .collect();
            MelFilter::from_dense(&row)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slaney_scale_round_trips() {
        for hz in [0.0, 100.0, 999.0, 1000.0, 4000.0, 8000.0] {
            assert!((mel_to_hz_slaney(hz_to_mel_slaney(hz)) - hz).abs() < 1e-9);
        }
    }

    #[test]
    fn slaney_filters_have_unit_area_in_hz() {
        // Slaney normalisation: each triangle's peak is 2 / (width in Hz), so the
        // area of the continuous triangle is 1. Check on a fine grid.
        let fb = slaney_filterbank(16_000, 4000, 40, 0.0, 8000.0);
        for f in &fb {
            let area: f64 = f.weights.iter().sum::<f64>() * 16_000.0 / 4000.0;
            assert!((area - 1.0).abs() < 0.02, "area {area}");
        }
    }
}
