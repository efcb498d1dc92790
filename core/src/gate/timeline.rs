//! The speech of a stream joined end to end (the gate's *speech timeline*),
//! with where each stretch came from, kept for a bounded context.

use super::ring::AudioRing;
use std::collections::VecDeque;
use std::ops::Range;

/// A run of the timeline that is one contiguous stretch of the stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Seg {
    /// Timeline position of its first sample.
    pub(crate) t: usize,
    /// Stream positions it holds.
    pub(crate) clip: Range<usize>,
}

impl Seg {
    fn t_end(&self) -> usize {
        self.t + (self.clip.end - self.clip.start)
    }
}

/// Timeline positions `base..end()` with their samples (raw, not levelled).
#[derive(Debug, Default)]
pub(crate) struct Timeline {
    base: usize,
    samples: VecDeque<f32>,
    segs: VecDeque<Seg>,
}

impl Timeline {
    /// Position after the last timeline sample.
    pub(crate) fn end(&self) -> usize {
        self.base + self.samples.len()
    }

    /// Appends stream positions `clip` (read from `audio`); a range that starts
    /// before the last segment ends extends it (as the offline segmentation merges).
    pub(crate) fn append(&mut self, clip: Range<usize>, audio: &AudioRing) {
        let end = self.end();
        let from = match self.segs.back_mut() {
            Some(last) if clip.start <= last.clip.end => {
                if clip.end <= last.clip.end {
                    return;
                }
                let from = last.clip.end;
                last.clip.end = clip.end;
                from
            }
            _ => {
                if clip.start >= clip.end {
                    return;
                }
                self.segs.push_back(Seg {
                    t: end,
                    clip: clip.clone(),
                });
                clip.start
            }
        };
        self.samples.extend((from..clip.end).map(|i| audio.get(i)));
    }

    /// Stream position of timeline position `t` (a join maps to the start of
    /// the next segment; the end to the end of the last).
    pub(crate) fn clip_pos(&self, t: usize) -> usize {
        for s in &self.segs {
            if t < s.t_end() {
                return s.clip.start + t.saturating_sub(s.t);
            }
        }
        self.segs.back().map_or(0, |s| s.clip.end)
    }

    /// Stream ranges that timeline range `t` covers, in order.
    pub(crate) fn clip_ranges(&self, t: Range<usize>) -> impl Iterator<Item = Range<usize>> + '_ {
        self.segs.iter().filter_map(move |s| {
            let (a, b) = (t.start.max(s.t), t.end.min(s.t_end()));
            (a < b).then(|| s.clip.start + (a - s.t)..s.clip.start + (b - s.t))
        })
    }

    /// The stream range of the segment holding stream position `pos`, or the
    /// start of the next segment after it.
    pub(crate) fn locate(&self, pos: usize) -> Result<Range<usize>, Option<usize>> {
        for s in &self.segs {
            if pos < s.clip.start {
                return Err(Some(s.clip.start));
            }
            if pos < s.clip.end {
                return Ok(s.clip.clone());
            }
        }
        Err(None)
    }

    /// Timeline `t` levelled by `gain`, into `out` (cleared first).
    pub(crate) fn levelled(&self, t: Range<usize>, gain: f32, out: &mut Vec<f32>) {
        out.clear();
        let a = t.start.saturating_sub(self.base).min(self.samples.len());
        let b = t.end.saturating_sub(self.base).min(self.samples.len());
        out.extend(self.samples.range(a..b).map(|x| x * gain));
    }

    /// Forgets timeline positions before `t`.
    pub(crate) fn drop_before(&mut self, t: usize) {
        let t = t.min(self.end());
        if t <= self.base {
            return;
        }
        self.samples.drain(..t - self.base);
        self.base = t;
        while self.segs.front().is_some_and(|s| s.t_end() <= t) {
            self.segs.pop_front();
        }
        if let Some(s) = self.segs.front_mut() {
            if s.t < t {
                s.clip.start += t - s.t;
                s.t = t;
            }
        }
    }

    /// Empties the timeline.
    pub(crate) fn clear(&mut self) {
        self.base = 0;
        self.samples.clear();
        self.segs.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn appends_join_and_map_back() {
        let mut audio = AudioRing::new(100);
        let x: Vec<f32> = (0..100).map(|i| i as f32).collect();
        audio.push(&x);
        let mut tl = Timeline::default();
        tl.append(10..20, &audio);
        tl.append(15..25, &audio); // overlaps: extends
        tl.append(40..50, &audio);
        assert_eq!(tl.end(), 25);
        assert_eq!(tl.clip_pos(14), 24);
        assert_eq!(tl.clip_pos(15), 40);
        assert_eq!(tl.clip_pos(25), 50);
        assert_eq!(tl.clip_ranges(12..18).collect::<Vec<_>>(), vec![22..25, 40..43]);
        assert_eq!(tl.locate(5), Err(Some(10)));
        assert_eq!(tl.locate(30), Err(Some(40)));
        assert_eq!(tl.locate(45), Ok(40..50));
        let mut v = Vec::new();
        tl.levelled(14..16, 2.0, &mut v);
        assert_eq!(v, vec![48.0, 80.0]);
        tl.drop_before(12);
        assert_eq!(tl.clip_pos(12), 22);
        assert_eq!(tl.clip_ranges(0..25).collect::<Vec<_>>(), vec![22..25, 40..50]);
    }
}
