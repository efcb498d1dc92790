//! Silero VAD through tract: a shared plan ([`SileroModel`]) and per-stream state ([`SileroVad`]).

use super::Vad;
use crate::error::{Error, Result};
use crate::model::{parse_onnx, ModelFiles, VadManifest};
use std::path::Path;
use std::sync::Arc;
use tract_onnx::prelude::*;

/// The planned Silero model; immutable, `Send + Sync`, share it in an `Arc`.
pub struct SileroModel {
    manifest: VadManifest,
    plan: Arc<TypedSimplePlan>,
    /// Positions of (audio, state, sr) among the inputs.
    input_pos: (usize, usize, Option<usize>),
    /// Positions of (probability, state) among the outputs.
    output_pos: (usize, usize),
}

impl std::fmt::Debug for SileroModel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SileroModel")
            .field("name", &self.manifest.name)
            .finish_non_exhaustive()
    }
}

/// One stream's Silero state: the last `context_samples` of audio and the
/// recurrent state. Create with [`SileroModel::make_vad`].
pub struct SileroVad {
    model: Arc<SileroModel>,
    input: Tensor,
    state: Tensor,
}

impl std::fmt::Debug for SileroVad {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SileroVad").finish_non_exhaustive()
    }
}

impl SileroModel {
    /// Loads the Silero model bundled into the library.
    ///
    /// # Errors
    /// As [`SileroModel::load`].
    #[cfg(feature = "bundled-models")]
    pub fn bundled() -> Result<Arc<Self>> {
        Self::load(&crate::model::bundled_vad())
    }

    /// Loads the VAD model in `dir`.
    ///
    /// # Errors
    /// As [`SileroModel::load`], plus [`Error::Io`].
    pub fn from_dir(dir: &Path) -> Result<Arc<Self>> {
        Self::load(&ModelFiles::from_dir(dir)?)
    }

    /// Parses the manifest, checks the sha256 and plans the model with the
    /// manifest's concrete input facts.
    ///
    /// # Errors
    /// [`Error::Manifest`], [`Error::ModelMismatch`] or [`Error::Model`].
    pub fn load(files: &ModelFiles) -> Result<Arc<Self>> {
        let manifest = VadManifest::parse(&files.manifest, &files.origin.join("manifest.toml"))?;
        files.check_sha256(&manifest.name, &manifest.sha256)?;
        let s = &manifest.stream;
        let pos = |names: &[String], want: &str, what: &'static str| {
            names.iter().position(|n| n == want).ok_or_else(|| Error::Manifest {
                path: files.origin.join("manifest.toml"),
                reason: format!("{what} {want:?} is not in the listed order {names:?}"),
            })
        };
        let input_pos = (
            pos(&s.input_order, &s.input_name, "input")?,
            pos(&s.input_order, &s.state_name, "state input")?,
            match &s.sr_name {
                Some(n) => Some(pos(&s.input_order, n, "sr input")?),
                None => None,
            },
        );
        let output_pos = (
            pos(&s.output_order, &s.output_name, "output")?,
            pos(&s.output_order, &s.state_out_name, "state output")?,
        );
        let mut model = parse_onnx(files, &manifest.name)?;
        let names: Vec<String> = model
            .input_outlets()
            .map_err(|e| Error::model(&manifest.name, e))?
            .iter()
            .map(|o| model.node(o.node).name.clone())
            .collect();
        if names != s.input_order {
            return Err(Error::ModelMismatch {
                model: format!("{} ({})", manifest.name, files.origin.display()),
                what: "input names",
                expected: format!("{:?}", s.input_order),
                found: format!("{names:?}"),
            });
        }
        let m = |e: TractError| Error::model(&manifest.name, e);
        model = model
            .with_input_fact(input_pos.0, f32::fact([1, s.context_samples + s.chunk_samples]).into())
            .map_err(m)?
            .with_input_fact(input_pos.1, f32::fact(s.state_shape.clone()).into())
            .map_err(m)?;
        if let Some(p) = input_pos.2 {
            model = model
                .with_input_fact(p, InferenceFact::from(tensor0(i64::from(s.sample_rate))))
                .map_err(m)?;
        }
        let plan = model
            .into_optimized()
            .and_then(IntoRunnable::into_runnable)
            .map_err(m)?;
        Ok(Arc::new(SileroModel {
            manifest,
            plan,
            input_pos,
            output_pos,
        }))
    }

    /// The manifest.
    #[must_use]
    pub fn manifest(&self) -> &VadManifest {
        &self.manifest
    }

    /// A fresh stream using this model.
    ///
    /// # Errors
    /// [`Error::Model`] if the state tensors cannot be made.
    pub fn make_vad(self: &Arc<Self>) -> Result<SileroVad> {
        let s = &self.manifest.stream;
        Ok(SileroVad {
            model: self.clone(),
            input: Tensor::zero::<f32>(&[1, s.context_samples + s.chunk_samples])
                .map_err(|e| Error::model(&self.manifest.name, e))?,
            state: Tensor::zero::<f32>(&s.state_shape).map_err(|e| Error::model(&self.manifest.name, e))?,
        })
    }
}

impl Vad for SileroVad {
    fn frame_len(&self) -> usize {
        self.model.manifest.stream.chunk_samples
    }

    fn process(&mut self, frame: &[f32]) -> Result<f32> {
        let s = &self.model.manifest.stream;
        let name = &self.model.manifest.name;
        if frame.len() != s.chunk_samples {
            return Err(Error::BufferLength {
                what: "Silero VAD chunk",
                expected: s.chunk_samples,
                actual: frame.len(),
            });
        }
        {
            let mut view = self.input.try_as_plain_ram_mut().map_err(|e| Error::model(name, e))?;
            let buf = view.as_slice_mut::<f32>().map_err(|e| Error::model(name, e))?;
            // Keep the last `context` samples of the previous call, then the new chunk.
            let total = buf.len();
            buf.copy_within(total - s.context_samples.., 0);
            buf[s.context_samples..].copy_from_slice(frame);
        }
        let (pa, ps, psr) = self.model.input_pos;
        let n_inputs = 2 + usize::from(psr.is_some());
        let mut inputs: TVec<TValue> = tvec![TValue::from(Tensor::default()); n_inputs];
        inputs[pa] = self.input.clone().into_tvalue();
        inputs[ps] = self.state.clone().into_tvalue();
        if let Some(p) = psr {
            inputs[p] = tensor0(i64::from(s.sample_rate)).into_tvalue();
        }
        let out = self.model.plan.run(inputs).map_err(|e| Error::model(name, e))?;
        let (po, pst) = self.model.output_pos;
        let prob = *out[po]
            .try_as_plain_ram()
            .and_then(|v| v.as_slice::<f32>())
            .map_err(|e| Error::model(name, e))?
            .first()
            .ok_or_else(|| Error::Internal("Silero returned an empty probability".into()))?;
        self.state = out[pst].clone().into_tensor();
        Ok(prob)
    }

    fn reset(&mut self) {
        for t in [&mut self.input, &mut self.state] {
            if let Ok(mut v) = t.try_as_plain_ram_mut() {
                if let Ok(b) = v.as_slice_mut::<f32>() {
                    b.fill(0.0);
                }
            }
        }
    }
}
