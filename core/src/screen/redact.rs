//! Replacing spans of audio with silence, comfort noise or a tone.

use super::policy::Fill;
use crate::error::{Error, Result};

/// Replaces each `(start_s, end_s)` range of `interleaved` audio (`channels`
/// channels at `rate` Hz) with `fill`, on every channel, in place.
///
/// Inside a range every sample is the fill; a raised-cosine crossfade of
/// `fade_ms` milliseconds lies *outside* each range (in the kept audio), so
/// nothing of a redacted range survives and there is no click. Ranges are
/// clamped to the audio; overlapping fades take the stronger fill weight.
///
/// # Errors
/// [`Error::InvalidArgument`] if `channels` is 0, does not divide the length,
/// `rate` is 0, or a range is not finite.
pub fn redact_interleaved(
    interleaved: &mut [f32],
    channels: u16,
    rate: u32,
    ranges: &[(f64, f64)],
    fill: Fill,
    fade_ms: f32,
) -> Result<()> {
    let ch = usize::from(channels);
    if ch == 0 || rate == 0 || !interleaved.len().is_multiple_of(ch) {
        return Err(Error::InvalidArgument {
            what: "audio layout",
            value: format!("{channels} channels at {rate} Hz for {} samples", interleaved.len()),
            expected: "at least 1 channel dividing the sample count, and a rate above 0".into(),
        });
    }
    if let Some(r) = ranges.iter().find(|r| !(r.0.is_finite() && r.1.is_finite())) {
        return Err(Error::InvalidArgument {
            what: "redaction range",
            value: format!("{:?}", r),
            expected: "finite seconds".into(),
        });
    }
    let frames = interleaved.len() / ch;
    let to_frame = |s: f64| -> usize {
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        let n = (s.max(0.0) * f64::from(rate)).round() as usize;
        n.min(frames)
    };
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    let fade = ((f64::from(fade_ms.max(0.0)) / 1000.0) * f64::from(rate)).round() as usize;
    // Fill weight per frame: 1 inside ranges, raised-cosine ramps outside.
    let mut weight = vec![0.0f32; frames];
    for &(a, b) in ranges {
        let (a, b) = (to_frame(a), to_frame(b));
        if a >= b {
            continue;
        }
        weight[a..b].fill(1.0);
        for i in 0..fade {
            #[allow(clippy::cast_precision_loss)]
            let w = fade_weight(i + 1, fade);
            if let Some(j) = a.checked_sub(i + 1) {
                weight[j] = weight[j].max(w);
            }
            if b + i < frames {
                weight[b + i] = weight[b + i].max(w);
            }
        }
    }
    let mut gen = FillGen::new(fill, rate);
    for (f, frame) in interleaved.chunks_exact_mut(ch).enumerate() {
        let w = weight[f];
        if w == 0.0 {
            continue;
        }
        let v = gen.sample(f);
        for s in frame {
            *s = *s * (1.0 - w) + v * w;
        }
    }
    Ok(())
}

/// Fill weight of a sample `distance` samples (0..=`fade`) outside a
/// redacted range: exactly 1 inside it (0), then a raised cosine from near 1
/// next to the range to near 0 `fade` samples away.
pub(crate) fn fade_weight(distance: usize, fade: usize) -> f32 {
    #[allow(clippy::cast_precision_loss)]
    let x = distance as f32 / (fade + 1) as f32; // (0, 1): distance into the fade
    0.5 * (1.0 + (std::f32::consts::PI * x).cos())
}

/// The fill signal, sample by sample (deterministic).
pub(crate) struct FillGen {
    fill: Fill,
    rate: f64,
    amp: f32,
    rng: u64,
}

impl FillGen {
    pub(crate) fn new(fill: Fill, rate: u32) -> Self {
        let amp = match fill {
            Fill::Silence => 0.0,
            // RMS of uniform noise in [-a, a] is a/sqrt(3).
            Fill::ComfortNoise { level_dbfs } => 10f32.powf(level_dbfs / 20.0) * 3f32.sqrt(),
            // RMS of a sine of peak a is a/sqrt(2).
            Fill::Tone { level_dbfs, .. } => 10f32.powf(level_dbfs / 20.0) * 2f32.sqrt(),
        };
        FillGen {
            fill,
            rate: f64::from(rate),
            amp,
            rng: 0x9E37_79B9_7F4A_7C15,
        }
    }

    pub(crate) fn sample(&mut self, frame: usize) -> f32 {
        match self.fill {
            Fill::Silence => 0.0,
            Fill::ComfortNoise { .. } => {
                // xorshift64*: reproducible, no dependency.
                self.rng ^= self.rng >> 12;
                self.rng ^= self.rng << 25;
                self.rng ^= self.rng >> 27;
                let r = self.rng.wrapping_mul(0x2545_F491_4F6C_DD1D);
                #[allow(clippy::cast_precision_loss)]
                let u = (r >> 40) as f32 / (1u64 << 24) as f32; // [0, 1)
                self.amp * (2.0 * u - 1.0)
            }
            Fill::Tone { hz, .. } => {
                #[allow(clippy::cast_precision_loss)]
                let t = frame as f64 / self.rate;
                #[allow(clippy::cast_possible_truncation)]
                let v = (std::f64::consts::TAU * f64::from(hz) * t).sin() as f32;
                self.amp * v
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn silence_replaces_the_range_and_fades_outside_it() {
        let rate = 1000;
        let mut x = vec![0.5f32; 2 * 1000]; // stereo, 1 s
        redact_interleaved(&mut x, 2, rate, &[(0.4, 0.6)], Fill::Silence, 10.0).unwrap();
        for f in 400..600 {
            assert_eq!(x[2 * f], 0.0);
            assert_eq!(x[2 * f + 1], 0.0);
        }
        // 10 ms = 10 frames of fade on each side, monotone, then untouched.
        assert!(x[2 * 399] < 0.1 && x[2 * 390] > 0.45);
        assert!(x[2 * 600] < 0.1 && x[2 * 609] > 0.45);
        assert_eq!(x[2 * 389], 0.5);
        assert_eq!(x[2 * 610], 0.5);
        for f in 390..399 {
            assert!(x[2 * f] >= x[2 * (f + 1)]);
        }
    }

    #[test]
    fn noise_and_tone_have_the_requested_level() {
        for fill in [
            Fill::ComfortNoise { level_dbfs: -40.0 },
            Fill::Tone {
                hz: 440.0,
                level_dbfs: -40.0,
            },
        ] {
            let mut x = vec![0.0f32; 16_000];
            redact_interleaved(&mut x, 1, 16_000, &[(0.0, 1.0)], fill, 10.0).unwrap();
            let rms = (x.iter().map(|v| f64::from(*v).powi(2)).sum::<f64>() / x.len() as f64).sqrt();
            let db = 20.0 * rms.log10();
            assert!((db + 40.0).abs() < 0.5, "{fill:?}: {db} dBFS");
        }
    }

    #[test]
    fn bad_layout_is_refused() {
        let mut x = vec![0.0f32; 3];
        assert!(redact_interleaved(&mut x, 2, 16_000, &[], Fill::Silence, 10.0).is_err());
        assert!(redact_interleaved(&mut x, 1, 16_000, &[(f64::NAN, 1.0)], Fill::Silence, 10.0).is_err());
    }
}
