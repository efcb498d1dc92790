//! numpy arrays in and out: dtype and shape checks, mix-down, redaction of
//! the caller's array, and `load_audio`.
//!
//! Accepted input: `float32`, `float64` or `int16` arrays, 1-D (mono) or 2-D
//! `(channels, samples)`. Floats are in [-1, 1]; `int16` is scaled by 1/32768
//! (as WAV files are read). A contiguous mono `float32` array is borrowed,
//! not copied; anything else is converted in one pass into the mono `float32`
//! buffer the core needs (strided views included).

use crate::errors::{invalid_audio, invalid_input, IntoPy};
use numpy::ndarray::{Array1, Array2, ArrayView1, ArrayView2, Axis};
use numpy::{Element, PyArray1, PyArray2, PyArrayMethods, PyReadonlyArray1, PyUntypedArray, PyUntypedArrayMethods};
use pyo3::prelude::*;
use std::path::{Path, PathBuf};
use voiceguard::audio::{self, Limits};
use voiceguard::screen::Fill;
use voiceguard::SampleRate;

/// How arrays are named in core error messages.
pub const SOURCE: &str = "<array>";

/// The source path used in core errors about arrays.
pub fn source() -> &'static Path {
    Path::new(SOURCE)
}

/// Mono f32 samples, borrowed from the caller's array when possible.
enum Mono<'py> {
    Borrowed(PyReadonlyArray1<'py, f32>),
    Owned(Vec<f32>),
}

/// A caller's array as mono f32 at its own rate.
pub struct Input<'py> {
    mono: Mono<'py>,
    /// Sample rate, Hz.
    pub rate: SampleRate,
}

impl Input<'_> {
    /// The mono samples.
    pub fn samples(&self) -> &[f32] {
        match &self.mono {
            // Checked contiguous when it was borrowed.
            Mono::Borrowed(a) => a.as_slice().unwrap_or(&[]),
            Mono::Owned(v) => v,
        }
    }

    /// The mono samples as an owned vector (copies only a borrowed array).
    pub fn into_vec(self) -> Vec<f32> {
        match self.mono {
            Mono::Borrowed(a) => a.as_slice().map(<[f32]>::to_vec).unwrap_or_default(),
            Mono::Owned(v) => v,
        }
    }
}

/// Checks a sample rate given from Python.
///
/// # Errors
/// `InvalidInputError` unless it is a positive integer; `LimitExceededError`
/// outside the decoder's limits (4 kHz to 384 kHz).
pub fn check_rate(sr: i64, channels: usize, frames: usize, limits: &Limits) -> PyResult<SampleRate> {
    let Ok(hz) = u32::try_from(sr) else {
        return Err(invalid_input(format!(
            "invalid sample rate: {sr} Hz; pass the array's real rate in Hz as a positive integer, e.g. 16000"
        )));
    };
    if hz == 0 {
        return Err(invalid_input(
            "invalid sample rate: 0 Hz; pass the array's real rate in Hz, e.g. 16000",
        ));
    }
    let ch = u16::try_from(channels).unwrap_or(u16::MAX);
    limits
        .check(source(), hz, ch, Some(u64::try_from(frames).unwrap_or(u64::MAX)))
        .py_err()?;
    Ok(SampleRate(hz))
}

fn i16_to_f32(v: i16) -> f32 {
    // Exact: the same value the WAV reader gives for a 16-bit sample.
    f32::from(v) * (1.0 / 32_768.0)
}

#[allow(clippy::cast_possible_truncation)]
fn f64_to_f32(v: f64) -> f32 {
    v as f32
}

/// Mean of the channels of `(channels, samples)`, converting each value with
/// `conv`; sums in channel order as the core's mix-down does (same bits).
fn mix<T: Copy>(v: &ArrayView2<'_, T>, conv: impl Fn(T) -> f32) -> Vec<f32> {
    let ch = v.len_of(Axis(0));
    let mut out: Vec<f32> = v.row(0).iter().map(|&x| conv(x)).collect();
    if ch > 1 {
        for row in v.axis_iter(Axis(0)).skip(1) {
            for (o, &x) in out.iter_mut().zip(row.iter()) {
                *o += conv(x);
            }
        }
        #[allow(clippy::cast_precision_loss)]
        let scale = 1.0 / ch as f32;
        for o in &mut out {
            *o *= scale;
        }
    }
    out
}

fn convert1<T: Copy>(v: &ArrayView1<'_, T>, conv: impl Fn(T) -> f32) -> Vec<f32> {
    v.iter().map(|&x| conv(x)).collect()
}

/// Shape facts of the caller's array, checked: `(channels, frames)`.
fn layout(arr: &Bound<'_, PyUntypedArray>, limits: &Limits) -> PyResult<(usize, usize)> {
    let shape = arr.shape();
    match *shape {
        [n] => Ok((1, n)),
        [ch, n] => {
            let max = usize::from(limits.max_channels);
            if ch == 0 || (ch > max && n <= max) {
                // More "channels" than the limit and few "samples": most likely (samples, channels).
                return Err(invalid_input(format!(
                    "audio array has shape ({ch}, {n}): expected (channels, samples) with 1 to {max} channels; \
                     if the array is (samples, channels), pass its transpose `x.T` (shape ({n}, {ch}))"
                )));
            }
            // Other channel counts above the limit: LimitExceededError from the rate check.
            Ok((ch, n))
        }
        _ => Err(invalid_input(format!(
            "audio array has {} dimensions (shape {shape:?}); pass a 1-D mono array or a 2-D (channels, samples) array",
            shape.len()
        ))),
    }
}

fn dtype_error(arr: &Bound<'_, PyUntypedArray>) -> PyErr {
    let dt = arr
        .dtype()
        .str()
        .map_or_else(|_| "unknown".to_string(), |s| s.to_string());
    invalid_input(format!(
        "audio array has dtype {dt}; pass float32, float64 (values in [-1, 1]) or int16 in native byte order, \
         e.g. `x.astype(np.float32)`"
    ))
}

fn readonly_error(e: impl std::fmt::Display) -> PyErr {
    invalid_input(format!(
        "the audio array is being written elsewhere ({e}); pass a copy (`x.copy()`)"
    ))
}

/// Turns the caller's `samples` (see the module docs) at `sr` Hz into mono f32.
///
/// # Errors
/// `InvalidInputError` for something that is not a numpy array, a dtype or
/// shape not listed above, or a bad rate; `LimitExceededError` for more
/// than 32 channels, a rate outside 4-384 kHz or more than 4 hours.
pub fn mono_input<'py>(samples: &Bound<'py, PyAny>, sr: i64, limits: &Limits) -> PyResult<Input<'py>> {
    let Ok(arr) = samples.cast::<PyUntypedArray>() else {
        let ty = samples
            .get_type()
            .name()
            .map_or_else(|_| "?".to_string(), |n| n.to_string());
        return Err(invalid_input(format!(
            "audio must be a numpy.ndarray, got {ty}; wrap it with `np.asarray(x, dtype=np.float32)`"
        )));
    };
    let (channels, frames) = layout(arr, limits)?;
    let rate = check_rate(sr, channels, frames, limits)?;
    let mono = if let Ok(a) = samples.cast::<PyArray1<f32>>() {
        let ro = a.try_readonly().map_err(readonly_error)?;
        if ro.as_slice().is_ok() {
            Mono::Borrowed(ro)
        } else {
            // A strided view: one copy into the contiguous buffer the core needs.
            Mono::Owned(ro.as_array().to_vec())
        }
    } else if let Ok(a) = samples.cast::<PyArray1<f64>>() {
        let ro = a.try_readonly().map_err(readonly_error)?;
        Mono::Owned(convert1(&ro.as_array(), f64_to_f32))
    } else if let Ok(a) = samples.cast::<PyArray1<i16>>() {
        let ro = a.try_readonly().map_err(readonly_error)?;
        Mono::Owned(convert1(&ro.as_array(), i16_to_f32))
    } else if let Ok(a) = samples.cast::<PyArray2<f32>>() {
        let ro = a.try_readonly().map_err(readonly_error)?;
        Mono::Owned(mix(&ro.as_array(), |x| x))
    } else if let Ok(a) = samples.cast::<PyArray2<f64>>() {
        let ro = a.try_readonly().map_err(readonly_error)?;
        Mono::Owned(mix(&ro.as_array(), f64_to_f32))
    } else if let Ok(a) = samples.cast::<PyArray2<i16>>() {
        let ro = a.try_readonly().map_err(readonly_error)?;
        Mono::Owned(mix(&ro.as_array(), i16_to_f32))
    } else {
        return Err(dtype_error(arr));
    };
    Ok(Input { mono, rate })
}

/// Resamples `samples` from `rate` to the model rate unless it is already
/// there (then the slice is used as it is). Call without the GIL.
pub fn at_model_rate<'a>(samples: &'a [f32], rate: SampleRate, buf: &'a mut Vec<f32>) -> voiceguard::Result<&'a [f32]> {
    if rate == SampleRate::MODEL {
        Ok(samples)
    } else {
        *buf = audio::resample_to(samples, rate, SampleRate::MODEL)?;
        Ok(buf.as_slice())
    }
}

/// Per-frame weights that turn a clip into its redacted version:
/// `out = x * keep[f] + add[f]` on every channel. Computed with the core's
/// `redact_interleaved` itself (on ones with a silent fill, and on zeros with
/// the real fill), so the result is the core's redaction, in the caller's
/// dtype and layout. Call without the GIL.
pub fn redaction_weights(
    frames: usize,
    rate: SampleRate,
    ranges: &[(f64, f64)],
    fill: Fill,
    fade_ms: f32,
) -> voiceguard::Result<(Vec<f32>, Vec<f32>)> {
    let mut keep = vec![1.0f32; frames];
    audio_redact(&mut keep, rate, ranges, Fill::Silence, fade_ms)?;
    let mut add = vec![0.0f32; frames];
    audio_redact(&mut add, rate, ranges, fill, fade_ms)?;
    Ok((keep, add))
}

fn audio_redact(
    x: &mut [f32],
    rate: SampleRate,
    ranges: &[(f64, f64)],
    fill: Fill,
    fade_ms: f32,
) -> voiceguard::Result<()> {
    voiceguard::screen::redact_interleaved(x, 1, rate.hz(), ranges, fill, fade_ms)
}

/// Sample types a redacted copy can be made in.
pub trait Sample: Element + Copy {
    /// `x * keep + add`, in the type's own scale.
    fn redact(self, keep: f32, add: f32) -> Self;
}

impl Sample for f32 {
    fn redact(self, keep: f32, add: f32) -> Self {
        self * keep + add
    }
}

impl Sample for f64 {
    fn redact(self, keep: f32, add: f32) -> Self {
        self * f64::from(keep) + f64::from(add)
    }
}

impl Sample for i16 {
    fn redact(self, keep: f32, add: f32) -> Self {
        // As the core writes 16-bit WAV: round(y * 32768), clipped.
        let y = i16_to_f32(self) * keep + add;
        #[allow(clippy::cast_possible_truncation)]
        let v = (y * 32_768.0).round().clamp(-32_768.0, 32_767.0) as i16;
        v
    }
}

fn apply<T: Sample>(x: T, keep: f32, add: f32) -> T {
    if keep == 1.0 && add == 0.0 {
        x // untouched, bit for bit
    } else {
        x.redact(keep, add)
    }
}

fn redacted_1d<'py, T: Sample>(a: &Bound<'py, PyArray1<T>>, keep: &[f32], add: &[f32]) -> PyResult<Bound<'py, PyAny>> {
    let ro = a.try_readonly().map_err(readonly_error)?;
    let v = ro.as_array();
    let out: Array1<T> = v
        .iter()
        .zip(keep.iter().zip(add))
        .map(|(&x, (&k, &d))| apply(x, k, d))
        .collect();
    Ok(PyArray1::from_owned_array(a.py(), out).into_any())
}

fn redacted_2d<'py, T: Sample>(a: &Bound<'py, PyArray2<T>>, keep: &[f32], add: &[f32]) -> PyResult<Bound<'py, PyAny>> {
    let ro = a.try_readonly().map_err(readonly_error)?;
    let v = ro.as_array();
    let mut out = Array2::<T>::from_shape_fn(v.raw_dim(), |(c, f)| v[[c, f]]);
    for mut row in out.axis_iter_mut(Axis(0)) {
        for (x, (&k, &d)) in row.iter_mut().zip(keep.iter().zip(add)) {
            *x = apply(*x, k, d);
        }
    }
    Ok(PyArray2::from_owned_array(a.py(), out).into_any())
}

/// A redacted copy of the caller's `samples` (same dtype and shape) from
/// the weights of [`redaction_weights`].
///
/// # Errors
/// `InvalidInputError` if the array changed dtype or is being written.
pub fn redacted_copy<'py>(samples: &Bound<'py, PyAny>, keep: &[f32], add: &[f32]) -> PyResult<Bound<'py, PyAny>> {
    if let Ok(a) = samples.cast::<PyArray1<f32>>() {
        redacted_1d(a, keep, add)
    } else if let Ok(a) = samples.cast::<PyArray1<f64>>() {
        redacted_1d(a, keep, add)
    } else if let Ok(a) = samples.cast::<PyArray1<i16>>() {
        redacted_1d(a, keep, add)
    } else if let Ok(a) = samples.cast::<PyArray2<f32>>() {
        redacted_2d(a, keep, add)
    } else if let Ok(a) = samples.cast::<PyArray2<f64>>() {
        redacted_2d(a, keep, add)
    } else if let Ok(a) = samples.cast::<PyArray2<i16>>() {
        redacted_2d(a, keep, add)
    } else {
        Err(invalid_input("the audio array changed type during screening"))
    }
}

/// Reads an audio file at its own rate.
pub fn load(py: Python<'_>, path: PathBuf, mono: bool) -> PyResult<(Bound<'_, PyAny>, u32)> {
    let limits = Limits::default();
    let raw = py.detach(|| audio::read_file_raw(&path, &limits)).py_err()?;
    let rate = raw.rate.hz();
    let ch = usize::from(raw.channels.max(1));
    if mono || ch == 1 {
        let buf = py.detach(|| raw.into_mono()).py_err()?;
        return Ok((PyArray1::from_vec(py, buf.samples).into_any(), rate));
    }
    let frames = raw.interleaved.len() / ch;
    let inter = raw.interleaved;
    let planar = py.detach(|| Array2::from_shape_fn((ch, frames), |(c, f)| inter[f * ch + c]));
    Ok((PyArray2::from_owned_array(py, planar).into_any(), rate))
}

/// Refuses an empty array with a clear message (for calls that need audio).
pub fn require_samples(samples: &[f32]) -> PyResult<()> {
    if samples.is_empty() {
        Err(invalid_audio(
            "the audio array is empty (0 samples); pass at least a second of speech",
        ))
    } else {
        Ok(())
    }
}
