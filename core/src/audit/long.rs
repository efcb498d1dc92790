//! Screening a long WAV file in blocks, so memory does not grow with its length.
//!
//! The file is read with hound block by block (`block_s` seconds of
//! frames). Each block is screened as a clip of its own with the same
//! policy; the file's decision is the most cautious of its blocks (hold over
//! redact over pass), its spans, windows and redactions are the blocks'
//! shifted to file time. A voice cut by a block edge is judged on its part
//! in each block: a part too short to verify holds the file (fails closed).
//! The output is written in a second pass over the file: a passed file is
//! copied, a redacted one is rewritten block by block through a temporary
//! file. Peak memory is a few blocks of samples plus the models, whatever
//! the file's length.

use super::files::{copy_atomic, sha256_file};
use crate::audio::{resample_to, temp_path_beside, AudioBuf, WavSampleFormat};
use crate::error::{Error, Result};
use crate::pipeline::Engine;
use crate::screen::{output_path, redact_interleaved, ClipReport, Decision, Policy, Reason, Voiceprint};
use crate::units::SampleRate;
use std::io::BufReader;
use std::path::Path;

type Reader = hound::WavReader<BufReader<std::fs::File>>;

fn open(path: &Path) -> Result<Reader> {
    hound::WavReader::open(path).map_err(|e| match e {
        hound::Error::IoError(e) => Error::io("read", path, e),
        other => Error::UnsupportedFormat {
            path: path.into(),
            reason: format!("not a readable WAV file ({other})"),
        },
    })
}

/// The WAV's duration in seconds if `path` is a WAV file hound can open.
#[must_use]
pub fn wav_duration_s(path: &Path) -> Option<f64> {
    let r = hound::WavReader::open(path).ok()?;
    let rate = r.spec().sample_rate;
    (rate > 0).then(|| f64::from(r.duration()) / f64::from(rate))
}

/// Reads up to `n` interleaved samples as f32 in [-1, 1] (the same scaling as
/// `audio::read_file`). Fewer at the end of the file.
fn read_block(reader: &mut Reader, n: usize, path: &Path) -> Result<Vec<f32>> {
    let spec = reader.spec();
    let truncated = || Error::UnsupportedFormat {
        path: path.into(),
        reason: "the file is truncated: its header announces more samples than are present".into(),
    };
    let mut out = Vec::with_capacity(n.min(1 << 24));
    match (spec.sample_format, spec.bits_per_sample) {
        (hound::SampleFormat::Float, 32) => {
            for s in reader.samples::<f32>().take(n) {
                out.push(s.map_err(|_| truncated())?);
            }
        }
        (hound::SampleFormat::Int, bits @ (8 | 16 | 24 | 32)) => {
            let scale = 1.0 / f64::from(1u32 << (bits - 1));
            for s in reader.samples::<i32>().take(n) {
                #[allow(clippy::cast_possible_truncation)]
                out.push((f64::from(s.map_err(|_| truncated())?) * scale) as f32);
            }
        }
        (fmt, bits) => {
            return Err(Error::UnsupportedFormat {
                path: path.into(),
                reason: format!("{bits}-bit {fmt:?} WAV is not supported (use 8/16/24/32-bit integer or 32-bit float)"),
            })
        }
    }
    if !out.len().is_multiple_of(usize::from(spec.channels.max(1))) {
        return Err(truncated());
    }
    Ok(out)
}

fn severity(d: Decision) -> u8 {
    match d {
        Decision::Pass => 0,
        Decision::Redact => 1,
        Decision::Hold => 2,
    }
}

/// Screens the WAV at `input` in blocks of `block_s` seconds and writes its
/// output under `base` (see [`output_path`]). Never fails: an error holds the
/// file with [`Reason::Error`].
#[must_use]
pub fn screen_long_wav(
    engine: &Engine,
    input: &Path,
    name: &str,
    members: &[Voiceprint<'_>],
    policy: &Policy,
    base: &Path,
    block_s: f64,
) -> ClipReport {
    let mut report = ClipReport {
        input: name.to_owned(),
        sha256: None,
        duration_s: None,
        decision: Decision::Hold,
        reasons: vec![Reason::Error],
        error: None,
        output: None,
        output_sha256: None,
        spans: Vec::new(),
        windows: Vec::new(),
        redactions: Vec::new(),
    };
    if let Err(e) = screen_into(engine, input, members, policy, base, block_s, &mut report) {
        report.decision = Decision::Hold;
        report.reasons = vec![Reason::Error];
        report.error = Some(e.to_string());
        report.output = None;
        report.output_sha256 = None;
        report.redactions.clear();
    }
    report
}

fn screen_into(
    engine: &Engine,
    input: &Path,
    members: &[Voiceprint<'_>],
    policy: &Policy,
    base: &Path,
    block_s: f64,
    report: &mut ClipReport,
) -> Result<()> {
    report.sha256 = Some(sha256_file(input)?.0);
    let mut reader = open(input)?;
    let spec = reader.spec();
    let limits = &engine.config().limits;
    limits.check(
        input,
        spec.sample_rate,
        spec.channels,
        Some(u64::from(reader.duration())),
    )?;
    let rate = SampleRate(spec.sample_rate);
    let ch = usize::from(spec.channels);
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    let block_frames = ((block_s.max(10.0) * f64::from(rate.hz())) as usize).max(1);
    report.duration_s = Some(f64::from(reader.duration()) / f64::from(rate.hz()));
    let model_rate = engine.sample_rate();
    let mut decision = Decision::Pass;
    let mut reasons = Vec::new();
    let (mut spans, mut windows, mut redactions) = (Vec::new(), Vec::new(), Vec::new());
    let mut frame0 = 0usize;
    loop {
        let block = read_block(&mut reader, block_frames * ch, input)?;
        if block.is_empty() {
            break;
        }
        let frames = block.len() / ch;
        let mono = AudioBuf::from_interleaved(&block, spec.channels, rate)?;
        drop(block);
        let mono = if rate == model_rate {
            mono
        } else {
            AudioBuf::new(resample_to(&mono.samples, rate, model_rate)?, model_rate)
        };
        let v = crate::screen::screen_audio(engine, &mono, members, policy, input)?;
        #[allow(clippy::cast_precision_loss)]
        let t0 = frame0 as f64 / f64::from(rate.hz());
        if severity(v.decision) > severity(decision) {
            decision = v.decision;
        }
        reasons.extend(v.reasons.iter().copied());
        spans.extend(v.spans.into_iter().map(|mut s| {
            s.start_s += t0;
            s.end_s += t0;
            s
        }));
        windows.extend(v.windows.into_iter().map(|mut w| {
            w.start_s += t0;
            w.end_s += t0;
            w
        }));
        redactions.extend(v.redactions.iter().map(|(a, b)| (a + t0, b + t0)));
        frame0 += frames;
        if frames < block_frames {
            break;
        }
    }
    if frame0 == 0 {
        return Err(Error::InvalidAudio {
            path: input.into(),
            reason: "the WAV file holds no samples (0.0 s of audio)".into(),
        });
    }
    reasons.sort();
    reasons.dedup();
    if decision != Decision::Pass {
        // A block with nothing but members or silence does not explain the decision.
        reasons.retain(|r| !matches!(r, Reason::AllMembers | Reason::NoSpeech));
        if reasons.is_empty() {
            reasons.push(Reason::Error);
        }
    }
    if decision != Decision::Redact {
        redactions.clear();
    }
    report.decision = decision;
    report.reasons = reasons;
    report.spans = spans;
    report.windows = windows;
    report.redactions = redactions;
    let Some(path) = output_path(base, decision) else {
        return Ok(());
    };
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(|e| Error::io("create directory", dir, e))?;
    }
    let sha = match decision {
        Decision::Pass => copy_atomic(input, &path)?,
        Decision::Redact => {
            write_redacted(input, &path, &report.redactions, policy, block_frames)?;
            sha256_file(&path)?.0
        }
        Decision::Hold => return Ok(()),
    };
    report.output = Some(path.display().to_string());
    report.output_sha256 = Some(sha);
    Ok(())
}

/// Rewrites `input` to `path` with `ranges` (seconds) replaced, block by block.
fn write_redacted(
    input: &Path,
    path: &Path,
    ranges: &[(f64, f64)],
    policy: &Policy,
    block_frames: usize,
) -> Result<()> {
    let mut reader = open(input)?;
    let spec = reader.spec();
    let format = if spec.sample_format == hound::SampleFormat::Int && spec.bits_per_sample <= 16 {
        WavSampleFormat::Pcm16
    } else {
        WavSampleFormat::Float32
    };
    let out_spec = hound::WavSpec {
        channels: spec.channels,
        sample_rate: spec.sample_rate,
        bits_per_sample: if format == WavSampleFormat::Pcm16 { 16 } else { 32 },
        sample_format: if format == WavSampleFormat::Pcm16 {
            hound::SampleFormat::Int
        } else {
            hound::SampleFormat::Float
        },
    };
    let ch = usize::from(spec.channels);
    let rate = f64::from(spec.sample_rate);
    let tmp = temp_path_beside(path);
    let result = (|| -> Result<()> {
        let file = std::fs::File::create(&tmp).map_err(|e| Error::io("write", &tmp, e))?;
        let hound_err = |e: hound::Error| Error::io("write", &tmp, std::io::Error::other(e.to_string()));
        let mut w = hound::WavWriter::new(std::io::BufWriter::new(file), out_spec).map_err(hound_err)?;
        let mut frame0 = 0usize;
        loop {
            let mut block = read_block(&mut reader, block_frames * ch, input)?;
            if block.is_empty() {
                break;
            }
            #[allow(clippy::cast_precision_loss)]
            let t0 = frame0 as f64 / rate;
            #[allow(clippy::cast_precision_loss)]
            let t1 = t0 + (block.len() / ch) as f64 / rate;
            let local: Vec<(f64, f64)> = ranges
                .iter()
                .filter(|(a, b)| *b > t0 - 1.0 && *a < t1 + 1.0)
                .map(|(a, b)| (a - t0, b - t0))
                .collect();
            redact_interleaved(
                &mut block,
                spec.channels,
                spec.sample_rate,
                &local,
                policy.fill,
                policy.fade_ms,
            )?;
            for &s in &block {
                match format {
                    WavSampleFormat::Pcm16 => {
                        #[allow(clippy::cast_possible_truncation)]
                        w.write_sample((s * 32768.0).round().clamp(-32768.0, 32767.0) as i16)
                            .map_err(hound_err)?;
                    }
                    WavSampleFormat::Float32 => w.write_sample(s).map_err(hound_err)?,
                }
            }
            frame0 += block.len() / ch;
            if block.len() < block_frames * ch {
                break;
            }
        }
        w.finalize().map_err(hound_err)?;
        std::fs::File::open(&tmp)
            .and_then(|f| f.sync_all())
            .map_err(|e| Error::io("write", &tmp, e))
    })();
    if let Err(e) = result {
        let _ = std::fs::remove_file(&tmp);
        return Err(e);
    }
    std::fs::rename(&tmp, path).map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        Error::io("rename into", path, e)
    })
}
