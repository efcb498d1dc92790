//! Shared helpers for the integration tests: the corpus location, reference files.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

/// Repository root.
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap().to_path_buf()
}

/// The real-speech corpus: `$VOICEGUARD_CORPUS`, else `../shared/speech` beside
/// the repository. When it is missing the test is skipped with a printed
/// reason, unless `VOICEGUARD_REQUIRE_CORPUS=1` (CI), where it fails.
pub fn corpus() -> Option<PathBuf> {
    let dir = std::env::var_os("VOICEGUARD_CORPUS")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo_root().join("../shared/speech"));
    if dir.join("manifest.tsv").is_file() {
        return Some(dir);
    }
    let msg = format!(
        "speech corpus not found at {} (set VOICEGUARD_CORPUS to a folder with manifest.tsv)",
        dir.display()
    );
    if std::env::var("VOICEGUARD_REQUIRE_CORPUS").is_ok_and(|v| v == "1") {
        panic!("{msg}; VOICEGUARD_REQUIRE_CORPUS=1 makes corpus tests mandatory");
    }
    eprintln!("SKIPPED: {msg}");
    None
}

/// One row of `manifest.tsv`.
#[derive(Debug, Clone)]
pub struct Clip {
    pub path: PathBuf,
    pub rel: String,
    pub speaker: String,
    pub duration_s: f32,
    pub role: String,
}

/// Rows of the corpus manifest.
pub fn manifest(corpus: &Path) -> Vec<Clip> {
    let text = std::fs::read_to_string(corpus.join("manifest.tsv")).unwrap();
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap().split('\t').collect();
    let col = |n: &str| header.iter().position(|h| *h == n).unwrap();
    let (cp, cs, cd, cr) = (col("path"), col("speaker_id"), col("duration_s"), col("role"));
    lines
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let f: Vec<&str> = l.split('\t').collect();
            Clip {
                path: corpus.join(f[cp]),
                rel: f[cp].to_string(),
                speaker: f[cs].to_string(),
                duration_s: f[cd].parse().unwrap(),
                role: f[cr].to_string(),
            }
        })
        .collect()
}

/// Reads a mono 16-bit WAV as f32 / 32768 (what librosa and soundfile return).
pub fn read_i16_wav(path: &Path) -> Vec<f32> {
    let mut r = hound::WavReader::open(path).unwrap();
    r.samples::<i16>().map(|s| f32::from(s.unwrap()) / 32768.0).collect()
}

/// Flat list of numbers from a JSON value.
pub fn floats(v: &serde_json::Value) -> Vec<f64> {
    v.as_array().unwrap().iter().map(|x| x.as_f64().unwrap()).collect()
}

// Store test helpers (store.rs, store_kill.rs).

use voiceguard::voiceprint::{Member, StoreKey, VoiceprintStore};

/// Model id the store tests use.
pub const MODEL: &str = "ge2e:563fbaeeaeb7";
/// Voiceprint dimension the store tests use.
pub const DIM: usize = 256;

/// A fixed test key.
pub fn key(b: u8) -> StoreKey {
    StoreKey::from_bytes(&[b; 32]).unwrap()
}

/// A deterministic unit vector standing in for a voiceprint (these tests are
/// about the file, not about speech; the corpus tests enroll real voices).
pub fn vector(seed: u32) -> Vec<f32> {
    let mut s = u64::from(seed).wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    let v: Vec<f32> = (0..DIM)
        .map(|_| {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            (s >> 40) as f32 / (1u64 << 24) as f32 - 0.5
        })
        .collect();
    let n = v.iter().map(|x| x * x).sum::<f32>().sqrt();
    v.into_iter().map(|x| x / n).collect()
}

/// A test member with voiceprint `vector(seed)`.
pub fn member(name: &str, seed: u32) -> Member {
    Member {
        name: name.into(),
        voiceprint: vector(seed),
        utterances: 3,
        speech_s: 16.0 + seed as f32,
        consistency: 0.9,
        created_unix: 0,
        updated_unix: 0,
    }
}

/// Member names in order.
pub fn names(s: &VoiceprintStore) -> Vec<String> {
    s.members().iter().map(|m| m.name.clone()).collect()
}

/// White noise in [-a, a] (xorshift64), fixed seed.
pub fn noise(n: usize, a: f32, mut s: u64) -> Vec<f32> {
    (0..n)
        .map(|_| {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            #[allow(clippy::cast_precision_loss)]
            let u = (s >> 11) as f32 / (1u64 << 53) as f32;
            a * (2.0 * u - 1.0)
        })
        .collect()
}
pub mod screening;

/// Runs `x` through `gate` in pushes of `chunk` samples (process and pull
/// after each), flushes, and returns everything released (latency zeros first).
pub fn stream_through(gate: &mut voiceguard::gate::StreamingGate, x: &[f32], chunk: usize) -> Vec<f32> {
    let mut out = Vec::with_capacity(x.len() + gate.latency_samples());
    let mut buf = vec![0.0; 8192];
    let mut drain = |gate: &mut voiceguard::gate::StreamingGate, out: &mut Vec<f32>| loop {
        let n = gate.pull(&mut buf);
        if n == 0 {
            break;
        }
        out.extend_from_slice(&buf[..n]);
    };
    for piece in x.chunks(chunk.max(1)) {
        let mut at = 0;
        while at < piece.len() {
            at += gate.push(&piece[at..]);
            gate.process().unwrap();
            drain(gate, &mut out);
        }
    }
    gate.flush().unwrap();
    drain(gate, &mut out);
    out
}
