//! `vg_store`: a household's encrypted voiceprint file.

use crate::boundary::{
    c_path, c_str, copy_str, ffi_boundary, free_box, handle, lock, need_out, put, Failure, FfiResult,
};
use crate::engine::vg_engine;
use crate::result::vg_result;
use std::ffi::c_char;
use std::sync::Mutex;
use voiceguard_core::voiceprint::{Access, Member, StoreKey, VoiceprintStore, KEY_LEN};
use zeroize::Zeroizing;

/// An open household store: the members' voiceprints, decrypted in memory
/// (wiped when freed) and locked on disk (shared lock for reading, exclusive
/// for writing; a second writer, in this process or another, gets
/// `VG_RESULT_BUSY`). Thread-safe (calls are serialised). Free with
/// `vg_store_free`, which releases the lock.
pub struct vg_store {
    pub(crate) store: Mutex<VoiceprintStore>,
    /// Opened with `VG_STORE_WRITE` or `VG_STORE_CREATE`.
    pub(crate) writable: bool,
}

impl vg_store {
    /// Refuses a change to a store opened for reading, before anything changes.
    pub(crate) fn check_writable(&self) -> FfiResult {
        if self.writable {
            Ok(())
        } else {
            Err(Failure::invalid(
                "the store was opened with VG_STORE_READ; open it with VG_STORE_WRITE to change it",
            ))
        }
    }
}

/// Open an existing store for reading (screening, listing); shared lock.
pub const VG_STORE_READ: i32 = 0;
/// Open an existing store for writing (enroll, forget); exclusive lock.
pub const VG_STORE_WRITE: i32 = 1;
/// As `VG_STORE_WRITE`, creating an empty store if the file does not exist.
pub const VG_STORE_CREATE: i32 = 2;

/// One member's enrollment facts (`vg_store_member_info`).
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct vg_member_info {
    /// Utterances in the voiceprint.
    pub utterances: u32,
    /// Seconds of speech enrolled.
    pub speech_s: f32,
    /// Mean cosine of the utterances to the voiceprint, in [-1, 1].
    pub consistency: f32,
    /// Enrollment time, seconds since the Unix epoch (0 if unknown).
    pub created_unix: i64,
    /// Last update, seconds since the Unix epoch.
    pub updated_unix: i64,
}

/// Opens the store at `path` with the 32-byte `key` (`key_len` must be 32)
/// for the models of `engine`, in `mode` `VG_STORE_READ`, `VG_STORE_WRITE`
/// or `VG_STORE_CREATE`. voiceguard keeps its own copy of the key (wiped when
/// the store is freed); keep yours as safe as the store.
///
/// On success writes a new handle to `*out`: free it with `vg_store_free`.
/// Errors: `VG_RESULT_NULL_PARAMETER`; `VG_RESULT_INVALID_INPUT` for a key
/// that is not 32 bytes or an unknown mode; `VG_RESULT_IO` if the file is
/// missing (READ, WRITE) or unreadable; `VG_RESULT_AUTH` for a wrong key or
/// a modified file; `VG_RESULT_UNSUPPORTED_FORMAT` for a damaged header;
/// `VG_RESULT_MODEL_MISMATCH` for a store made with another model;
/// `VG_RESULT_BUSY` if locked. Nothing is overwritten on failure. Thread-safe.
#[no_mangle]
pub unsafe extern "C" fn vg_store_open(
    engine: *const vg_engine,
    path: *const c_char,
    key: *const u8,
    key_len: usize,
    mode: i32,
    out: *mut *mut vg_store,
) -> vg_result {
    ffi_boundary!("vg_store_open", {
        // SAFETY: handles, strings and the key are NULL or valid (caller contract).
        let (engine, path) = unsafe { (handle(engine, "engine")?, c_path(path, "path")?) };
        if key.is_null() {
            return Err(Failure::null("key"));
        }
        need_out(out, "out")?;
        if key_len != KEY_LEN {
            return Err(Failure::invalid(format!(
                "key_len is {key_len}; a store key is exactly {KEY_LEN} random bytes"
            )));
        }
        // SAFETY: key is non-NULL and valid for key_len == 32 bytes (u8 needs no alignment).
        let key_bytes = Zeroizing::new(unsafe { std::slice::from_raw_parts(key, key_len) }.to_vec());
        let key = StoreKey::from_bytes(&key_bytes)?;
        let encoder = engine.engine.encoder();
        let store = match mode {
            VG_STORE_READ => VoiceprintStore::open(path, key, encoder.model_id(), Access::Read)?,
            VG_STORE_WRITE => VoiceprintStore::open(path, key, encoder.model_id(), Access::Write)?,
            VG_STORE_CREATE => VoiceprintStore::open_or_create(path, key, encoder.model_id(), encoder.dim())?,
            m => {
                return Err(Failure::invalid(format!(
                    "mode is {m}; use VG_STORE_READ (0), VG_STORE_WRITE (1) or VG_STORE_CREATE (2)"
                )))
            }
        };
        let h = Box::new(vg_store {
            store: Mutex::new(store),
            writable: mode != VG_STORE_READ,
        });
        // SAFETY: out checked non-NULL.
        unsafe { put(out, Box::into_raw(h)) };
        Ok(())
    })
}

/// Frees a store: wipes the voiceprints from memory and releases the lock.
/// NULL is a no-op.
#[no_mangle]
pub unsafe extern "C" fn vg_store_free(store: *mut vg_store) {
    // SAFETY: store is NULL or made by vg_store_open and not yet freed.
    unsafe { free_box(store, "vg_store_free") }
}

/// Runs `f` on the locked store behind a handle.
unsafe fn with_store<T>(store: *const vg_store, f: impl FnOnce(&mut VoiceprintStore) -> FfiResult<T>) -> FfiResult<T> {
    // SAFETY: store is NULL or a live handle (caller contract).
    let h = unsafe { handle(store, "store") }?;
    let mut guard = lock(&h.store, "store")?;
    f(&mut guard)
}

fn member_at(store: &VoiceprintStore, index: usize) -> FfiResult<&Member> {
    let members = store.members();
    members.get(index).ok_or_else(|| {
        Failure::invalid(format!(
            "index is {index} but the store has {} member(s); use 0 to {}",
            members.len(),
            members.len().saturating_sub(1)
        ))
    })
}

/// Writes the number of enrolled members to `*count`. Thread-safe.
#[no_mangle]
pub unsafe extern "C" fn vg_store_member_count(store: *const vg_store, count: *mut usize) -> vg_result {
    ffi_boundary!("vg_store_member_count", {
        need_out(count, "count")?;
        // SAFETY: store is NULL or live; count checked non-NULL.
        unsafe {
            let n = with_store(store, |s| Ok(s.members().len()))?;
            put(count, n);
        }
        Ok(())
    })
}

/// Copies the name of member `index` (0 to count - 1, in enrollment order)
/// into `buf` with the header's string conventions. Thread-safe.
#[no_mangle]
pub unsafe extern "C" fn vg_store_member_name(
    store: *const vg_store,
    index: usize,
    buf: *mut c_char,
    len: usize,
    written: *mut usize,
) -> vg_result {
    ffi_boundary!("vg_store_member_name", {
        // SAFETY: store is NULL or live; buf/written per the string convention.
        unsafe { with_store(store, |s| copy_str(&member_at(s, index)?.name, buf, len, written)) }
    })
}

/// Writes member `index`'s enrollment facts to `*info`. Thread-safe.
#[no_mangle]
pub unsafe extern "C" fn vg_store_member_info(
    store: *const vg_store,
    index: usize,
    info: *mut vg_member_info,
) -> vg_result {
    ffi_boundary!("vg_store_member_info", {
        need_out(info, "info")?;
        // SAFETY: store is NULL or live; info checked non-NULL.
        unsafe {
            let v = with_store(store, |s| {
                let m = member_at(s, index)?;
                Ok(vg_member_info {
                    utterances: m.utterances,
                    speech_s: m.speech_s,
                    consistency: m.consistency,
                    created_unix: m.created_unix,
                    updated_unix: m.updated_unix,
                })
            })?;
            put(info, v);
        }
        Ok(())
    })
}

/// Removes member `name` and rewrites the file (right to erasure: no
/// ciphertext of the old content remains in it). The store must be open for
/// writing. Errors: `VG_RESULT_NOT_ENROLLED` if there is no such member;
/// `VG_RESULT_INVALID_INPUT` if opened with `VG_STORE_READ`; `VG_RESULT_IO`.
/// Thread-safe.
#[no_mangle]
pub unsafe extern "C" fn vg_store_forget(store: *mut vg_store, name: *const c_char) -> vg_result {
    ffi_boundary!("vg_store_forget", {
        // SAFETY: name is NULL or NUL-terminated; store is NULL or live.
        unsafe {
            let name = c_str(name, "name")?;
            handle(store.cast_const(), "store")?.check_writable()?;
            with_store(store, |s| Ok(s.forget(name)?))
        }
    })
}

/// The members' names and voiceprints, copied out (wiped on drop), so
/// screening does not hold the store's lock.
pub(crate) struct Voiceprints(pub Vec<(String, Zeroizing<Vec<f32>>)>);

impl Voiceprints {
    pub(crate) unsafe fn of(store: *const vg_store) -> FfiResult<Self> {
        // SAFETY: forwarded caller contract.
        unsafe {
            with_store(store, |s| {
                Ok(Voiceprints(
                    s.members()
                        .iter()
                        .map(|m| (m.name.clone(), Zeroizing::new(m.voiceprint.clone())))
                        .collect(),
                ))
            })
        }
    }
}

/// Store access for the enroller.
pub(crate) unsafe fn with_store_mut<T>(
    store: *mut vg_store,
    f: impl FnOnce(&mut VoiceprintStore) -> FfiResult<T>,
) -> FfiResult<T> {
    // SAFETY: forwarded caller contract.
    unsafe { with_store(store.cast_const(), f) }
}
