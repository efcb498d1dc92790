//! `voiceguard._voiceguard`: the private PyO3 extension under the
//! `voiceguard` Python package. Conversion, validation and error mapping
//! only; every behaviour is the core's (`voiceguard` crate).
//!
//! - [`audio`]: numpy arrays in and out, `load_audio`;
//! - [`engine`]: `Engine` (embed, embed_windows, vad, screen);
//! - [`store`]: `Store` (open, enroll, forget, members, verify), reports;
//! - [`screen`]: `Policy`, `Span`, `WindowScore`, `ScreenResult`;
//! - [`errors`]: the `VoiceguardError` hierarchy, one class per `ErrorKind`.
//!
//! - [`gate`]: `StreamingGate` (push, pull, flush, reset, latency_samples, spans).

mod audio;
mod engine;
mod errors;
mod gate;
mod screen;
mod store;

use pyo3::prelude::*;

#[pymodule]
fn _voiceguard(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    m.add("MODEL_SAMPLE_RATE", voiceguard::SampleRate::MODEL.hz())?;
    m.add("DEFAULT_THRESHOLD", voiceguard::Threshold::GE2E_EER.0)?;
    errors::register(m)?;
    m.add_function(wrap_pyfunction!(engine::load_audio, m)?)?;
    m.add_function(wrap_pyfunction!(store::generate_key, m)?)?;
    m.add_class::<engine::Engine>()?;
    m.add_class::<store::Store>()?;
    m.add_class::<store::EnrollmentReport>()?;
    m.add_class::<store::UtteranceReport>()?;
    m.add_class::<store::Finding>()?;
    m.add_class::<store::Member>()?;
    m.add_class::<screen::Policy>()?;
    m.add_class::<screen::Span>()?;
    m.add_class::<screen::WindowScore>()?;
    m.add_class::<screen::ScreenResult>()?;
    m.add_class::<gate::StreamingGate>()?;
    Ok(())
}
