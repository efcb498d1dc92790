//! Live capture (feature `live`) without a sound card: a cpal `custom` host
//! whose input device plays a WAV file in 10 ms callbacks (paced at 4x real
//! time) feeds `gate::live::run`; the WAV it writes must equal the gate's
//! output for the same samples. A host with no input device gives a clear
//! error.
#![cfg(feature = "live")]

mod common;

use cpal::traits::{DeviceTrait, HostTrait, StreamTrait};
use cpal::{
    Data, DeviceDescription, DeviceDescriptionBuilder, DeviceId, Error, ErrorKind, FrameCount, InputCallbackInfo,
    InputStreamTimestamp, OutputCallbackInfo, SampleFormat, StreamConfig, StreamInstant, SupportedBufferSize,
    SupportedStreamConfig, SupportedStreamConfigRange,
};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use voiceguard::enroll::{EnrollConfig, Enroller};
use voiceguard::gate::{live, GateConfig, GatePlan, StreamingGate};
use voiceguard::screen::Policy;
use voiceguard::Engine;

const CHUNK: usize = 160;

#[derive(Clone)]
struct FileHost {
    device: Option<FileDevice>,
}

#[derive(Clone)]
struct FileDevice {
    samples: Arc<Vec<f32>>,
    done: Arc<AtomicBool>,
}

impl PartialEq for FileDevice {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.samples, &other.samples)
    }
}
impl Eq for FileDevice {}
impl std::hash::Hash for FileDevice {
    fn hash<H: std::hash::Hasher>(&self, h: &mut H) {
        Arc::as_ptr(&self.samples).hash(h);
    }
}
impl std::fmt::Debug for FileDevice {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "FileDevice({} samples)", self.samples.len())
    }
}
impl std::fmt::Display for FileDevice {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("WAV file input")
    }
}

struct Controls {
    exit: AtomicBool,
    playing: AtomicBool,
}

struct FileStream {
    controls: Arc<Controls>,
    start: Instant,
    handle: Option<std::thread::JoinHandle<()>>,
}

impl HostTrait for FileHost {
    type Device = FileDevice;
    type Devices = std::vec::IntoIter<FileDevice>;

    fn is_available() -> bool {
        true
    }
    fn devices(&self) -> Result<Self::Devices, Error> {
        Ok(self.device.clone().into_iter().collect::<Vec<_>>().into_iter())
    }
    fn default_input_device(&self) -> Option<Self::Device> {
        self.device.clone()
    }
    fn default_output_device(&self) -> Option<Self::Device> {
        None
    }
}

fn only_config() -> SupportedStreamConfigRange {
    let chunk = CHUNK as FrameCount;
    SupportedStreamConfigRange::new(
        1,
        16_000,
        16_000,
        SupportedBufferSize::Range { min: chunk, max: chunk },
        SampleFormat::F32,
    )
}

fn instant(d: Duration) -> StreamInstant {
    StreamInstant::new(d.as_secs(), d.subsec_nanos())
}

impl DeviceTrait for FileDevice {
    type SupportedInputConfigs = std::iter::Once<SupportedStreamConfigRange>;
    type SupportedOutputConfigs = std::iter::Empty<SupportedStreamConfigRange>;
    type Stream = FileStream;

    fn description(&self) -> Result<DeviceDescription, Error> {
        Ok(DeviceDescriptionBuilder::new("WAV file input").build())
    }
    fn id(&self) -> Result<DeviceId, Error> {
        Err(Error::new(ErrorKind::UnsupportedOperation))
    }
    fn supported_input_configs(&self) -> Result<Self::SupportedInputConfigs, Error> {
        Ok(std::iter::once(only_config()))
    }
    fn supported_output_configs(&self) -> Result<Self::SupportedOutputConfigs, Error> {
        Ok(std::iter::empty())
    }
    fn default_input_config(&self) -> Result<SupportedStreamConfig, Error> {
        Ok(only_config().with_sample_rate(16_000))
    }
    fn default_output_config(&self) -> Result<SupportedStreamConfig, Error> {
        Err(Error::new(ErrorKind::UnsupportedConfig))
    }

    fn build_input_stream_raw<D, E>(
        &self,
        config: StreamConfig,
        format: SampleFormat,
        mut data_callback: D,
        _: E,
        _: Option<Duration>,
    ) -> Result<Self::Stream, Error>
    where
        D: FnMut(&Data, &InputCallbackInfo) + Send + 'static,
        E: FnMut(Error) + Send + 'static,
    {
        if format != SampleFormat::F32 || config.channels != 1 || config.sample_rate != 16_000 {
            return Err(Error::new(ErrorKind::UnsupportedConfig));
        }
        let controls = Arc::new(Controls {
            exit: AtomicBool::new(false),
            playing: AtomicBool::new(false),
        });
        let (c, samples, done) = (controls.clone(), self.samples.clone(), self.done.clone());
        let start = Instant::now();
        let handle = std::thread::spawn(move || {
            while !c.playing.load(Ordering::Acquire) {
                if c.exit.load(Ordering::Acquire) {
                    return;
                }
                std::thread::sleep(Duration::from_millis(1));
            }
            let t0 = Instant::now();
            let mut buf = vec![0.0f32; CHUNK];
            for (k, chunk) in samples.chunks(CHUNK).enumerate() {
                if c.exit.load(Ordering::Acquire) {
                    return;
                }
                // 10 ms callbacks, paced at 4x real time.
                let due = t0 + Duration::from_micros(2_500 * k as u64);
                if let Some(wait) = due.checked_duration_since(Instant::now()) {
                    std::thread::sleep(wait);
                }
                buf[..chunk.len()].copy_from_slice(chunk);
                // SAFETY: buf holds chunk.len() initialised f32 samples and
                // outlives the callback; the format is F32 as declared.
                let data = unsafe { Data::from_parts(buf.as_mut_ptr().cast(), chunk.len(), SampleFormat::F32) };
                let now = instant(start.elapsed());
                let info = InputCallbackInfo::new(InputStreamTimestamp {
                    callback: now,
                    capture: now,
                });
                data_callback(&data, &info);
            }
            done.store(true, Ordering::Release);
        });
        Ok(FileStream {
            controls,
            start,
            handle: Some(handle),
        })
    }

    fn build_output_stream_raw<D, E>(
        &self,
        _: StreamConfig,
        _: SampleFormat,
        _: D,
        _: E,
        _: Option<Duration>,
    ) -> Result<Self::Stream, Error>
    where
        D: FnMut(&mut Data, &OutputCallbackInfo) + Send + 'static,
        E: FnMut(Error) + Send + 'static,
    {
        Err(Error::new(ErrorKind::UnsupportedConfig))
    }
}

impl StreamTrait for FileStream {
    fn play(&self) -> Result<(), Error> {
        self.controls.playing.store(true, Ordering::Release);
        Ok(())
    }
    fn pause(&self) -> Result<(), Error> {
        self.controls.playing.store(false, Ordering::Release);
        Ok(())
    }
    fn now(&self) -> StreamInstant {
        instant(self.start.elapsed())
    }
    fn buffer_size(&self) -> Result<FrameCount, Error> {
        Ok(CHUNK as FrameCount)
    }
}

impl Drop for FileStream {
    fn drop(&mut self) {
        self.controls.exit.store(true, Ordering::Release);
        if let Some(h) = self.handle.take() {
            let _ = h.join();
        }
    }
}

fn demo(name: &str) -> std::path::PathBuf {
    common::repo_root().join("examples/data").join(name)
}

fn plan(engine: &Engine) -> Arc<GatePlan> {
    let config = EnrollConfig {
        min_speech_s: 12.0,
        ..EnrollConfig::default()
    };
    let mut e = Enroller::new(engine, "sas01", config);
    for i in 1..=3 {
        e.push_file(&demo(&format!("librivox-sas01_{i}.wav"))).unwrap();
    }
    let member = e.finish().unwrap().into_member("sas01").unwrap();
    GatePlan::new(engine.clone(), vec![member], Policy::default(), GateConfig::default()).unwrap()
}

fn to_i16(x: f32) -> i16 {
    (x * 32768.0).round().clamp(-32768.0, 32767.0) as i16
}

#[test]
fn captured_audio_is_gated_into_the_same_wav_as_offline() {
    let engine = Engine::bundled().unwrap();
    let plan = plan(&engine);
    let mut x = common::read_i16_wav(&demo("librivox-sas01_4.wav"));
    x.extend(common::read_i16_wav(&demo("arctic-awb_1.wav")));
    x.extend(common::read_i16_wav(&demo("librivox-sas01_5.wav")));
    let done = Arc::new(AtomicBool::new(false));
    let host = cpal::Host::from(cpal::platform::CustomHost::from_host(FileHost {
        device: Some(FileDevice {
            samples: Arc::new(x.clone()),
            done: done.clone(),
        }),
    }));
    let device = live::default_input(&host).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("released.wav");
    let stop = AtomicBool::new(false);
    let mut spans = Vec::new();
    let summary = std::thread::scope(|s| {
        s.spawn(|| {
            while !done.load(Ordering::Acquire) {
                std::thread::sleep(Duration::from_millis(5));
            }
            stop.store(true, Ordering::Release);
        });
        live::run(&device, plan.clone(), &out, &stop, |e| spans.push(*e)).unwrap()
    });
    println!("{summary:?}");
    assert_eq!(summary.device, "WAV file input");
    assert_eq!(summary.overruns, 0);
    assert_eq!(summary.gated_samples, x.len() as u64);
    assert_eq!(summary.written_samples, x.len() as u64);
    // The same samples through a gate directly.
    let mut gate = StreamingGate::new(plan).unwrap();
    let released = common::stream_through(&mut gate, &x, 1000);
    let want: Vec<i16> = released[gate.latency_samples()..].iter().map(|&v| to_i16(v)).collect();
    let got: Vec<i16> = hound::WavReader::open(&out)
        .unwrap()
        .samples::<i16>()
        .map(Result::unwrap)
        .collect();
    assert_eq!(got.len(), x.len());
    assert!(got == want, "the live WAV differs from the gate's output");
    assert!(
        spans.iter().any(|e| e.label.is_silenced()),
        "the stranger was not silenced"
    );
    // Nothing else was left in the folder (the temporary file was renamed).
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
}

#[test]
fn a_missing_input_device_is_a_clear_error() {
    let host = cpal::Host::from(cpal::platform::CustomHost::from_host(FileHost { device: None }));
    let e = live::default_input(&host).unwrap_err();
    assert_eq!(e.kind(), voiceguard::ErrorKind::Io);
    let msg = e.to_string();
    assert!(msg.contains("no audio input device"), "{msg}");
    assert!(msg.contains("connect one"), "{msg}");
}
