//! # voiceguard
//!
//! On-device speaker verification: extract speaker embeddings from speech,
//! compare them with enrolled voiceprints, and (in later modules) redact or
//! hold back audio whose speaker is not enrolled. Fails closed.
//!
//! ## Quick start
//! ```no_run
//! # fn main() -> voiceguard::Result<()> {
//! use std::path::Path;
//! let engine = voiceguard::Engine::bundled()?;
//! let a = engine.embed_file(Path::new("a.wav"))?;
//! let b = engine.embed_file(Path::new("b.wav"))?;
//! let score = a.embedding.cosine(&b.embedding)?;
//! println!("cosine {:.3}, same speaker: {}", score.value(),
//!          voiceguard::Threshold::GE2E_EER.accepts(score));
//! # Ok(()) }
//! ```
//!
//! ## Feature flags
//! - `decode` (default): FLAC, OGG/Vorbis and MP3 input through symphonia.
//! - `bundled-models` (default): the GE2E encoder and Silero VAD are compiled
//!   into the library, so nothing has to be shipped beside a binary.
//!
//! ## Conventions
//! - Audio is mono `f32` in [-1, 1]; models run at 16 kHz ([`SampleRate::MODEL`]).
//!   Files at other rates are resampled with rubato; channels are averaged.
//! - Lengths are in samples unless a name or type says seconds ([`Seconds`]) or Hz.
//! - Embeddings are unit-norm; [`Score`] is cosine similarity in [-1, 1].
//! - Plans ([`MelPlan`](dsp::MelPlan), [`SpeakerEncoder`], [`SileroModel`](vad::SileroModel))
//!   are immutable and shared; per-stream scratch is owned by the caller.
//! - Every fallible call returns [`Error`]; [`Error::kind`] gives the
//!   [`ErrorKind`] that all bindings map 1:1.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod audio;
pub mod audit;
pub mod dsp;
pub mod embed;
pub mod enroll;
mod error;
pub mod gate;
pub mod level;
pub mod model;
mod pipeline;
mod score;
pub mod screen;
mod units;
pub mod vad;
pub mod voiceprint;

pub use embed::{Embedding, SpeakerEncoder};
pub use error::{Error, ErrorKind, Result};
pub use pipeline::{ClipEmbedding, Engine, EngineConfig, VadChoice};
pub use score::{equal_error_rate, Eer, Score, Threshold};
pub use units::{Db, SampleRate, Seconds};
