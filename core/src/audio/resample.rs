//! Resampling to the model rate with rubato.

use crate::error::{Error, Result};
use crate::units::SampleRate;
use rubato::{FftFixedIn, Resampler};

/// Resamples mono `input` from `from` to `to` with rubato's synchronous FFT
/// resampler, compensating its delay, so output sample `k` is at time `k / to`.
///
/// The output has `round(len * to / from)` samples.
///
/// # Errors
/// [`Error::Internal`] if rubato refuses the configuration.
pub fn resample_to(input: &[f32], from: SampleRate, to: SampleRate) -> Result<Vec<f32>> {
    if from == to {
        return Ok(input.to_vec());
    }
    // rubato's filter delay is floor(fft_size_in / 2) input samples but it
    // reports floor(fft_size_out / 2) output samples; the two agree only if
    // the number of gcd-sized blocks per FFT is even. Otherwise (48, 24, 12,
    // 192 kHz...) the output would lag or lead by a fraction of a sample.
    let block_in = (from.hz() / gcd(from.hz(), to.hz()).max(1)).max(1) as usize; // 0 Hz: rubato refuses it below
    let blocks = 512usize.div_ceil(block_in).next_multiple_of(2);
    let chunk = 2 * blocks * block_in; // 2 sub-chunks of `blocks` blocks
    let mut rs = FftFixedIn::<f32>::new(from.hz() as usize, to.hz() as usize, chunk, 2, 1)
        .map_err(|e| Error::Internal(format!("resampler {from:?}->{to:?}: {e}")))?;
    let want = usize::try_from(
        (u64::try_from(input.len()).unwrap_or(u64::MAX) * u64::from(to.hz()) + u64::from(from.hz()) / 2)
            / u64::from(from.hz()),
    )
    .unwrap_or(usize::MAX);
    let delay = rs.output_delay();
    let mut out = Vec::with_capacity(want + delay + rs.output_frames_max());
    let mut outbuf = vec![vec![0.0f32; rs.output_frames_max()]];
    let mut pos = 0;
    let rerr = |e: rubato::ResampleError| Error::Internal(format!("resampling failed: {e}"));
    while out.len() < want + delay {
        let need = rs.input_frames_next();
        let (n_in, n_out) = if pos + need <= input.len() {
            let r = rs
                .process_into_buffer(&[&input[pos..pos + need]], &mut outbuf, None)
                .map_err(rerr)?;
            pos += need;
            r
        } else if pos < input.len() {
            let r = rs
                .process_partial_into_buffer(Some(&[&input[pos..]]), &mut outbuf, None)
                .map_err(rerr)?;
            pos = input.len();
            r
        } else {
            rs.process_partial_into_buffer(None::<&[&[f32]]>, &mut outbuf, None)
                .map_err(rerr)?
        };
        let _ = n_in;
        out.extend_from_slice(&outbuf[0][..n_out]);
    }
    out.drain(..delay.min(out.len()));
    out.truncate(want);
    Ok(out)
}

fn gcd(mut a: u32, mut b: u32) -> u32 {
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sine_keeps_frequency_and_phase() {
        let from = SampleRate(44_100);
        let n = 44_100;
        #[allow(clippy::cast_precision_loss)]
        let x: Vec<f32> = (0..n)
            .map(|i| (2.0 * std::f32::consts::PI * 440.0 * i as f32 / 44_100.0).sin())
            .collect();
        let y = resample_to(&x, from, SampleRate(16_000)).unwrap();
        assert_eq!(y.len(), 16_000);
        // Compare with the ideal sine away from the edges.
        let mut max = 0.0f32;
        for (k, v) in y.iter().enumerate().skip(500).take(15_000) {
            #[allow(clippy::cast_precision_loss)]
            let want = (2.0 * std::f32::consts::PI * 440.0 * k as f32 / 16_000.0).sin();
            max = max.max((v - want).abs());
        }
        assert!(max < 2e-3, "max error {max}");
    }
}
