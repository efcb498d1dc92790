//! The front end a model's manifest selects.

use super::{FbankPlan, FbankState, MelPlan, MelState};
use crate::error::Result;

/// A planned front end: GE2E mel power, or Kaldi log fbank.
#[derive(Debug)]
pub enum FrontEnd {
    /// librosa-compatible mel power spectrogram (GE2E / Resemblyzer).
    MelPower(MelPlan),
    /// Kaldi-compatible log fbank (WeSpeaker / 3D-Speaker style models).
    KaldiFbank(FbankPlan),
}

/// Per-stream scratch of a [`FrontEnd`].
#[derive(Debug, Clone)]
pub enum FrontEndState {
    /// Scratch for [`FrontEnd::MelPower`].
    MelPower(MelState),
    /// Scratch for [`FrontEnd::KaldiFbank`].
    KaldiFbank(FbankState),
}

impl FrontEnd {
    /// Features per frame.
    #[must_use]
    pub fn n_features(&self) -> usize {
        match self {
            FrontEnd::MelPower(p) => p.n_mels(),
            FrontEnd::KaldiFbank(p) => p.config().n_mels,
        }
    }

    /// Hop between frames, in samples.
    #[must_use]
    pub fn hop(&self) -> usize {
        match self {
            FrontEnd::MelPower(p) => p.config().hop,
            FrontEnd::KaldiFbank(p) => p.config().hop,
        }
    }

    /// Frames produced for `n_samples` input samples.
    #[must_use]
    pub fn n_frames(&self, n_samples: usize) -> usize {
        match self {
            FrontEnd::MelPower(p) => p.n_frames(n_samples),
            FrontEnd::KaldiFbank(p) => p.n_frames(n_samples),
        }
    }

    /// Makes the scratch for one stream.
    #[must_use]
    pub fn make_state(&self) -> FrontEndState {
        match self {
            FrontEnd::MelPower(p) => FrontEndState::MelPower(p.make_state()),
            FrontEnd::KaldiFbank(p) => FrontEndState::KaldiFbank(p.make_state()),
        }
    }

    /// Features of `samples` into `out` (frame-major); no allocation.
    ///
    /// # Errors
    /// [`crate::Error::BufferLength`] for a wrong `out` length;
    /// [`crate::Error::Internal`] if `state` belongs to the other kind of front end.
    pub fn process_into(&self, samples: &[f32], state: &mut FrontEndState, out: &mut [f32]) -> Result<()> {
        match (self, state) {
            (FrontEnd::MelPower(p), FrontEndState::MelPower(s)) => p.process_into(samples, s, out),
            (FrontEnd::KaldiFbank(p), FrontEndState::KaldiFbank(s)) => p.process_into(samples, s, out),
            _ => Err(crate::Error::Internal("front-end state of the wrong kind".into())),
        }
    }

    /// Allocating convenience.
    ///
    /// # Errors
    /// As [`FrontEnd::process_into`].
    pub fn process(&self, samples: &[f32]) -> Result<Vec<f32>> {
        match self {
            FrontEnd::MelPower(p) => p.process(samples),
            FrontEnd::KaldiFbank(p) => p.process(samples),
        }
    }
}

impl FrontEnd {
    /// The first `n_frames` frames of `samples` padded with zeros at the end as
    /// needed (Resemblyzer pads the waveform to cover the last partial).
    ///
    /// # Errors
    /// [`crate::Error::BufferLength`] for a wrong `out` length; [`crate::Error::Internal`]
    /// for a state of the wrong kind.
    pub fn process_frames_into(
        &self,
        samples: &[f32],
        n_frames: usize,
        state: &mut FrontEndState,
        out: &mut [f32],
    ) -> Result<()> {
        match (self, state) {
            (FrontEnd::MelPower(p), FrontEndState::MelPower(s)) => p.process_frames_into(samples, n_frames, s, out),
            (FrontEnd::KaldiFbank(p), FrontEndState::KaldiFbank(s)) => {
                let have = p.n_frames(samples.len());
                if n_frames <= have {
                    let need = if n_frames == 0 {
                        0
                    } else {
                        (n_frames - 1) * p.config().hop + p.config().win
                    };
                    p.process_into(&samples[..need], s, out)
                } else {
                    let need = (n_frames - 1) * p.config().hop + p.config().win;
                    let mut padded = samples.to_vec();
                    padded.resize(need, 0.0);
                    p.process_into(&padded, s, out)
                }
            }
            _ => Err(crate::Error::Internal("front-end state of the wrong kind".into())),
        }
    }
}
