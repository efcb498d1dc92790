//! WAV read (hound) with limits, and atomic WAV write.

use super::{AudioBuf, Limits};
use crate::error::{Error, Result};
use crate::units::SampleRate;
use std::io::Cursor;
use std::path::Path;

pub(super) fn read_wav(bytes: &[u8], path: &Path, limits: &Limits) -> Result<AudioBuf> {
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
    AudioBuf::from_interleaved(&interleaved, spec.channels, SampleRate(spec.sample_rate))
}

/// Writes mono `samples` (f32 in [-1, 1], clipped) as 16-bit PCM WAV at `rate`,
/// atomically: to `<path>.tmp` first, then renamed over `path`.
///
/// # Errors
/// [`Error::Io`] if writing or renaming fails; the temporary file is removed.
pub fn write_wav_atomic(path: &Path, samples: &[f32], rate: SampleRate) -> Result<()> {
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(".tmp");
    let tmp = std::path::PathBuf::from(tmp);
    let spec = hound::WavSpec {
        channels: 1,
        sample_rate: rate.hz(),
        bits_per_sample: 16,
        sample_format: hound::SampleFormat::Int,
    };
    let result = (|| -> std::result::Result<(), hound::Error> {
        let mut w = hound::WavWriter::create(&tmp, spec)?;
        for &s in samples {
            #[allow(clippy::cast_possible_truncation)]
            w.write_sample((s.clamp(-1.0, 1.0) * 32767.0).round() as i16)?;
        }
        w.finalize()
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
