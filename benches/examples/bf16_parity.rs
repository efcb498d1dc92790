//! How far the native encoder's bf16 precisions move embeddings from f32 on
//! real speech: every corpus clip of at least 2 s (mixtures left out) is
//! embedded with [`Precision::F32`] and each bf16 precision, as an utterance
//! and per 1.6 s window every 0.4 s, and the cosines to the f32 embeddings
//! are summarised (min, p1, median, how many under the project's 0.999
//! parity bound).
//!
//! Usage: `cargo run --release -p voiceguard-benches --example bf16_parity`
//! (corpus from `$VOICEGUARD_CORPUS` or `../shared/speech`). Prints
//! "SKIPPED" and exits 0 when the CPU has no AVX-512 BF16 or no corpus.

use voiceguard::embed::{Embedding, Precision};
use voiceguard::SpeakerEncoder;

type Res<T> = Result<T, Box<dyn std::error::Error>>;

const WINDOW: usize = 25_600;
const HOP: usize = 6_400;
const BOUND: f64 = 0.999;

fn cosines(a: &[Embedding], b: &[Embedding]) -> Res<Vec<f64>> {
    a.iter().zip(b).map(|(x, y)| Ok(f64::from(x.cosine(y)?.0))).collect()
}

fn summary(name: &str, mut c: Vec<f64>) {
    c.sort_by(f64::total_cmp);
    if c.is_empty() {
        return;
    }
    #[allow(
        clippy::cast_precision_loss,
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss
    )]
    let q = |p: f64| c[((c.len() - 1) as f64 * p).round() as usize];
    let below = c.iter().filter(|&&v| v < BOUND).count();
    let below4 = c.iter().filter(|&&v| v < 0.9999).count();
    println!(
        "{name:<34} n {:>5}  min {:.6}  p1 {:.6}  median {:.6}  below 0.999: {below}  below 0.9999: {below4}",
        c.len(),
        q(0.0),
        q(0.01),
        q(0.5),
    );
}

fn main() -> Res<()> {
    let Some(dir) = voiceguard_benches::corpus() else {
        println!("SKIPPED: speech corpus not found (set VOICEGUARD_CORPUS)");
        return Ok(());
    };
    let variants = [Precision::Bf16];
    let mut reference = SpeakerEncoder::bundled()?;
    reference.set_precision(Precision::F32);
    let mut encoders = Vec::new();
    for p in variants {
        let mut e = SpeakerEncoder::bundled()?;
        if e.set_precision(p) != p {
            println!("SKIPPED: this CPU has no AVX-512 BF16");
            return Ok(());
        }
        encoders.push(e);
    }
    let manifest = std::fs::read_to_string(dir.join("manifest.tsv"))?;
    let limits = voiceguard::audio::Limits::default();
    let (mut utt, mut win) = (vec![Vec::new(); variants.len()], vec![Vec::new(); variants.len()]);
    let mut clips = 0;
    for line in manifest.lines().skip(1) {
        let cols: Vec<&str> = line.split('\t').collect();
        let (Some(path), Some(dur), Some(role)) = (cols.first(), cols.get(3), cols.get(8)) else {
            continue;
        };
        if dur.parse::<f64>().unwrap_or(0.0) < 2.0 || *role == "mixture" {
            continue;
        }
        let x = voiceguard::audio::read_file(&dir.join(path), &limits)?.samples;
        clips += 1;
        let u0 = reference.embed_utterance(&x)?;
        let w0: Vec<Embedding> = reference
            .embed_windows(&x, WINDOW, HOP, None)?
            .into_iter()
            .map(|(_, e)| e)
            .collect();
        for (i, enc) in encoders.iter().enumerate() {
            utt[i].push(f64::from(enc.embed_utterance(&x)?.cosine(&u0)?.0));
            let w: Vec<Embedding> = enc
                .embed_windows(&x, WINDOW, HOP, None)?
                .into_iter()
                .map(|(_, e)| e)
                .collect();
            win[i].extend(cosines(&w, &w0)?);
        }
    }
    println!("{clips} clips of >= 2 s (no mixtures); cosine to the f32 native embedding:");
    for (i, p) in variants.iter().enumerate() {
        summary(&format!("{p:?} utterance"), std::mem::take(&mut utt[i]));
        summary(&format!("{p:?} 1.6 s windows / 0.4 s hop"), std::mem::take(&mut win[i]));
    }
    Ok(())
}
