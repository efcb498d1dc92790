//! Shared machinery for the screening statistics on the corpus: analyses
//! cached on disk by (model sha256, backend, settings, clip sha256), enrolled
//! voiceprints per speaker, seeded households, and an embedder that loads a
//! clip only when a decision needs more than the cached windows.
#![allow(dead_code)]

use super::Clip;
use sha2::{Digest, Sha256};
use std::collections::{HashMap, HashSet};
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use voiceguard::audio::AudioBuf;
use voiceguard::enroll::{EnrollConfig, Enroller};
use voiceguard::screen::{self, Analysis, Embedder, Policy, SpeechAudio, SpeechMap, WindowEmbedding};
use voiceguard::{Embedding, Engine, SampleRate};

/// Where analyses are cached: `$VOICEGUARD_TEST_CACHE` or `target/voiceguard-test-cache`.
pub fn cache_dir() -> PathBuf {
    std::env::var_os("VOICEGUARD_TEST_CACHE")
        .map(PathBuf::from)
        .unwrap_or_else(|| super::repo_root().join("target/voiceguard-test-cache"))
}

fn key(engine: &Engine, policy: &Policy, samples: &[f32]) -> String {
    let mut h = Sha256::new();
    h.update(engine.encoder().manifest().sha256.as_bytes());
    h.update(
        format!(
            "{:?}|{:?}|{:?}|{}|{}",
            engine.encoder().backend(),
            engine.encoder().precision(),
            engine.config(),
            policy.window_s,
            policy.hop_s
        )
        .as_bytes(),
    );
    for s in samples {
        h.update(s.to_le_bytes());
    }
    hex::encode(h.finalize())
}

fn encode(a: &Analysis) -> Vec<u8> {
    let mut out = Vec::new();
    let mut u = |v: usize| out.extend_from_slice(&(v as u64).to_le_bytes());
    u(a.map.n_samples);
    u(a.map.rate.hz() as usize);
    u(a.window);
    u(a.hop);
    u(a.map.segments.len());
    for r in &a.map.segments {
        u(r.start);
        u(r.end);
    }
    u(a.windows.len());
    let dim = a.windows.first().map_or(0, |w| w.embedding.dim());
    u(dim);
    for w in &a.windows {
        u(w.range.start);
        u(w.range.end);
    }
    for w in &a.windows {
        for v in w.embedding.as_slice() {
            out.extend_from_slice(&v.to_le_bytes());
        }
    }
    out
}

fn decode(b: &[u8]) -> Option<Analysis> {
    let mut at = 0;
    let mut u = || -> Option<usize> {
        let v = u64::from_le_bytes(b.get(at..at + 8)?.try_into().ok()?);
        at += 8;
        Some(v as usize)
    };
    let (n, rate, window, hop, nseg) = (u()?, u()?, u()?, u()?, u()?);
    let mut segments = Vec::with_capacity(nseg);
    for _ in 0..nseg {
        segments.push(u()?..u()?);
    }
    let (nw, dim) = (u()?, u()?);
    let mut ranges = Vec::with_capacity(nw);
    for _ in 0..nw {
        ranges.push(u()?..u()?);
    }
    let floats: Vec<f32> = b
        .get(at..)?
        .chunks_exact(4)
        .map(|c| f32::from_le_bytes(c.try_into().unwrap()))
        .collect();
    if floats.len() != nw * dim {
        return None;
    }
    let windows = ranges
        .into_iter()
        .zip(floats.chunks_exact(dim.max(1)))
        .map(|(range, e)| {
            Some(WindowEmbedding {
                range,
                embedding: Embedding::normalized(e.to_vec()).ok()?,
            })
        })
        .collect::<Option<Vec<_>>>()?;
    Some(Analysis {
        map: SpeechMap {
            n_samples: n,
            rate: SampleRate(rate as u32),
            segments,
        },
        window,
        hop,
        windows,
        overlap: Vec::new(),
    })
}

/// The analysis of `samples` (mono 16 kHz), from the cache or computed and stored.
pub fn analysis(engine: &Engine, policy: &Policy, samples: &[f32]) -> Analysis {
    let dir = cache_dir();
    let file = dir.join(format!("{}.bin", key(engine, policy, samples)));
    if let Some(mut a) = std::fs::read(&file).ok().and_then(|b| decode(&b)) {
        // The cache holds embeddings; the detector's margins follow from them.
        a.overlap = screen::overlap_margins(engine.encoder().overlap_detector(), &a.windows);
        return a;
    }
    let audio = AudioBuf::new(samples.to_vec(), SampleRate(16_000));
    let (a, _) = screen::analyze(engine, &audio, policy, Path::new("<test clip>")).unwrap();
    std::fs::create_dir_all(&dir).unwrap();
    // One temporary name per writer: several test threads may store at once.
    static WRITES: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = WRITES.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let tmp = dir.join(format!(".{}-{n}.tmp", std::process::id()));
    std::fs::write(&tmp, encode(&a)).unwrap();
    std::fs::rename(&tmp, &file).unwrap();
    a
}

/// Embeds timeline ranges of one clip on demand, loading it at first use;
/// remembers every range it embedded.
pub struct LazyEmbedder<'a> {
    pub engine: &'a Engine,
    pub samples: &'a [f32],
    pub map: &'a SpeechMap,
    audio: Option<SpeechAudio>,
    memo: HashMap<Range<usize>, Embedding>,
    pub calls: usize,
    pub embedded: usize,
}

impl<'a> LazyEmbedder<'a> {
    pub fn new(engine: &'a Engine, samples: &'a [f32], map: &'a SpeechMap) -> Self {
        LazyEmbedder {
            engine,
            samples,
            map,
            audio: None,
            memo: HashMap::new(),
            calls: 0,
            embedded: 0,
        }
    }
}

impl Embedder for LazyEmbedder<'_> {
    fn embed(&mut self, ranges: &[Range<usize>]) -> voiceguard::Result<Vec<Embedding>> {
        let missing: Vec<Range<usize>> = ranges.iter().filter(|r| !self.memo.contains_key(*r)).cloned().collect();
        if !missing.is_empty() {
            self.calls += 1;
            self.embedded += missing.len();
            if self.audio.is_none() {
                let mut leveled = self.samples.to_vec();
                self.engine.level(&mut leveled);
                self.audio = Some(SpeechAudio::new(
                    self.engine.encoder().clone(),
                    &leveled,
                    self.map,
                    self.engine.speech_level(),
                )?);
            }
            let got = self.audio.as_mut().unwrap().embed(&missing)?;
            for (r, e) in missing.into_iter().zip(got) {
                self.memo.insert(r, e);
            }
        }
        Ok(ranges.iter().map(|r| self.memo[r].clone()).collect())
    }
}

/// Clips used to build `mixtures/`: never enrolled.
pub fn mixture_sources(corpus: &Path) -> HashSet<String> {
    let text = std::fs::read_to_string(corpus.join("mixtures/segments.tsv")).unwrap();
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap().split('\t').collect();
    let col = header.iter().position(|h| *h == "source_clip").unwrap();
    lines
        .filter(|l| !l.trim().is_empty())
        .map(|l| l.split('\t').nth(col).unwrap().to_string())
        .collect()
}

/// A speaker enrolled with the default rule: clips in folder order (mixture
/// sources last) pushed until the enrollment is sufficient.
pub struct Enrolled {
    pub speaker: String,
    pub voiceprint: Vec<f32>,
    /// Paths (relative) of the clips pushed, accepted or not.
    pub used: HashSet<String>,
    pub speech_s: f32,
}

/// Enrolls `speaker` from `clips` (all of one speaker) with the default rule;
/// `None` if the clips never satisfy it.
pub fn enroll(engine: &Engine, speaker: &str, clips: &[Clip], banned: &HashSet<String>) -> Option<Enrolled> {
    let mut ordered: Vec<&Clip> = clips.iter().collect();
    ordered.sort_by_key(|c| (banned.contains(&c.rel), c.rel.clone()));
    let mut e = Enroller::new(engine, speaker, EnrollConfig::default());
    let mut used = HashSet::new();
    for c in ordered {
        if e.progress().sufficient {
            break;
        }
        used.insert(c.rel.clone());
        let _ = e.push_file(&c.path);
    }
    if !e.progress().sufficient {
        return None;
    }
    let en = e.finish().ok()?;
    Some(Enrolled {
        speaker: speaker.to_string(),
        voiceprint: en.voiceprint.as_slice().to_vec(),
        used,
        speech_s: en.speech_s,
    })
}

/// Deterministic xorshift generator for households and mixtures.
pub struct Rng(pub u64);

impl Rng {
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    pub fn uniform(&mut self, lo: f64, hi: f64) -> f64 {
        lo + (hi - lo) * (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// A random excerpt of 2-6 s of `x` (all of it if shorter).
pub fn excerpt(x: &[f32], rng: &mut Rng) -> Vec<f32> {
    let len = (rng.uniform(2.0, 6.0) * 16_000.0) as usize;
    if x.len() <= len {
        return x.to_vec();
    }
    let start = rng.below(x.len() - len);
    x[start..start + len].to_vec()
}

/// `n` distinct households of 2-4 speakers from `speakers` (sorted members).
pub fn households(speakers: &[String], n: usize, seed: u64) -> Vec<Vec<String>> {
    let mut rng = Rng(seed);
    let mut seen = HashSet::new();
    let mut out = Vec::new();
    while out.len() < n {
        let size = 2 + rng.below(3);
        let mut h: Vec<String> = Vec::new();
        while h.len() < size {
            let s = &speakers[rng.below(speakers.len())];
            if !h.contains(s) {
                h.push(s.clone());
            }
        }
        h.sort();
        if seen.insert(h.clone()) {
            out.push(h);
        }
    }
    out
}

/// Computes analyses of many clips on two threads (this machine has two cores).
pub fn analyses(engine: &Engine, policy: &Policy, clips: &[(String, Vec<f32>)]) -> HashMap<String, Analysis> {
    let out = Mutex::new(HashMap::new());
    let next = Mutex::new(0usize);
    std::thread::scope(|s| {
        for _ in 0..2 {
            s.spawn(|| loop {
                let i = {
                    let mut n = next.lock().unwrap();
                    *n += 1;
                    *n - 1
                };
                let Some((name, samples)) = clips.get(i) else { break };
                let a = analysis(engine, policy, samples);
                out.lock().unwrap().insert(name.clone(), a);
            });
        }
    });
    out.into_inner().unwrap()
}
