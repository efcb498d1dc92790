//! # libvoiceguard: the C ABI of voiceguard
//!
//! This crate builds `libvoiceguard.so` and `libvoiceguard.a`; C callers
//! use `include/voiceguard.h`, generated from these sources by cbindgen
//! (pinned in `cbindgen.toml`'s comment and `.ci/run`). The header's top
//! comment is the reference for the conventions: result codes, out-parameters,
//! ownership and threads. `examples/screen_wav.c` shows the whole flow.
//!
//! ## Safety
//! All `unsafe` of voiceguard lives here (the core forbids it). Each block
//! says why it holds; the rules are:
//! - caller pointers go through `boundary::{handle, samples, c_str, c_path,
//!   copy_str, put}`, which reject NULL, misalignment and lengths that do not
//!   fit before making a reference, and write out-parameters unaligned;
//! - handles are `Box::into_raw` of a Rust value and `Box::from_raw` in
//!   their `_free` function only;
//! - every body runs in `boundary::boundary` (`catch_unwind`), so no panic
//!   unwinds into C; the release profile keeps `panic = "unwind"` for that.
//!
//! The `extern "C"` functions are `unsafe` (they trust the caller's
//! pointers); their safety contract is the header's, stated once in its top
//! comment rather than in a `# Safety` section per function.
#![allow(non_camel_case_types, clippy::missing_safety_doc)]

// The modules are declared in the order the header presents them
// (cbindgen follows it), hence one per group so rustfmt keeps the order.
mod result;

mod engine;

mod store;

mod enroll;

mod policy;

mod screen;

mod gate;

mod audio;
mod boundary;

pub use engine::*;
pub use enroll::*;
pub use gate::*;
pub use policy::*;
pub use result::*;
pub use screen::*;
pub use store::*;

use std::ffi::c_char;

/// The name and meaning of a result code, e.g.
/// `"VG_RESULT_AUTH: the store cannot be decrypted: wrong key or modified file"`;
/// `"unknown vg_result code"` for a number that is not one. Static string:
/// do not free. Thread-safe.
#[no_mangle]
pub extern "C" fn vg_result_str(code: vg_result) -> *const c_char {
    result::result_str(code).as_ptr()
}

/// Copies this thread's message about its last failed call (which function,
/// what was wrong, with values and units, and what to do) into `buf` with
/// the header's string conventions; "" if no call on this thread failed yet.
/// Successful calls leave the message as it was, so read it right after the
/// failure. Does not change the message itself, even when it fails.
/// Returns `VG_RESULT_NULL_PARAMETER` or `VG_RESULT_BUFFER_TOO_SMALL` (ask
/// with `buf = NULL, len = 0` for the length). Thread-safe (per thread).
#[no_mangle]
pub unsafe extern "C" fn vg_last_error(buf: *mut c_char, len: usize, written: *mut usize) -> vg_result {
    // Its own catch_unwind rather than ffi_boundary!: a failure here must not
    // replace the message it reports.
    let copy = std::panic::AssertUnwindSafe(|| {
        let message = boundary::last_error();
        // SAFETY: buf/written per the string convention (caller contract).
        match unsafe { boundary::copy_str(&message, buf, len, written) } {
            Ok(()) => VG_RESULT_OK,
            Err(f) => f.code,
        }
    });
    std::panic::catch_unwind(copy).unwrap_or(VG_RESULT_PANIC)
}

/// The library version, e.g. `"0.1.0"`. Static string: do not free. Thread-safe.
#[no_mangle]
pub extern "C" fn vg_version() -> *const c_char {
    const V: &str = concat!(env!("CARGO_PKG_VERSION"), "\0");
    V.as_ptr().cast()
}

/// Compile-time proof of the header's thread-safety claims.
const _: () = {
    const fn send_sync<T: Send + Sync>() {}
    send_sync::<vg_engine>();
    send_sync::<vg_store>();
    send_sync::<vg_policy>();
    send_sync::<vg_enroller>();
    send_sync::<vg_screening>();
};
