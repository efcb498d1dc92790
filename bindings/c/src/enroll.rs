//! `vg_enroller`: one member's utterances, their quality, and the progress
//! toward a voiceprint; `vg_store_enroll` saves it.

use crate::audio;
use crate::boundary::{
    c_str, copy_str, ffi_boundary, free_box, handle, lock, need_out, put, samples, Failure, FfiResult,
};
use crate::engine::vg_engine;
use crate::result::vg_result;
use crate::store::{vg_store, with_store_mut};
use std::ffi::{c_char, CStr};
use std::sync::Mutex;
use voiceguard_core::audio::AudioBuf;
use voiceguard_core::enroll::{merge, EnrollConfig, Enroller, FindingCode, UtteranceReport};
use voiceguard_core::voiceprint::{format::MAX_NAME, Member};
use voiceguard_core::Engine;

/// One member's enrollment in progress: push utterances (each is checked
/// and gets findings), watch the progress, then save it with
/// `vg_store_enroll`. Thread-safe (calls are serialised), but one enrollment
/// is one person's session. Utterance embeddings are wiped when freed.
/// Free with `vg_enroller_free`.
pub struct vg_enroller {
    state: Mutex<State>,
}

struct State {
    engine: Engine,
    name: String,
    /// The member as the store had it when the enroller was made.
    existing: Option<Member>,
    config: EnrollConfig,
    enroller: Enroller,
    /// Saved by `vg_store_enroll`; no more pushes.
    saved: bool,
}

impl State {
    fn make(&self) -> Enroller {
        match &self.existing {
            Some(m) => Enroller::extending(&self.engine, m, self.config),
            None => Enroller::new(&self.engine, &self.name, self.config),
        }
    }
}

/// Finding bit: under 1 s of speech in the utterance. Rejects it.
pub const VG_FINDING_TOO_SHORT: u32 = 1;
/// Finding bit: no speech at all. Rejects it.
pub const VG_FINDING_NO_SPEECH: u32 = 1 << 1;
/// Finding bit: more than one voice (within it, or against the member's
/// other utterances). Rejects it.
pub const VG_FINDING_MULTIPLE_VOICES: u32 = 1 << 2;
/// Finding bit: more than 0.1 % of samples at full scale. Warns.
pub const VG_FINDING_CLIPPING: u32 = 1 << 3;
/// Finding bit: speech less than 15 dB above the background. Warns.
pub const VG_FINDING_LOW_SNR: u32 = 1 << 4;
/// Finding bit: nothing above 4 kHz (8 kHz audio upsampled). Warns.
pub const VG_FINDING_NARROWBAND: u32 = 1 << 5;
/// Finding bit: a finding this version of the header has no name for; its
/// message says what it is.
pub const VG_FINDING_OTHER: u32 = 1 << 15;

fn finding_bit(code: FindingCode) -> u32 {
    match code {
        FindingCode::TooShort => VG_FINDING_TOO_SHORT,
        FindingCode::NoSpeech => VG_FINDING_NO_SPEECH,
        FindingCode::MultipleVoices => VG_FINDING_MULTIPLE_VOICES,
        FindingCode::Clipping => VG_FINDING_CLIPPING,
        FindingCode::LowSnr => VG_FINDING_LOW_SNR,
        FindingCode::Narrowband => VG_FINDING_NARROWBAND,
        _ => VG_FINDING_OTHER,
    }
}

/// What one pushed utterance contributed (`vg_enroller_push_*`, `vg_enroller_utterance`).
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct vg_utterance {
    /// 0-based position of the utterance among those pushed.
    pub index: u32,
    /// Whether it is part of the voiceprint (no rejecting finding). A later
    /// utterance can reveal another voice and reject an earlier one when
    /// the enrollment is saved; `vg_enroller_utterance` then tells.
    pub accepted: bool,
    /// `VG_FINDING_*` bits; `vg_enroller_finding_message` explains each.
    pub findings: u32,
    /// Audio duration, seconds.
    pub duration_s: f32,
    /// Speech found by the VAD, seconds.
    pub speech_s: f32,
    /// Estimated speech-to-noise ratio, dB; NaN when it cannot be measured
    /// (too little non-speech).
    pub snr_db: f32,
}

fn utterance(index: usize, r: &UtteranceReport) -> vg_utterance {
    vg_utterance {
        index: u32::try_from(index).unwrap_or(u32::MAX),
        accepted: r.accepted,
        findings: r.findings.iter().fold(0, |acc, f| acc | finding_bit(f.code)),
        duration_s: r.duration_s,
        speech_s: r.speech_s,
        snr_db: r.snr_db.unwrap_or(f32::NAN),
    }
}

/// How far an enrollment is (`vg_enroller_progress`).
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct vg_progress {
    /// Speech in the accepted utterances, seconds (including the member's
    /// existing utterances when extending).
    pub speech_s: f32,
    /// Accepted utterances (likewise).
    pub utterances: u32,
    /// Speech needed, seconds (default 15).
    pub required_speech_s: f32,
    /// Utterances needed (default 3).
    pub required_utterances: u32,
    /// The lesser of the two fractions done, in [0, 1].
    pub fraction: f32,
    /// Both requirements met: `vg_store_enroll` can succeed.
    pub sufficient: bool,
}

/// Saves over an existing member even if the new utterances do not sound
/// like them (`vg_store_enroll` flag). Without it that is refused.
pub const VG_ENROLL_FORCE: u32 = 1;

fn check_name(name: &str) -> FfiResult {
    if name.is_empty() || name.len() > MAX_NAME || name.chars().any(char::is_control) {
        return Err(Failure::invalid(format!(
            "member name {name:?} is not allowed; use 1 to {MAX_NAME} bytes of UTF-8 without control characters"
        )));
    }
    Ok(())
}

/// Starts an enrollment of member `name` with `engine`'s models. If `store`
/// is not NULL and already has `name`, the new utterances extend that
/// member: its utterances count toward the requirements. The enroller
/// copies what it needs; `store` may be freed afterwards.
///
/// On success writes a new handle to `*out`: free it with `vg_enroller_free`.
/// Errors: `VG_RESULT_NULL_PARAMETER`; `VG_RESULT_INVALID_INPUT` for a name
/// that is empty, longer than 128 bytes, not UTF-8 or has control
/// characters. Thread-safe.
#[no_mangle]
pub unsafe extern "C" fn vg_enroller_new(
    engine: *const vg_engine,
    store: *const vg_store,
    name: *const c_char,
    out: *mut *mut vg_enroller,
) -> vg_result {
    ffi_boundary!("vg_enroller_new", {
        // SAFETY: handles and strings are NULL or valid (caller contract).
        let (engine, name) = unsafe { (handle(engine, "engine")?, c_str(name, "name")?) };
        need_out(out, "out")?;
        check_name(name)?;
        let existing = if store.is_null() {
            None
        } else {
            // SAFETY: store is a live handle (caller contract).
            unsafe { with_store_mut(store.cast_mut(), |s| Ok(s.member(name).cloned())) }?
        };
        let config = EnrollConfig::default();
        let mut state = State {
            engine: engine.engine.clone(),
            name: name.to_owned(),
            existing,
            config,
            enroller: Enroller::new(&engine.engine, name, config),
            saved: false,
        };
        state.enroller = state.make();
        let h = Box::new(vg_enroller {
            state: Mutex::new(state),
        });
        // SAFETY: out checked non-NULL.
        unsafe { put(out, Box::into_raw(h)) };
        Ok(())
    })
}

/// Frees an enroller and wipes its utterance embeddings. NULL is a no-op.
#[no_mangle]
pub unsafe extern "C" fn vg_enroller_free(enroller: *mut vg_enroller) {
    // SAFETY: enroller is NULL or made by vg_enroller_new and not yet freed.
    unsafe { free_box(enroller, "vg_enroller_free") }
}

unsafe fn with_state<T>(enroller: *const vg_enroller, f: impl FnOnce(&mut State) -> FfiResult<T>) -> FfiResult<T> {
    // SAFETY: enroller is NULL or a live handle (caller contract).
    let h = unsafe { handle(enroller, "enroller") }?;
    let mut guard = lock(&h.state, "enroller")?;
    f(&mut guard)
}

/// Changes the requirements (default: 15 s of speech in at least 3
/// accepted utterances). Only before the first utterance is pushed; after,
/// `VG_RESULT_INVALID_INPUT`. Lower requirements make a weaker voiceprint:
/// the screening accuracy in the README was measured with the defaults.
/// `min_speech_s` in [0, 36000] seconds. Thread-safe.
#[no_mangle]
pub unsafe extern "C" fn vg_enroller_set_requirements(
    enroller: *mut vg_enroller,
    min_speech_s: f32,
    min_utterances: u32,
) -> vg_result {
    ffi_boundary!("vg_enroller_set_requirements", {
        // SAFETY: enroller is NULL or live.
        unsafe {
            with_state(enroller, |s| {
                if !s.enroller.reports().is_empty() {
                    return Err(Failure::invalid(
                        "utterances were already pushed; set the requirements right after vg_enroller_new",
                    ));
                }
                let config = EnrollConfig {
                    min_speech_s,
                    min_utterances,
                    ..s.config
                };
                config.validate()?;
                s.config = config;
                s.enroller = s.make();
                Ok(())
            })
        }
    })
}

fn push(s: &mut State, audio: &AudioBuf) -> FfiResult<vg_utterance> {
    if s.saved {
        return Err(Failure::invalid(
            "this enrollment was already saved with vg_store_enroll; start a new enroller",
        ));
    }
    let index = s.enroller.reports().len();
    let report = s.enroller.push_audio(audio, &format!("utterance {}", index + 1))?;
    Ok(utterance(index, &report))
}

/// Pushes one utterance of the member: mono float samples in [-1, 1] at
/// `sample_rate` Hz (4000-384000; resampled inside). It is measured and, if
/// no finding rejects it, added to the voiceprint. Quality problems are
/// findings in `*report` (may be NULL), not errors: an utterance with no
/// speech returns `VG_RESULT_OK` with `VG_FINDING_NO_SPEECH`.
///
/// Errors (the utterance is not kept): `VG_RESULT_NULL_PARAMETER`;
/// `VG_RESULT_INVALID_INPUT` for an empty buffer, NaN or infinite samples,
/// a 0 Hz rate, or an enrollment already saved; `VG_RESULT_LIMIT_EXCEEDED`
/// for a rate out of range or more than 4 hours. Thread-safe.
#[no_mangle]
pub unsafe extern "C" fn vg_enroller_push_f32(
    enroller: *mut vg_enroller,
    samples_: *const f32,
    n_samples: usize,
    sample_rate: u32,
    report: *mut vg_utterance,
) -> vg_result {
    ffi_boundary!("vg_enroller_push_f32", {
        // SAFETY: samples_ is NULL or valid for n_samples floats; enroller NULL or live.
        unsafe {
            audio::check_rate(sample_rate, n_samples)?;
            let audio = audio::from_f32(samples(samples_, n_samples, "samples")?, sample_rate)?;
            let u = with_state(enroller, |s| push(s, &audio))?;
            if !report.is_null() {
                put(report, u);
            }
        }
        Ok(())
    })
}

/// As `vg_enroller_push_f32` for 16-bit PCM (`s / 32768` as float).
#[no_mangle]
pub unsafe extern "C" fn vg_enroller_push_i16(
    enroller: *mut vg_enroller,
    samples_: *const i16,
    n_samples: usize,
    sample_rate: u32,
    report: *mut vg_utterance,
) -> vg_result {
    ffi_boundary!("vg_enroller_push_i16", {
        // SAFETY: samples_ is NULL or valid for n_samples int16; enroller NULL or live.
        unsafe {
            audio::check_rate(sample_rate, n_samples)?;
            let audio = audio::from_i16(samples(samples_, n_samples, "samples")?, sample_rate)?;
            let u = with_state(enroller, |s| push(s, &audio))?;
            if !report.is_null() {
                put(report, u);
            }
        }
        Ok(())
    })
}

/// Writes the progress toward the requirements to `*progress`. Thread-safe.
#[no_mangle]
pub unsafe extern "C" fn vg_enroller_progress(enroller: *const vg_enroller, progress: *mut vg_progress) -> vg_result {
    ffi_boundary!("vg_enroller_progress", {
        need_out(progress, "progress")?;
        // SAFETY: enroller NULL or live; progress checked non-NULL.
        unsafe {
            let p = with_state(enroller, |s| Ok(s.enroller.progress()))?;
            put(
                progress,
                vg_progress {
                    speech_s: p.speech_s,
                    utterances: p.utterances,
                    required_speech_s: p.required_speech_s,
                    required_utterances: p.required_utterances,
                    fraction: p.fraction,
                    sufficient: p.sufficient,
                },
            );
        }
        Ok(())
    })
}

/// Writes the number of utterances pushed so far to `*count`. Thread-safe.
#[no_mangle]
pub unsafe extern "C" fn vg_enroller_utterance_count(enroller: *const vg_enroller, count: *mut usize) -> vg_result {
    ffi_boundary!("vg_enroller_utterance_count", {
        need_out(count, "count")?;
        // SAFETY: enroller NULL or live; count checked non-NULL.
        unsafe {
            let n = with_state(enroller, |s| Ok(s.enroller.reports().len()))?;
            put(count, n);
        }
        Ok(())
    })
}

fn report_at(s: &State, index: usize) -> FfiResult<&UtteranceReport> {
    let reports = s.enroller.reports();
    reports.get(index).ok_or_else(|| {
        Failure::invalid(format!(
            "utterance index is {index} but {} utterance(s) were pushed",
            reports.len()
        ))
    })
}

/// Writes utterance `index`'s current report to `*report` (after
/// `vg_store_enroll` it includes findings made when saving). Thread-safe.
#[no_mangle]
pub unsafe extern "C" fn vg_enroller_utterance(
    enroller: *const vg_enroller,
    index: usize,
    report: *mut vg_utterance,
) -> vg_result {
    ffi_boundary!("vg_enroller_utterance", {
        need_out(report, "report")?;
        // SAFETY: enroller NULL or live; report checked non-NULL.
        unsafe {
            let u = with_state(enroller, |s| Ok(utterance(index, report_at(s, index)?)))?;
            put(report, u);
        }
        Ok(())
    })
}

/// Copies the plain sentence of finding `finding` (one `VG_FINDING_*` bit)
/// of utterance `index`, with the measured value, the limit and what to do,
/// into `buf` with the header's string conventions. `VG_RESULT_INVALID_INPUT`
/// if the utterance has no such finding. Thread-safe.
#[no_mangle]
pub unsafe extern "C" fn vg_enroller_finding_message(
    enroller: *const vg_enroller,
    index: usize,
    finding: u32,
    buf: *mut c_char,
    len: usize,
    written: *mut usize,
) -> vg_result {
    ffi_boundary!("vg_enroller_finding_message", {
        // SAFETY: enroller NULL or live; buf/written per the string convention.
        unsafe {
            with_state(enroller, |s| {
                let r = report_at(s, index)?;
                let f = r
                    .findings
                    .iter()
                    .find(|f| finding_bit(f.code) == finding)
                    .ok_or_else(|| {
                        Failure::invalid(format!(
                            "utterance {index} has no finding {finding:#x} (its findings: {:#x})",
                            utterance(index, r).findings
                        ))
                    })?;
                copy_str(&f.message, buf, len, written)
            })
        }
    })
}

/// The stable snake_case code of one `VG_FINDING_*` bit (`"too_short"`,
/// `"no_speech"`, ...), or `"unknown"`. Static string: do not free. Thread-safe.
#[no_mangle]
pub extern "C" fn vg_finding_str(finding: u32) -> *const c_char {
    let s: &'static CStr = match finding {
        VG_FINDING_TOO_SHORT => c"too_short",
        VG_FINDING_NO_SPEECH => c"no_speech",
        VG_FINDING_MULTIPLE_VOICES => c"multiple_voices",
        VG_FINDING_CLIPPING => c"clipping",
        VG_FINDING_LOW_SNR => c"low_snr",
        VG_FINDING_NARROWBAND => c"narrowband",
        VG_FINDING_OTHER => c"other",
        _ => c"unknown",
    };
    s.as_ptr()
}

/// Finishes the enrollment and saves the member in `store` (open for
/// writing): a new member, or, if `store` has the name, the utterances
/// merged into it (refused with `VG_RESULT_INVALID_INPUT` if they do not
/// sound like that member, cosine below 0.76, unless `flags` has
/// `VG_ENROLL_FORCE`). Afterwards the enroller takes no more utterances.
///
/// Errors: `VG_RESULT_INVALID_INPUT` if the requirements are not met yet
/// (the message says what is missing), the voices differ, the store is
/// read-only, or the enrollment was already saved; `VG_RESULT_IO` if the
/// store cannot be written (the old file stays). Thread-safe.
#[no_mangle]
pub unsafe extern "C" fn vg_store_enroll(store: *mut vg_store, enroller: *mut vg_enroller, flags: u32) -> vg_result {
    ffi_boundary!("vg_store_enroll", {
        if flags & !VG_ENROLL_FORCE != 0 {
            return Err(Failure::invalid(format!(
                "flags is {flags:#x}; use 0 or VG_ENROLL_FORCE"
            )));
        }
        // SAFETY: store and enroller are NULL or live handles (caller contract).
        unsafe {
            handle(store.cast_const(), "store")?.check_writable()?;
            with_state(enroller, |s| {
                if s.saved {
                    return Err(Failure::invalid(
                        "this enrollment was already saved; start a new enroller",
                    ));
                }
                let enrollment = s.enroller.finish()?;
                let threshold = s.config.match_threshold;
                with_store_mut(store, |st| {
                    let member = match st.member(&s.name) {
                        Some(old) => {
                            if flags & VG_ENROLL_FORCE == 0 {
                                enrollment.check_matches(old, threshold)?;
                            }
                            merge(old, &enrollment)?
                        }
                        None => enrollment.into_member(&s.name)?,
                    };
                    st.put(member)?;
                    Ok(())
                })?;
                s.saved = true;
                Ok(())
            })
        }
    })
}
