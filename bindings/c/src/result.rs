//! `vg_result`: the code every function returns, in stable numbered bands.

use voiceguard_core::ErrorKind;

/// What a call did: `VG_RESULT_OK` (0), or why it failed. The numbers are
/// stable; `code / 100` is the band (1 invalid input, 2 unsupported, 3 not
/// enrolled, 4 crypto/auth, 5 I/O, 6 limit exceeded, 7 internal, 8 panic).
/// New codes may be added inside a band. `vg_result_str` names a code,
/// `vg_last_error` gives this thread's detailed message.
#[allow(non_camel_case_types)]
pub type vg_result = i32;

/// Success.
pub const VG_RESULT_OK: vg_result = 0;

/// The input is wrong: bad argument, empty buffer, NaN or infinite samples,
/// too little speech, a misaligned buffer, a string that is not UTF-8.
/// Fix the input as the message says. (core `ErrorKind::InvalidInput`)
pub const VG_RESULT_INVALID_INPUT: vg_result = 100;
/// A pointer that must not be NULL was NULL. Nothing was done.
pub const VG_RESULT_NULL_PARAMETER: vg_result = 101;
/// A caller buffer is too small; the message says how large it must be
/// (for strings, pass `buf = NULL, len = 0` to ask for the length).
/// Nothing was written.
pub const VG_RESULT_BUFFER_TOO_SMALL: vg_result = 102;
/// The clip was held: there is no audio to release. Returned when asking a
/// held screening for its output; check the decision first.
pub const VG_RESULT_HELD: vg_result = 103;

/// The audio, file or store format cannot be read (a damaged store header
/// is one). (core `ErrorKind::UnsupportedFormat`)
pub const VG_RESULT_UNSUPPORTED_FORMAT: vg_result = 200;
/// A model file differs from its manifest, or a store was made with another
/// model. Use the model the data was made with. (core `ErrorKind::ModelMismatch`)
pub const VG_RESULT_MODEL_MISMATCH: vg_result = 201;

/// The member named is not enrolled in the store. (core `ErrorKind::NotEnrolled`)
pub const VG_RESULT_NOT_ENROLLED: vg_result = 300;

/// The store cannot be decrypted or authenticated: wrong key, or the file was
/// modified. Nothing was overwritten. (core `ErrorKind::Auth`)
pub const VG_RESULT_AUTH: vg_result = 400;

/// The operating system could not read or write a file. (core `ErrorKind::Io`)
pub const VG_RESULT_IO: vg_result = 500;
/// Another process (or another open handle) holds the store's lock: wait
/// for it, or free the other handle. (core `ErrorKind::Busy`)
pub const VG_RESULT_BUSY: vg_result = 501;

/// A safety limit was exceeded: sample rate outside 4000-384000 Hz, more
/// than 4 hours of audio. (core `ErrorKind::LimitExceeded`)
pub const VG_RESULT_LIMIT_EXCEEDED: vg_result = 600;

/// A bug or an unexpected failure inside voiceguard or the model runtime;
/// treat the audio as unverified. (core `ErrorKind::Internal`)
pub const VG_RESULT_INTERNAL: vg_result = 700;

/// A panic inside voiceguard was caught at the boundary (a bug). Decisions
/// are hold. A handle that was in use may refuse later calls with this
/// code: free it and make a new one.
pub const VG_RESULT_PANIC: vg_result = 800;

/// The C code of a core error kind: one code per kind.
pub(crate) fn code_of_kind(kind: ErrorKind) -> vg_result {
    match kind {
        ErrorKind::InvalidInput => VG_RESULT_INVALID_INPUT,
        ErrorKind::UnsupportedFormat => VG_RESULT_UNSUPPORTED_FORMAT,
        ErrorKind::ModelMismatch => VG_RESULT_MODEL_MISMATCH,
        ErrorKind::NotEnrolled => VG_RESULT_NOT_ENROLLED,
        ErrorKind::Io => VG_RESULT_IO,
        ErrorKind::LimitExceeded => VG_RESULT_LIMIT_EXCEEDED,
        ErrorKind::Auth => VG_RESULT_AUTH,
        ErrorKind::Busy => VG_RESULT_BUSY,
        // ErrorKind is #[non_exhaustive]: a kind added later is internal
        // here until it gets its own code (the table test below catches it).
        _ => VG_RESULT_INTERNAL,
    }
}

/// Name and meaning of a code, as a static NUL-terminated string.
pub(crate) fn result_str(code: vg_result) -> &'static std::ffi::CStr {
    match code {
        VG_RESULT_OK => c"VG_RESULT_OK: success",
        VG_RESULT_INVALID_INPUT => c"VG_RESULT_INVALID_INPUT: the input is wrong; fix it as vg_last_error says",
        VG_RESULT_NULL_PARAMETER => c"VG_RESULT_NULL_PARAMETER: a required pointer was NULL",
        VG_RESULT_BUFFER_TOO_SMALL => c"VG_RESULT_BUFFER_TOO_SMALL: the output buffer is too small",
        VG_RESULT_HELD => c"VG_RESULT_HELD: the clip was held; there is no audio to release",
        VG_RESULT_UNSUPPORTED_FORMAT => c"VG_RESULT_UNSUPPORTED_FORMAT: the format cannot be read",
        VG_RESULT_MODEL_MISMATCH => c"VG_RESULT_MODEL_MISMATCH: model files or data from another model",
        VG_RESULT_NOT_ENROLLED => c"VG_RESULT_NOT_ENROLLED: no such member in the store",
        VG_RESULT_AUTH => c"VG_RESULT_AUTH: the store cannot be decrypted: wrong key or modified file",
        VG_RESULT_IO => c"VG_RESULT_IO: a file could not be read or written",
        VG_RESULT_BUSY => c"VG_RESULT_BUSY: the store is locked by another process or handle",
        VG_RESULT_LIMIT_EXCEEDED => c"VG_RESULT_LIMIT_EXCEEDED: a safety limit was exceeded",
        VG_RESULT_INTERNAL => c"VG_RESULT_INTERNAL: internal error; treat the audio as unverified",
        VG_RESULT_PANIC => c"VG_RESULT_PANIC: a panic was caught; treat the audio as unverified",
        _ => c"unknown vg_result code",
    }
}

/// Every code, for tests.
#[cfg(test)]
pub(crate) const ALL: [vg_result; 15] = [
    VG_RESULT_OK,
    VG_RESULT_INVALID_INPUT,
    VG_RESULT_NULL_PARAMETER,
    VG_RESULT_BUFFER_TOO_SMALL,
    VG_RESULT_HELD,
    VG_RESULT_UNSUPPORTED_FORMAT,
    VG_RESULT_MODEL_MISMATCH,
    VG_RESULT_NOT_ENROLLED,
    VG_RESULT_AUTH,
    VG_RESULT_IO,
    VG_RESULT_BUSY,
    VG_RESULT_LIMIT_EXCEEDED,
    VG_RESULT_INTERNAL,
    VG_RESULT_PANIC,
    // Any other number.
    12_345,
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_error_kind_has_its_own_code_in_its_band() {
        let codes: Vec<vg_result> = ErrorKind::ALL.iter().map(|k| code_of_kind(*k)).collect();
        let mut distinct = codes.clone();
        distinct.sort_unstable();
        distinct.dedup();
        assert_eq!(distinct.len(), ErrorKind::ALL.len(), "{codes:?}");
        for (kind, code) in ErrorKind::ALL.iter().zip(&codes) {
            let band = match kind {
                ErrorKind::InvalidInput => 1,
                ErrorKind::UnsupportedFormat | ErrorKind::ModelMismatch => 2,
                ErrorKind::NotEnrolled => 3,
                ErrorKind::Auth => 4,
                ErrorKind::Io | ErrorKind::Busy => 5,
                ErrorKind::LimitExceeded => 6,
                _ => 7,
            };
            assert_eq!(code / 100, band, "{kind:?} -> {code}");
        }
    }

    #[test]
    fn readme_error_table_names_the_code_of_each_kind() {
        let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../README.md")).unwrap();
        for kind in ErrorKind::ALL {
            let row = readme
                .lines()
                .find(|l| l.starts_with(&format!("| `{kind:?}` |")))
                .unwrap_or_else(|| panic!("no README row for {kind:?}"));
            let c_cell = row.split('|').nth(4).unwrap().trim();
            let name = result_str(code_of_kind(kind))
                .to_str()
                .unwrap()
                .split(':')
                .next()
                .unwrap();
            let code = code_of_kind(kind);
            assert!(
                c_cell.starts_with(&format!("`{name}` {code}")),
                "README C column for {kind:?} is {c_cell:?}, expected `{name}` {code}"
            );
        }
    }

    #[test]
    fn every_code_has_a_string_naming_it() {
        for code in ALL {
            let s = result_str(code).to_str().unwrap();
            if code == 12_345 {
                assert_eq!(s, "unknown vg_result code");
            } else {
                assert!(s.starts_with("VG_RESULT_"), "{code}: {s}");
                assert_ne!(s, "unknown vg_result code");
            }
        }
    }
}
