//! FLAC, OGG/Vorbis and MP3 decoding through symphonia (feature `decode`).

use super::{Limits, RawAudio};
use crate::error::{Error, Result};
use crate::units::SampleRate;
use std::path::Path;
use symphonia::core::audio::SampleBuffer;
use symphonia::core::codecs::DecoderOptions;
use symphonia::core::errors::Error as SymError;
use symphonia::core::formats::FormatOptions;
use symphonia::core::io::MediaSourceStream;
use symphonia::core::meta::MetadataOptions;
use symphonia::core::probe::Hint;

pub(super) fn read_compressed(bytes: &[u8], path: &Path, limits: &Limits) -> Result<RawAudio> {
    let bad = |reason: String| Error::UnsupportedFormat {
        path: path.into(),
        reason,
    };
    let mss = MediaSourceStream::new(Box::new(std::io::Cursor::new(bytes.to_vec())), Default::default());
    let probed = symphonia::default::get_probe()
        .format(
            &Hint::new(),
            mss,
            // Gapless: drop the encoder delay and padding that the container
            // declares (LAME/Xing tag, Ogg granule positions), so the decoded
            // length and timing match the source.
            &FormatOptions {
                enable_gapless: true,
                ..FormatOptions::default()
            },
            &MetadataOptions::default(),
        )
        .map_err(|e| bad(format!("cannot read the container ({e})")))?;
    let mut format = probed.format;
    let track = format
        .default_track()
        .ok_or_else(|| bad("the file has no audio track".into()))?;
    let track_id = track.id;
    let params = track.codec_params.clone();
    let rate = params
        .sample_rate
        .ok_or_else(|| bad("the audio track does not state its sample rate".into()))?;
    let channels = params.channels.map_or(1, |c| c.count());
    let channels = u16::try_from(channels).unwrap_or(u16::MAX);
    limits.check(path, rate, channels, params.n_frames)?;
    let max_samples = limits.max_frames(rate).saturating_mul(u64::from(channels));
    let mut decoder = symphonia::default::get_codecs()
        .make(&params, &DecoderOptions::default())
        .map_err(|e| bad(format!("no decoder for this codec ({e})")))?;
    let mut interleaved: Vec<f32> = Vec::new();
    let mut sample_buf: Option<SampleBuffer<f32>> = None;
    loop {
        let packet = match format.next_packet() {
            Ok(p) => p,
            Err(SymError::IoError(e)) if e.kind() == std::io::ErrorKind::UnexpectedEof => break,
            Err(SymError::ResetRequired) => break,
            Err(e) => return Err(bad(format!("the stream is damaged ({e})"))),
        };
        if packet.track_id() != track_id {
            continue;
        }
        let decoded = match decoder.decode(&packet) {
            Ok(d) => d,
            Err(SymError::DecodeError(e)) => {
                return Err(bad(format!("the audio data is damaged ({e})")));
            }
            Err(e) => return Err(bad(format!("decoding failed ({e})"))),
        };
        let spec = *decoded.spec();
        if spec.channels.count() != usize::from(channels) || spec.rate != rate {
            return Err(bad("the channel count or rate changes mid-stream".into()));
        }
        let sb = sample_buf.get_or_insert_with(|| SampleBuffer::new(decoded.capacity() as u64, spec));
        if sb.capacity() < decoded.capacity() * spec.channels.count() {
            *sb = SampleBuffer::new(decoded.capacity() as u64, spec);
        }
        sb.copy_interleaved_ref(decoded);
        interleaved.extend_from_slice(sb.samples());
        if interleaved.len() as u64 > max_samples {
            return Err(Error::LimitExceeded {
                path: path.into(),
                what: "the duration",
                actual: format!("more than {:.1} s", limits.max_duration_s),
                limit: format!("{:.1} s", limits.max_duration_s),
            });
        }
    }
    if interleaved.is_empty() {
        return Err(Error::InvalidAudio {
            path: path.into(),
            reason: "the file decodes to no samples (0.0 s of audio)".into(),
        });
    }
    Ok(RawAudio {
        interleaved,
        channels,
        rate: SampleRate(rate),
        // Lossy or 16-bit sources: 16-bit output loses nothing audible.
        precision: if params.bits_per_sample.is_some_and(|b| b > 16) {
            super::WavSampleFormat::Float32
        } else {
            super::WavSampleFormat::Pcm16
        },
    })
}
