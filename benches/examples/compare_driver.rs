//! Our side of `benches/compare/run.sh`: times each voiceguard stage on one
//! WAV, single thread, and prints one JSON line per stage:
//! `{"stage": .., "seconds": .., "audio_seconds": .., "reps": ..}` where
//! `seconds` is the fastest of `reps` timed runs (after one warm-up run).
//!
//! Usage: `compare_driver <wav> [--dump-partials <file>] [--reps N] [--e2e-files <list>]`.
//! `--e2e-files` also times [`Engine::embed_file`](voiceguard::Engine::embed_file)
//! (decode, resample, level, VAD, embedding) on every file of the list, as
//! Resemblyzer's `preprocess_wav` + `embed_utterance` do.
//! `--dump-partials` writes the batched partial mels fed to the encoder
//! (raw little-endian f32, batch-major `[n, 160, 40]`) so that the peers run
//! the model on exactly the same inputs and batch sizes.

use std::io::Write;
use std::path::PathBuf;
use std::time::Instant;
use voiceguard::dsp::{FbankConfig, FbankPlan, MelConfig, MelPlan};
use voiceguard::embed::{Backend, NativeScratch, Precision};
use voiceguard::vad::{frame_probabilities, EnergyPreset, EnergyVad, SileroModel};
use voiceguard::SpeakerEncoder;

type Res<T> = Result<T, Box<dyn std::error::Error>>;

/// Seconds of audio per embedding call (as Resemblyzer on 10 s utterances).
const CHUNK_S: usize = 10;
const RATE: usize = 16_000;

struct Args {
    wav: PathBuf,
    dump: Option<PathBuf>,
    reps: usize,
    e2e_files: Option<PathBuf>,
}

fn parse_args() -> Res<Args> {
    let mut wav = None;
    let mut dump = None;
    let mut e2e_files = None;
    let mut reps = 3;
    let mut it = std::env::args_os().skip(1);
    while let Some(a) = it.next() {
        match a.to_str() {
            Some("--dump-partials") => dump = Some(PathBuf::from(it.next().ok_or("--dump-partials needs a path")?)),
            Some("--e2e-files") => e2e_files = Some(PathBuf::from(it.next().ok_or("--e2e-files needs a path")?)),
            Some("--reps") => {
                reps = it
                    .next()
                    .and_then(|s| s.to_str()?.parse().ok())
                    .ok_or("--reps needs N")?
            }
            _ => wav = Some(PathBuf::from(a)),
        }
    }
    Ok(Args {
        wav: wav.ok_or("usage: compare_driver <wav> [--dump-partials <file>] [--reps N] [--e2e-files <list>]")?,
        dump,
        e2e_files,
        reps: reps.max(1),
    })
}

/// Runs `f` once to warm up, then `reps` times; returns the fastest run in seconds.
fn time(reps: usize, mut f: impl FnMut() -> Res<()>) -> Res<f64> {
    f()?;
    let mut best = f64::INFINITY;
    for _ in 0..reps {
        let t = Instant::now();
        f()?;
        best = best.min(t.elapsed().as_secs_f64());
    }
    Ok(best)
}

fn report(stage: &str, seconds: f64, audio_seconds: f64, reps: usize) {
    println!(r#"{{"stage": "{stage}", "seconds": {seconds:.6}, "audio_seconds": {audio_seconds:.3}, "reps": {reps}}}"#);
}

fn main() -> Res<()> {
    let args = parse_args()?;
    let reps = args.reps;
    let x = voiceguard::audio::read_file(&args.wav, &voiceguard::audio::Limits::default())?.samples;
    #[allow(clippy::cast_precision_loss)]
    let audio_s = x.len() as f64 / RATE as f64;

    // Front ends over the whole recording.
    let mel = MelPlan::new(MelConfig::GE2E)?;
    let mut ms = mel.make_state();
    let mut mout = vec![0.0; mel.n_frames(x.len()) * mel.n_mels()];
    let s = time(reps, || Ok(mel.process_into(&x, &mut ms, &mut mout)?))?;
    report("frontend_mel40", s, audio_s, reps);
    let fbank = FbankPlan::new(FbankConfig::WESPEAKER)?;
    let mut fs = fbank.make_state();
    let mut fout = vec![0.0; fbank.n_frames(x.len()) * FbankConfig::WESPEAKER.n_mels];
    let s = time(reps, || Ok(fbank.process_into(&x, &mut fs, &mut fout)?))?;
    report("frontend_fbank80", s, audio_s, reps);

    // Embedding: 10 s chunks, each as Resemblyzer's embed_utterance (all partials in one batch).
    let enc = SpeakerEncoder::bundled()?;
    let chunks: Vec<&[f32]> = x.chunks_exact(CHUNK_S * RATE).collect();
    #[allow(clippy::cast_precision_loss)]
    let emb_audio_s = (chunks.len() * CHUNK_S) as f64;
    let n_feat = enc.frontend().n_features();
    let dim = enc.dim();
    let mut batches: Vec<(usize, usize, Vec<f32>)> = Vec::new(); // (batch, frames, mels)
    let mut st = enc.frontend().make_state();
    for c in &chunks {
        let ranges = enc.partial_ranges(c.len());
        let total = ranges.last().map_or(0, |r| r.end);
        let mut feats = vec![0.0; total * n_feat];
        enc.frontend().process_frames_into(c, total, &mut st, &mut feats)?;
        let mut b = Vec::with_capacity(ranges.len() * ranges[0].len() * n_feat);
        for r in &ranges {
            b.extend_from_slice(&feats[r.start * n_feat..r.end * n_feat]);
        }
        let frames = ranges[0].len();
        batches.push((ranges.len(), frames, b));
    }
    let n_partials: usize = batches.iter().map(|b| b.0).sum();
    let sizes: Vec<String> = batches.iter().map(|b| b.0.to_string()).collect();
    println!(
        r#"{{"stage": "partials", "audio_seconds": {emb_audio_s:.3}, "n_partials": {n_partials}, "frames": {}, "features": {n_feat}, "batches": [{}]}}"#,
        batches.first().map_or(0, |b| b.1),
        sizes.join(", ")
    );
    if let Some(p) = &args.dump {
        let mut w = std::io::BufWriter::new(std::fs::File::create(p)?);
        for (_, _, b) in &batches {
            for v in b {
                w.write_all(&v.to_le_bytes())?;
            }
        }
        w.flush()?;
    }
    let mut out = vec![0.0; batches.iter().map(|b| b.0).max().unwrap_or(1) * dim];
    // The model on both backends: the native LSTM (default), the native LSTM
    // with bf16 products (AVX-512 BF16; f32 elsewhere) and tract.
    for (suffix, backend, precision) in [
        ("", Backend::Native, Precision::F32),
        ("_bf16", Backend::Native, Precision::Bf16),
        ("_tract", Backend::Tract, Precision::F32),
    ] {
        let mut enc = SpeakerEncoder::bundled()?;
        enc.set_backend(backend)?;
        if enc.set_precision(precision) != precision {
            eprintln!("{suffix}: this CPU has no AVX-512 BF16; the row runs in f32");
        }
        // Scratch reused across calls, as a session's arena is.
        let mut scratch = NativeScratch::default();
        let s = time(reps, || {
            for (n, frames, b) in &batches {
                enc.run_features_with(b, *n, *frames, &mut scratch, &mut out[..n * dim])?;
            }
            Ok(())
        })?;
        report(&format!("embed_model_batched{suffix}"), s, emb_audio_s, reps);
        let s = time(reps, || {
            for (_, frames, b) in &batches {
                for one in b.chunks_exact(frames * n_feat) {
                    enc.run_features_with(one, 1, *frames, &mut scratch, &mut out[..dim])?;
                }
            }
            Ok(())
        })?;
        report(&format!("embed_model_b1{suffix}"), s, emb_audio_s, reps);
    }
    let s = time(reps, || {
        for c in &chunks {
            std::hint::black_box(enc.embed_utterance(c)?);
        }
        Ok(())
    })?;
    report("embed_utterance_with_frontend", s, emb_audio_s, reps);

    // VAD over the whole recording, 512-sample frames, state carried.
    let silero = SileroModel::bundled()?;
    let mut vad = silero.make_vad()?;
    let s = time(reps, || {
        std::hint::black_box(frame_probabilities(&mut vad, &x)?);
        Ok(())
    })?;
    report("vad_silero", s, audio_s, reps);
    let mut evad = EnergyVad::new(EnergyPreset::Normal);
    let s = time(reps, || {
        std::hint::black_box(frame_probabilities(&mut evad, &x)?);
        Ok(())
    })?;
    report("vad_energy", s, audio_s, reps);

    // End to end on whole files: decode, resample, level, VAD, embedding.
    if let Some(list) = &args.e2e_files {
        let files: Vec<PathBuf> = std::fs::read_to_string(list)?
            .lines()
            .filter(|l| !l.trim().is_empty())
            .map(PathBuf::from)
            .collect();
        let mut files_audio_s = 0.0;
        for f in &files {
            let a = voiceguard::audio::read_file(f, &voiceguard::audio::Limits::default())?;
            #[allow(clippy::cast_precision_loss)]
            let secs = a.samples.len() as f64 / f64::from(a.rate.hz());
            files_audio_s += secs;
        }
        for (stage, precision) in [
            ("e2e_embed_files", Precision::F32),
            ("e2e_embed_files_bf16", Precision::Bf16),
        ] {
            let mut encoder = SpeakerEncoder::bundled()?;
            encoder.set_precision(precision);
            let engine = voiceguard::Engine::new(
                std::sync::Arc::new(encoder),
                voiceguard::VadChoice::Silero(SileroModel::bundled()?),
                voiceguard::EngineConfig::default(),
            )?;
            let s = time(reps, || {
                for f in &files {
                    std::hint::black_box(engine.embed_file(f)?);
                }
                Ok(())
            })?;
            report(stage, s, files_audio_s, reps);
        }
    }
    Ok(())
}
