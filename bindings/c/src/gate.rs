//! The streaming gate: `vg_gate_*` holds a live stream back until its
//! speaker is verified and releases it with unverified speech silenced.

use crate::audio::to_i16;
use crate::boundary::{copy_str, ffi_boundary, free_box, handle, need_out, put, samples, Failure, FfiResult};
use crate::engine::vg_engine;
use crate::policy::vg_policy;
use crate::result::{vg_result, VG_RESULT_PANIC};
use crate::screen::{VG_LABEL_MEMBER, VG_LABEL_NONSPEECH, VG_LABEL_OTHER, VG_LABEL_UNCERTAIN};
use crate::store::{vg_store, Voiceprints};
use std::ffi::c_char;
use voiceguard_core::gate::{GateConfig, GatePlan, SpanLabel, StreamingGate};
use voiceguard_core::voiceprint::Member;

/// One stream's gate. Not thread-safe: one thread drives a gate (push,
/// process, pull, flush); make one gate per stream. The audio callback may
/// push and pull while only the same thread calls `vg_gate_process` later,
/// or push from the callback and run everything else on a worker only with
/// your own lock. Free with `vg_gate_free`.
pub struct vg_gate {
    gate: StreamingGate,
    /// Set while a call runs; still set after a caught panic, which makes
    /// every later call fail (the state may be half-updated).
    busy: bool,
}

/// A decided stretch of the stream, in seconds of input from its start.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct vg_gate_span {
    /// Start, seconds.
    pub start_s: f64,
    /// End, seconds (exclusive).
    pub end_s: f64,
    /// `VG_LABEL_*`: nonspeech and member stretches are released unchanged,
    /// other and uncertain speech is silenced.
    pub label: i32,
    /// For `VG_LABEL_MEMBER`, the member's index (`vg_gate_member_name`); else -1.
    pub member: i32,
    /// Best cosine to a member when decided, in [-1, 1]; NaN for non-speech
    /// or speech too short to score.
    pub score: f32,
}

/// Runs `f` on the gate behind `gate` (NULL or live), refusing a gate that
/// panicked before.
unsafe fn with_gate<T>(gate: *mut vg_gate, f: impl FnOnce(&mut StreamingGate) -> FfiResult<T>) -> FfiResult<T> {
    // SAFETY: gate is NULL or live and used by one thread (caller contract).
    let g = unsafe { gate.as_mut() }.ok_or_else(|| Failure::null("gate"))?;
    if g.busy {
        return Err(Failure::new(
            VG_RESULT_PANIC,
            "an earlier call panicked while using this gate; free it and make a new one",
        ));
    }
    g.busy = true;
    let r = f(&mut g.gate);
    g.busy = false;
    r
}

fn check_stream_rate(rate: u32) -> FfiResult {
    if rate == 16_000 {
        Ok(())
    } else {
        Err(Failure::invalid(format!(
            "sample_rate is {rate} Hz, but the gate takes 16000 Hz mono; capture at 16 kHz or resample first"
        )))
    }
}

/// Makes a gate for one stream from `engine`, a snapshot of `store`'s
/// members now (later enrollments need a new gate) and `policy` (NULL: the
/// defaults; uncertain speech is silenced in a stream, never held).
/// `latency_s` is the fixed delay in seconds (1-60; 0 means the default, 4.0).
///
/// On success writes a new handle to `*out`: free it with `vg_gate_free`.
/// Allocates every buffer the stream needs now; memory does not grow with
/// the stream's length. An empty store is allowed: all speech is silenced.
/// Errors: `VG_RESULT_NULL_PARAMETER` (`engine`, `store`, `out`);
/// `VG_RESULT_INVALID_INPUT` for a latency out of range. Thread-safe.
#[no_mangle]
pub unsafe extern "C" fn vg_gate_new(
    engine: *const vg_engine,
    store: *const vg_store,
    policy: *const vg_policy,
    latency_s: f32,
    out: *mut *mut vg_gate,
) -> vg_result {
    ffi_boundary!("vg_gate_new", {
        need_out(out, "out")?;
        // SAFETY: handles are NULL or live (caller contract); the policy may be NULL.
        let (engine, policy) = unsafe { (handle(engine, "engine")?, policy.as_ref()) };
        let policy = vg_policy::get(policy)?;
        // SAFETY: as above.
        let prints = unsafe { Voiceprints::of(store) }?;
        let members = prints
            .0
            .iter()
            .map(|(name, v)| Member {
                name: name.clone(),
                voiceprint: v.to_vec(),
                utterances: 0,
                speech_s: 0.0,
                consistency: 0.0,
                created_unix: 0,
                updated_unix: 0,
            })
            .collect();
        let config = if latency_s == 0.0 {
            GateConfig::default()
        } else {
            GateConfig::for_latency(latency_s, policy.window_s)
        };
        let plan = GatePlan::new(engine.engine.clone(), members, policy, config)?;
        let gate = StreamingGate::new(plan)?;
        // SAFETY: out checked non-NULL; the caller owns the new box.
        unsafe { put(out, Box::into_raw(Box::new(vg_gate { gate, busy: false }))) };
        Ok(())
    })
}

/// Frees a gate. NULL is a no-op.
#[no_mangle]
pub unsafe extern "C" fn vg_gate_free(gate: *mut vg_gate) {
    // SAFETY: gate is NULL or made by vg_gate_new and not yet freed.
    unsafe { free_box(gate, "vg_gate_free") }
}

/// Writes the fixed delay in samples to `*latency`: output sample n is
/// input sample n - latency (the first `latency` output samples are zeros).
#[no_mangle]
pub unsafe extern "C" fn vg_gate_latency_samples(gate: *const vg_gate, latency: *mut usize) -> vg_result {
    ffi_boundary!("vg_gate_latency_samples", {
        // SAFETY: gate NULL or live.
        let g = unsafe { handle(gate, "gate") }?;
        need_out(latency, "latency")?;
        // SAFETY: latency checked non-NULL.
        unsafe { put(latency, g.gate.latency_samples()) };
        Ok(())
    })
}

/// Copies mono float samples at 16000 Hz into the gate and writes how many
/// were taken to `*accepted` (fewer only when the gate's input buffer is
/// full: call `vg_gate_process` and `vg_gate_pull_*`, then push the rest).
/// Copies only: no allocation, no lock, no model run, so an audio callback
/// may call it. NaN or infinite samples are taken as 0. Errors:
/// `VG_RESULT_NULL_PARAMETER`; `VG_RESULT_INVALID_INPUT` for another rate
/// or 0 samples. Not thread-safe (one thread per gate).
#[no_mangle]
pub unsafe extern "C" fn vg_gate_push_f32(
    gate: *mut vg_gate,
    samples_: *const f32,
    n_samples: usize,
    sample_rate: u32,
    accepted: *mut usize,
) -> vg_result {
    ffi_boundary!("vg_gate_push_f32", {
        need_out(accepted, "accepted")?;
        check_stream_rate(sample_rate)?;
        // SAFETY: samples_ NULL or valid for n_samples floats; gate NULL or live.
        let n = unsafe {
            let x = samples(samples_, n_samples, "samples")?;
            with_gate(gate, |g| Ok(g.push(x)))?
        };
        // SAFETY: accepted checked non-NULL.
        unsafe { put(accepted, n) };
        Ok(())
    })
}

/// As `vg_gate_push_f32` for 16-bit PCM (`s / 32768`); no allocation.
#[no_mangle]
pub unsafe extern "C" fn vg_gate_push_i16(
    gate: *mut vg_gate,
    samples_: *const i16,
    n_samples: usize,
    sample_rate: u32,
    accepted: *mut usize,
) -> vg_result {
    ffi_boundary!("vg_gate_push_i16", {
        need_out(accepted, "accepted")?;
        check_stream_rate(sample_rate)?;
        // SAFETY: samples_ NULL or valid for n_samples values; gate NULL or live.
        let n = unsafe {
            let x = samples(samples_, n_samples, "samples")?;
            with_gate(gate, |g| {
                let mut buf = [0.0f32; 256];
                let mut done = 0;
                for chunk in x.chunks(buf.len()) {
                    for (b, &s) in buf.iter_mut().zip(chunk) {
                        *b = f32::from(s) / 32768.0;
                    }
                    let n = g.push(&buf[..chunk.len()]);
                    done += n;
                    if n < chunk.len() {
                        break;
                    }
                }
                Ok(done)
            })?
        };
        // SAFETY: accepted checked non-NULL.
        unsafe { put(accepted, n) };
        Ok(())
    })
}

/// Runs the VAD, the speaker model and the decisions on what was pushed
/// (the compute: about 2-4 % of real time on one core; it allocates inside
/// the model runtime, so run it outside an audio callback). If `released`
/// is not NULL, writes how many output samples became available. On an
/// error the stretch it was deciding is silenced (fail closed) and the
/// gate stays usable. Errors: `VG_RESULT_NULL_PARAMETER`;
/// `VG_RESULT_INTERNAL` for a model failure.
#[no_mangle]
pub unsafe extern "C" fn vg_gate_process(gate: *mut vg_gate, released: *mut usize) -> vg_result {
    ffi_boundary!("vg_gate_process", {
        // SAFETY: gate NULL or live.
        let n = unsafe { with_gate(gate, |g| Ok(g.process()?)) }?;
        if !released.is_null() {
            // SAFETY: released is non-NULL and valid (caller contract).
            unsafe { put(released, n) };
        }
        Ok(())
    })
}

/// Copies up to `capacity` released samples (float, 16000 Hz) to `out` and
/// writes the count to `*written` (0 when nothing is decided yet).
/// No allocation, no lock.
#[no_mangle]
pub unsafe extern "C" fn vg_gate_pull_f32(
    gate: *mut vg_gate,
    out: *mut f32,
    capacity: usize,
    written: *mut usize,
) -> vg_result {
    ffi_boundary!("vg_gate_pull_f32", {
        need_out(written, "written")?;
        need_out(out, "out")?;
        if !out.is_aligned() {
            return Err(Failure::invalid("out is not aligned to 4 bytes; pass a float array"));
        }
        // SAFETY: out is non-NULL, aligned and valid for capacity floats (caller contract).
        let buf = unsafe { std::slice::from_raw_parts_mut(out, capacity) };
        // SAFETY: gate NULL or live.
        let n = unsafe { with_gate(gate, |g| Ok(g.pull(buf))) }?;
        // SAFETY: written checked non-NULL.
        unsafe { put(written, n) };
        Ok(())
    })
}

/// As `vg_gate_pull_f32` for 16-bit PCM: samples pushed as `int16` and
/// released unchanged come out bit for bit. No allocation.
#[no_mangle]
pub unsafe extern "C" fn vg_gate_pull_i16(
    gate: *mut vg_gate,
    out: *mut i16,
    capacity: usize,
    written: *mut usize,
) -> vg_result {
    ffi_boundary!("vg_gate_pull_i16", {
        need_out(written, "written")?;
        need_out(out, "out")?;
        if !out.is_aligned() {
            return Err(Failure::invalid("out is not aligned to 2 bytes; pass an int16_t array"));
        }
        // SAFETY: out is non-NULL, aligned and valid for capacity values (caller contract).
        let dst = unsafe { std::slice::from_raw_parts_mut(out, capacity) };
        // SAFETY: gate NULL or live.
        let n = unsafe {
            with_gate(gate, |g| {
                let mut buf = [0.0f32; 256];
                let mut done = 0;
                while done < dst.len() {
                    let want = (dst.len() - done).min(buf.len());
                    let n = g.pull(&mut buf[..want]);
                    for (d, &x) in dst[done..done + n].iter_mut().zip(&buf[..n]) {
                        *d = to_i16(x);
                    }
                    done += n;
                    if n < want {
                        break;
                    }
                }
                Ok(done)
            })
        }?;
        // SAFETY: written checked non-NULL.
        unsafe { put(written, n) };
        Ok(())
    })
}

/// Ends the stream: decides everything pushed, so the pulls can drain it
/// all (latency + pushed samples in all). Pushes are refused (0 accepted)
/// until `vg_gate_reset`.
#[no_mangle]
pub unsafe extern "C" fn vg_gate_flush(gate: *mut vg_gate) -> vg_result {
    ffi_boundary!("vg_gate_flush", {
        // SAFETY: gate NULL or live.
        unsafe { with_gate(gate, |g| Ok(g.flush()?)) }
    })
}

/// Forgets the stream (the next push is sample 0); keeps the buffers.
#[no_mangle]
pub unsafe extern "C" fn vg_gate_reset(gate: *mut vg_gate) -> vg_result {
    ffi_boundary!("vg_gate_reset", {
        // SAFETY: gate NULL or live.
        unsafe {
            with_gate(gate, |g| {
                g.reset();
                Ok(())
            })
        }
    })
}

/// Takes the oldest decided span not read yet: writes it to `*span` and
/// true to `*got`, or false to `*got` when there is none. The gate keeps
/// the newest 1024 unread spans; older ones are dropped
/// (`vg_gate_dropped_spans` counts them).
#[no_mangle]
pub unsafe extern "C" fn vg_gate_next_span(gate: *mut vg_gate, span: *mut vg_gate_span, got: *mut bool) -> vg_result {
    ffi_boundary!("vg_gate_next_span", {
        need_out(span, "span")?;
        need_out(got, "got")?;
        // SAFETY: gate NULL or live.
        let e = unsafe { with_gate(gate, |g| Ok(g.pop_span())) }?;
        if let Some(e) = e {
            let (label, member) = match e.label {
                SpanLabel::Member(i) => (VG_LABEL_MEMBER, i32::try_from(i).unwrap_or(-1)),
                SpanLabel::Other => (VG_LABEL_OTHER, -1),
                SpanLabel::Uncertain => (VG_LABEL_UNCERTAIN, -1),
                SpanLabel::Nonspeech => (VG_LABEL_NONSPEECH, -1),
            };
            let s = vg_gate_span {
                start_s: e.start_s,
                end_s: e.end_s,
                label,
                member,
                score: e.score.unwrap_or(f32::NAN),
            };
            // SAFETY: span checked non-NULL.
            unsafe { put(span, s) };
        }
        // SAFETY: got checked non-NULL.
        unsafe { put(got, e.is_some()) };
        Ok(())
    })
}

/// Writes the number of spans dropped unread so far to `*dropped`.
#[no_mangle]
pub unsafe extern "C" fn vg_gate_dropped_spans(gate: *const vg_gate, dropped: *mut u64) -> vg_result {
    ffi_boundary!("vg_gate_dropped_spans", {
        // SAFETY: gate NULL or live.
        let g = unsafe { handle(gate, "gate") }?;
        need_out(dropped, "dropped")?;
        // SAFETY: dropped checked non-NULL.
        unsafe { put(dropped, g.gate.stats().dropped_spans) };
        Ok(())
    })
}

/// Copies the name of member `index` (from `vg_gate_span.member`) as a
/// NUL-terminated string into `buf` of `len` bytes; `*written` (if not NULL)
/// gets the length without the NUL. `VG_RESULT_BUFFER_TOO_SMALL` (with the
/// needed length in `*written`) if it does not fit; `VG_RESULT_INVALID_INPUT`
/// for an index that is not a member.
#[no_mangle]
pub unsafe extern "C" fn vg_gate_member_name(
    gate: *const vg_gate,
    index: i32,
    buf: *mut c_char,
    len: usize,
    written: *mut usize,
) -> vg_result {
    ffi_boundary!("vg_gate_member_name", {
        // SAFETY: gate NULL or live.
        let g = unsafe { handle(gate, "gate") }?;
        let plan = g.gate.plan();
        let name = usize::try_from(index)
            .ok()
            .and_then(|i| plan.member_name(i))
            .ok_or_else(|| {
                Failure::invalid(format!(
                    "member index {index} is not one of the gate's {} members",
                    plan.member_count()
                ))
            })?;
        // SAFETY: buf valid for len bytes or NULL; written NULL or valid.
        unsafe { copy_str(name, buf, len, written) }
    })
}
