//! Live capture through the gate (feature `live`): an audio input device
//! (cpal) feeds a lock-free ring (rtrb); the caller's thread is the worker
//! that resamples to 16 kHz, runs the [`StreamingGate`] and writes what it
//! releases to a WAV file.
//!
//! The capture callback only converts to mono float and copies into the
//! ring; when the ring is full it drops the samples and counts them
//! (overruns), never blocking. The WAV file is written under a temporary
//! name and renamed when the session ends, so a crash never leaves a
//! half-written file under the final name.

use super::{GatePlan, SpanEvent, StreamingGate};
use crate::error::{Error, Result};
use cpal::traits::{DeviceTrait, HostTrait, StreamTrait};
use rtrb::RingBuffer;
use rubato::{FftFixedIn, Resampler};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Seconds of captured audio the ring holds for the worker.
const RING_S: u32 = 4;
/// Samples the resampler takes per call.
const RESAMPLE_CHUNK: usize = 1024;

/// What a live session did.
#[derive(Debug, Clone, PartialEq)]
pub struct LiveSummary {
    /// The device's name.
    pub device: String,
    /// The capture rate, Hz (resampled to 16 kHz when it differs).
    pub device_rate: u32,
    /// Channels captured (averaged to mono).
    pub channels: u16,
    /// Samples at 16 kHz that went through the gate.
    pub gated_samples: u64,
    /// Samples written to the WAV file (16 kHz, 16-bit, aligned with the input).
    pub written_samples: u64,
    /// Device frames dropped because the ring was full (the worker fell behind).
    pub overruns: u64,
    /// Span events decided.
    pub spans: u64,
}

fn device_error(device: &str, reason: impl Into<String>) -> Error {
    Error::Device {
        device: device.to_string(),
        reason: reason.into(),
    }
}

/// The default input device of `host`.
///
/// # Errors
/// [`Error::Device`] when the host has none (no microphone, or no sound card).
pub fn default_input(host: &cpal::Host) -> Result<cpal::Device> {
    host.default_input_device().ok_or_else(|| {
        device_error(
            "default input",
            "there is no audio input device (no microphone or sound card found); \
             connect one or check the system's audio setup",
        )
    })
}

/// A 16 kHz config if the device offers one in f32 or i16, else its default.
fn pick_config(device: &cpal::Device, name: &str) -> Result<cpal::SupportedStreamConfig> {
    if let Ok(ranges) = device.supported_input_configs() {
        for r in ranges {
            let fmt = r.sample_format();
            if matches!(fmt, cpal::SampleFormat::F32 | cpal::SampleFormat::I16)
                && r.min_sample_rate() <= 16_000
                && r.max_sample_rate() >= 16_000
            {
                return Ok(r.with_sample_rate(16_000));
            }
        }
    }
    device
        .default_input_config()
        .map_err(|e| device_error(name, format!("it has no usable input configuration ({e})")))
}

/// Converts the device's 16-bit or float frames to mono f32.
trait ToMono: Copy {
    fn to_f32(self) -> f32;
}
impl ToMono for f32 {
    fn to_f32(self) -> f32 {
        self
    }
}
impl ToMono for i16 {
    fn to_f32(self) -> f32 {
        f32::from(self) / 32768.0
    }
}

fn build_stream<T: ToMono + cpal::SizedSample + Send + 'static>(
    device: &cpal::Device,
    config: &cpal::StreamConfig,
    mut producer: rtrb::Producer<f32>,
    overruns: Arc<AtomicU64>,
    failure: Arc<Mutex<Option<String>>>,
) -> std::result::Result<cpal::Stream, cpal::Error> {
    let ch = usize::from(config.channels.max(1));
    #[allow(clippy::cast_precision_loss)]
    let scale = 1.0 / ch as f32;
    device.build_input_stream::<T, _, _>(
        *config,
        move |data: &[T], _: &cpal::InputCallbackInfo| {
            // Real-time path: convert and copy only; never block or allocate.
            for frame in data.chunks(ch) {
                let v = frame.iter().map(|s| s.to_f32()).sum::<f32>() * scale;
                if producer.push(v).is_err() {
                    overruns.fetch_add(1, Ordering::Relaxed);
                }
            }
        },
        move |e| {
            if let Ok(mut f) = failure.lock() {
                f.get_or_insert_with(|| e.to_string());
            }
        },
        None,
    )
}

/// A WAV file of 16 kHz mono 16-bit samples, written under a temporary
/// name and renamed over `path` by [`WavOut::finish`].
struct WavOut {
    /// `None` once finished.
    writer: Option<hound::WavWriter<std::io::BufWriter<std::fs::File>>>,
    tmp: PathBuf,
    path: PathBuf,
    written: u64,
}

impl WavOut {
    fn create(path: &Path) -> Result<Self> {
        let name = path
            .file_name()
            .map_or_else(|| "out.wav".into(), |n| n.to_string_lossy().into_owned());
        let tmp = path.with_file_name(format!(".{name}.{}.partial", std::process::id()));
        let spec = hound::WavSpec {
            channels: 1,
            sample_rate: 16_000,
            bits_per_sample: 16,
            sample_format: hound::SampleFormat::Int,
        };
        let writer = hound::WavWriter::create(&tmp, spec).map_err(|e| Error::Io {
            action: "create",
            path: tmp.clone(),
            source: std::io::Error::other(e.to_string()),
        })?;
        Ok(WavOut {
            writer: Some(writer),
            tmp,
            path: path.to_path_buf(),
            written: 0,
        })
    }

    fn write(&mut self, x: &[f32]) -> Result<()> {
        let Some(writer) = self.writer.as_mut() else {
            return Err(Error::Internal("the live WAV writer was used after it finished".into()));
        };
        for &v in x {
            #[allow(clippy::cast_possible_truncation)]
            let s = (v * 32768.0).round().clamp(-32768.0, 32767.0) as i16;
            writer.write_sample(s).map_err(|e| Error::Io {
                action: "write",
                path: self.tmp.clone(),
                source: std::io::Error::other(e.to_string()),
            })?;
        }
        self.written += x.len() as u64;
        Ok(())
    }

    fn finish(mut self) -> Result<u64> {
        let io = |action: &'static str, path: &Path, e: String| Error::Io {
            action,
            path: path.to_path_buf(),
            source: std::io::Error::other(e),
        };
        let Some(writer) = self.writer.take() else {
            return Err(Error::Internal("the live WAV writer finished twice".into()));
        };
        writer
            .finalize()
            .map_err(|e| io("finalize", &self.tmp, e.to_string()))?;
        std::fs::rename(&self.tmp, &self.path).map_err(|e| io("rename", &self.path, e.to_string()))?;
        Ok(self.written)
    }
}

impl Drop for WavOut {
    /// An unfinished file (an error ended the session) is removed.
    fn drop(&mut self) {
        if let Some(w) = self.writer.take() {
            drop(w);
            let _ = std::fs::remove_file(&self.tmp);
        }
    }
}

/// The worker's side: resampling, the gate, the output file.
struct Worker<'a, F: FnMut(&SpanEvent)> {
    gate: StreamingGate,
    resampler: Option<FftFixedIn<f32>>,
    pending: Vec<f32>,
    resampled: Vec<Vec<f32>>,
    out: &'a mut WavOut,
    buf: Vec<f32>,
    skip: usize,
    on_span: F,
    spans: u64,
    gated: u64,
}

impl<F: FnMut(&SpanEvent)> Worker<'_, F> {
    /// Takes captured samples at the device rate.
    fn feed(&mut self, x: &[f32]) -> Result<()> {
        let Some(mut rs) = self.resampler.take() else {
            return self.gate_in(x);
        };
        self.pending.extend_from_slice(x);
        let r = self.resample(&mut rs, false);
        self.resampler = Some(rs);
        r
    }

    /// Runs whole resampler chunks of `pending` (and the rest when `last`) through the gate.
    fn resample(&mut self, rs: &mut FftFixedIn<f32>, last: bool) -> Result<()> {
        let fail = |e: rubato::ResampleError| Error::Internal(format!("resampling the capture failed: {e}"));
        let mut at = 0;
        while self.pending.len() - at >= rs.input_frames_next() {
            let need = rs.input_frames_next();
            let (_, n) = rs
                .process_into_buffer(&[&self.pending[at..at + need]], &mut self.resampled, None)
                .map_err(fail)?;
            at += need;
            let chunk = std::mem::take(&mut self.resampled[0]);
            let r = self.gate_in(&chunk[..n]);
            self.resampled[0] = chunk;
            r?;
        }
        self.pending.drain(..at);
        if last {
            let rest = std::mem::take(&mut self.pending);
            let (_, n) = rs
                .process_partial_into_buffer(Some(&[&rest[..]]), &mut self.resampled, None)
                .map_err(fail)?;
            let chunk = std::mem::take(&mut self.resampled[0]);
            let r = self.gate_in(&chunk[..n]);
            self.resampled[0] = chunk;
            r?;
        }
        Ok(())
    }

    /// Pushes 16 kHz samples through the gate and writes what it releases.
    fn gate_in(&mut self, x: &[f32]) -> Result<()> {
        let mut at = 0;
        while at < x.len() {
            at += self.gate.push(&x[at..]);
            self.gate.process()?;
            self.drain()?;
        }
        self.gated += x.len() as u64;
        Ok(())
    }

    fn drain(&mut self) -> Result<()> {
        loop {
            let n = self.gate.pull(&mut self.buf);
            if n == 0 {
                break;
            }
            let from = self.skip.min(n);
            self.skip -= from;
            self.out.write(&self.buf[from..n])?;
        }
        while let Some(e) = self.gate.pop_span() {
            self.spans += 1;
            (self.on_span)(&e);
        }
        Ok(())
    }

    /// Resamples what is left and decides the end of the stream.
    fn finish(&mut self) -> Result<()> {
        if let Some(mut rs) = self.resampler.take() {
            let r = self.resample(&mut rs, true);
            self.resampler = Some(rs);
            r?;
        }
        self.gate.flush()?;
        self.drain()
    }
}

/// Captures from `device` through a gate of `plan` into `out` (a 16 kHz
/// 16-bit mono WAV aligned with the capture: the gate's latency zeros are
/// not written) until `stop` is set, then decides the tail, finishes the
/// file and returns a summary. `on_span` sees each span as it is decided.
///
/// # Errors
/// [`Error::Device`] if the device cannot capture or fails while capturing;
/// [`Error::Io`] for the output file; model errors from the gate. The
/// output file is only renamed into place on success.
pub fn run(
    device: &cpal::Device,
    plan: Arc<GatePlan>,
    out: &Path,
    stop: &AtomicBool,
    on_span: impl FnMut(&SpanEvent),
) -> Result<LiveSummary> {
    let name = device
        .description()
        .map_or_else(|_| "input device".to_string(), |d| d.name().to_string());
    let supported = pick_config(device, &name)?;
    let fmt = supported.sample_format();
    let config: cpal::StreamConfig = supported.config();
    let rate = config.sample_rate;
    if rate == 0 {
        return Err(device_error(&name, "it reports a sample rate of 0 Hz"));
    }
    let (producer, mut consumer) = RingBuffer::<f32>::new((rate * RING_S) as usize);
    let overruns = Arc::new(AtomicU64::new(0));
    let failure: Arc<Mutex<Option<String>>> = Arc::new(Mutex::new(None));
    let built = match fmt {
        cpal::SampleFormat::F32 => build_stream::<f32>(device, &config, producer, overruns.clone(), failure.clone()),
        cpal::SampleFormat::I16 => build_stream::<i16>(device, &config, producer, overruns.clone(), failure.clone()),
        other => {
            return Err(device_error(
                &name,
                format!("it captures {other} samples; voiceguard takes 16-bit or float input"),
            ))
        }
    };
    let stream = built.map_err(|e| device_error(&name, format!("cannot open it for capture ({e})")))?;
    let resampler = if rate == 16_000 {
        None
    } else {
        Some(
            FftFixedIn::<f32>::new(rate as usize, 16_000, RESAMPLE_CHUNK, 2, 1)
                .map_err(|e| Error::Internal(format!("resampler {rate} Hz -> 16000 Hz: {e}")))?,
        )
    };
    let resampled = vec![vec![0.0f32; resampler.as_ref().map_or(0, Resampler::output_frames_max)]];
    let mut wav = WavOut::create(out)?;
    let gate = StreamingGate::new(plan)?;
    // The gate's latency zeros and the resampler's delay are not written.
    let skip = gate.latency_samples() + resampler.as_ref().map_or(0, Resampler::output_delay);
    let mut w = Worker {
        gate,
        resampler,
        pending: Vec::new(),
        resampled,
        out: &mut wav,
        buf: vec![0.0; 4096],
        skip,
        on_span,
        spans: 0,
        gated: 0,
    };
    stream
        .play()
        .map_err(|e| device_error(&name, format!("cannot start capture ({e})")))?;
    let mut chunk = vec![0.0f32; (rate as usize / 50).max(64)];
    let result = (|| -> Result<()> {
        loop {
            if let Some(reason) = failure.lock().ok().and_then(|f| f.clone()) {
                return Err(device_error(&name, format!("capture failed ({reason})")));
            }
            let stopping = stop.load(Ordering::Acquire);
            let n = consumer.slots().min(chunk.len());
            if n > 0 {
                if let Ok(read) = consumer.read_chunk(n) {
                    let (a, b) = read.as_slices();
                    chunk[..a.len()].copy_from_slice(a);
                    chunk[a.len()..a.len() + b.len()].copy_from_slice(b);
                    read.commit_all();
                }
                w.feed(&chunk[..n])?;
            } else if stopping {
                return Ok(());
            } else {
                std::thread::sleep(Duration::from_millis(5));
            }
        }
    })();
    drop(stream);
    result?;
    // What arrived between the stop and the end of capture.
    let n = consumer.slots();
    if let Ok(read) = consumer.read_chunk(n) {
        let (a, b) = read.as_slices();
        let rest = [a, b].concat();
        read.commit_all();
        w.feed(&rest)?;
    }
    w.finish()?;
    let (gated, spans) = (w.gated, w.spans);
    let written = wav.finish()?;
    Ok(LiveSummary {
        device: name,
        device_rate: rate,
        channels: config.channels,
        gated_samples: gated,
        written_samples: written,
        overruns: overruns.load(Ordering::Relaxed),
        spans,
    })
}
