//! Offline screening of a buffer: `vg_screen_*` gives a decision and a
//! `vg_screening` with the spans and the releasable (passed or redacted) audio.

use crate::audio::{self, BUFFER};
use crate::boundary::{boundary, copy_str, ffi_boundary, free_box, handle, need_out, put, samples, Failure, FfiResult};
use crate::engine::vg_engine;
use crate::policy::vg_policy;
use crate::result::{vg_result, VG_RESULT_BUFFER_TOO_SMALL, VG_RESULT_HELD, VG_RESULT_NULL_PARAMETER, VG_RESULT_OK};
use crate::store::{vg_store, Voiceprints};
use std::borrow::Cow;
use std::ffi::{c_char, CStr};
use std::path::Path;
use voiceguard_core::audio::AudioBuf;
use voiceguard_core::screen::{self, Action, Decision, Label, Policy, Reason, Verdict, Voiceprint};

/// The fate of a clip. `VG_DECISION_HOLD` is 0, so zeroed memory means hold.
#[allow(non_camel_case_types)]
pub type vg_decision = i32;
/// Withheld: release nothing. Every error ends here.
pub const VG_DECISION_HOLD: vg_decision = 0;
/// All speech is household speech (or there is none): release it unchanged.
pub const VG_DECISION_PASS: vg_decision = 1;
/// Some speech is another voice's: release the redacted copy
/// (`vg_screening_output_*`), in which those spans are replaced.
pub const VG_DECISION_REDACT: vg_decision = 2;

fn decision_code(d: Decision) -> vg_decision {
    match d {
        Decision::Hold => VG_DECISION_HOLD,
        Decision::Pass => VG_DECISION_PASS,
        Decision::Redact => VG_DECISION_REDACT,
    }
}

/// Span label: no speech.
pub const VG_LABEL_NONSPEECH: i32 = 0;
/// Span label: an enrolled member (`vg_screening_span_member` names them).
pub const VG_LABEL_MEMBER: i32 = 1;
/// Span label: a voice that is not enrolled.
pub const VG_LABEL_OTHER: i32 = 2;
/// Span label: speech that could not be verified either way.
pub const VG_LABEL_UNCERTAIN: i32 = 3;

/// Reason bit: all speech matched household members.
pub const VG_REASON_ALL_MEMBERS: u32 = 1;
/// Reason bit: the VAD found no speech.
pub const VG_REASON_NO_SPEECH: u32 = 1 << 1;
/// Reason bit: some speech is another voice's.
pub const VG_REASON_OTHER_SPEECH: u32 = 1 << 2;
/// Reason bit: some speech could not be verified.
pub const VG_REASON_UNCERTAIN_SPEECH: u32 = 1 << 3;
/// Reason bit: the policy holds clips with other voices instead of redacting.
pub const VG_REASON_POLICY_HOLD: u32 = 1 << 4;
/// Reason bit: the store has no members.
pub const VG_REASON_EMPTY_STORE: u32 = 1 << 5;
/// Reason bit: less than 1 s of speech, or a clip under 1 s.
pub const VG_REASON_TOO_SHORT: u32 = 1 << 6;

fn reason_bit(r: Reason) -> u32 {
    match r {
        Reason::AllMembers => VG_REASON_ALL_MEMBERS,
        Reason::NoSpeech => VG_REASON_NO_SPEECH,
        Reason::OtherSpeech => VG_REASON_OTHER_SPEECH,
        Reason::UncertainSpeech => VG_REASON_UNCERTAIN_SPEECH,
        Reason::PolicyHold => VG_REASON_POLICY_HOLD,
        Reason::EmptyStore => VG_REASON_EMPTY_STORE,
        Reason::TooShort => VG_REASON_TOO_SHORT,
        // Errors are return codes in C, never a screening.
        Reason::Error => 0,
    }
}

/// A stretch of the clip with one label. Spans cover the clip in order.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct vg_span {
    /// Start, seconds from the start of the buffer.
    pub start_s: f64,
    /// End, seconds (exclusive).
    pub end_s: f64,
    /// Start, samples at the caller's sample rate.
    pub start_sample: usize,
    /// End, samples at the caller's sample rate (exclusive).
    pub end_sample: usize,
    /// `VG_LABEL_*`.
    pub label: i32,
    /// Whether the output replaces this span (redact), or would (hold).
    pub redacted: bool,
    /// Best cosine of the span's speech to a member, in [-1, 1]; NaN for
    /// non-speech or speech too short to score.
    pub score: f32,
}

/// The outcome of screening one buffer: decision, reasons, spans and the
/// audio to release. Read-only: thread-safe. Independent of the engine,
/// store and policy it was made with (they may be freed). Holds a copy of
/// the input audio. Free with `vg_screening_free`.
pub struct vg_screening {
    verdict: Verdict,
    /// The caller's samples as float, at `rate`.
    input: Vec<f32>,
    rate: u32,
    policy: Policy,
}

impl vg_screening {
    fn to_sample(&self, s: f64) -> usize {
        #[allow(
            clippy::cast_possible_truncation,
            clippy::cast_sign_loss,
            clippy::cast_precision_loss
        )]
        let n = (s.max(0.0) * f64::from(self.rate)).round() as usize;
        n.min(self.input.len())
    }

    /// The releasable audio: the input (pass) or its redacted copy.
    fn output(&self) -> FfiResult<Cow<'_, [f32]>> {
        match self.verdict.decision {
            Decision::Hold => {
                let reasons: Vec<&str> = self.verdict.reasons.iter().map(|r| r.as_str()).collect();
                Err(Failure::new(
                    VG_RESULT_HELD,
                    format!(
                        "the clip was held ({}): there is no audio to release",
                        reasons.join(", ")
                    ),
                ))
            }
            Decision::Pass => Ok(Cow::Borrowed(&self.input)),
            Decision::Redact => {
                let mut out = self.input.clone();
                screen::redact_interleaved(
                    &mut out,
                    1,
                    self.rate,
                    &self.verdict.redactions,
                    self.policy.fill,
                    self.policy.fade_ms,
                )?;
                Ok(Cow::Owned(out))
            }
        }
    }
}

/// Screens `audio` against every member of `store`.
unsafe fn screen_buffer(
    engine: *const vg_engine,
    store: *const vg_store,
    policy: *const vg_policy,
    audio: AudioBuf,
) -> FfiResult<vg_screening> {
    // SAFETY: handles are NULL or live (caller contract); the policy may be NULL.
    let (engine, policy) = unsafe { (handle(engine, "engine")?, policy.as_ref()) };
    let policy = vg_policy::get(policy)?;
    // SAFETY: as above.
    let prints = unsafe { Voiceprints::of(store) }?;
    let members: Vec<Voiceprint<'_>> = prints
        .0
        .iter()
        .map(|(name, v)| Voiceprint { name, vector: v })
        .collect();
    let model = audio::at_model_rate(&engine.engine, &audio)?;
    let verdict = screen::screen_audio(&engine.engine, &model, &members, &policy, Path::new(BUFFER))?;
    Ok(vg_screening {
        verdict,
        input: audio.samples,
        rate: audio.rate.hz(),
        policy,
    })
}

/// Sets `*decision` to hold, runs `body` in the panic boundary, and only on
/// success writes the decision it returns.
unsafe fn with_decision(
    name: &'static str,
    decision: *mut vg_decision,
    body: impl FnOnce() -> FfiResult<vg_decision>,
) -> vg_result {
    if decision.is_null() {
        crate::boundary::set_last_error(format!("{name}: decision is NULL; pass a valid pointer"));
        return VG_RESULT_NULL_PARAMETER;
    }
    // SAFETY: decision is non-NULL and valid for writing (caller contract).
    // Written before anything else runs, so every failure leaves hold.
    unsafe { put(decision, VG_DECISION_HOLD) };
    let mut got = VG_DECISION_HOLD;
    let code = boundary(name, || {
        got = body()?;
        Ok(())
    });
    if code == VG_RESULT_OK {
        // SAFETY: as above.
        unsafe { put(decision, got) };
    }
    code
}

/// [`with_decision`] for a screening `body`; on success the screening goes
/// to `*out` when `out` is not NULL.
unsafe fn screen_entry(
    name: &'static str,
    decision: *mut vg_decision,
    out: *mut *mut vg_screening,
    body: impl FnOnce() -> FfiResult<vg_screening>,
) -> vg_result {
    let mut made = None;
    // SAFETY: forwarded caller contract.
    let code = unsafe {
        with_decision(name, decision, || {
            let s = body()?;
            let d = decision_code(s.verdict.decision);
            made = Some(s);
            Ok(d)
        })
    };
    if let (VG_RESULT_OK, Some(s), false) = (code, made, out.is_null()) {
        // SAFETY: out is non-NULL and valid for writing (caller contract).
        unsafe { put(out, Box::into_raw(Box::new(s))) };
    }
    code
}

/// Screens a buffer of mono float samples in [-1, 1] at `sample_rate` Hz
/// (4000-384000; resampled to 16 kHz inside) against every member of
/// `store`, with `policy` (NULL: the defaults).
///
/// `*decision` is set to `VG_DECISION_HOLD` on entry and changed only on
/// success, so any failure, a caught panic included, leaves hold. If `out`
/// is not NULL, on success it receives a new `vg_screening` with the spans
/// and the audio to release: free it with `vg_screening_free`.
///
/// Takes about 5-20 ms per second of audio on one core. Errors:
/// `VG_RESULT_NULL_PARAMETER` (`engine`, `store`, `samples`, `decision`);
/// `VG_RESULT_INVALID_INPUT` for an empty buffer, NaN or infinite samples,
/// a 0 Hz rate or a misaligned buffer; `VG_RESULT_LIMIT_EXCEEDED` for a rate
/// out of range or more than 4 hours. Thread-safe: screen from several
/// threads with one engine and one store.
#[no_mangle]
#[allow(clippy::too_many_arguments)] // the C signature: handles, audio, decision, result
pub unsafe extern "C" fn vg_screen_f32(
    engine: *const vg_engine,
    store: *const vg_store,
    policy: *const vg_policy,
    samples_: *const f32,
    n_samples: usize,
    sample_rate: u32,
    decision: *mut vg_decision,
    out: *mut *mut vg_screening,
) -> vg_result {
    // SAFETY: pointers are NULL or valid per the contract above.
    unsafe {
        screen_entry("vg_screen_f32", decision, out, || {
            // The rate and length are checked before the buffer is touched.
            audio::check_rate(sample_rate, n_samples)?;
            let audio = audio::from_f32(samples(samples_, n_samples, "samples")?, sample_rate)?;
            screen_buffer(engine, store, policy, audio)
        })
    }
}

/// As `vg_screen_f32` for 16-bit PCM (`s / 32768` as float). Samples the
/// decision keeps are released bit for bit by `vg_screening_output_i16`.
#[no_mangle]
#[allow(clippy::too_many_arguments)] // the C signature: handles, audio, decision, result
pub unsafe extern "C" fn vg_screen_i16(
    engine: *const vg_engine,
    store: *const vg_store,
    policy: *const vg_policy,
    samples_: *const i16,
    n_samples: usize,
    sample_rate: u32,
    decision: *mut vg_decision,
    out: *mut *mut vg_screening,
) -> vg_result {
    // SAFETY: pointers are NULL or valid per the contract of vg_screen_f32.
    unsafe {
        screen_entry("vg_screen_i16", decision, out, || {
            audio::check_rate(sample_rate, n_samples)?;
            let audio = audio::from_i16(samples(samples_, n_samples, "samples")?, sample_rate)?;
            screen_buffer(engine, store, policy, audio)
        })
    }
}

/// Frees a screening. NULL is a no-op.
#[no_mangle]
pub unsafe extern "C" fn vg_screening_free(screening: *mut vg_screening) {
    // SAFETY: screening is NULL or made by vg_screen_* and not yet freed.
    unsafe { free_box(screening, "vg_screening_free") }
}

/// Writes the screening's decision to `*decision` (hold on any failure).
/// Thread-safe.
#[no_mangle]
pub unsafe extern "C" fn vg_screening_decision(
    screening: *const vg_screening,
    decision: *mut vg_decision,
) -> vg_result {
    // SAFETY: screening is NULL or live; decision NULL or valid.
    unsafe {
        with_decision("vg_screening_decision", decision, || {
            Ok(decision_code(handle(screening, "screening")?.verdict.decision))
        })
    }
}

/// Writes the reasons for the decision as `VG_REASON_*` bits to `*reasons`
/// (never 0). Thread-safe.
#[no_mangle]
pub unsafe extern "C" fn vg_screening_reasons(screening: *const vg_screening, reasons: *mut u32) -> vg_result {
    ffi_boundary!("vg_screening_reasons", {
        // SAFETY: screening NULL or live.
        let s = unsafe { handle(screening, "screening") }?;
        need_out(reasons, "reasons")?;
        let bits = s.verdict.reasons.iter().fold(0, |acc, r| acc | reason_bit(*r));
        // SAFETY: reasons checked non-NULL.
        unsafe { put(reasons, bits) };
        Ok(())
    })
}

/// Writes the number of spans to `*count` (0 only for a held clip whose
/// speech was never analysed). Thread-safe.
#[no_mangle]
pub unsafe extern "C" fn vg_screening_span_count(screening: *const vg_screening, count: *mut usize) -> vg_result {
    ffi_boundary!("vg_screening_span_count", {
        // SAFETY: screening NULL or live.
        let s = unsafe { handle(screening, "screening") }?;
        need_out(count, "count")?;
        // SAFETY: count checked non-NULL.
        unsafe { put(count, s.verdict.spans.len()) };
        Ok(())
    })
}

fn span_at(s: &vg_screening, index: usize) -> FfiResult<&screen::Span> {
    s.verdict.spans.get(index).ok_or_else(|| {
        Failure::invalid(format!(
            "span index is {index} but the screening has {} span(s)",
            s.verdict.spans.len()
        ))
    })
}

/// Writes span `index` (0 to count - 1, in time order) to `*span`. Thread-safe.
#[no_mangle]
pub unsafe extern "C" fn vg_screening_span(
    screening: *const vg_screening,
    index: usize,
    span: *mut vg_span,
) -> vg_result {
    ffi_boundary!("vg_screening_span", {
        // SAFETY: screening NULL or live.
        let s = unsafe { handle(screening, "screening") }?;
        need_out(span, "span")?;
        let sp = span_at(s, index)?;
        let v = vg_span {
            start_s: sp.start_s,
            end_s: sp.end_s,
            start_sample: s.to_sample(sp.start_s),
            end_sample: s.to_sample(sp.end_s),
            label: match sp.label {
                Label::Nonspeech => VG_LABEL_NONSPEECH,
                Label::Member(_) => VG_LABEL_MEMBER,
                Label::Other => VG_LABEL_OTHER,
                Label::Uncertain => VG_LABEL_UNCERTAIN,
            },
            redacted: sp.action == Action::Redact,
            score: sp.score.unwrap_or(f32::NAN),
        };
        // SAFETY: span checked non-NULL.
        unsafe { put(span, v) };
        Ok(())
    })
}

/// Copies the member name of span `index` (label `VG_LABEL_MEMBER`) into
/// `buf` with the header's string conventions; `VG_RESULT_INVALID_INPUT`
/// for a span of another label. Thread-safe.
#[no_mangle]
pub unsafe extern "C" fn vg_screening_span_member(
    screening: *const vg_screening,
    index: usize,
    buf: *mut c_char,
    len: usize,
    written: *mut usize,
) -> vg_result {
    ffi_boundary!("vg_screening_span_member", {
        // SAFETY: screening NULL or live.
        let s = unsafe { handle(screening, "screening") }?;
        match &span_at(s, index)?.label {
            // SAFETY: buf/written per the string convention.
            Label::Member(name) => unsafe { copy_str(name, buf, len, written) },
            other => Err(Failure::invalid(format!(
                "span {index} is labelled {other}, not a member's"
            ))),
        }
    })
}

/// Copies `values` into the caller's buffer `out` of `capacity` values,
/// converting each with `conv`; refuses NULL, too small or misaligned.
unsafe fn write_out<T, U>(out: *mut T, capacity: usize, values: &[U], conv: impl Fn(&U) -> T) -> FfiResult {
    if out.is_null() {
        return Err(Failure::null("out"));
    }
    if capacity < values.len() {
        return Err(Failure::new(
            VG_RESULT_BUFFER_TOO_SMALL,
            format!(
                "out holds {capacity} samples but the clip has {}; pass a buffer of at least {}",
                values.len(),
                values.len()
            ),
        ));
    }
    if !out.is_aligned() {
        return Err(Failure::invalid(format!(
            "out is not aligned to {} bytes; pass a properly aligned array",
            std::mem::align_of::<T>()
        )));
    }
    for (i, v) in values.iter().enumerate() {
        // SAFETY: out is non-NULL, aligned and valid for capacity >= values.len()
        // values (caller contract); writing through the raw pointer needs no
        // initialised memory and makes no reference to it.
        unsafe { out.add(i).write(conv(v)) };
    }
    Ok(())
}

/// Copies the audio to release into `out` (at least as many samples as the
/// screened buffer, at its rate) and writes that count to `*written`: the
/// input unchanged for `VG_DECISION_PASS`, the redacted copy for
/// `VG_DECISION_REDACT`. For a held clip returns `VG_RESULT_HELD` and writes
/// nothing. `out` may be the buffer that was screened. Errors:
/// `VG_RESULT_BUFFER_TOO_SMALL` (nothing written). Thread-safe.
#[no_mangle]
pub unsafe extern "C" fn vg_screening_output_f32(
    screening: *const vg_screening,
    out: *mut f32,
    capacity: usize,
    written: *mut usize,
) -> vg_result {
    ffi_boundary!("vg_screening_output_f32", {
        // SAFETY: screening NULL or live.
        let s = unsafe { handle(screening, "screening") }?;
        need_out(written, "written")?;
        let audio = s.output()?;
        // SAFETY: out valid for capacity floats (caller contract); written checked.
        unsafe {
            write_out(out, capacity, &audio, |x| *x)?;
            put(written, audio.len());
        }
        Ok(())
    })
}

/// As `vg_screening_output_f32` as 16-bit PCM (`round(x * 32768)`,
/// clipped). A buffer screened with `vg_screen_i16` comes back bit for bit
/// outside the redacted spans and their 10 ms fades.
#[no_mangle]
pub unsafe extern "C" fn vg_screening_output_i16(
    screening: *const vg_screening,
    out: *mut i16,
    capacity: usize,
    written: *mut usize,
) -> vg_result {
    ffi_boundary!("vg_screening_output_i16", {
        // SAFETY: screening NULL or live.
        let s = unsafe { handle(screening, "screening") }?;
        need_out(written, "written")?;
        let audio = s.output()?;
        // SAFETY: out valid for capacity int16 (caller contract); written checked.
        unsafe {
            write_out(out, capacity, &audio, |x| audio::to_i16(*x))?;
            put(written, audio.len());
        }
        Ok(())
    })
}

/// `"hold"`, `"pass"`, `"redact"` or `"unknown"`. Static string: do not
/// free. Thread-safe.
#[no_mangle]
pub extern "C" fn vg_decision_str(decision: vg_decision) -> *const c_char {
    let s: &'static CStr = match decision {
        VG_DECISION_HOLD => c"hold",
        VG_DECISION_PASS => c"pass",
        VG_DECISION_REDACT => c"redact",
        _ => c"unknown",
    };
    s.as_ptr()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::result::VG_RESULT_PANIC;

    #[test]
    fn a_panic_while_screening_leaves_hold() {
        let mut d: vg_decision = VG_DECISION_PASS;
        let mut out: *mut vg_screening = std::ptr::null_mut();
        // SAFETY: d and out are live locals.
        let code = unsafe { screen_entry("vg_test", &raw mut d, &raw mut out, || panic!("inside")) };
        assert_eq!(code, VG_RESULT_PANIC);
        assert_eq!(d, VG_DECISION_HOLD);
        assert!(out.is_null());
    }

    #[test]
    fn an_error_while_screening_leaves_hold() {
        let mut d: vg_decision = VG_DECISION_REDACT;
        // SAFETY: d is a live local; out may be NULL.
        let code = unsafe {
            screen_entry("vg_test", &raw mut d, std::ptr::null_mut(), || {
                Err(Failure::invalid("no"))
            })
        };
        assert_eq!(code, crate::result::VG_RESULT_INVALID_INPUT);
        assert_eq!(d, VG_DECISION_HOLD);
    }
}
