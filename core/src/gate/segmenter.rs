//! [`speech_segments`](crate::vad::speech_segments) fed one frame
//! probability at a time: the same hysteresis, minimum lengths and padding,
//! so a stream segments exactly as the whole clip would.

use crate::vad::SegmentConfig;
use std::ops::Range;

/// Streaming hysteresis over frame probabilities. Positions are samples from
/// the start of the stream.
#[derive(Debug)]
pub(crate) struct StreamSegmenter {
    frame_len: usize,
    threshold: f32,
    neg_threshold: f32,
    min_speech: usize,
    min_silence: usize,
    pad: usize,
    frames: usize,
    start: Option<usize>,
    silence_from: Option<usize>,
    /// Padded segments closed since the last [`StreamSegmenter::take_closed`]
    /// (not merged: a caller joins a segment that starts before the last one ends).
    closed: Vec<Range<usize>>,
}

fn secs(rate: u32, s: f32) -> usize {
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    let n = (f64::from(s.max(0.0)) * f64::from(rate)).round() as usize;
    n
}

impl StreamSegmenter {
    /// A segmenter for frames of `frame_len` samples.
    pub(crate) fn new(frame_len: usize, c: &SegmentConfig) -> Self {
        StreamSegmenter {
            frame_len,
            threshold: c.threshold,
            neg_threshold: c.neg_threshold,
            min_speech: secs(c.sample_rate, c.min_speech_s),
            min_silence: secs(c.sample_rate, c.min_silence_s),
            pad: secs(c.sample_rate, c.pad_s),
            frames: 0,
            start: None,
            silence_from: None,
            closed: Vec::with_capacity(8),
        }
    }

    /// Takes the probability of the next frame.
    pub(crate) fn feed(&mut self, p: f32) {
        let pos = self.frames * self.frame_len;
        self.frames += 1;
        match self.start {
            None => {
                if p >= self.threshold {
                    self.start = Some(pos);
                    self.silence_from = None;
                }
            }
            Some(s) => {
                if p >= self.threshold {
                    self.silence_from = None;
                } else if p < self.neg_threshold {
                    let from = *self.silence_from.get_or_insert(pos);
                    if pos + self.frame_len - from >= self.min_silence {
                        self.close(s, from, None);
                        self.start = None;
                        self.silence_from = None;
                    }
                }
            }
        }
    }

    fn close(&mut self, s: usize, e: usize, n_samples: Option<usize>) {
        if e.saturating_sub(s) < self.min_speech {
            return;
        }
        let end = n_samples.map_or(e + self.pad, |n| (e + self.pad).min(n));
        self.closed.push(s.saturating_sub(self.pad)..end);
    }

    /// The speech of a segment still open, as far as it is certain: from its
    /// padded start to where the current pause began (or the last frame
    /// fed); `None` while no segment is open or it is still short enough to
    /// be dropped as a blip.
    pub(crate) fn open(&self) -> Option<Range<usize>> {
        let s = self.start?;
        let end = self.silence_from.unwrap_or(self.frames * self.frame_len);
        (end.saturating_sub(s) >= self.min_speech).then(|| s.saturating_sub(self.pad)..end)
    }

    /// Whether a segment is open (speech may be going on).
    pub(crate) fn is_open(&self) -> bool {
        self.start.is_some()
    }

    /// Ends the stream at `n_samples`: closes an open segment as the offline
    /// segmentation closes the last one.
    pub(crate) fn finish(&mut self, n_samples: usize) {
        // A segment closed by the zero-padded last frame ends inside the stream too.
        for r in &mut self.closed {
            r.end = r.end.min(n_samples);
        }
        if let Some(s) = self.start.take() {
            let e = self.silence_from.take().unwrap_or(n_samples).min(n_samples);
            self.close(s, e, Some(n_samples));
        }
    }

    /// Segments closed since the last call (the vector is reused).
    pub(crate) fn take_closed(&mut self) -> std::vec::Drain<'_, Range<usize>> {
        self.closed.drain(..)
    }

    /// Forgets the stream.
    pub(crate) fn reset(&mut self) {
        self.frames = 0;
        self.start = None;
        self.silence_from = None;
        self.closed.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vad::speech_segments;

    fn stream(probs: &[f32], n: usize, c: &SegmentConfig) -> Vec<Range<usize>> {
        let mut s = StreamSegmenter::new(512, c);
        let mut out: Vec<Range<usize>> = Vec::new();
        let push = |r: Range<usize>, out: &mut Vec<Range<usize>>| match out.last_mut() {
            Some(prev) if r.start <= prev.end => prev.end = prev.end.max(r.end),
            _ => out.push(r),
        };
        // As the gate does: the last (partial) frame is fed at the end of the
        // stream and its segments taken after `finish`.
        for (k, &p) in probs.iter().enumerate() {
            s.feed(p);
            if k + 1 == probs.len() {
                break;
            }
            for r in s.take_closed().collect::<Vec<_>>() {
                push(r, &mut out);
            }
        }
        s.finish(n);
        for r in s.take_closed().collect::<Vec<_>>() {
            push(r, &mut out);
        }
        out
    }

    #[test]
    fn streaming_segments_equal_offline_segments() {
        let mut x = 0x1234_5678_u64;
        for c in [
            SegmentConfig::default(),
            SegmentConfig {
                min_silence_s: 0.06,
                pad_s: 0.05,
                ..SegmentConfig::default()
            },
        ] {
            for _ in 0..200 {
                let mut probs = Vec::new();
                let mut level = 0.0f32;
                for _ in 0..300 {
                    x ^= x << 13;
                    x ^= x >> 7;
                    x ^= x << 17;
                    if x.is_multiple_of(9) {
                        level = (x % 100) as f32 / 100.0;
                    }
                    probs.push(level);
                }
                let n = probs.len() * 512 - (x % 512) as usize;
                assert_eq!(stream(&probs, n, &c), speech_segments(&probs, 512, n, &c));
            }
        }
    }
}
