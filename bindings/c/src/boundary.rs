//! The panic boundary, this thread's last error, and checked access to the
//! pointers C passes in. Every `unsafe` block of the crate that touches a
//! caller pointer goes through the helpers here.

use crate::result::{
    code_of_kind, vg_result, VG_RESULT_BUFFER_TOO_SMALL, VG_RESULT_INVALID_INPUT, VG_RESULT_NULL_PARAMETER,
    VG_RESULT_OK, VG_RESULT_PANIC,
};
use std::cell::RefCell;
use std::ffi::{c_char, CStr};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::{Mutex, MutexGuard};

thread_local! {
    static LAST_ERROR: RefCell<String> = const { RefCell::new(String::new()) };
}

/// A failed call: the code it returns and the message `vg_last_error` gives.
#[derive(Debug)]
pub(crate) struct Failure {
    pub code: vg_result,
    pub message: String,
}

impl Failure {
    pub(crate) fn new(code: vg_result, message: impl Into<String>) -> Self {
        Failure {
            code,
            message: message.into(),
        }
    }

    pub(crate) fn invalid(message: impl Into<String>) -> Self {
        Failure::new(VG_RESULT_INVALID_INPUT, message)
    }

    pub(crate) fn null(what: &str) -> Self {
        Failure::new(
            VG_RESULT_NULL_PARAMETER,
            format!("{what} is NULL; pass a valid pointer"),
        )
    }
}

impl From<voiceguard_core::Error> for Failure {
    fn from(e: voiceguard_core::Error) -> Self {
        Failure::new(code_of_kind(e.kind()), e.to_string())
    }
}

pub(crate) type FfiResult<T = ()> = Result<T, Failure>;

/// Replaces this thread's last error message.
pub(crate) fn set_last_error(message: String) {
    // try_with: during thread teardown the slot may be gone; the code still returns.
    let _ = LAST_ERROR.try_with(|l| {
        if let Ok(mut s) = l.try_borrow_mut() {
            *s = message;
        }
    });
}

/// A copy of this thread's last error message ("" if none).
pub(crate) fn last_error() -> String {
    LAST_ERROR
        .try_with(|l| l.try_borrow().map(|s| s.clone()).unwrap_or_default())
        .unwrap_or_default()
}

fn panic_text(payload: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_string()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "no message".to_string()
    }
}

/// Runs `body` of the function `name` inside `catch_unwind`: `Ok` is
/// `VG_RESULT_OK`; an error's code is returned and its message kept for
/// `vg_last_error`; a panic is `VG_RESULT_PANIC`.
///
/// `AssertUnwindSafe`: after a panic no value the body touched is used
/// again unchecked. Handles with mutable state keep it behind a `Mutex`
/// whose poisoning refuses later calls (see [`lock`]); the rest is read-only.
pub(crate) fn boundary(name: &'static str, body: impl FnOnce() -> FfiResult) -> vg_result {
    match catch_unwind(AssertUnwindSafe(body)) {
        Ok(Ok(())) => VG_RESULT_OK,
        Ok(Err(f)) => {
            set_last_error(format!("{name}: {}", f.message));
            f.code
        }
        Err(payload) => {
            let text = panic_text(payload.as_ref());
            // Dropping a payload can itself panic; keep that inside too.
            let _ = catch_unwind(AssertUnwindSafe(move || drop(payload)));
            set_last_error(format!(
                "{name}: panic inside voiceguard ({text}); this is a bug: treat the audio as unverified"
            ));
            VG_RESULT_PANIC
        }
    }
}

/// `ffi_boundary!("vg_x", { body })`: the body of every `extern "C"` function
/// (practice 13). The body returns `FfiResult<()>`.
macro_rules! ffi_boundary {
    ($name:literal, $body:block) => {
        $crate::boundary::boundary($name, || -> $crate::boundary::FfiResult { $body })
    };
}
pub(crate) use ffi_boundary;

/// Locks a handle's state; a poisoned lock (a panic while it was held)
/// refuses the call, since the state may be half-updated.
pub(crate) fn lock<'a, T>(m: &'a Mutex<T>, what: &str) -> FfiResult<MutexGuard<'a, T>> {
    m.lock().map_err(|_| {
        Failure::new(
            VG_RESULT_PANIC,
            format!("an earlier call panicked while using this {what}; free it and make a new one"),
        )
    })
}

/// A shared reference to the object behind a handle pointer.
///
/// # Safety
/// `p` is NULL or points to a live object made by this library and not yet freed.
pub(crate) unsafe fn handle<'a, T>(p: *const T, what: &str) -> FfiResult<&'a T> {
    // SAFETY: the caller guarantees p is NULL or valid; as_ref checks NULL.
    unsafe { p.as_ref() }.ok_or_else(|| Failure::null(what))
}

/// Frees a handle made with `Box::into_raw`; NULL is a no-op. A panic in a
/// destructor is caught (and only recorded as the last error).
///
/// # Safety
/// `p` is NULL or came from `Box::into_raw` of this type and is not freed yet.
pub(crate) unsafe fn free_box<T>(p: *mut T, name: &'static str) {
    if p.is_null() {
        return;
    }
    let _ = boundary(name, || {
        // SAFETY: per this function's contract, p owns a live Box<T>.
        drop(unsafe { Box::from_raw(p) });
        Ok(())
    });
}

/// Fails with `VG_RESULT_NULL_PARAMETER` if the out-parameter `p` is NULL.
/// Call it before doing any work, then [`put`] on success.
pub(crate) fn need_out<T>(p: *mut T, what: &str) -> FfiResult {
    if p.is_null() {
        Err(Failure::null(what))
    } else {
        Ok(())
    }
}

/// Writes `v` through an out-parameter (unaligned writes are fine).
///
/// # Safety
/// `p` is non-NULL (checked with [`need_out`]) and valid for writing a `T`.
pub(crate) unsafe fn put<T>(p: *mut T, v: T) {
    debug_assert!(!p.is_null());
    // SAFETY: per this function's contract; write_unaligned neither reads
    // nor drops the old (possibly uninitialised) value.
    unsafe { p.write_unaligned(v) }
}

/// The `n` samples at `p` as a slice: refuses an empty buffer, NULL, a
/// misaligned pointer and a length whose byte size does not fit in memory.
///
/// # Safety
/// If `p` is non-NULL it points to at least `n` readable, initialised `T`
/// that nobody writes during the call.
pub(crate) unsafe fn samples<'a, T>(p: *const T, n: usize, what: &str) -> FfiResult<&'a [T]> {
    if n == 0 {
        return Err(Failure::invalid(format!(
            "{what} is empty (n_samples is 0); pass at least one sample"
        )));
    }
    if p.is_null() {
        return Err(Failure::null(what));
    }
    if !p.is_aligned() {
        return Err(Failure::invalid(format!(
            "{what} is not aligned to {} bytes; pass a properly aligned array",
            std::mem::align_of::<T>()
        )));
    }
    let max = isize::MAX.unsigned_abs() / std::mem::size_of::<T>().max(1);
    if n > max {
        return Err(Failure::invalid(format!(
            "n_samples of {what} is {n}, more than fits in memory ({max} at most)"
        )));
    }
    // SAFETY: p is non-NULL and aligned, n * size_of::<T>() <= isize::MAX,
    // and the caller guarantees n readable initialised values.
    Ok(unsafe { std::slice::from_raw_parts(p, n) })
}

/// A caller's NUL-terminated UTF-8 string.
///
/// # Safety
/// `p` is NULL or points to a NUL-terminated string valid during the call.
pub(crate) unsafe fn c_str<'a>(p: *const c_char, what: &str) -> FfiResult<&'a str> {
    if p.is_null() {
        return Err(Failure::null(what));
    }
    // SAFETY: non-NULL and NUL-terminated per the contract.
    let s = unsafe { CStr::from_ptr(p) };
    s.to_str()
        .map_err(|e| Failure::invalid(format!("{what} is not valid UTF-8 ({e}); pass UTF-8 text")))
}

/// A caller's NUL-terminated path (any bytes on Unix).
///
/// # Safety
/// As [`c_str`].
pub(crate) unsafe fn c_path<'a>(p: *const c_char, what: &str) -> FfiResult<&'a std::path::Path> {
    if p.is_null() {
        return Err(Failure::null(what));
    }
    // SAFETY: non-NULL and NUL-terminated per the contract.
    let bytes = unsafe { CStr::from_ptr(p) }.to_bytes();
    if bytes.is_empty() {
        return Err(Failure::invalid(format!("{what} is an empty string; pass a file path")));
    }
    #[cfg(unix)]
    {
        use std::os::unix::ffi::OsStrExt;
        Ok(std::path::Path::new(std::ffi::OsStr::from_bytes(bytes)))
    }
    #[cfg(not(unix))]
    {
        // SAFETY: as above.
        unsafe { c_str(p, what) }.map(std::path::Path::new)
    }
}

/// Copies `s` and a terminating NUL into `buf` of `len` bytes and writes the
/// string length (without the NUL) to `written`. `buf = NULL, len = 0` only
/// asks for the length. Too small a buffer is `VG_RESULT_BUFFER_TOO_SMALL`
/// and nothing is written.
///
/// # Safety
/// `buf` is NULL or valid for writing `len` bytes; `written` is NULL or
/// valid for writing a `usize`.
pub(crate) unsafe fn copy_str(s: &str, buf: *mut c_char, len: usize, written: *mut usize) -> FfiResult {
    need_out(written, "written")?;
    if buf.is_null() {
        if len == 0 {
            // SAFETY: written checked non-NULL.
            unsafe { put(written, s.len()) };
            return Ok(());
        }
        return Err(Failure::null("buf (with len > 0)"));
    }
    if s.len() >= len {
        return Err(Failure::new(
            VG_RESULT_BUFFER_TOO_SMALL,
            format!(
                "the buffer holds {len} bytes but {} are needed (the text and its NUL)",
                s.len() + 1
            ),
        ));
    }
    // SAFETY: buf is valid for len > s.len() bytes; the source is a distinct
    // Rust string, so the ranges do not overlap.
    unsafe {
        std::ptr::copy_nonoverlapping(s.as_ptr(), buf.cast::<u8>(), s.len());
        buf.add(s.len()).write(0);
        put(written, s.len());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::result::VG_RESULT_INVALID_INPUT;

    #[test]
    fn a_panic_becomes_a_code_and_a_message() {
        let code = boundary("vg_test", || panic!("boom {}", 42));
        assert_eq!(code, VG_RESULT_PANIC);
        let msg = last_error();
        assert!(msg.starts_with("vg_test: panic inside voiceguard (boom 42)"), "{msg}");
    }

    #[test]
    fn an_error_keeps_its_code_and_message_and_success_leaves_it() {
        let code = boundary("vg_test", || Err(Failure::invalid("bad thing")));
        assert_eq!(code, VG_RESULT_INVALID_INPUT);
        assert_eq!(last_error(), "vg_test: bad thing");
        assert_eq!(boundary("vg_test", || Ok(())), VG_RESULT_OK);
        assert_eq!(last_error(), "vg_test: bad thing");
    }

    #[test]
    fn a_poisoned_handle_refuses_later_calls() {
        let m = Mutex::new(1);
        let code = boundary("vg_test", || {
            let _g = lock(&m, "store")?;
            panic!("while locked")
        });
        assert_eq!(code, VG_RESULT_PANIC);
        let again = boundary("vg_test", || lock(&m, "store").map(|_| ()));
        assert_eq!(again, VG_RESULT_PANIC);
        assert!(last_error().contains("free it and make a new one"));
    }

    #[test]
    fn strings_are_copied_only_when_they_fit() {
        let mut buf = [0x55 as c_char; 6];
        let mut n = 99usize;
        // SAFETY: buf and n are live locals of the sizes given.
        unsafe {
            assert!(copy_str("hello!", buf.as_mut_ptr(), buf.len(), &raw mut n).is_err());
            assert_eq!(n, 99);
            assert_eq!(buf[0], 0x55);
            copy_str("hello!", std::ptr::null_mut(), 0, &raw mut n).unwrap();
            assert_eq!(n, 6);
            copy_str("hello", buf.as_mut_ptr(), buf.len(), &raw mut n).unwrap();
            assert_eq!(n, 5);
            assert_eq!(CStr::from_ptr(buf.as_ptr()).to_str().unwrap(), "hello");
        }
    }

    #[test]
    fn bad_sample_buffers_are_refused() {
        let x = [0.0f32; 4];
        // SAFETY: x is live; the refused cases never read.
        unsafe {
            assert_eq!(samples(x.as_ptr(), 0, "s").unwrap_err().code, VG_RESULT_INVALID_INPUT);
            assert_eq!(
                samples(std::ptr::null::<f32>(), 3, "s").unwrap_err().code,
                VG_RESULT_NULL_PARAMETER
            );
            let mis = x.as_ptr().cast::<u8>().add(1).cast::<f32>();
            assert_eq!(samples(mis, 1, "s").unwrap_err().code, VG_RESULT_INVALID_INPUT);
            assert_eq!(
                samples(x.as_ptr(), usize::MAX / 2, "s").unwrap_err().code,
                VG_RESULT_INVALID_INPUT
            );
            assert_eq!(samples(x.as_ptr(), 4, "s").unwrap().len(), 4);
        }
    }
}
