//! A fixed-capacity audio ring indexed by absolute sample position: written
//! once at construction, then only copied into and out of (no allocation).

/// Samples `start..end` of a stream (absolute positions), at most `capacity` of them.
#[derive(Debug)]
pub(crate) struct AudioRing {
    buf: Vec<f32>,
    start: usize,
    end: usize,
}

impl AudioRing {
    /// An empty ring of `capacity` samples (at least 1).
    pub(crate) fn new(capacity: usize) -> Self {
        AudioRing {
            buf: vec![0.0; capacity.max(1)],
            start: 0,
            end: 0,
        }
    }

    /// Position after the last sample written.
    pub(crate) fn end(&self) -> usize {
        self.end
    }

    /// Samples that can be appended before the oldest must be released.
    pub(crate) fn free(&self) -> usize {
        self.buf.len() - (self.end - self.start)
    }

    /// Appends as much of `x` as fits (non-finite samples become 0); returns how much.
    pub(crate) fn push(&mut self, x: &[f32]) -> usize {
        let n = x.len().min(self.free());
        let cap = self.buf.len();
        let mut done = 0;
        while done < n {
            let at = (self.end + done) % cap;
            let run = (cap - at).min(n - done);
            for (b, &v) in self.buf[at..at + run].iter_mut().zip(&x[done..done + run]) {
                *b = if v.is_finite() { v } else { 0.0 };
            }
            done += run;
        }
        self.end += n;
        n
    }

    /// The sample at absolute position `i` (0.0 if it is no longer or not yet held).
    pub(crate) fn get(&self, i: usize) -> f32 {
        if i < self.start || i >= self.end {
            return 0.0;
        }
        self.buf[i % self.buf.len()]
    }

    /// Copies positions `from..from + out.len()` into `out` (zeros where not held).
    pub(crate) fn copy_to(&self, from: usize, out: &mut [f32]) {
        for (k, o) in out.iter_mut().enumerate() {
            *o = self.get(from + k);
        }
    }

    /// Releases every position before `i`.
    pub(crate) fn release_before(&mut self, i: usize) {
        self.start = self.start.max(i.min(self.end));
    }

    /// Empties the ring and restarts positions at 0.
    pub(crate) fn clear(&mut self) {
        self.start = 0;
        self.end = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wraps_and_refuses_beyond_capacity() {
        let mut r = AudioRing::new(5);
        assert_eq!(r.push(&[1.0, 2.0, 3.0]), 3);
        r.release_before(2);
        assert_eq!(r.push(&[4.0, 5.0, 6.0, 7.0, 8.0]), 4);
        assert_eq!(r.free(), 0);
        let mut out = [0.0; 6];
        r.copy_to(1, &mut out);
        assert_eq!(out, [0.0, 3.0, 4.0, 5.0, 6.0, 7.0]);
        assert_eq!(r.end(), 7);
    }
}
