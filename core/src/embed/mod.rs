//! Speaker embeddings: the encoder, Resemblyzer's partial windows, the embedding type.

mod embedding;
mod encoder;
mod native;
mod overlap;
mod partials;

pub use embedding::Embedding;
pub use encoder::{Backend, EncoderState, Precision, SpeakerEncoder, MAX_BATCH};
pub use native::NativeScratch;
pub use overlap::{OverlapDetector, OVERLAP_FILE};
pub use partials::partial_frame_ranges;
