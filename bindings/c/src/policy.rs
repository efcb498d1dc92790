//! `vg_policy`: the screening settings (what to do with other, uncertain
//! and no speech; what replaces redacted audio).

use crate::boundary::{ffi_boundary, free_box, handle, lock, need_out, put, Failure, FfiResult};
use crate::result::vg_result;
use std::sync::Mutex;
use voiceguard_core::screen::{Fill, OnNoSpeech, OnOther, OnUncertain, Policy};

/// Screening settings. `vg_policy_new` gives the defaults measured on real
/// speech (redact other voices, hold uncertain speech, pass clips without
/// speech, silence as fill); passing NULL where a policy is asked for means
/// the same defaults. Thread-safe (calls are serialised). Free with
/// `vg_policy_free`; a screening keeps its own copy.
pub struct vg_policy {
    pub(crate) policy: Mutex<Policy>,
}

impl vg_policy {
    /// A copy of the settings (defaults for a NULL handle).
    pub(crate) fn get(p: Option<&vg_policy>) -> FfiResult<Policy> {
        match p {
            None => Ok(Policy::default()),
            Some(p) => Ok(*lock(&p.policy, "policy")?),
        }
    }
}

/// Speech of a voice that is not enrolled: replace it with the fill (default).
pub const VG_ON_OTHER_REDACT: i32 = 0;
/// Speech of a voice that is not enrolled: hold the whole clip.
pub const VG_ON_OTHER_HOLD: i32 = 1;
/// Speech that cannot be verified either way: hold the whole clip (default).
pub const VG_ON_UNCERTAIN_HOLD: i32 = 0;
/// Speech that cannot be verified either way: treat it as another voice's.
pub const VG_ON_UNCERTAIN_REDACT: i32 = 1;
/// A clip in which no speech is found: release it unchanged (default).
pub const VG_ON_NO_SPEECH_PASS: i32 = 0;
/// A clip in which no speech is found: hold it.
pub const VG_ON_NO_SPEECH_HOLD: i32 = 1;
/// Redacted audio becomes digital silence (default).
pub const VG_FILL_SILENCE: i32 = 0;
/// Redacted audio becomes white noise at `level_dbfs` RMS (fixed seed).
pub const VG_FILL_NOISE: i32 = 1;
/// Redacted audio becomes a sine tone of `tone_hz` at `level_dbfs` RMS.
pub const VG_FILL_TONE: i32 = 2;

/// Makes a policy with the default settings. On success writes a new handle
/// to `*out`: free it with `vg_policy_free`. Thread-safe.
#[no_mangle]
pub unsafe extern "C" fn vg_policy_new(out: *mut *mut vg_policy) -> vg_result {
    ffi_boundary!("vg_policy_new", {
        need_out(out, "out")?;
        let p = Box::new(vg_policy {
            policy: Mutex::new(Policy::default()),
        });
        // SAFETY: out checked non-NULL.
        unsafe { put(out, Box::into_raw(p)) };
        Ok(())
    })
}

/// Frees a policy. NULL is a no-op.
#[no_mangle]
pub unsafe extern "C" fn vg_policy_free(policy: *mut vg_policy) {
    // SAFETY: policy is NULL or made by vg_policy_new and not yet freed.
    unsafe { free_box(policy, "vg_policy_free") }
}

/// Applies `change` to the policy if the result is valid.
unsafe fn update(policy: *mut vg_policy, change: impl FnOnce(&mut Policy) -> FfiResult) -> FfiResult {
    // SAFETY: policy is NULL or a live handle (caller contract).
    let p = unsafe { handle(policy.cast_const(), "policy") }?;
    let mut guard = lock(&p.policy, "policy")?;
    let mut next = *guard;
    change(&mut next)?;
    next.validate()?;
    *guard = next;
    Ok(())
}

fn choice(what: &str, v: i32, names: &str) -> Failure {
    Failure::invalid(format!("{what} is {v}; use {names}"))
}

/// Sets what happens to a clip with speech of a voice that is not enrolled:
/// `VG_ON_OTHER_REDACT` or `VG_ON_OTHER_HOLD`. Other values:
/// `VG_RESULT_INVALID_INPUT`, the policy unchanged. Thread-safe.
#[no_mangle]
pub unsafe extern "C" fn vg_policy_set_on_other(policy: *mut vg_policy, on_other: i32) -> vg_result {
    ffi_boundary!("vg_policy_set_on_other", {
        // SAFETY: policy is NULL or a live handle.
        unsafe {
            update(policy, |p| {
                p.on_other = match on_other {
                    VG_ON_OTHER_REDACT => OnOther::Redact,
                    VG_ON_OTHER_HOLD => OnOther::Hold,
                    v => return Err(choice("on_other", v, "VG_ON_OTHER_REDACT (0) or VG_ON_OTHER_HOLD (1)")),
                };
                Ok(())
            })
        }
    })
}

/// Sets what happens to a clip with speech that cannot be verified:
/// `VG_ON_UNCERTAIN_HOLD` or `VG_ON_UNCERTAIN_REDACT`. Thread-safe.
#[no_mangle]
pub unsafe extern "C" fn vg_policy_set_on_uncertain(policy: *mut vg_policy, on_uncertain: i32) -> vg_result {
    ffi_boundary!("vg_policy_set_on_uncertain", {
        // SAFETY: policy is NULL or a live handle.
        unsafe {
            update(policy, |p| {
                p.on_uncertain = match on_uncertain {
                    VG_ON_UNCERTAIN_HOLD => OnUncertain::Hold,
                    VG_ON_UNCERTAIN_REDACT => OnUncertain::Redact,
                    v => {
                        return Err(choice(
                            "on_uncertain",
                            v,
                            "VG_ON_UNCERTAIN_HOLD (0) or VG_ON_UNCERTAIN_REDACT (1)",
                        ))
                    }
                };
                Ok(())
            })
        }
    })
}

/// Sets what happens to a clip without speech: `VG_ON_NO_SPEECH_PASS` or
/// `VG_ON_NO_SPEECH_HOLD`. (A clip shorter than 1 s without speech is held
/// either way.) Thread-safe.
#[no_mangle]
pub unsafe extern "C" fn vg_policy_set_on_no_speech(policy: *mut vg_policy, on_no_speech: i32) -> vg_result {
    ffi_boundary!("vg_policy_set_on_no_speech", {
        // SAFETY: policy is NULL or a live handle.
        unsafe {
            update(policy, |p| {
                p.on_no_speech = match on_no_speech {
                    VG_ON_NO_SPEECH_PASS => OnNoSpeech::Pass,
                    VG_ON_NO_SPEECH_HOLD => OnNoSpeech::Hold,
                    v => {
                        return Err(choice(
                            "on_no_speech",
                            v,
                            "VG_ON_NO_SPEECH_PASS (0) or VG_ON_NO_SPEECH_HOLD (1)",
                        ))
                    }
                };
                Ok(())
            })
        }
    })
}

/// Sets what replaces redacted audio: `VG_FILL_SILENCE` (level and tone
/// ignored), `VG_FILL_NOISE` (white noise at `level_dbfs` RMS, e.g. -60) or
/// `VG_FILL_TONE` (a sine of `tone_hz` Hz at `level_dbfs` RMS). A 10 ms fade
/// lies in the kept audio on each side. Thread-safe.
#[no_mangle]
pub unsafe extern "C" fn vg_policy_set_fill(
    policy: *mut vg_policy,
    fill: i32,
    level_dbfs: f32,
    tone_hz: f32,
) -> vg_result {
    ffi_boundary!("vg_policy_set_fill", {
        let level_ok = level_dbfs.is_finite() && level_dbfs <= 0.0;
        let new = match fill {
            VG_FILL_SILENCE => Fill::Silence,
            VG_FILL_NOISE | VG_FILL_TONE if !level_ok => {
                return Err(Failure::invalid(format!(
                    "level_dbfs is {level_dbfs}; use a finite level at or below 0 dBFS, e.g. -60"
                )))
            }
            VG_FILL_NOISE => Fill::ComfortNoise { level_dbfs },
            VG_FILL_TONE if !(tone_hz.is_finite() && tone_hz > 0.0) => {
                return Err(Failure::invalid(format!(
                    "tone_hz is {tone_hz}; use a frequency above 0 Hz, e.g. 1000"
                )))
            }
            VG_FILL_TONE => Fill::Tone {
                hz: tone_hz,
                level_dbfs,
            },
            v => {
                return Err(choice(
                    "fill",
                    v,
                    "VG_FILL_SILENCE (0), VG_FILL_NOISE (1) or VG_FILL_TONE (2)",
                ))
            }
        };
        // SAFETY: policy is NULL or a live handle.
        unsafe {
            update(policy, |p| {
                p.fill = new;
                Ok(())
            })
        }
    })
}
