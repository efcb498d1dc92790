//! Audio I/O and sample plumbing: decoding, mix-down, resampling. No policy here.

mod buf;
#[cfg(feature = "decode")]
mod decode;
mod limits;
mod resample;
mod wav;

pub(crate) use buf::check_finite as check_finite_samples;
pub use buf::{AudioBuf, AudioInfo};
pub use limits::Limits;
pub use resample::resample_to;
pub(crate) use wav::temp_path_beside;
pub use wav::{write_wav_atomic, write_wav_interleaved_atomic, WavSampleFormat};

use crate::error::{Error, Result};
use crate::units::SampleRate;
use std::path::Path;

/// Which container a file's first bytes announce.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Sniffed {
    Wav,
    Flac,
    Ogg,
    Mp3,
}

fn sniff(head: &[u8]) -> Option<Sniffed> {
    if head.len() >= 12 && &head[0..4] == b"RIFF" && &head[8..12] == b"WAVE" {
        Some(Sniffed::Wav)
    } else if head.starts_with(b"fLaC") {
        Some(Sniffed::Flac)
    } else if head.starts_with(b"OggS") {
        Some(Sniffed::Ogg)
    } else if head.starts_with(b"ID3") || (head.len() >= 2 && head[0] == 0xFF && head[1] & 0xE0 == 0xE0) {
        Some(Sniffed::Mp3)
    } else {
        None
    }
}

/// Reads an audio file, mixes it down to mono and returns it at its own rate.
///
/// WAV (8/16/24/32-bit integer PCM, 32-bit float) is read with hound; FLAC,
/// OGG/Vorbis and MP3 with symphonia (feature `decode`). The format is chosen
/// by the file's content, not its extension. Samples are f32 in [-1, 1].
///
/// # Errors
/// [`Error::Io`] if the file cannot be read; [`Error::UnsupportedFormat`] for
/// anything that is not one of the formats above or is malformed/truncated;
/// [`Error::LimitExceeded`] if it breaks `limits`; [`Error::InvalidAudio`] if
/// it is empty or holds non-finite samples.
pub fn read_file(path: &Path, limits: &Limits) -> Result<AudioBuf> {
    read_file_raw(path, limits)?.into_mono()
}

/// Decoded audio with all its channels, as the file holds it. Owns its samples.
#[derive(Debug, Clone, PartialEq)]
pub struct RawAudio {
    /// Interleaved samples (frame after frame), f32 in [-1, 1].
    pub interleaved: Vec<f32>,
    /// Channels per frame (at least 1).
    pub channels: u16,
    /// Frames per second.
    pub rate: SampleRate,
    /// The WAV sample format that keeps the source's precision when written
    /// back (16-bit PCM for sources of 16 bits or less and lossy codecs).
    pub precision: WavSampleFormat,
}

impl RawAudio {
    /// Number of frames (samples per channel).
    #[must_use]
    pub fn frames(&self) -> usize {
        self.interleaved.len() / usize::from(self.channels.max(1))
    }

    /// Mixes down to mono (mean of channels).
    ///
    /// # Errors
    /// As [`AudioBuf::from_interleaved`].
    pub fn into_mono(self) -> Result<AudioBuf> {
        AudioBuf::from_interleaved(&self.interleaved, self.channels, self.rate)
    }
}

/// Like [`read_file`], but keeps every channel ([`RawAudio`]), e.g. to write a
/// redacted copy with the input's channel count.
///
/// # Errors
/// As [`read_file`].
pub fn read_file_raw(path: &Path, limits: &Limits) -> Result<RawAudio> {
    let bytes = read_file_bytes(path, limits)?;
    read_bytes_raw(&bytes, path, limits)
}

/// Reads a whole file after checking its size against `limits.max_file_bytes`
/// (so a huge file is refused before it is read).
///
/// # Errors
/// [`Error::Io`] if it cannot be read; [`Error::LimitExceeded`] if too large.
pub fn read_file_bytes(path: &Path, limits: &Limits) -> Result<Vec<u8>> {
    let size = std::fs::metadata(path).map_err(|e| Error::io("read", path, e))?.len();
    if size > limits.max_file_bytes {
        return Err(Error::LimitExceeded {
            path: path.into(),
            what: "the file size",
            actual: format!("{size} bytes"),
            limit: format!("{} bytes", limits.max_file_bytes),
        });
    }
    std::fs::read(path).map_err(|e| Error::io("read", path, e))
}

/// Like [`read_file`], from bytes already in memory; `path` is used in messages.
///
/// # Errors
/// As [`read_file`].
pub fn read_bytes(bytes: &[u8], path: &Path, limits: &Limits) -> Result<AudioBuf> {
    read_bytes_raw(bytes, path, limits)?.into_mono()
}

/// Like [`read_bytes`], keeping every channel.
///
/// # Errors
/// As [`read_file`].
pub fn read_bytes_raw(bytes: &[u8], path: &Path, limits: &Limits) -> Result<RawAudio> {
    if bytes.is_empty() {
        return Err(Error::InvalidAudio {
            path: path.into(),
            reason: "the file is empty (0 bytes); record or export the audio again".into(),
        });
    }
    let kind = sniff(&bytes[..bytes.len().min(16)]).ok_or_else(|| Error::UnsupportedFormat {
        path: path.into(),
        reason: "not a WAV, FLAC, OGG/Vorbis or MP3 file (unrecognised header)".into(),
    })?;
    let buf = match kind {
        Sniffed::Wav => wav::read_wav(bytes, path, limits)?,
        #[cfg(feature = "decode")]
        Sniffed::Flac | Sniffed::Ogg | Sniffed::Mp3 => decode::read_compressed(bytes, path, limits)?,
        #[cfg(not(feature = "decode"))]
        Sniffed::Flac | Sniffed::Ogg | Sniffed::Mp3 => {
            return Err(Error::UnsupportedFormat {
                path: path.into(),
                reason: format!("{kind:?} needs the `decode` feature, which this build lacks"),
            })
        }
    };
    check_finite_samples(&buf.interleaved, path)?;
    Ok(buf)
}

/// Reads a file and resamples it to `rate` (normally [`SampleRate::MODEL`]).
///
/// Returns the resampled mono audio and facts about the original.
///
/// # Errors
/// As [`read_file`], plus resampler failures ([`Error::Internal`]).
pub fn load(path: &Path, rate: SampleRate, limits: &Limits) -> Result<(AudioBuf, AudioInfo)> {
    let buf = read_file(path, limits)?;
    let info = buf.info();
    let out = if buf.rate == rate {
        buf
    } else {
        AudioBuf {
            samples: resample_to(&buf.samples, buf.rate, rate)?,
            rate,
            source_channels: buf.source_channels,
        }
    };
    Ok((out, info))
}
