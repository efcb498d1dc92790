//! Caller audio in: checks, `int16` conversion, resampling to the model rate.

use crate::boundary::{Failure, FfiResult};
use std::path::Path;
use voiceguard_core::audio::{self, AudioBuf, Limits};
use voiceguard_core::{Engine, SampleRate};

/// How a buffer is named in messages.
pub(crate) const BUFFER: &str = "<buffer>";

/// Checks a caller's rate and length against the decoder's safety limits:
/// 0 Hz is invalid input; a rate outside 4000-384000 Hz or more than 4 hours
/// of audio is `VG_RESULT_LIMIT_EXCEEDED`.
pub(crate) fn check_rate(rate: u32, n: usize) -> FfiResult {
    if rate == 0 {
        return Err(Failure::invalid(
            "sample_rate is 0 Hz; pass the buffer's real rate in Hz, e.g. 16000",
        ));
    }
    Limits::default().check(Path::new(BUFFER), rate, 1, Some(n as u64))?;
    Ok(())
}

/// A checked copy of float samples (finite values only).
pub(crate) fn from_f32(samples: &[f32], rate: u32) -> FfiResult<AudioBuf> {
    check_rate(rate, samples.len())?;
    let buf = AudioBuf::new(samples.to_vec(), SampleRate(rate));
    buf.check_finite(Path::new(BUFFER))?;
    Ok(buf)
}

/// 16-bit PCM as float, `s / 32768` (exactly what reading a 16-bit WAV gives).
pub(crate) fn from_i16(samples: &[i16], rate: u32) -> FfiResult<AudioBuf> {
    check_rate(rate, samples.len())?;
    Ok(AudioBuf::new(
        samples.iter().map(|&s| f32::from(s) / 32768.0).collect(),
        SampleRate(rate),
    ))
}

/// Float back to 16-bit PCM: `round(x * 32768)` clipped, the inverse of
/// [`from_i16`], so samples that came in as `int16` go out unchanged.
pub(crate) fn to_i16(x: f32) -> i16 {
    #[allow(clippy::cast_possible_truncation)]
    let v = (x * 32768.0).round().clamp(-32768.0, 32767.0) as i16;
    v
}

/// `input` at the engine's rate (a copy, resampled if needed).
pub(crate) fn at_model_rate(engine: &Engine, input: &AudioBuf) -> FfiResult<AudioBuf> {
    let rate = engine.sample_rate();
    if input.rate == rate {
        return Ok(input.clone());
    }
    Ok(AudioBuf::new(
        audio::resample_to(&input.samples, input.rate, rate)?,
        rate,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::result::{VG_RESULT_INVALID_INPUT, VG_RESULT_LIMIT_EXCEEDED};

    #[test]
    fn int16_round_trips_exactly() {
        let all: Vec<i16> = (i16::MIN..=i16::MAX).collect();
        let buf = from_i16(&all, 16_000).unwrap();
        assert!(all.iter().zip(&buf.samples).all(|(a, b)| *a == to_i16(*b)));
    }

    #[test]
    fn rates_and_values_are_checked() {
        assert_eq!(check_rate(0, 10).unwrap_err().code, VG_RESULT_INVALID_INPUT);
        assert_eq!(check_rate(1_000, 10).unwrap_err().code, VG_RESULT_LIMIT_EXCEEDED);
        assert_eq!(check_rate(1_000_000, 10).unwrap_err().code, VG_RESULT_LIMIT_EXCEEDED);
        assert_eq!(
            check_rate(16_000, 16_000 * 3600 * 5).unwrap_err().code,
            VG_RESULT_LIMIT_EXCEEDED
        );
        assert_eq!(
            from_f32(&[0.0, f32::NAN], 16_000).unwrap_err().code,
            VG_RESULT_INVALID_INPUT
        );
        assert!(from_f32(&[0.0, 0.5], 44_100).is_ok());
    }
}
