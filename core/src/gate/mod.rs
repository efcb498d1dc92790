//! The streaming gate: holds audio back in real time until its speaker is
//! verified, then releases it with every stretch that is not a household
//! member's speech silenced (or filled, per the policy).
//!
//! A [`GatePlan`] (models, a snapshot of the store's members, policy,
//! [`GateConfig`]) is shared; each stream owns a [`StreamingGate`]:
//!
//! - [`StreamingGate::push`] copies mono 16 kHz samples in (any chunk size;
//!   no allocation, no lock, never blocks: safe for an audio callback's thread);
//! - [`StreamingGate::process`] runs the VAD, embeds new scoring windows and
//!   decides (the compute; run it on a worker thread);
//! - [`StreamingGate::pull`] copies released audio out (no allocation, no lock).
//!
//! The output is the input delayed by exactly [`StreamingGate::latency_samples`]:
//! output sample `n` is input sample `n - latency` (the first `latency`
//! output samples are zeros), with `other` and `uncertain` speech replaced.
//!
//! How it decides: the same VAD hysteresis as offline screening, streamed;
//! the same scoring windows over the speech joined end to end; and, whenever a
//! new window is complete (or a stretch of speech ends), offline screening's
//! [`decide`](crate::screen::decide) over the last `context_s` seconds of
//! speech. A sample's label is fixed `latency - fade` after it arrived, from
//! the latest decision. What offline screening would hold cannot be
//! withheld from a stream, so the gate decides with `on_uncertain` and
//! `on_other` set to redact: uncertain speech is silenced; an empty store, or
//! too little speech in the context to verify, silences all speech. Speech
//! that no decision covers yet when its time comes is silenced (fail closed).

mod events;
#[cfg(feature = "live")]
pub mod live;
mod ring;
mod segmenter;
mod timeline;

pub use events::{SpanEvent, SpanLabel};

use crate::embed::{Embedding, EncoderState};
use crate::error::{Error, Result};
use crate::pipeline::Engine;
use crate::screen::{
    decide, fade_weight, overlap_margins, window_ranges, Analysis, Decision, Embedder, FillGen, Label, OnNoSpeech,
    OnOther, OnUncertain, Policy, SpeechMap, Verdict, Voiceprint, WindowEmbedding,
};
use crate::vad::Vad;
use crate::voiceprint::{Member, VoiceprintStore};
use events::EventRing;
use ring::AudioRing;
use segmenter::StreamSegmenter;
use std::collections::{HashMap, VecDeque};
use std::ops::Range;
use std::sync::Arc;
use timeline::Timeline;

/// Settings of a streaming gate (the screening settings are in [`Policy`]).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GateConfig {
    /// Fixed delay between input and output, in seconds (default 4.0; at
    /// least 1.0). Longer gives each decision more speech after the sample
    /// it fixes. 4.0 is the shortest of the settings measured (1.5, 2, 3, 4,
    /// 5 s) at which every corpus mixture agrees with offline screening to
    /// within 2 % of the clip; see the README's "Real-time" section.
    pub latency_s: f32,
    /// Seconds of speech each decision looks at (default 12; at least
    /// `latency_s + 2 * window_s`). Bounds memory and compute per decision.
    pub context_s: f32,
    /// Seconds of pushed audio the gate buffers before [`StreamingGate::process`]
    /// must run (default 2.0): `push` accepts less when it is full.
    pub input_s: f32,
    /// Span events kept for [`StreamingGate::pop_span`] (default 1024); the
    /// oldest unread are dropped and counted beyond that.
    pub max_events: usize,
    /// Seconds of recent audio whose level sets the gain toward the
    /// engine's `target_dbfs` (default 30; offline screening uses the whole clip).
    pub level_window_s: f32,
    /// New scoring windows per decision while speech goes on (default 2:
    /// decide every 2 hops, 0.8 s). More batches the model runs and makes
    /// fewer decisions (cheaper) but leaves the decision that fixes a sample
    /// up to `(decide_every - 1) * hop` less speech after it. At 4 s of
    /// latency, 1 and 2 gave the same released audio on every corpus mixture
    /// and on the demo mix; 4 differed by 2.8 % on the demo mix. Below 4 s
    /// of latency [`GateConfig::for_latency`] decides every window.
    pub decide_every: u32,
}

impl Default for GateConfig {
    fn default() -> Self {
        GateConfig {
            latency_s: 4.0,
            context_s: 12.0,
            input_s: 2.0,
            max_events: 1024,
            level_window_s: 30.0,
            decide_every: 2,
        }
    }
}

impl GateConfig {
    /// The defaults with `latency_s` seconds of hold-back: the context grows
    /// to at least `latency_s + 2 * window_s` (the policy's scoring window,
    /// in seconds), and below 4 s of latency every new window is decided at
    /// once (batching windows would leave too little speech after a
    /// decision's samples).
    #[must_use]
    pub fn for_latency(latency_s: f32, window_s: f32) -> Self {
        let d = GateConfig::default();
        GateConfig {
            latency_s,
            context_s: d.context_s.max(latency_s + 2.0 * window_s),
            decide_every: if latency_s >= d.latency_s { d.decide_every } else { 1 },
            ..d
        }
    }
}

/// What every stream of one household shares: models, members (a snapshot:
/// later enrollments need a new plan), policy and settings. Immutable;
/// `Send + Sync`.
#[derive(Debug)]
pub struct GatePlan {
    engine: Engine,
    members: Vec<Member>,
    policy: Policy,
    stream_policy: Policy,
    config: GateConfig,
}

fn secs_to_samples(s: f32, rate: u32) -> usize {
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    let n = (f64::from(s.max(0.0)) * f64::from(rate)).round() as usize;
    n
}

impl GatePlan {
    /// A plan for `members` (their voiceprints must come from `engine`'s model).
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] for an invalid policy or config, or a
    /// voiceprint whose dimension is not the model's.
    pub fn new(engine: Engine, members: Vec<Member>, policy: Policy, config: GateConfig) -> Result<Arc<Self>> {
        policy.validate()?;
        let bad =
            |what: &'static str, value: String, expected: String| Error::InvalidArgument { what, value, expected };
        let c = &config;
        if !(c.latency_s.is_finite() && (1.0..=60.0).contains(&c.latency_s)) {
            return Err(bad(
                "gate latency",
                format!("{} s", c.latency_s),
                "1 to 60 seconds".into(),
            ));
        }
        let least = c.latency_s + 2.0 * policy.window_s;
        if !(c.context_s.is_finite() && c.context_s >= least && c.context_s <= 600.0) {
            return Err(bad(
                "gate context",
                format!("{} s", c.context_s),
                format!("{least} to 600 seconds (latency + two scoring windows at least)"),
            ));
        }
        if !(c.input_s.is_finite() && (0.1..=60.0).contains(&c.input_s)) {
            return Err(bad(
                "gate input buffer",
                format!("{} s", c.input_s),
                "0.1 to 60 seconds".into(),
            ));
        }
        if c.max_events == 0 || c.max_events > 1 << 20 {
            return Err(bad(
                "gate event queue",
                c.max_events.to_string(),
                "1 to 1048576 events".into(),
            ));
        }
        if !(c.level_window_s.is_finite() && (1.0..=3600.0).contains(&c.level_window_s)) {
            return Err(bad(
                "gate level window",
                format!("{} s", c.level_window_s),
                "1 to 3600 seconds".into(),
            ));
        }
        if c.decide_every == 0 || c.decide_every > 64 {
            return Err(bad(
                "gate decide_every",
                c.decide_every.to_string(),
                "1 to 64 windows".into(),
            ));
        }
        let seg = engine.config().segments;
        if seg.pad_s > seg.min_silence_s {
            return Err(bad(
                "VAD segment padding",
                format!("{} s", seg.pad_s),
                format!("at most min_silence_s ({} s) for streaming", seg.min_silence_s),
            ));
        }
        let dim = engine.encoder().dim();
        if let Some(m) = members.iter().find(|m| m.voiceprint.len() != dim) {
            return Err(bad(
                "voiceprint",
                format!("{} with {} values", m.name, m.voiceprint.len()),
                format!("{dim} values, as the model's embeddings"),
            ));
        }
        let stream_policy = Policy {
            on_other: OnOther::Redact,
            on_uncertain: OnUncertain::Redact,
            on_no_speech: OnNoSpeech::Pass,
            ..policy
        };
        Ok(Arc::new(GatePlan {
            engine,
            members,
            policy,
            stream_policy,
            config,
        }))
    }

    /// A plan for the members of `store` now.
    ///
    /// # Errors
    /// As [`GatePlan::new`].
    pub fn from_store(
        engine: Engine,
        store: &VoiceprintStore,
        policy: Policy,
        config: GateConfig,
    ) -> Result<Arc<Self>> {
        GatePlan::new(engine, store.members().to_vec(), policy, config)
    }

    /// The engine.
    #[must_use]
    pub fn engine(&self) -> &Engine {
        &self.engine
    }

    /// The policy as given.
    #[must_use]
    pub fn policy(&self) -> &Policy {
        &self.policy
    }

    /// The settings.
    #[must_use]
    pub fn config(&self) -> &GateConfig {
        &self.config
    }

    /// Name of member `index` (as in [`SpanLabel::Member`]).
    #[must_use]
    pub fn member_name(&self, index: usize) -> Option<&str> {
        self.members.get(index).map(|m| m.name.as_str())
    }

    /// Number of members.
    #[must_use]
    pub fn member_count(&self) -> usize {
        self.members.len()
    }

    /// The screening [`Label`] of a span label.
    #[must_use]
    pub fn label(&self, l: SpanLabel) -> Label {
        match l {
            SpanLabel::Member(i) => self
                .member_name(i)
                .map_or(Label::Uncertain, |n| Label::Member(n.to_owned())),
            SpanLabel::Other => Label::Other,
            SpanLabel::Uncertain => Label::Uncertain,
            SpanLabel::Nonspeech => Label::Nonspeech,
        }
    }

    /// The fixed delay, in samples at 16 kHz.
    #[must_use]
    pub fn latency_samples(&self) -> usize {
        secs_to_samples(self.config.latency_s, self.engine.sample_rate().hz())
    }
}

/// Mean square of the recent audio, for the level gain.
#[derive(Debug)]
struct LevelMeter {
    frames: Vec<f64>,
    head: usize,
    len: usize,
    sum: f64,
    samples: usize,
    frame_len: usize,
    target_dbfs: f32,
}

impl LevelMeter {
    fn new(frames: usize, frame_len: usize, target_dbfs: f32) -> Self {
        LevelMeter {
            frames: vec![0.0; frames.max(1)],
            head: 0,
            len: 0,
            sum: 0.0,
            samples: 0,
            frame_len,
            target_dbfs,
        }
    }

    fn add(&mut self, frame: &[f32]) {
        let e: f64 = frame.iter().map(|&x| f64::from(x) * f64::from(x)).sum();
        let cap = self.frames.len();
        if self.len == cap {
            self.sum -= self.frames[self.head];
            self.head = (self.head + 1) % cap;
            self.len -= 1;
        }
        self.frames[(self.head + self.len) % cap] = e;
        self.len += 1;
        self.sum = (self.sum + e).max(0.0);
        self.samples += frame.len();
    }

    /// Gain that raises the recent level to the target (never lowers it);
    /// 1 until a second of audio has been seen.
    fn gain(&self) -> f32 {
        if self.samples < 16_000 || self.len == 0 {
            return 1.0;
        }
        #[allow(clippy::cast_precision_loss)]
        let ms = self.sum / (self.len * self.frame_len) as f64;
        crate::level::gain_to(
            crate::units::Db::from_power(ms),
            crate::units::Db(self.target_dbfs),
            true,
        )
    }

    fn clear(&mut self) {
        self.head = 0;
        self.len = 0;
        self.sum = 0.0;
        self.samples = 0;
    }
}

/// The latest decision, in stream positions.
#[derive(Debug)]
struct Decided {
    /// Stream positions the decision covers.
    covers: Range<usize>,
    /// Labelled spans, sorted (gaps are non-speech or undecided speech).
    spans: Vec<(Range<usize>, SpanLabel, Option<f32>)>,
    /// Ranges to silence (margins applied), sorted.
    silenced: Vec<Range<usize>>,
}

/// An event not yet complete (it may grow with the next commit).
#[derive(Debug, Clone, Copy)]
struct OpenEvent {
    range: (usize, usize),
    label: SpanLabel,
    score: Option<f32>,
}

/// Embeddings of context ranges, cached by timeline position.
struct CtxEmbedder<'a> {
    encoder: &'a crate::SpeakerEncoder,
    /// Level each embedded range is brought to ([`Engine::speech_level`](crate::Engine::speech_level)).
    level: Option<crate::Db>,
    state: &'a mut EncoderState,
    samples: &'a [f32],
    t0: usize,
    cache: &'a mut HashMap<(usize, usize), Embedding>,
    computed: &'a mut u64,
}

impl Embedder for CtxEmbedder<'_> {
    fn embed(&mut self, ranges: &[Range<usize>]) -> Result<Vec<Embedding>> {
        let key = |r: &Range<usize>| (self.t0 + r.start, self.t0 + r.end);
        let mut missing: Vec<Range<usize>> = ranges
            .iter()
            .filter(|r| !self.cache.contains_key(&key(r)))
            .cloned()
            .collect();
        missing.sort_by_key(|r| (r.start, r.end));
        missing.dedup();
        if !missing.is_empty() {
            let e = self
                .encoder
                .embed_ranges(self.samples, &missing, self.level, self.state)?;
            *self.computed += missing.len() as u64;
            for (r, e) in missing.iter().zip(e) {
                self.cache.insert((self.t0 + r.start, self.t0 + r.end), e);
            }
        }
        ranges
            .iter()
            .map(|r| {
                self.cache
                    .get(&key(r))
                    .cloned()
                    .ok_or_else(|| Error::Internal("gate embedding cache lost a range".into()))
            })
            .collect()
    }
}

/// Counters of one stream, for benches and monitoring.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct GateStats {
    /// Samples accepted by [`StreamingGate::push`].
    pub pushed: u64,
    /// Samples refused by `push` because the input buffer was full.
    pub refused: u64,
    /// Decisions made.
    pub decisions: u64,
    /// Ranges embedded (windows, boundary search, short spans).
    pub embedded: u64,
    /// Decisions that failed (their context was silenced).
    pub errors: u64,
    /// Span events dropped unread.
    pub dropped_spans: u64,
}

/// One stream's gate. `Send`; not `Sync` (one owner drives it). Build with
/// [`StreamingGate::new`]; memory is bounded by the plan's config whatever
/// the stream's length.
pub struct StreamingGate {
    plan: Arc<GatePlan>,
    latency: usize,
    fade: usize,
    window: usize,
    hop: usize,
    context: usize,
    rate: u32,
    frame_len: usize,
    audio: AudioRing,
    frame: Vec<f32>,
    vad: Box<dyn Vad + Send>,
    seg: StreamSegmenter,
    level: LevelMeter,
    timeline: Timeline,
    cache: HashMap<(usize, usize), Embedding>,
    enc_state: EncoderState,
    scratch: Vec<f32>,
    decided: Option<Decided>,
    /// Timeline end of the latest decision.
    decided_t1: usize,
    processed: usize,
    committed: usize,
    cuts: VecDeque<Range<usize>>,
    new_cuts: Vec<Range<usize>>,
    open_event: Option<OpenEvent>,
    events: EventRing,
    out_pos: usize,
    fill: FillGen,
    finished: bool,
    stats: GateStats,
}

impl std::fmt::Debug for StreamingGate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StreamingGate")
            .field("latency", &self.latency)
            .field("processed", &self.processed)
            .field("committed", &self.committed)
            .field("out_pos", &self.out_pos)
            .finish_non_exhaustive()
    }
}

impl StreamingGate {
    /// A gate for one stream; allocates every buffer it will need.
    ///
    /// # Errors
    /// [`Error::Model`] if the VAD state cannot be made.
    pub fn new(plan: Arc<GatePlan>) -> Result<Self> {
        let rate = plan.engine.sample_rate().hz();
        let policy = &plan.policy;
        let c = plan.config;
        let vad = plan.engine.make_vad()?;
        let frame_len = vad.frame_len();
        let latency = plan.latency_samples();
        let fade = secs_to_samples(policy.fade_ms / 1000.0, rate);
        let window = secs_to_samples(policy.window_s, rate).max(1);
        let hop = secs_to_samples(policy.hop_s, rate).max(1);
        let context = secs_to_samples(c.context_s, rate);
        let input = secs_to_samples(c.input_s, rate);
        let level_frames = secs_to_samples(c.level_window_s, rate).div_ceil(frame_len);
        Ok(StreamingGate {
            latency,
            fade,
            window,
            hop,
            context,
            rate,
            frame_len,
            audio: AudioRing::new(latency + input + fade + 2 * frame_len),
            frame: vec![0.0; frame_len],
            vad,
            seg: StreamSegmenter::new(frame_len, &plan.engine.config().segments),
            level: LevelMeter::new(level_frames, frame_len, plan.engine.config().target_dbfs),
            timeline: Timeline::default(),
            cache: HashMap::new(),
            enc_state: plan.engine.encoder().make_state(),
            scratch: Vec::new(),
            decided: None,
            decided_t1: 0,
            processed: 0,
            committed: 0,
            cuts: VecDeque::with_capacity(64),
            new_cuts: Vec::with_capacity(16),
            open_event: None,
            events: EventRing::new(c.max_events),
            out_pos: 0,
            fill: FillGen::new(policy.fill, rate),
            finished: false,
            stats: GateStats::default(),
            plan,
        })
    }

    /// The plan.
    #[must_use]
    pub fn plan(&self) -> &Arc<GatePlan> {
        &self.plan
    }

    /// The fixed delay between input and output, in samples: output sample
    /// `n` is input sample `n - latency_samples()`.
    #[must_use]
    pub fn latency_samples(&self) -> usize {
        self.latency
    }

    /// Counters so far.
    #[must_use]
    pub fn stats(&self) -> GateStats {
        GateStats {
            dropped_spans: self.events.dropped(),
            ..self.stats
        }
    }

    /// Samples [`StreamingGate::push`] would accept now.
    #[must_use]
    pub fn free_input(&self) -> usize {
        if self.finished {
            0
        } else {
            self.audio.free()
        }
    }

    /// Copies mono samples at 16 kHz in; returns how many were accepted
    /// (fewer than `samples.len()` only when the input buffer is full, i.e.
    /// [`process`](Self::process) or [`pull`](Self::pull) is behind; 0 after
    /// [`flush`](Self::flush) until [`reset`](Self::reset)). No allocation,
    /// no lock, no compute. Non-finite samples are stored as 0.
    pub fn push(&mut self, samples: &[f32]) -> usize {
        if self.finished {
            return 0;
        }
        let n = self.audio.push(samples);
        self.stats.pushed += n as u64;
        self.stats.refused += (samples.len() - n) as u64;
        n
    }

    /// Runs the VAD, embedding and decisions over everything pushed so far
    /// (whole 32 ms frames; the rest waits for more input or [`flush`](Self::flush)).
    /// Returns how many output samples became available to [`pull`](Self::pull).
    /// Allocates inside the model runtime; run it off the audio thread.
    ///
    /// # Errors
    /// Model errors. A failed decision silences its whole context (fail
    /// closed) and the stream stays usable.
    pub fn process(&mut self) -> Result<usize> {
        let before = self.available();
        if self.finished {
            return Ok(0);
        }
        let mut first_err = None;
        while self.audio.end() - self.processed >= self.frame_len {
            self.audio.copy_to(self.processed, &mut self.frame);
            self.classify_frame()?;
            self.processed += self.frame_len;
            if let Err(e) = self.advance(false) {
                first_err.get_or_insert(e);
            }
        }
        match first_err {
            Some(e) => Err(e),
            None => Ok(self.available() - before),
        }
    }

    /// Ends the stream: decides everything pushed, so [`pull`](Self::pull)
    /// can drain all of it (`latency_samples()` + samples pushed in all).
    /// Further pushes are refused until [`reset`](Self::reset).
    ///
    /// # Errors
    /// As [`process`](Self::process); the tail is still decided (silenced on error).
    pub fn flush(&mut self) -> Result<()> {
        if self.finished {
            return Ok(());
        }
        let mut first_err = self.process().err();
        let end = self.audio.end();
        if end > self.processed {
            self.frame.fill(0.0);
            let n = end - self.processed;
            self.audio.copy_to(self.processed, &mut self.frame[..n]);
            if let Err(e) = self.classify_frame() {
                // No probability for the tail: treat it as speech (fail closed).
                self.seg.feed(1.0);
                first_err.get_or_insert(e);
            }
            self.processed = end;
        }
        self.seg.finish(end);
        self.finished = true;
        if let Err(e) = self.advance(true) {
            first_err.get_or_insert(e);
        }
        if let Some(ev) = self.open_event.take() {
            self.emit(ev);
        }
        match first_err {
            Some(e) => Err(e),
            None => Ok(()),
        }
    }

    /// Copies released audio into `out`; returns how many samples were
    /// written (as many as are decided, up to `out.len()`). No allocation, no lock.
    pub fn pull(&mut self, out: &mut [f32]) -> usize {
        let n = out.len().min(self.available());
        for (k, o) in out[..n].iter_mut().enumerate() {
            let pos = self.out_pos + k;
            *o = if pos < self.latency {
                0.0
            } else {
                self.released_sample(pos - self.latency)
            };
        }
        self.out_pos += n;
        self.audio.release_before(self.out_pos.saturating_sub(self.latency));
        n
    }

    /// Output samples [`pull`](Self::pull) can return now: as many as input
    /// samples were processed, less those already pulled (all of them after
    /// [`flush`](Self::flush)).
    #[must_use]
    pub fn available(&self) -> usize {
        let limit = if self.finished {
            self.latency + self.committed
        } else {
            // The latency's zeros come out at the input's pace too.
            (self.latency + self.committed.saturating_sub(self.fade)).min(self.processed)
        };
        limit.saturating_sub(self.out_pos)
    }

    /// The oldest decided span not yet read.
    pub fn pop_span(&mut self) -> Option<SpanEvent> {
        self.events.pop()
    }

    /// Forgets the stream (keeps the buffers): the next push is sample 0.
    pub fn reset(&mut self) {
        self.audio.clear();
        self.vad.reset();
        self.seg.reset();
        self.level.clear();
        self.timeline.clear();
        self.cache.clear();
        self.decided = None;
        self.decided_t1 = 0;
        self.processed = 0;
        self.committed = 0;
        self.cuts.clear();
        self.new_cuts.clear();
        self.open_event = None;
        self.events.clear();
        self.out_pos = 0;
        self.fill = FillGen::new(self.plan.policy.fill, self.rate);
        self.finished = false;
        self.stats = GateStats::default();
    }

    /// Levels `self.frame`, runs the VAD on it and feeds the segmenter.
    fn classify_frame(&mut self) -> Result<()> {
        self.level.add(&self.frame);
        let g = self.level.gain();
        if g != 1.0 {
            for x in &mut self.frame {
                *x *= g;
            }
        }
        let p = self.vad.process(&self.frame)?;
        self.seg.feed(p);
        Ok(())
    }

    /// Extends the timeline, decides if there is something new, and commits
    /// labels up to `latency - fade` behind the input (all of it at the end).
    fn advance(&mut self, last: bool) -> Result<()> {
        for r in self.seg.take_closed() {
            self.timeline.append(r, &self.audio);
        }
        if let Some(r) = self.seg.open() {
            self.timeline.append(r, &self.audio);
        }
        let end = self.timeline.end();
        let open = self.seg.is_open() && !last;
        let t1 = if open {
            self.whole_windows_end(self.plan.config.decide_every as usize)
        } else {
            end
        };
        let mut result = Ok(());
        // The timeline only grows, so a decision is new when it hears more
        // (a fresh decision below may already have heard these windows).
        if t1 > self.decided_t1 {
            self.decided_t1 = t1;
            result = self.decide_context(t1);
        }
        let target = if last {
            self.processed
        } else {
            self.processed.saturating_sub(self.latency - self.fade)
        };
        // `decide_every` spaces decisions only while the speech they release
        // is verified: before unverified speech leaves silenced, whole
        // windows that arrived since the last decision are heard first, as
        // offline screening would hear them.
        if open && result.is_ok() && self.would_silence_uncertain(target) {
            let fresh = self.whole_windows_end(1);
            if fresh > self.decided_t1 {
                self.decided_t1 = fresh;
                result = self.decide_context(fresh);
            }
        }
        self.commit_to(target);
        result
    }

    /// Timeline end of the whole scoring windows so far, counted in groups
    /// of `every` (0 before the first group is complete).
    fn whole_windows_end(&self, every: usize) -> usize {
        let end = self.timeline.end();
        let complete = if end >= self.window {
            (end - self.window) / self.hop + 1
        } else {
            0
        };
        let used = complete / every.max(1) * every.max(1);
        if used > 0 {
            (used - 1) * self.hop + self.window
        } else {
            0
        }
    }

    /// Whether committing up to stream position `to` with the current
    /// decision would silence speech it could not verify (`uncertain`, or
    /// not decided yet): more windows may settle it either way. Speech
    /// decided `other` is silenced without waiting.
    fn would_silence_uncertain(&self, to: usize) -> bool {
        let to = to.min(self.processed);
        let mut pos = self.committed;
        while pos < to {
            let (end, label, _) = self.label_at(pos, to);
            if label == SpanLabel::Uncertain {
                return true;
            }
            pos = end.max(pos + 1);
        }
        false
    }

    /// Runs [`decide`] over the speech context ending at timeline `t1`.
    fn decide_context(&mut self, t1: usize) -> Result<()> {
        let t0 = if t1 > self.context {
            (t1 - self.context).div_ceil(self.hop) * self.hop
        } else {
            0
        };
        self.timeline.drop_before(t0);
        self.cache.retain(|k, _| k.0 >= t0);
        let origin = self.timeline.clip_pos(t0);
        let segments: Vec<Range<usize>> = self
            .timeline
            .clip_ranges(t0..t1)
            .map(|r| r.start - origin..r.end - origin)
            .collect();
        let n_samples = segments.last().map_or(0, |r| r.end);
        let map = SpeechMap {
            n_samples,
            rate: self.plan.engine.sample_rate(),
            segments,
        };
        self.timeline.levelled(t0..t1, self.level.gain(), &mut self.scratch);
        let plan = Arc::clone(&self.plan);
        let voiceprints: Vec<Voiceprint<'_>> = plan
            .members
            .iter()
            .map(|m| Voiceprint {
                name: &m.name,
                vector: &m.voiceprint,
            })
            .collect();
        let mut embedder = CtxEmbedder {
            encoder: plan.engine.encoder(),
            level: plan.engine.speech_level(),
            state: &mut self.enc_state,
            samples: &self.scratch,
            t0,
            cache: &mut self.cache,
            computed: &mut self.stats.embedded,
        };
        let ranges = window_ranges(t1 - t0, self.window, self.hop);
        let verdict = embedder.embed(&ranges).and_then(|embeddings| {
            let windows: Vec<WindowEmbedding> = ranges
                .into_iter()
                .zip(embeddings)
                .map(|(range, embedding)| WindowEmbedding { range, embedding })
                .collect();
            let analysis = Analysis {
                map: map.clone(),
                window: self.window,
                hop: self.hop,
                overlap: overlap_margins(plan.engine.encoder().overlap_detector(), &windows),
                windows,
            };
            decide(&analysis, &voiceprints, &plan.stream_policy, &mut embedder)
        });
        self.stats.decisions += 1;
        match verdict {
            Ok(v) => {
                self.decided = Some(self.to_stream(origin, n_samples, &v));
                Ok(())
            }
            Err(e) => {
                self.stats.errors += 1;
                let speech: Vec<Range<usize>> = map.segments.iter().map(|r| r.start + origin..r.end + origin).collect();
                self.decided = Some(Decided {
                    covers: origin..origin + n_samples,
                    spans: speech.iter().map(|r| (r.clone(), SpanLabel::Uncertain, None)).collect(),
                    silenced: speech,
                });
                Err(e)
            }
        }
    }

    /// A verdict on the context starting at stream position `origin`, in stream positions.
    fn to_stream(&self, origin: usize, n_samples: usize, v: &Verdict) -> Decided {
        let rate = f64::from(self.rate);
        let at = |s: f64| {
            #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
            let n = (s.max(0.0) * rate).round() as usize;
            origin + n
        };
        let spans: Vec<(Range<usize>, SpanLabel, Option<f32>)> = v
            .spans
            .iter()
            .map(|s| {
                let label = match &s.label {
                    Label::Member(name) => self
                        .plan
                        .members
                        .iter()
                        .position(|m| &m.name == name)
                        .map_or(SpanLabel::Uncertain, SpanLabel::Member),
                    Label::Other => SpanLabel::Other,
                    Label::Uncertain => SpanLabel::Uncertain,
                    Label::Nonspeech => SpanLabel::Nonspeech,
                };
                (at(s.start_s)..at(s.end_s), label, s.score)
            })
            .collect();
        let silenced = match v.decision {
            Decision::Pass => Vec::new(),
            Decision::Redact => v.redactions.iter().map(|&(a, b)| at(a)..at(b)).collect(),
            Decision::Hold => spans
                .iter()
                .filter(|s| s.1 != SpanLabel::Nonspeech)
                .map(|s| s.0.clone())
                .collect(),
        };
        Decided {
            covers: origin..origin + n_samples,
            spans,
            silenced,
        }
    }

    /// The label of stream position `pos` and how far (before `limit`) it holds.
    fn label_at(&self, pos: usize, limit: usize) -> (usize, SpanLabel, Option<f32>) {
        let mut limit = limit;
        if let Some(d) = &self.decided {
            if pos < d.covers.start {
                limit = limit.min(d.covers.start);
            } else if pos < d.covers.end {
                limit = limit.min(d.covers.end);
                for (r, label, score) in &d.spans {
                    if r.start > pos {
                        limit = limit.min(r.start);
                        break;
                    }
                    if pos < r.end {
                        return (r.end.min(limit), *label, *score);
                    }
                }
            }
        }
        // Not decided: speech is unverified, the rest is non-speech.
        match self.timeline.locate(pos) {
            Ok(seg) => (seg.end.min(limit), SpanLabel::Uncertain, None),
            Err(next) => (next.unwrap_or(limit).min(limit), SpanLabel::Nonspeech, None),
        }
    }

    /// Fixes labels and silenced ranges of stream positions `committed..to`.
    fn commit_to(&mut self, to: usize) {
        let to = to.min(self.processed);
        if to <= self.committed {
            return;
        }
        let from = self.committed;
        self.new_cuts.clear();
        let mut pos = from;
        while pos < to {
            let (end, label, score) = self.label_at(pos, to);
            let end = end.max(pos + 1);
            if label.is_silenced() {
                self.new_cuts.push(pos..end);
            }
            match &mut self.open_event {
                Some(ev) if ev.label == label && ev.range.1 == pos => {
                    ev.range.1 = end;
                    if score.is_some() {
                        ev.score = score;
                    }
                }
                _ => {
                    if let Some(ev) = self.open_event.take() {
                        self.emit(ev);
                    }
                    self.open_event = Some(OpenEvent {
                        range: (pos, end),
                        label,
                        score,
                    });
                }
            }
            pos = end;
        }
        if let Some(d) = &self.decided {
            for r in &d.silenced {
                let (a, b) = (r.start.max(from), r.end.min(to));
                if a < b {
                    self.new_cuts.push(a..b);
                }
            }
        }
        self.new_cuts.sort_by_key(|r| r.start);
        for r in self.new_cuts.drain(..) {
            match self.cuts.back_mut() {
                Some(last) if r.start <= last.end => last.end = last.end.max(r.end),
                _ => self.cuts.push_back(r),
            }
        }
        self.committed = to;
    }

    fn emit(&mut self, ev: OpenEvent) {
        let rate = f64::from(self.rate);
        #[allow(clippy::cast_precision_loss)]
        self.events.push(SpanEvent {
            start_s: ev.range.0 as f64 / rate,
            end_s: ev.range.1 as f64 / rate,
            label: ev.label,
            score: ev.score,
        });
    }

    /// Input sample `i` as released: kept, faded, or replaced by the fill.
    fn released_sample(&mut self, i: usize) -> f32 {
        let fade = self.fade;
        while self.cuts.front().is_some_and(|r| i >= r.end + fade) {
            self.cuts.pop_front();
        }
        let mut w = 0.0f32;
        for r in &self.cuts {
            if r.start > i + fade {
                break;
            }
            let d = if i < r.start {
                r.start - i
            } else if i < r.end {
                0
            } else {
                i - r.end + 1
            };
            w = w.max(fade_weight(d, fade));
        }
        let x = self.audio.get(i);
        let x = if x.is_finite() { x } else { 0.0 };
        if w == 0.0 {
            x
        } else {
            x * (1.0 - w) + self.fill.sample(i) * w
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn level_meter_raises_quiet_audio_only() {
        let mut m = LevelMeter::new(100, 512, -30.0);
        let quiet = vec![0.001f32; 512];
        for _ in 0..40 {
            m.add(&quiet);
        }
        // -60 dBFS raised to -30: x31.6.
        assert!((m.gain() - 31.62).abs() < 0.1, "{}", m.gain());
        let loud = vec![0.5f32; 512];
        for _ in 0..100 {
            m.add(&loud);
        }
        assert_eq!(m.gain(), 1.0);
    }
}
