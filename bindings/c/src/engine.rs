//! `vg_engine`: the models (speaker encoder and VAD) and their settings.

use crate::boundary::{c_path, copy_str, ffi_boundary, free_box, handle, need_out, put};
use crate::result::vg_result;
use std::ffi::c_char;
use std::sync::Arc;
use voiceguard_core::vad::SileroModel;
use voiceguard_core::{Engine, EngineConfig, SpeakerEncoder, VadChoice};

/// The models: the GE2E speaker encoder and the Silero VAD, planned once.
/// Read-only after creation: thread-safe, share one engine between threads
/// and handles. Free with `vg_engine_free` (stores, enrollers and screenings
/// made from it stay valid: they share the models).
pub struct vg_engine {
    pub(crate) engine: Engine,
}

/// Makes an engine from the models compiled into the library (nothing is
/// read from disk). Takes about 0.1-0.5 s; make one and share it.
///
/// On success writes a new handle to `*out`: free it with `vg_engine_free`.
/// Errors: `VG_RESULT_NULL_PARAMETER` if `out` is NULL;
/// `VG_RESULT_MODEL_MISMATCH` if a bundled model fails its checks (a build problem).
/// Thread-safe.
#[no_mangle]
pub unsafe extern "C" fn vg_engine_new(out: *mut *mut vg_engine) -> vg_result {
    ffi_boundary!("vg_engine_new", {
        need_out(out, "out")?;
        let engine = Engine::bundled()?;
        // SAFETY: out checked non-NULL; the caller owns the new box.
        unsafe { put(out, Box::into_raw(Box::new(vg_engine { engine }))) };
        Ok(())
    })
}

/// Makes an engine from model directories, each holding a `manifest.toml`
/// and the ONNX file it names (as `models/ge2e` and `models/silero_vad` in
/// the source tree). The ONNX file's sha256 and input facts are checked
/// against the manifest. `vad_dir` may be NULL: the bundled Silero VAD.
///
/// On success writes a new handle to `*out`: free it with `vg_engine_free`.
/// Errors: `VG_RESULT_NULL_PARAMETER` (`encoder_dir`, `out`); `VG_RESULT_IO`
/// if a file cannot be read; `VG_RESULT_MODEL_MISMATCH` if a file differs
/// from its manifest. Thread-safe.
#[no_mangle]
pub unsafe extern "C" fn vg_engine_new_from_dirs(
    encoder_dir: *const c_char,
    vad_dir: *const c_char,
    out: *mut *mut vg_engine,
) -> vg_result {
    ffi_boundary!("vg_engine_new_from_dirs", {
        need_out(out, "out")?;
        // SAFETY: the caller passes NUL-terminated strings or NULL.
        let encoder_dir = unsafe { c_path(encoder_dir, "encoder_dir") }?;
        let encoder = SpeakerEncoder::from_dir(encoder_dir)?;
        let vad = if vad_dir.is_null() {
            SileroModel::bundled()?
        } else {
            // SAFETY: as above.
            SileroModel::from_dir(unsafe { c_path(vad_dir, "vad_dir") }?)?
        };
        let engine = Engine::new(Arc::new(encoder), VadChoice::Silero(vad), EngineConfig::default())?;
        // SAFETY: out checked non-NULL.
        unsafe { put(out, Box::into_raw(Box::new(vg_engine { engine }))) };
        Ok(())
    })
}

/// Frees an engine. NULL is a no-op. Do not use the handle afterwards.
#[no_mangle]
pub unsafe extern "C" fn vg_engine_free(engine: *mut vg_engine) {
    // SAFETY: engine is NULL or made by vg_engine_new* and not yet freed (caller contract).
    unsafe { free_box(engine, "vg_engine_free") }
}

/// Writes the rate the models run at (16000 Hz) to `*hz`. Input at any
/// other rate is resampled to it inside. Thread-safe.
#[no_mangle]
pub unsafe extern "C" fn vg_engine_sample_rate(engine: *const vg_engine, hz: *mut u32) -> vg_result {
    ffi_boundary!("vg_engine_sample_rate", {
        // SAFETY: engine is NULL or a live handle (caller contract).
        let e = unsafe { handle(engine, "engine") }?;
        need_out(hz, "hz")?;
        // SAFETY: hz checked non-NULL.
        unsafe { put(hz, e.engine.sample_rate().hz()) };
        Ok(())
    })
}

/// Copies the speaker model's id (e.g. `ge2e:563fbaeeaeb7`; stores record
/// it and refuse another model) into `buf`, with the string conventions of
/// the header (length without the NUL to `*written`; `buf = NULL, len = 0`
/// asks for the length). Thread-safe.
#[no_mangle]
pub unsafe extern "C" fn vg_engine_model_id(
    engine: *const vg_engine,
    buf: *mut c_char,
    len: usize,
    written: *mut usize,
) -> vg_result {
    ffi_boundary!("vg_engine_model_id", {
        // SAFETY: engine is NULL or a live handle; buf/written per the string convention.
        unsafe {
            let e = handle(engine, "engine")?;
            copy_str(e.engine.encoder().model_id(), buf, len, written)
        }
    })
}
