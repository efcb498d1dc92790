//! [`SpeakerEncoder`]: the planned speaker-embedding model and its front end.

use super::native::{NativeEncoder, NativeScratch};
use super::partials::partial_frame_ranges;
use super::{Embedding, OverlapDetector};
use crate::dsp::{FrontEnd, FrontEndState};
use crate::error::{Error, Result};
use crate::model::{parse_onnx_with_proto, EncoderManifest, ModelFiles};
use crate::units::Db;
use std::collections::HashMap;
use std::ops::Range;
use std::path::Path;
use std::sync::{Arc, Mutex};
use tract_onnx::prelude::*;
use tract_onnx::tract_hir::internal::DimLike;

/// Most partial windows run through the model in one call; longer inputs are
/// split into several calls of at most this many.
pub const MAX_BATCH: usize = 32;

type Plan = Arc<TypedSimplePlan>;

/// What runs the encoder graph.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// voiceguard's own LSTM path (`embed::native`): the default when the
    /// graph is the GE2E encoder written by `models/ge2e/convert.py`.
    Native,
    /// tract, planned per batch size: any graph; the reference.
    Tract,
}

/// The arithmetic of the native backend's LSTM products (the input
/// projection `x W^T` and the recurrent product `h R^T`). Anything but
/// [`Precision::F32`] needs AVX-512 BF16 (x86-64, detected at run time) and
/// falls back to `F32` without it; tract always runs in f32.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Precision {
    /// f32 throughout: the default, within ~1e-6 of the reference.
    #[default]
    F32,
    /// Both products with bf16 weights and activations, f32 sums and state:
    /// 1.6-1.9x faster, embeddings within a cosine of 1e-4 of `F32`'s
    /// (measured: min 0.99993 over 2,661 corpus windows). Measured, not
    /// kept: bf16 for only one of the two products (the same accuracy,
    /// half the gain).
    Bf16,
}

/// A loaded speaker encoder: manifest, front-end plan and the tract model,
/// planned per concrete batch shape on first use and cached.
///
/// `Send + Sync`: share it in an `Arc` across threads; each call owns its
/// scratch (or takes an [`EncoderState`]).
pub struct SpeakerEncoder {
    manifest: EncoderManifest,
    id: String,
    frontend: FrontEnd,
    model: InferenceModel,
    plans: Mutex<HashMap<(usize, usize), Plan>>,
    /// The native path's weights, when the graph is the known GE2E encoder.
    native: Option<Arc<NativeEncoder>>,
    backend: Backend,
    overlap: Option<Arc<OverlapDetector>>,
    /// Scratch states [`SpeakerEncoder::embed_utterance`] reuses across
    /// calls (at most [`STATE_POOL`]): a fresh one costs megabytes of page
    /// faults per call.
    pool: Mutex<Vec<EncoderState>>,
}

/// Scratch states an encoder keeps for [`SpeakerEncoder::embed_utterance`].
const STATE_POOL: usize = 2;

impl std::fmt::Debug for SpeakerEncoder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SpeakerEncoder")
            .field("id", &self.id)
            .finish_non_exhaustive()
    }
}

/// Per-caller scratch for [`SpeakerEncoder::embed_utterance_into`]: the feature
/// buffer and front-end state, reused across calls.
#[derive(Debug)]
pub struct EncoderState {
    frontend: FrontEndState,
    /// Features of the segment being cut into partials.
    features: Vec<f32>,
    /// Features of the partials waiting for a model run (at most `MAX_BATCH`).
    batch: Vec<f32>,
    /// Which segment each waiting partial belongs to.
    owners: Vec<usize>,
    /// Model output of one run (`MAX_BATCH * dim`).
    out: Vec<f32>,
    /// Per-segment sums of the L2-normalised partial embeddings.
    sums: Vec<f64>,
    /// Scratch of the native backend.
    native: NativeScratch,
    /// A range's samples brought to the requested level.
    levelled: Vec<f32>,
}

impl SpeakerEncoder {
    /// Loads the encoder bundled into the library.
    ///
    /// # Errors
    /// As [`SpeakerEncoder::load`].
    #[cfg(feature = "bundled-models")]
    pub fn bundled() -> Result<Self> {
        Self::load(&crate::model::bundled_encoder())
    }

    /// Loads the encoder in `dir` (a folder with `manifest.toml`).
    ///
    /// # Errors
    /// As [`SpeakerEncoder::load`], plus [`Error::Io`] for unreadable files.
    pub fn from_dir(dir: &Path) -> Result<Self> {
        Self::load(&ModelFiles::from_dir(dir)?)
    }

    /// Parses the manifest, checks the ONNX file's sha256 and the graph's
    /// input/output facts against it, and plans batch size 1.
    ///
    /// # Errors
    /// [`Error::Manifest`] for a bad manifest; [`Error::ModelMismatch`] if the
    /// hash, input name, feature count or embedding size disagree with it.
    pub fn load(files: &ModelFiles) -> Result<Self> {
        let manifest = EncoderManifest::parse(&files.manifest, &files.origin.join("manifest.toml"))?;
        files.check_sha256(&manifest.name, &manifest.sha256)?;
        let (proto, model) = parse_onnx_with_proto(files, &manifest.name)?;
        let mismatch = |what: &'static str, expected: String, found: String| Error::ModelMismatch {
            model: format!("{} ({})", manifest.name, files.origin.display()),
            what,
            expected,
            found,
        };
        let inputs = model.input_outlets().map_err(|e| Error::model(&manifest.name, e))?;
        if inputs.len() != 1 {
            return Err(mismatch("number of inputs", "1".into(), inputs.len().to_string()));
        }
        let in_name = &model.node(inputs[0].node).name;
        if *in_name != manifest.input.name {
            return Err(mismatch("input name", manifest.input.name.clone(), in_name.clone()));
        }
        if let Some(f) = manifest.input.shape.get(2).and_then(toml::Value::as_integer) {
            if usize::try_from(f).ok() != Some(manifest.n_features()) {
                return Err(mismatch(
                    "input features vs front end",
                    manifest.n_features().to_string(),
                    f.to_string(),
                ));
            }
        }
        let frontend = manifest.plan_frontend()?;
        let id = format!("{}:{}", manifest.name, &manifest.sha256[..12]);
        let native = NativeEncoder::from_proto(&proto, manifest.n_features(), manifest.output.dim).map(Arc::new);
        let backend = if native.is_some() {
            Backend::Native
        } else {
            Backend::Tract
        };
        let overlap = files
            .overlap
            .as_deref()
            .map(|text| {
                let path = files.origin.join(super::OVERLAP_FILE);
                OverlapDetector::parse(text, &path, &manifest.sha256, manifest.output.dim).map(Arc::new)
            })
            .transpose()?;
        let enc = SpeakerEncoder {
            manifest,
            id,
            frontend,
            model,
            plans: Mutex::new(HashMap::new()),
            native,
            backend,
            overlap,
            pool: Mutex::new(Vec::new()),
        };
        // Plan once now: this checks the output facts and surfaces errors at load time.
        let plan = enc.plan(1, enc.manifest.partials.window_frames)?;
        let out_fact = plan
            .model()
            .output_fact(0)
            .map_err(|e| Error::model(&enc.manifest.name, e))?;
        let dims: Vec<Option<usize>> = out_fact.shape.iter().map(|d| d.to_usize().ok()).collect();
        if dims != [Some(1), Some(enc.manifest.output.dim)] {
            return Err(Error::ModelMismatch {
                model: enc.id.clone(),
                what: "output shape for a batch of 1",
                expected: format!("[1, {}]", enc.manifest.output.dim),
                found: format!("{:?}", out_fact.shape),
            });
        }
        Ok(enc)
    }

    /// The overlapped-speech detector trained for this encoder
    /// (`overlap.json` beside its manifest; the bundled encoder has one), or
    /// `None`: screening then has no overlap rule.
    #[must_use]
    pub fn overlap_detector(&self) -> Option<&OverlapDetector> {
        self.overlap.as_deref()
    }

    /// Which backend runs the graph.
    #[must_use]
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// The backends this model can run on: tract always, the native path
    /// when the graph is the GE2E encoder it knows.
    #[must_use]
    pub fn backends(&self) -> Vec<Backend> {
        let mut b = Vec::with_capacity(2);
        if self.native.is_some() {
            b.push(Backend::Native);
        }
        b.push(Backend::Tract);
        b
    }

    /// Switches the backend (the model id and results stay the same within
    /// ~1e-6).
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] for [`Backend::Native`] when the graph is
    /// not the GE2E encoder it knows.
    pub fn set_backend(&mut self, backend: Backend) -> Result<()> {
        if backend == Backend::Native && self.native.is_none() {
            return Err(Error::InvalidArgument {
                what: "encoder backend",
                value: "native".into(),
                expected: format!("tract: {} is not the GE2E graph the native path knows", self.id),
            });
        }
        self.backend = backend;
        Ok(())
    }

    /// Sets the precision of the native backend's LSTM products and returns
    /// the one in force: [`Precision::F32`] when the CPU lacks AVX-512 BF16
    /// or the graph has no native path. The model id stays the same; bf16
    /// embeddings differ from f32 ones by a cosine of about 1e-4.
    pub fn set_precision(&mut self, precision: Precision) -> Precision {
        match &mut self.native {
            Some(native) => Arc::make_mut(native).set_precision(precision),
            None => Precision::F32,
        }
    }

    /// The precision of the native backend's products (see
    /// [`SpeakerEncoder::set_precision`]).
    #[must_use]
    pub fn precision(&self) -> Precision {
        self.native.as_ref().map_or(Precision::F32, |n| n.precision())
    }

    /// The manifest.
    #[must_use]
    pub fn manifest(&self) -> &EncoderManifest {
        &self.manifest
    }

    /// Model id `name:sha256-prefix`, stored with anything derived from it.
    #[must_use]
    pub fn model_id(&self) -> &str {
        &self.id
    }

    /// Embedding dimension.
    #[must_use]
    pub fn dim(&self) -> usize {
        self.manifest.output.dim
    }

    /// The model's sample rate in Hz.
    #[must_use]
    pub fn sample_rate(&self) -> crate::units::SampleRate {
        crate::units::SampleRate(self.manifest.sample_rate())
    }

    /// The planned front end.
    #[must_use]
    pub fn frontend(&self) -> &FrontEnd {
        &self.frontend
    }

    /// Scratch for [`SpeakerEncoder::embed_utterance_into`].
    #[must_use]
    pub fn make_state(&self) -> EncoderState {
        EncoderState {
            frontend: self.frontend.make_state(),
            features: Vec::new(),
            batch: Vec::with_capacity(MAX_BATCH * self.manifest.partials.window_frames * self.manifest.n_features()),
            owners: Vec::with_capacity(MAX_BATCH),
            out: vec![0.0; MAX_BATCH * self.dim()],
            sums: Vec::new(),
            native: NativeScratch::default(),
            levelled: Vec::new(),
        }
    }

    fn plan(&self, batch: usize, frames: usize) -> Result<Plan> {
        let key = (batch, frames);
        if let Some(p) = self.plans.lock().map_err(|_| poisoned())?.get(&key) {
            return Ok(p.clone());
        }
        let f = self.manifest.n_features();
        let plan = self
            .model
            .clone()
            .with_input_fact(0, f32::fact([batch, frames, f]).into())
            .and_then(tract_onnx::prelude::InferenceModel::into_optimized)
            .and_then(tract_onnx::prelude::IntoRunnable::into_runnable)
            .map_err(|e| Error::model(&self.manifest.name, e))?;
        let mut plans = self.plans.lock().map_err(|_| poisoned())?;
        Ok(plans.entry(key).or_insert(plan).clone())
    }

    /// Runs the model on `batch` feature matrices of `frames` x `n_features`
    /// (`features`, batch-major) and writes `batch * dim` values to `out`.
    ///
    /// # Errors
    /// [`Error::BufferLength`] for wrong lengths; [`Error::Model`] if tract fails.
    pub fn run_features(&self, features: &[f32], batch: usize, frames: usize, out: &mut [f32]) -> Result<()> {
        self.run_features_with(features, batch, frames, &mut NativeScratch::default(), out)
    }

    /// As [`SpeakerEncoder::run_features`], reusing `scratch` (the native
    /// backend's buffers) across calls.
    ///
    /// # Errors
    /// As [`SpeakerEncoder::run_features`].
    pub fn run_features_with(
        &self,
        features: &[f32],
        batch: usize,
        frames: usize,
        scratch: &mut NativeScratch,
        out: &mut [f32],
    ) -> Result<()> {
        let f = self.manifest.n_features();
        let dim = self.dim();
        if features.len() != batch * frames * f {
            return Err(Error::BufferLength {
                what: "feature batch",
                expected: batch * frames * f,
                actual: features.len(),
            });
        }
        if out.len() != batch * dim {
            return Err(Error::BufferLength {
                what: "embedding output",
                expected: batch * dim,
                actual: out.len(),
            });
        }
        if let (Backend::Native, Some(native)) = (self.backend, &self.native) {
            native.run(features, batch, frames, scratch, out);
            if out.iter().all(|v| v.is_finite()) {
                return Ok(());
            }
            return Err(Error::Internal(
                "the native encoder produced a non-finite embedding".into(),
            ));
        }
        let plan = self.plan(batch, frames)?;
        let input =
            Tensor::from_shape(&[batch, frames, f], features).map_err(|e| Error::model(&self.manifest.name, e))?;
        let result = plan
            .run(tvec!(input.into_tvalue()))
            .map_err(|e| Error::model(&self.manifest.name, e))?;
        let view = result[0]
            .try_as_plain_ram()
            .and_then(|v| v.as_slice::<f32>())
            .map_err(|e| Error::model(&self.manifest.name, e))?;
        if view.len() != out.len() {
            return Err(Error::ModelMismatch {
                model: self.id.clone(),
                what: "output length",
                expected: out.len().to_string(),
                found: view.len().to_string(),
            });
        }
        out.copy_from_slice(view);
        Ok(())
    }

    /// Frame ranges of the partial windows for `n_samples` samples.
    #[must_use]
    pub fn partial_ranges(&self, n_samples: usize) -> Vec<Range<usize>> {
        partial_frame_ranges(
            n_samples,
            &self.manifest.partials,
            self.frontend.hop(),
            self.manifest.sample_rate(),
        )
    }

    /// Cuts each segment of `samples` into its partial windows (as if the
    /// segment were a whole utterance), runs the partials of all segments
    /// through the model in batches of up to [`MAX_BATCH`], and calls
    /// `each(segment_index, partial_embedding)` in order. Buffers come from
    /// `state`, so repeated calls do not allocate.
    fn for_each_partial(
        &self,
        samples: &[f32],
        segments: &[Range<usize>],
        level: Option<Db>,
        state: &mut EncoderState,
        mut each: impl FnMut(usize, &[f32]),
    ) -> Result<()> {
        let (dim, n_feat) = (self.dim(), self.manifest.n_features());
        let win = self.manifest.partials.window_frames;
        let flush = |st: &mut EncoderState, each: &mut dyn FnMut(usize, &[f32])| -> Result<()> {
            if st.owners.is_empty() {
                return Ok(());
            }
            let n = st.owners.len();
            self.run_features_with(&st.batch, n, win, &mut st.native, &mut st.out[..n * dim])?;
            for (p, &owner) in st.out.chunks_exact(dim).zip(&st.owners) {
                each(owner, p);
            }
            st.batch.clear();
            st.owners.clear();
            Ok(())
        };
        state.batch.clear();
        state.owners.clear();
        // Taken for the loop and put back at the end (an error only loses
        // the buffer's capacity).
        let mut levelled = std::mem::take(&mut state.levelled);
        for (seg, range) in segments.iter().enumerate() {
            let mut slice = &samples[range.clone()];
            if let Some(target) = level {
                let gain = crate::level::gain_to(crate::level::rms_dbfs(slice), target, false);
                levelled.clear();
                levelled.extend(slice.iter().map(|x| x * gain));
                slice = &levelled;
            }
            let ranges = self.partial_ranges(slice.len());
            let total_frames = ranges.last().map_or(0, |r| r.end);
            state.features.resize(total_frames * n_feat, 0.0);
            self.frontend
                .process_frames_into(slice, total_frames, &mut state.frontend, &mut state.features)?;
            for r in ranges {
                state
                    .batch
                    .extend_from_slice(&state.features[r.start * n_feat..r.end * n_feat]);
                state.owners.push(seg);
                if state.owners.len() == MAX_BATCH {
                    flush(state, &mut each)?;
                }
            }
        }
        state.levelled = levelled;
        flush(state, &mut each)
    }

    /// Resemblyzer's utterance embedding of each segment, written
    /// unnormalised into `state.sums` (`segments.len() * dim`): the sum of the
    /// segment's L2-normalised partial embeddings.
    fn segment_sums(
        &self,
        samples: &[f32],
        segments: &[Range<usize>],
        level: Option<Db>,
        state: &mut EncoderState,
    ) -> Result<()> {
        check_samples(samples)?;
        let dim = self.dim();
        let mut sums = std::mem::take(&mut state.sums);
        sums.clear();
        sums.resize(segments.len() * dim, 0.0);
        let result = self.for_each_partial(samples, segments, level, state, |seg, p| {
            let norm = p
                .iter()
                .map(|&v| f64::from(v) * f64::from(v))
                .sum::<f64>()
                .sqrt()
                .max(1e-12);
            for (a, v) in sums[seg * dim..(seg + 1) * dim].iter_mut().zip(p) {
                *a += f64::from(*v) / norm;
            }
        });
        state.sums = sums;
        result
    }

    /// Embeddings of each partial window of `samples` (mono f32 at the model rate).
    ///
    /// # Errors
    /// As [`SpeakerEncoder::embed_utterance`].
    #[allow(clippy::single_range_in_vec_init)] // one segment: the whole input
    pub fn embed_partials(&self, samples: &[f32]) -> Result<Vec<Embedding>> {
        check_samples(samples)?;
        let mut st = self.make_state();
        let mut raw = Vec::new();
        self.for_each_partial(samples, &[0..samples.len()], None, &mut st, |_, p| raw.push(p.to_vec()))?;
        raw.into_iter().map(Embedding::normalized).collect()
    }

    /// Resemblyzer's `embed_utterance`: the mean of the L2-normalised partial
    /// embeddings, normalised again. `samples` are mono f32 in [-1, 1] at the
    /// model rate (16 kHz); no VAD or level normalisation is applied here.
    ///
    /// # Errors
    /// [`Error::InvalidAudio`] if `samples` is empty or not finite;
    /// [`Error::Model`] if the runtime fails.
    pub fn embed_utterance(&self, samples: &[f32]) -> Result<Embedding> {
        // A state from the pool (the lock is held only to take and return it).
        let pooled = self.pool.lock().ok().and_then(|mut p| p.pop());
        let mut st = pooled.unwrap_or_else(|| self.make_state());
        let mut out = vec![0.0; self.dim()];
        let result = self.embed_utterance_into(samples, &mut st, &mut out);
        if let Ok(mut p) = self.pool.lock() {
            if p.len() < STATE_POOL {
                p.push(st);
            }
        }
        result?;
        Embedding::normalized(out)
    }

    /// As [`SpeakerEncoder::embed_utterance`], writing the unit-norm embedding
    /// into `out` (`dim` values) and reusing `state`'s buffers.
    ///
    /// # Errors
    /// As [`SpeakerEncoder::embed_utterance`], plus [`Error::BufferLength`].
    #[allow(clippy::single_range_in_vec_init)] // one segment: the whole input
    pub fn embed_utterance_into(&self, samples: &[f32], state: &mut EncoderState, out: &mut [f32]) -> Result<()> {
        if out.len() != self.dim() {
            return Err(Error::BufferLength {
                what: "embedding output",
                expected: self.dim(),
                actual: out.len(),
            });
        }
        self.segment_sums(samples, &[0..samples.len()], None, state)?;
        normalize_into(&state.sums, out)
    }

    /// Embeddings of sliding windows of `window` samples every `hop` samples
    /// over `samples` (the last window may be shorter; at least one window).
    /// Each window is embedded as an utterance (as [`SpeakerEncoder::embed_utterance`]
    /// on that slice would), but the partials of all windows share model runs
    /// of up to [`MAX_BATCH`]. `level` as in [`SpeakerEncoder::embed_ranges`].
    /// Returns `(start_sample, embedding)`.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] if `window` or `hop` is 0; otherwise as
    /// [`SpeakerEncoder::embed_utterance`].
    #[allow(clippy::single_range_in_vec_init)] // the list of windows starts with one
    pub fn embed_windows(
        &self,
        samples: &[f32],
        window: usize,
        hop: usize,
        level: Option<Db>,
    ) -> Result<Vec<(usize, Embedding)>> {
        if window == 0 || hop == 0 {
            return Err(Error::InvalidArgument {
                what: "window/hop",
                value: format!("{window}/{hop} samples"),
                expected: "both at least 1 sample".into(),
            });
        }
        let mut windows = vec![0..window.min(samples.len())];
        // Next window while the last one stops short of the end (a hop longer
        // than the window can skip the tail, but never starts past the end).
        while let Some(last) = windows
            .last()
            .filter(|w| w.end < samples.len() && w.start + hop < samples.len())
        {
            let start = last.start + hop;
            windows.push(start..(start + window).min(samples.len()));
        }
        let mut st = self.make_state();
        let embeddings = self.embed_ranges(samples, &windows, level, &mut st)?;
        Ok(windows.iter().map(|w| w.start).zip(embeddings).collect())
    }

    /// Embeds each range of `samples` as an utterance (as
    /// [`SpeakerEncoder::embed_utterance`] on that slice would), sharing model
    /// runs of up to [`MAX_BATCH`] partials across ranges. With `level`, each
    /// range's samples are first raised or lowered to that RMS level (dBFS),
    /// so the embedding does not depend on how loud the range was recorded
    /// ([`Engine::speech_level`](crate::Engine::speech_level)); `None` embeds
    /// them as they are.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] if a range is empty or out of bounds;
    /// otherwise as [`SpeakerEncoder::embed_utterance`].
    pub fn embed_ranges(
        &self,
        samples: &[f32],
        ranges: &[Range<usize>],
        level: Option<Db>,
        state: &mut EncoderState,
    ) -> Result<Vec<Embedding>> {
        if let Some(r) = ranges.iter().find(|r| r.start >= r.end || r.end > samples.len()) {
            return Err(Error::InvalidArgument {
                what: "embedding range",
                value: format!("{}..{} of {} samples", r.start, r.end, samples.len()),
                expected: "a non-empty range inside the samples".into(),
            });
        }
        self.segment_sums(samples, ranges, level, state)?;
        state
            .sums
            .chunks_exact(self.dim())
            .map(|sum| {
                let mut e = vec![0.0; sum.len()];
                normalize_into(sum, &mut e)?;
                Embedding::normalized(e)
            })
            .collect()
    }
}

/// Refuses empty or non-finite input to the encoder.
fn check_samples(samples: &[f32]) -> Result<()> {
    let buffer = Path::new("<buffer>");
    if samples.is_empty() {
        return Err(Error::InvalidAudio {
            path: buffer.into(),
            reason: "no samples (0.0 s of audio)".into(),
        });
    }
    crate::audio::check_finite_samples(samples, buffer)
}

/// Writes `sum / |sum|` (computed in f64) into `out`.
fn normalize_into(sum: &[f64], out: &mut [f32]) -> Result<()> {
    let norm = sum.iter().map(|a| a * a).sum::<f64>().sqrt();
    if !(norm.is_finite() && norm > 0.0) {
        return Err(Error::Internal(format!("utterance embedding has norm {norm}")));
    }
    for (o, a) in out.iter_mut().zip(sum) {
        #[allow(clippy::cast_possible_truncation)]
        let v = (a / norm) as f32;
        *o = v;
    }
    Ok(())
}

fn poisoned() -> Error {
    Error::Internal("the encoder's plan cache lock was poisoned by a panic".into())
}
