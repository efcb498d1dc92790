//! Span events: what the gate decided about each stretch of the stream, in a
//! bounded queue that drops (and counts) the oldest when nobody reads it.

/// Who was speaking in a decided stretch of the stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SpanLabel {
    /// The plan's member at this index ([`GatePlan::member_name`](super::GatePlan::member_name)).
    Member(usize),
    /// A voice that is not enrolled (silenced).
    Other,
    /// Speech that could not be verified (silenced).
    Uncertain,
    /// No speech (released unchanged).
    Nonspeech,
}

impl SpanLabel {
    /// Whether the gate silences speech with this label.
    #[must_use]
    pub fn is_silenced(self) -> bool {
        matches!(self, SpanLabel::Other | SpanLabel::Uncertain)
    }
}

/// A decided stretch of the input stream. Times are seconds of input from
/// the start of the stream (or the last [`reset`](super::StreamingGate::reset)).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SpanEvent {
    /// Start, seconds.
    pub start_s: f64,
    /// End, seconds (exclusive).
    pub end_s: f64,
    /// Who speaks.
    pub label: SpanLabel,
    /// Best cosine of the stretch's speech to a member when the decision was
    /// made (`None` for non-speech or speech too short to score).
    pub score: Option<f32>,
}

/// A fixed-capacity FIFO of events.
#[derive(Debug)]
pub(crate) struct EventRing {
    buf: Vec<SpanEvent>,
    head: usize,
    len: usize,
    dropped: u64,
}

impl EventRing {
    pub(crate) fn new(capacity: usize) -> Self {
        let blank = SpanEvent {
            start_s: 0.0,
            end_s: 0.0,
            label: SpanLabel::Nonspeech,
            score: None,
        };
        EventRing {
            buf: vec![blank; capacity.max(1)],
            head: 0,
            len: 0,
            dropped: 0,
        }
    }

    /// Appends `e`, dropping the oldest event if full.
    pub(crate) fn push(&mut self, e: SpanEvent) {
        let cap = self.buf.len();
        if self.len == cap {
            self.head = (self.head + 1) % cap;
            self.len -= 1;
            self.dropped += 1;
        }
        self.buf[(self.head + self.len) % cap] = e;
        self.len += 1;
    }

    pub(crate) fn pop(&mut self) -> Option<SpanEvent> {
        if self.len == 0 {
            return None;
        }
        let e = self.buf[self.head];
        self.head = (self.head + 1) % self.buf.len();
        self.len -= 1;
        Some(e)
    }

    pub(crate) fn dropped(&self) -> u64 {
        self.dropped
    }

    pub(crate) fn clear(&mut self) {
        self.head = 0;
        self.len = 0;
        self.dropped = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn oldest_events_are_dropped_and_counted() {
        let mut r = EventRing::new(2);
        for i in 0..5 {
            r.push(SpanEvent {
                start_s: f64::from(i),
                end_s: f64::from(i + 1),
                label: SpanLabel::Other,
                score: None,
            });
        }
        assert_eq!(r.dropped(), 3);
        assert_eq!(r.pop().map(|e| e.start_s), Some(3.0));
        assert_eq!(r.pop().map(|e| e.start_s), Some(4.0));
        assert_eq!(r.pop(), None);
    }
}
