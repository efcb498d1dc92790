//! Screening a file: read, decide, write the output atomically, report.

use super::decide::Voiceprint;
use super::policy::Policy;
use super::redact::redact_interleaved;
use super::report::ClipReport;
use super::verdict::{Decision, Reason, Verdict};
use crate::audio::{self, temp_path_beside, AudioBuf};
use crate::error::{Error, Result};
use crate::pipeline::Engine;
use sha2::{Digest, Sha256};
use std::io::Write;
use std::path::{Path, PathBuf};

/// Where and how [`screen_file`] writes its output.
#[derive(Debug, Clone, Copy)]
pub struct OutputOptions<'a> {
    /// The output path for a passed clip (normally the input's path mirrored
    /// under the output directory); see [`output_path`] for a redacted one.
    pub base: &'a Path,
    /// Replace an existing output (otherwise its presence holds the clip).
    pub overwrite: bool,
}

/// The output path for `decision`: `base` itself for a pass (a byte-for-byte
/// copy keeps its format); for a redaction `base` if it ends in `.wav`, else
/// `base` plus `.wav` (`a.flac` -> `a.flac.wav`), so two inputs never share an
/// output. `None` for a hold.
#[must_use]
pub fn output_path(base: &Path, decision: Decision) -> Option<PathBuf> {
    match decision {
        Decision::Hold => None,
        Decision::Pass => Some(base.to_path_buf()),
        Decision::Redact => {
            let is_wav = base
                .extension()
                .is_some_and(|e| e.to_string_lossy().eq_ignore_ascii_case("wav"));
            Some(if is_wav {
                base.to_path_buf()
            } else {
                let mut s = base.as_os_str().to_owned();
                s.push(".wav");
                PathBuf::from(s)
            })
        }
    }
}

fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// Screens the file at `input` against `members` and, if `output` is given,
/// writes the passed copy or the redacted WAV there. Never fails: an error
/// (unreadable, undecodable, model failure, output already present) becomes
/// a hold with [`Reason::Error`] and its message. `name` is how the report
/// names the input.
#[must_use]
pub fn screen_file(
    engine: &Engine,
    input: &Path,
    name: &str,
    members: &[Voiceprint<'_>],
    policy: &Policy,
    output: Option<OutputOptions<'_>>,
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
    if let Err(e) = screen_into(engine, input, members, policy, output, &mut report) {
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
    output: Option<OutputOptions<'_>>,
    report: &mut ClipReport,
) -> Result<()> {
    let limits = &engine.config().limits;
    let bytes = audio::read_file_bytes(input, limits)?;
    report.sha256 = Some(sha256_hex(&bytes));
    let raw = audio::read_bytes_raw(&bytes, input, limits)?;
    #[allow(clippy::cast_precision_loss)]
    let duration = raw.frames() as f64 / f64::from(raw.rate.hz());
    report.duration_s = Some(duration);
    let mono = AudioBuf::from_interleaved(&raw.interleaved, raw.channels, raw.rate)?;
    let model_rate = engine.sample_rate();
    let mono = if mono.rate == model_rate {
        mono
    } else {
        AudioBuf {
            samples: audio::resample_to(&mono.samples, mono.rate, model_rate)?,
            rate: model_rate,
            source_channels: mono.source_channels,
        }
    };
    let verdict: Verdict = super::screen_audio(engine, &mono, members, policy, input)?;
    report.decision = verdict.decision;
    report.reasons.clone_from(&verdict.reasons);
    report.spans.clone_from(&verdict.spans);
    report.windows.clone_from(&verdict.windows);
    report.redactions.clone_from(&verdict.redactions);
    let Some(out) = output else {
        return Ok(());
    };
    let Some(path) = output_path(out.base, verdict.decision) else {
        return Ok(());
    };
    if !out.overwrite && path.exists() {
        return Err(Error::InvalidArgument {
            what: "output file",
            value: path.display().to_string(),
            expected: "a path that does not exist yet (pass --overwrite to replace it)".into(),
        });
    }
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(|e| Error::io("create directory", dir, e))?;
    }
    let written = match verdict.decision {
        Decision::Pass => {
            write_bytes_atomic(&path, &bytes)?;
            sha256_hex(&bytes)
        }
        Decision::Redact => {
            let mut interleaved = raw.interleaved;
            redact_interleaved(
                &mut interleaved,
                raw.channels,
                raw.rate.hz(),
                &verdict.redactions,
                policy.fill,
                policy.fade_ms,
            )?;
            audio::write_wav_interleaved_atomic(&path, &interleaved, raw.channels, raw.rate, raw.precision)?;
            let out_bytes = std::fs::read(&path).map_err(|e| Error::io("read back", &path, e))?;
            sha256_hex(&out_bytes)
        }
        Decision::Hold => return Ok(()),
    };
    report.output = Some(path.display().to_string());
    report.output_sha256 = Some(written);
    Ok(())
}

/// Writes `bytes` to `path` through a hidden temporary file beside it
/// (`.<name>.vg-tmp`), flushed to disk before the rename: a crash leaves the
/// old file or the new one. The directory must exist.
///
/// # Errors
/// [`Error::Io`]; the temporary file is removed.
pub fn write_bytes_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    let tmp = temp_path_beside(path);
    let result = (|| -> std::io::Result<()> {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()
    })();
    if let Err(e) = result {
        let _ = std::fs::remove_file(&tmp);
        return Err(Error::io("write", &tmp, e));
    }
    std::fs::rename(&tmp, path).map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        Error::io("rename into", path, e)
    })
}
