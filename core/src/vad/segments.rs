//! Hysteresis from frame probabilities to speech segments.

use std::ops::Range;

/// How frame probabilities become segments (Silero's `get_speech_timestamps`
/// rules). Durations in seconds at 16 kHz.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SegmentConfig {
    /// Probability at or above which speech starts.
    pub threshold: f32,
    /// Probability below which speech may end (hysteresis; below `threshold`).
    pub neg_threshold: f32,
    /// Shorter speech runs are dropped, in seconds.
    pub min_speech_s: f32,
    /// Shorter pauses do not end a segment, in seconds.
    pub min_silence_s: f32,
    /// Padding added on both sides of each segment, in seconds.
    pub pad_s: f32,
    /// Sample rate in Hz.
    pub sample_rate: u32,
}

impl Default for SegmentConfig {
    fn default() -> Self {
        SegmentConfig {
            threshold: 0.5,
            neg_threshold: 0.35,
            min_speech_s: 0.25,
            min_silence_s: 0.1,
            pad_s: 0.03,
            sample_rate: 16_000,
        }
    }
}

fn secs(rate: u32, s: f32) -> usize {
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    let n = (f64::from(s.max(0.0)) * f64::from(rate)).round() as usize;
    n
}

/// Turns per-frame speech probabilities (`frame_len` samples each) over a
/// signal of `n_samples` into merged, padded speech segments (sample ranges,
/// sorted, non-overlapping, within `0..n_samples`).
#[must_use]
pub fn speech_segments(probs: &[f32], frame_len: usize, n_samples: usize, c: &SegmentConfig) -> Vec<Range<usize>> {
    let min_speech = secs(c.sample_rate, c.min_speech_s);
    let min_silence = secs(c.sample_rate, c.min_silence_s);
    let pad = secs(c.sample_rate, c.pad_s);
    let mut raw: Vec<Range<usize>> = Vec::new();
    let mut start: Option<usize> = None;
    let mut silence_from: Option<usize> = None;
    for (i, &p) in probs.iter().enumerate() {
        let pos = i * frame_len;
        match start {
            None => {
                if p >= c.threshold {
                    start = Some(pos);
                    silence_from = None;
                }
            }
            Some(s) => {
                if p >= c.threshold {
                    silence_from = None;
                } else if p < c.neg_threshold {
                    let from = *silence_from.get_or_insert(pos);
                    if pos + frame_len - from >= min_silence {
                        raw.push(s..from);
                        start = None;
                        silence_from = None;
                    }
                }
            }
        }
    }
    if let Some(s) = start {
        raw.push(s..silence_from.unwrap_or(n_samples).min(n_samples));
    }
    let mut out: Vec<Range<usize>> = Vec::new();
    for r in raw.into_iter().filter(|r| r.end.saturating_sub(r.start) >= min_speech) {
        let padded = r.start.saturating_sub(pad)..(r.end + pad).min(n_samples);
        match out.last_mut() {
            Some(prev) if padded.start <= prev.end => prev.end = prev.end.max(padded.end),
            _ => out.push(padded),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hysteresis_merges_short_gaps_and_drops_blips() {
        let c = SegmentConfig {
            min_speech_s: 0.1,
            min_silence_s: 0.1,
            pad_s: 0.0,
            ..SegmentConfig::default()
        };
        // 512-sample frames (32 ms). Speech 10 frames, 2-frame gap (64 ms < 100 ms), speech 10.
        let mut p = vec![0.9; 10];
        p.extend([0.1, 0.1]);
        p.extend(vec![0.9; 10]);
        p.extend(vec![0.0; 10]);
        p.extend([0.9]); // 32 ms blip: dropped
        p.extend(vec![0.0; 10]);
        let s = speech_segments(&p, 512, p.len() * 512, &c);
        assert_eq!(s, vec![0..22 * 512]);
        // Between thresholds keeps speech going.
        let p2 = [0.9, 0.4, 0.4, 0.4, 0.4, 0.9, 0.0, 0.0, 0.0, 0.0];
        let s2 = speech_segments(&p2, 512, 10 * 512, &c);
        assert_eq!(s2, vec![0..6 * 512]);
    }

    #[test]
    fn padding_stays_in_bounds() {
        let c = SegmentConfig::default();
        let p = vec![0.9; 20];
        assert_eq!(speech_segments(&p, 512, 20 * 512 - 100, &c), vec![0..20 * 512 - 100]);
    }
}
