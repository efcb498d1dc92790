//! `manifest.toml`: the contract a model directory carries (rate, front end,
//! input facts, dimensions, sha256, licence), checked when the model loads.

use crate::dsp::{FbankConfig, MelConfig};
use crate::error::{Error, Result};
use serde::Deserialize;
use std::path::Path;

/// Manifest of a speaker-embedding model (`models/ge2e/manifest.toml`).
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct EncoderManifest {
    /// Manifest format version (1).
    pub schema_version: u32,
    /// Short model id, e.g. `ge2e`; stored with every voiceprint.
    pub name: String,
    /// One line on what the model is.
    pub description: String,
    /// ONNX file name, relative to the manifest.
    pub file: String,
    /// Lower-case hex sha256 of the ONNX file.
    pub sha256: String,
    /// SPDX licence id of the weights.
    pub licence: String,
    /// Licence text file, relative to the manifest.
    pub licence_file: String,
    /// Where the weights come from.
    pub source: String,
    /// Command that rebuilds the ONNX file.
    pub rebuild: String,
    /// The input tensor.
    pub input: TensorSpec,
    /// The output tensor.
    pub output: OutputSpec,
    /// The front end the model was trained with.
    pub frontend: FrontEndSpec,
    /// How an utterance is cut into partial windows.
    pub partials: PartialSpec,
}

/// Name and shape of a model input; symbolic dimensions are strings.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct TensorSpec {
    /// Input name in the ONNX graph.
    pub name: String,
    /// Shape: integers are fixed, strings are symbolic (e.g. `"batch"`).
    pub shape: Vec<toml::Value>,
    /// Element type; only `"f32"` is supported.
    pub dtype: String,
}

/// The embedding output.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct OutputSpec {
    /// Output name in the ONNX graph.
    pub name: String,
    /// Embedding dimension.
    pub dim: usize,
}

/// Front end selected by a manifest.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum FrontEndSpec {
    /// librosa `melspectrogram` power (GE2E).
    MelPower {
        /// Hz.
        sample_rate: u32,
        /// Samples.
        n_fft: usize,
        /// Samples; must equal `n_fft`.
        win_length: usize,
        /// Samples.
        hop_length: usize,
        /// Mel bands.
        n_mels: usize,
        /// Hz.
        fmin: f64,
        /// Hz.
        fmax: f64,
        /// Must be `"slaney"`.
        mel_scale: String,
        /// Must be `"slaney"`.
        norm: String,
        /// Must be `"hann"`.
        window: String,
        /// Must be true (librosa's centred frames).
        center: bool,
        /// Must be `"constant"` (zero padding).
        pad_mode: String,
        /// Must be 2.0 (power).
        power: f64,
    },
    /// Kaldi `compute-fbank-feats` log fbank.
    KaldiFbank {
        /// Hz.
        sample_rate: u32,
        /// Milliseconds.
        frame_length_ms: f64,
        /// Milliseconds.
        frame_shift_ms: f64,
        /// Mel bins.
        num_mel_bins: usize,
        /// Hz (default 20).
        #[serde(default = "default_low_freq")]
        low_freq: f64,
        /// Hz; <= 0 is an offset from Nyquist (default 0).
        #[serde(default)]
        high_freq: f64,
        /// Default 0.97.
        #[serde(default = "default_preemph")]
        preemphasis: f64,
        /// Default 32768 (int16 range input).
        #[serde(default = "default_scale")]
        input_scale: f64,
        /// Per-utterance mean normalisation (default true).
        #[serde(default = "default_true")]
        mean_norm: bool,
    },
}

fn default_low_freq() -> f64 {
    20.0
}
fn default_preemph() -> f64 {
    0.97
}
fn default_scale() -> f64 {
    32_768.0
}
fn default_true() -> bool {
    true
}

/// Resemblyzer-style partial windows.
#[derive(Debug, Clone, Copy, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct PartialSpec {
    /// Frames per partial window (160 = 1.6 s for GE2E).
    pub window_frames: usize,
    /// Partials per second (Resemblyzer `rate`, 1.3).
    pub rate_hz: f64,
    /// Least share of the last partial that must be covered by audio (0.75).
    pub min_coverage: f64,
}

impl EncoderManifest {
    /// Parses a manifest from TOML text; `path` is used in messages.
    ///
    /// # Errors
    /// [`Error::Manifest`] for syntax, unknown keys or unsupported values.
    pub fn parse(text: &str, path: &Path) -> Result<Self> {
        let m: EncoderManifest = toml::from_str(text).map_err(|e| Error::Manifest {
            path: path.into(),
            reason: e.to_string(),
        })?;
        m.validate(path)?;
        Ok(m)
    }

    fn validate(&self, path: &Path) -> Result<()> {
        let bad = |reason: String| Error::Manifest {
            path: path.into(),
            reason,
        };
        if self.schema_version != 1 {
            return Err(bad(format!(
                "schema_version {} is not supported (expected 1)",
                self.schema_version
            )));
        }
        if self.input.dtype != "f32" {
            return Err(bad(format!(
                "input dtype {} is not supported (expected f32)",
                self.input.dtype
            )));
        }
        if self.input.shape.len() != 3 {
            return Err(bad("input shape must be [batch, frames, features]".into()));
        }
        if self.sha256.len() != 64 || !self.sha256.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(bad("sha256 must be 64 hex digits".into()));
        }
        if let FrontEndSpec::MelPower {
            n_fft,
            win_length,
            mel_scale,
            norm,
            window,
            center,
            pad_mode,
            power,
            ..
        } = &self.frontend
        {
            if win_length != n_fft
                || mel_scale != "slaney"
                || norm != "slaney"
                || window != "hann"
                || !center
                || pad_mode != "constant"
                || (*power - 2.0).abs() > f64::EPSILON
            {
                return Err(bad(
                    "mel_power supports win_length = n_fft, slaney scale and norm, hann window, \
                     center = true, pad_mode = constant, power = 2.0"
                        .into(),
                ));
            }
        }
        if self.partials.window_frames == 0 || self.partials.rate_hz.is_nan() || self.partials.rate_hz <= 0.0 {
            return Err(bad("partials need window_frames >= 1 and rate_hz > 0".into()));
        }
        if !(self.partials.min_coverage > 0.0 && self.partials.min_coverage <= 1.0) {
            return Err(bad("partials.min_coverage must be in (0, 1]".into()));
        }
        Ok(())
    }

    /// Features per frame the front end produces.
    #[must_use]
    pub fn n_features(&self) -> usize {
        match &self.frontend {
            FrontEndSpec::MelPower { n_mels, .. } => *n_mels,
            FrontEndSpec::KaldiFbank { num_mel_bins, .. } => *num_mel_bins,
        }
    }

    /// The model's sample rate in Hz.
    #[must_use]
    pub fn sample_rate(&self) -> u32 {
        match &self.frontend {
            FrontEndSpec::MelPower { sample_rate, .. } | FrontEndSpec::KaldiFbank { sample_rate, .. } => *sample_rate,
        }
    }

    /// The front-end hop in samples.
    #[must_use]
    pub fn hop_samples(&self) -> usize {
        match &self.frontend {
            FrontEndSpec::MelPower { hop_length, .. } => *hop_length,
            FrontEndSpec::KaldiFbank {
                sample_rate,
                frame_shift_ms,
                ..
            } => ms_to_samples(*sample_rate, *frame_shift_ms),
        }
    }

    /// Builds the planned front end.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] if the sizes are inconsistent.
    pub fn plan_frontend(&self) -> Result<crate::dsp::FrontEnd> {
        Ok(match &self.frontend {
            FrontEndSpec::MelPower {
                sample_rate,
                n_fft,
                hop_length,
                n_mels,
                fmin,
                fmax,
                ..
            } => crate::dsp::FrontEnd::MelPower(crate::dsp::MelPlan::new(MelConfig {
                sample_rate: *sample_rate,
                n_fft: *n_fft,
                hop: *hop_length,
                n_mels: *n_mels,
                fmin_hz: *fmin,
                fmax_hz: *fmax,
            })?),
            FrontEndSpec::KaldiFbank {
                sample_rate,
                frame_length_ms,
                frame_shift_ms,
                num_mel_bins,
                low_freq,
                high_freq,
                preemphasis,
                input_scale,
                mean_norm,
            } => crate::dsp::FrontEnd::KaldiFbank(crate::dsp::FbankPlan::new(FbankConfig {
                sample_rate: *sample_rate,
                win: ms_to_samples(*sample_rate, *frame_length_ms),
                hop: ms_to_samples(*sample_rate, *frame_shift_ms),
                n_mels: *num_mel_bins,
                low_hz: *low_freq,
                high_hz: *high_freq,
                preemph: *preemphasis,
                remove_dc: true,
                input_scale: *input_scale,
                mean_norm: *mean_norm,
            })?),
        })
    }
}

fn ms_to_samples(rate: u32, ms: f64) -> usize {
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    let n = (f64::from(rate) * ms / 1000.0).round() as usize;
    n
}

/// Manifest of a streaming VAD model (`models/silero_vad/manifest.toml`).
#[derive(Debug, Clone, Deserialize, PartialEq)]
pub struct VadManifest {
    /// Manifest format version (1).
    pub schema_version: u32,
    /// Short model id.
    pub name: String,
    /// One line on what the model is.
    pub description: String,
    /// ONNX file name, relative to the manifest.
    pub file: String,
    /// Lower-case hex sha256 of the ONNX file.
    pub sha256: String,
    /// SPDX licence id.
    pub licence: String,
    /// Licence text file.
    pub licence_file: String,
    /// Where the weights come from.
    pub source: String,
    /// Command that rebuilds the ONNX file.
    pub rebuild: String,
    /// The streaming contract.
    pub stream: VadStreamSpec,
}

/// Inputs and outputs of one streaming VAD call.
#[derive(Debug, Clone, Deserialize, PartialEq)]
pub struct VadStreamSpec {
    /// Hz.
    pub sample_rate: u32,
    /// New samples per call.
    pub chunk_samples: usize,
    /// Samples of the previous chunk prepended to each call.
    pub context_samples: usize,
    /// Audio input name.
    pub input_name: String,
    /// Recurrent state input name.
    pub state_name: String,
    /// Recurrent state shape.
    pub state_shape: Vec<usize>,
    /// Probability output name.
    pub output_name: String,
    /// Recurrent state output name.
    pub state_out_name: String,
    /// Sample-rate input name, if the model still takes one (int64 scalar).
    #[serde(default)]
    pub sr_name: Option<String>,
    /// Input names in positional order.
    pub input_order: Vec<String>,
    /// Output names in positional order.
    pub output_order: Vec<String>,
}

impl VadManifest {
    /// Parses a VAD manifest.
    ///
    /// # Errors
    /// [`Error::Manifest`] for syntax or unsupported values.
    pub fn parse(text: &str, path: &Path) -> Result<Self> {
        let m: VadManifest = toml::from_str(text).map_err(|e| Error::Manifest {
            path: path.into(),
            reason: e.to_string(),
        })?;
        if m.schema_version != 1 || m.stream.chunk_samples == 0 || m.stream.state_shape.is_empty() {
            return Err(Error::Manifest {
                path: path.into(),
                reason: "needs schema_version 1, chunk_samples >= 1 and a state_shape".into(),
            });
        }
        Ok(m)
    }
}
