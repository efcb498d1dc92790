//! WAV read (hound) with limits, and atomic WAV write.

use super::{Limits, RawAudio};
use crate::error::{Error, Result};
use crate::units::SampleRate;
use std::io::Cursor;
use std::path::Path;

pub(super) fn read_wav(bytes: &[u8], path: &Path, limits: &Limits) -> Result<RawAudio> {
    let bad = |reason: String| Error::UnsupportedFormat {
        path: path.into(),
        reason,
    };
    let mut reader =
        hound::WavReader::new(Cursor::new(bytes)).map_err(|e| bad(format!("not a readable WAV file ({e})")))?;
    let spec = reader.spec();
    let frames = u64::from(reader.duration());
    limits.check(path, spec.sample_rate, spec.channels, Some(frames))?;
    // Never trust the header for the allocation: at most what the bytes can hold.
    let bytes_per_sample = usize::from(spec.bits_per_sample.div_ceil(8)).max(1);
    let declared = reader.len() as usize;
    let cap = declared.min(bytes.len() / bytes_per_sample);
    let mut interleaved = Vec::with_capacity(cap);
    let truncated = |got: usize| {
        bad(format!(
            "the file is truncated: its header announces {declared} samples but only {got} are present"
        ))
    };
    match (spec.sample_format, spec.bits_per_sample) {
        (hound::SampleFormat::Float, 32) => {
            for s in reader.samples::<f32>() {
                interleaved.push(s.map_err(|_| truncated(interleaved.len()))?);
            }
        }
        (hound::SampleFormat::Int, bits @ (8 | 16 | 24 | 32)) => {
            let scale = 1.0 / f64::from(1u32 << (bits - 1));
            for s in reader.samples::<i32>() {
                let v = s.map_err(|_| truncated(interleaved.len()))?;
                #[allow(clippy::cast_possible_truncation)]
                interleaved.push((f64::from(v) * scale) as f32);
            }
        }
        (fmt, bits) => {
            return Err(bad(format!(
                "{bits}-bit {fmt:?} WAV is not supported (use 8/16/24/32-bit integer or 32-bit float)"
            )))
        }
    }
    if interleaved.is_empty() {
        return Err(Error::InvalidAudio {
            path: path.into(),
            reason: "the WAV file holds no samples (0.0 s of audio)".into(),
        });
    }
    // A partial last frame can only come from a truncated file.
    let ch = usize::from(spec.channels);
    if !interleaved.len().is_multiple_of(ch) {
        return Err(truncated(interleaved.len()));
    }
    let precision = if spec.sample_format == hound::SampleFormat::Int && spec.bits_per_sample <= 16 {
        WavSampleFormat::Pcm16
    } else {
        WavSampleFormat::Float32
    };
    Ok(RawAudio {
        interleaved,
        channels: spec.channels,
        rate: SampleRate(spec.sample_rate),
        precision,
    })
}

/// Sample format of a written WAV file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WavSampleFormat {
    /// 16-bit signed integer PCM (`round(x * 32768)` clipped to the i16 range:
    /// the exact inverse of reading, so 16-bit input round-trips bit for bit).
    Pcm16,
    /// 32-bit IEEE float.
    Float32,
}

/// Writes mono `samples` (f32 in [-1, 1], clipped) as 16-bit PCM WAV at `rate`
/// (scale 32768, the inverse of reading, so 16-bit input round-trips exactly),
/// atomically: to `<path>.tmp` first, then renamed over `path`.
///
/// # Errors
/// [`Error::Io`] if writing or renaming fails; the temporary file is removed.
pub fn write_wav_atomic(path: &Path, samples: &[f32], rate: SampleRate) -> Result<()> {
    write_wav_interleaved_atomic(path, samples, 1, rate, WavSampleFormat::Pcm16)
}

/// Writes `interleaved` frames of `channels` channels at `rate` as WAV in
/// `format`, atomically: to a temporary file beside `path` (named
/// `.<name>.vg-tmp`), flushed to disk, then renamed over `path`. A crash
/// leaves either the old file or the new one, never a partial `path`.
///
/// # Errors
/// [`Error::InvalidArgument`] if `channels` is 0 or does not divide the
/// sample count; [`Error::Io`] if writing or renaming fails (the temporary
/// file is removed).
pub fn write_wav_interleaved_atomic(
    path: &Path,
    interleaved: &[f32],
    channels: u16,
    rate: SampleRate,
    format: WavSampleFormat,
) -> Result<()> {
    if channels == 0 || !interleaved.len().is_multiple_of(usize::from(channels)) {
        return Err(Error::InvalidArgument {
            what: "channel count",
            value: format!("{channels} for {} interleaved samples", interleaved.len()),
            expected: "at least 1 and dividing the sample count".into(),
        });
    }
    let tmp = temp_path_beside(path);
    let spec = hound::WavSpec {
        channels,
        sample_rate: rate.hz(),
        bits_per_sample: match format {
            WavSampleFormat::Pcm16 => 16,
            WavSampleFormat::Float32 => 32,
        },
        sample_format: match format {
            WavSampleFormat::Pcm16 => hound::SampleFormat::Int,
            WavSampleFormat::Float32 => hound::SampleFormat::Float,
        },
    };
    let result = (|| -> std::result::Result<(), hound::Error> {
        let file = std::fs::File::create(&tmp)?;
        let mut w = hound::WavWriter::new(std::io::BufWriter::new(file), spec)?;
        for &s in interleaved {
            match format {
                WavSampleFormat::Pcm16 => {
                    #[allow(clippy::cast_possible_truncation)]
                    w.write_sample((s * 32768.0).round().clamp(-32768.0, 32767.0) as i16)?;
                }
                WavSampleFormat::Float32 => w.write_sample(s)?,
            }
        }
        w.finalize()?;
        std::fs::File::open(&tmp)?.sync_all()?;
        Ok(())
    })();
    let io_err = |e: hound::Error| match e {
        hound::Error::IoError(e) => e,
        other => std::io::Error::other(other.to_string()),
    };
    if let Err(e) = result {
        let _ = std::fs::remove_file(&tmp);
        return Err(Error::io("write", &tmp, io_err(e)));
    }
    std::fs::rename(&tmp, path).map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        Error::io("rename into", path, e)
    })
}

/// `dir/.name.vg-tmp` for `dir/name`: hidden, and with an extension no audio
/// reader picks up, so a crash never leaves something that looks like output.
pub(crate) fn temp_path_beside(path: &Path) -> std::path::PathBuf {
    let name = path
        .file_name()
        .map_or_else(|| "out".into(), |n| n.to_string_lossy().into_owned());
    path.with_file_name(format!(".{name}.vg-tmp"))
}
