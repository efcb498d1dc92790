//! Speaker embeddings: the encoder, Resemblyzer's partial windows, the embedding type.

mod embedding;
mod encoder;
mod partials;

pub use embedding::Embedding;
pub use encoder::{EncoderState, SpeakerEncoder, MAX_BATCH};
pub use partials::partial_frame_ranges;
