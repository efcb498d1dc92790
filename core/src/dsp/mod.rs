//! DSP front ends: pure functions and plans. A plan is built once (FFT plan,
//! filterbank, window) and shared; each stream owns a state with its scratch.

mod fbank;
mod frontend;
mod mel;
mod melscale;
mod window;

pub use fbank::{FbankConfig, FbankPlan, FbankState};
pub use frontend::{FrontEnd, FrontEndState};
pub use mel::{MelConfig, MelPlan, MelState};
pub use melscale::{slaney_filterbank, MelFilter};
pub use window::{hann_periodic, povey};
