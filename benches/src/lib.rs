//! Shared helpers for the voiceguard benches: real speech from the corpus.

use std::path::PathBuf;

/// The speech corpus (`$VOICEGUARD_CORPUS` or `../shared/speech`), if present.
#[must_use]
pub fn corpus() -> Option<PathBuf> {
    let dir = std::env::var_os("VOICEGUARD_CORPUS").map_or_else(
        || PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/speech"),
        PathBuf::from,
    );
    dir.join("manifest.tsv").is_file().then_some(dir)
}

/// `seconds` of real speech at 16 kHz: consecutive clips of one LibriSpeech
/// reader, joined. `None` (with a printed reason) when the corpus is absent.
#[must_use]
pub fn speech(seconds: f32) -> Option<Vec<f32>> {
    speech_of("ls-1688", seconds)
}

/// `seconds` of speech at 16 kHz from the clips of corpus speaker `speaker`
/// (a folder of the corpus), joined in file-name order. `None` (with a
/// printed reason) when the corpus is absent or the speaker has too little.
#[must_use]
pub fn speech_of(speaker: &str, seconds: f32) -> Option<Vec<f32>> {
    let Some(dir) = corpus() else {
        eprintln!("SKIPPED: speech corpus not found (set VOICEGUARD_CORPUS)");
        return None;
    };
    let limits = voiceguard::audio::Limits::default();
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    let want = (seconds * 16_000.0) as usize;
    let mut out = Vec::with_capacity(want);
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir.join(speaker))
        .ok()?
        .map(|e| e.map(|e| e.path()))
        .collect::<Result<_, _>>()
        .ok()?;
    files.sort();
    for f in files {
        let buf = voiceguard::audio::read_file(&f, &limits).ok()?;
        out.extend_from_slice(&buf.samples);
        if out.len() >= want {
            out.truncate(want);
            return Some(out);
        }
    }
    eprintln!("SKIPPED: corpus speaker {speaker} has less than {seconds} s of speech");
    None
}
