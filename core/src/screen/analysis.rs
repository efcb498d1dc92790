//! The store-independent half of screening: where the speech is and the
//! embeddings of sliding windows over it. An [`Analysis`] depends only on the
//! clip and the model, so it can be cached by (model sha256, clip sha256) and
//! scored against any household with [`decide`](super::decide).

use crate::embed::{EncoderState, OverlapDetector, SpeakerEncoder};
use crate::error::{Error, Result};
use crate::units::{Db, SampleRate};
use crate::Embedding;
use std::ops::Range;
use std::sync::Arc;

/// Where the speech of a clip is: the VAD's segments in clip samples at the
/// model rate. The *speech timeline* is the segments joined end to end;
/// window and span positions are timeline samples until mapped back here.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpeechMap {
    /// Length of the clip, in samples at `rate`.
    pub n_samples: usize,
    /// Sample rate of every position here (the model's, 16 kHz).
    pub rate: SampleRate,
    /// Speech segments, sorted, non-overlapping, inside `0..n_samples`.
    pub segments: Vec<Range<usize>>,
}

impl SpeechMap {
    /// Samples of speech (the timeline's length).
    #[must_use]
    pub fn speech_len(&self) -> usize {
        self.segments.iter().map(|r| r.end - r.start).sum()
    }

    /// Timeline positions where one segment ends and the next begins (pauses), ascending.
    #[must_use]
    pub fn joins(&self) -> Vec<usize> {
        let mut t = 0;
        let mut out = Vec::new();
        for (i, r) in self.segments.iter().enumerate() {
            t += r.end - r.start;
            if i + 1 < self.segments.len() {
                out.push(t);
            }
        }
        out
    }

    /// The clip ranges a timeline range covers (one per segment it touches).
    #[must_use]
    pub fn to_clip(&self, timeline: Range<usize>) -> Vec<Range<usize>> {
        let mut out = Vec::new();
        let mut t0 = 0;
        for r in &self.segments {
            let len = r.end - r.start;
            let (a, b) = (timeline.start.max(t0), timeline.end.min(t0 + len));
            if a < b {
                out.push(r.start + (a - t0)..r.start + (b - t0));
            }
            t0 += len;
        }
        out
    }

    /// The clip sample of timeline position `t` (a join maps to the start of
    /// the next segment; the end maps to the end of the last segment).
    #[must_use]
    pub fn clip_position(&self, t: usize) -> usize {
        let mut t0 = 0;
        for r in &self.segments {
            let len = r.end - r.start;
            if t < t0 + len {
                return r.start + (t - t0);
            }
            t0 += len;
        }
        self.segments.last().map_or(0, |r| r.end)
    }

    /// Seconds of `samples` at this map's rate.
    #[must_use]
    pub fn secs(&self, samples: usize) -> f64 {
        #[allow(clippy::cast_precision_loss)]
        let s = samples as f64 / f64::from(self.rate.hz());
        s
    }
}

/// One scoring window: a timeline range and its embedding.
#[derive(Debug, Clone, PartialEq)]
pub struct WindowEmbedding {
    /// Timeline range, in samples.
    pub range: Range<usize>,
    /// Its embedding (unit norm).
    pub embedding: Embedding,
}

/// Speech and window embeddings of one clip.
#[derive(Debug, Clone, PartialEq)]
pub struct Analysis {
    /// Where the speech is.
    pub map: SpeechMap,
    /// Window length, in samples.
    pub window: usize,
    /// Hop between windows, in samples.
    pub hop: usize,
    /// Windows over the timeline every `hop` samples (the last may be shorter);
    /// empty when there is no speech.
    pub windows: Vec<WindowEmbedding>,
    /// Per window, the encoder's overlapped-speech detector's margin (above
    /// 0: two voices at once; [`overlap_margins`]); empty when the encoder
    /// has no detector, which turns the policy's overlap rule off.
    pub overlap: Vec<f32>,
}

/// The overlap margin of each window under `detector` (empty without one).
#[must_use]
pub fn overlap_margins(detector: Option<&OverlapDetector>, windows: &[WindowEmbedding]) -> Vec<f32> {
    detector.map_or_else(Vec::new, |d| {
        windows.iter().map(|w| d.margin(w.embedding.as_slice())).collect()
    })
}

/// Embeds timeline ranges on demand (boundary refinement, short spans).
/// [`SpeechAudio`] is the real one; a test may put a cache in front of it.
pub trait Embedder {
    /// Embeddings of each range of the speech timeline, in order.
    ///
    /// # Errors
    /// Model errors; [`Error::InvalidArgument`] for an empty or out-of-range range.
    fn embed(&mut self, ranges: &[Range<usize>]) -> Result<Vec<Embedding>>;
}

/// The speech timeline's samples (level-normalised, segments joined) with an
/// encoder: the [`Embedder`] screening uses. Owns its samples and scratch.
pub struct SpeechAudio {
    encoder: Arc<SpeakerEncoder>,
    samples: Vec<f32>,
    level: Option<Db>,
    state: EncoderState,
}

impl std::fmt::Debug for SpeechAudio {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SpeechAudio")
            .field("samples", &self.samples.len())
            .finish_non_exhaustive()
    }
}

impl SpeechAudio {
    /// Joins `map`'s segments of `leveled` (mono, model rate, already
    /// level-normalised for the VAD). `level` is the RMS level (dBFS) each
    /// embedded range is brought to first, or `None` to embed the samples as
    /// they are ([`Engine::speech_level`](crate::Engine::speech_level)).
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] if a segment lies outside `leveled`.
    pub fn new(encoder: Arc<SpeakerEncoder>, leveled: &[f32], map: &SpeechMap, level: Option<Db>) -> Result<Self> {
        if map.segments.iter().any(|r| r.end > leveled.len() || r.start > r.end) {
            return Err(Error::InvalidArgument {
                what: "speech map",
                value: format!("segments beyond {} samples", leveled.len()),
                expected: "segments inside the clip".into(),
            });
        }
        let mut samples = Vec::with_capacity(map.speech_len());
        for r in &map.segments {
            samples.extend_from_slice(&leveled[r.clone()]);
        }
        let state = encoder.make_state();
        Ok(SpeechAudio {
            encoder,
            samples,
            level,
            state,
        })
    }

    /// The joined speech, mono at the model rate.
    #[must_use]
    pub fn samples(&self) -> &[f32] {
        &self.samples
    }

    /// Embeds windows of `window` samples every `hop` over the whole timeline.
    ///
    /// # Errors
    /// As [`SpeakerEncoder::embed_ranges`].
    pub fn windows(&mut self, window: usize, hop: usize) -> Result<Vec<WindowEmbedding>> {
        let ranges = window_ranges(self.samples.len(), window, hop);
        if ranges.is_empty() {
            return Ok(Vec::new());
        }
        let embeddings = self
            .encoder
            .embed_ranges(&self.samples, &ranges, self.level, &mut self.state)?;
        Ok(ranges
            .into_iter()
            .zip(embeddings)
            .map(|(range, embedding)| WindowEmbedding { range, embedding })
            .collect())
    }
}

impl Embedder for SpeechAudio {
    fn embed(&mut self, ranges: &[Range<usize>]) -> Result<Vec<Embedding>> {
        if ranges.is_empty() {
            return Ok(Vec::new());
        }
        self.encoder
            .embed_ranges(&self.samples, ranges, self.level, &mut self.state)
    }
}

/// Windows of `window` samples every `hop` over `len` samples: the first at
/// 0; more while the last stops short of the end; the last may be shorter
/// (but a timeline shorter than one window gives one window over all of it).
/// Empty for `len == 0`.
#[must_use]
pub fn window_ranges(len: usize, window: usize, hop: usize) -> Vec<Range<usize>> {
    let (window, hop) = (window.max(1), hop.max(1));
    let mut out = Vec::new();
    if len == 0 {
        return out;
    }
    let mut start = 0;
    loop {
        let end = (start + window).min(len);
        out.push(start..end);
        if end >= len {
            break;
        }
        start += hop;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map() -> SpeechMap {
        SpeechMap {
            n_samples: 100,
            rate: SampleRate(10),
            segments: vec![10..20, 40..70],
        }
    }

    #[test]
    fn timeline_maps_back_to_clip_ranges() {
        let m = map();
        assert_eq!(m.speech_len(), 40);
        assert_eq!(m.joins(), vec![10]);
        assert_eq!(m.to_clip(5..15), vec![15..20, 40..45]);
        assert_eq!(m.to_clip(10..40), vec![40..70]);
        assert_eq!(m.clip_position(10), 40);
        assert_eq!(m.clip_position(40), 70);
    }

    #[test]
    fn windows_cover_the_timeline() {
        assert_eq!(window_ranges(0, 16, 4), Vec::<Range<usize>>::new());
        assert_eq!(window_ranges(10, 16, 4), vec![0..10]);
        assert_eq!(window_ranges(16, 16, 4), vec![0..16]);
        assert_eq!(window_ranges(18, 16, 4), vec![0..16, 4..18]);
        let w = window_ranges(30, 16, 4);
        assert_eq!(w.first(), Some(&(0..16)));
        assert_eq!(w.last().map(|r| r.end), Some(30));
        assert!(w.windows(2).all(|p| p[1].start == p[0].start + 4));
    }
}
