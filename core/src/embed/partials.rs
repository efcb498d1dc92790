//! Resemblyzer's partial windows (`VoiceEncoder.compute_partial_slices`).

use crate::model::PartialSpec;
use std::ops::Range;

/// Mel-frame ranges of the partial windows of an utterance of `n_samples`
/// samples, exactly as Resemblyzer 0.1.4 computes them: windows of
/// `window_frames` frames every `round(rate_hz^-1 s / hop)` frames, the last one
/// dropped if audio covers less than `min_coverage` of it (unless it is the only one).
/// `hop` and `sample_rate` are in samples and Hz. Always returns at least one range.
#[must_use]
pub fn partial_frame_ranges(n_samples: usize, spec: &PartialSpec, hop: usize, sample_rate: u32) -> Vec<Range<usize>> {
    let hop = hop.max(1);
    let n_frames = (n_samples + 1).div_ceil(hop);
    #[allow(clippy::cast_precision_loss)]
    let step = round_half_even((f64::from(sample_rate) / spec.rate_hz) / hop as f64);
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    let step = (step as usize).clamp(1, spec.window_frames.max(1));
    let win = spec.window_frames;
    let steps = (n_frames + step + 1).saturating_sub(win).max(1);
    let mut ranges: Vec<Range<usize>> = (0..steps).step_by(step).map(|i| i..i + win).collect();
    if ranges.len() > 1 {
        let last = &ranges[ranges.len() - 1];
        #[allow(clippy::cast_precision_loss)]
        let coverage = (n_samples as f64 - (last.start * hop) as f64) / (win * hop) as f64;
        if coverage < spec.min_coverage {
            ranges.pop();
        }
    }
    ranges
}

/// numpy's `round`: halves go to the even neighbour.
fn round_half_even(x: f64) -> f64 {
    let r = x.round();
    if (x - x.trunc()).abs() == 0.5 {
        2.0 * (x / 2.0).round()
    } else {
        r
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const GE2E: PartialSpec = PartialSpec {
        window_frames: 160,
        rate_hz: 1.3,
        min_coverage: 0.75,
    };

    #[test]
    fn matches_resemblyzer_examples() {
        // Worked by hand from compute_partial_slices: 10 s -> n_frames 1001,
        // steps 1001-160+77+1 = 919, range(0, 919, 77) = 12 windows; the last
        // starts at 847 (135 520 samples), covering (160000-135520)/25600 = 0.956.
        let r = partial_frame_ranges(160_000, &GE2E, 160, 16_000);
        assert_eq!(r.len(), 12);
        assert_eq!(r[11], 847..1007);
        // 1 s: a single window, padded.
        assert_eq!(partial_frame_ranges(16_000, &GE2E, 160, 16_000), vec![0..160]);
        // 0 samples still gives one window.
        assert_eq!(partial_frame_ranges(0, &GE2E, 160, 16_000), vec![0..160]);
        // 2.5 s: n_frames 251, steps 169 -> starts 0, 77, 154; last covers
        // (40000-24640)/25600 = 0.6 < 0.75 -> dropped.
        assert_eq!(partial_frame_ranges(40_000, &GE2E, 160, 16_000), vec![0..160, 77..237]);
    }

    #[test]
    fn half_even() {
        assert!((round_half_even(2.5) - 2.0).abs() < 1e-12);
        assert!((round_half_even(3.5) - 4.0).abs() < 1e-12);
        assert!((round_half_even(76.92) - 77.0).abs() < 1e-12);
    }
}
