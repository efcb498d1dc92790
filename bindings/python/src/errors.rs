//! The exception hierarchy: one `VoiceguardError` subclass per core
//! [`ErrorKind`], and the one place where core errors become Python ones.
//!
//! | `ErrorKind` | exception |
//! |---|---|
//! | `InvalidInput` | `InvalidInputError` (subclasses: `InvalidAudioError` for unusable audio or too little speech, `EnrollmentError` when enrollment refuses the utterances) |
//! | `UnsupportedFormat` | `UnsupportedFormatError` |
//! | `ModelMismatch` | `ModelMismatchError` |
//! | `NotEnrolled` | `NotEnrolledError` |
//! | `Io` | `FileIOError` |
//! | `LimitExceeded` | `LimitExceededError` |
//! | `Auth` | `StoreAuthError` |
//! | `Busy` | `StoreBusyError` |
//! | `Internal` | `InternalError` |
//!
//! Every class carries a `kind` class attribute with the core's snake_case
//! name of the kind (`"invalid_input"`, ...), as the CLI's JSON errors do.

use pyo3::exceptions::PyException;
use pyo3::prelude::*;
use pyo3::{create_exception, PyTypeInfo};
use voiceguard::{Error, ErrorKind};

create_exception!(
    voiceguard,
    VoiceguardError,
    PyException,
    "Base class of every error voiceguard raises. `kind` names the core's error kind; the message says what was wrong and what to do."
);
create_exception!(
    voiceguard,
    InvalidInputError,
    VoiceguardError,
    "A bad argument or unusable input (kind `invalid_input`): fix the input as the message says."
);
create_exception!(
    voiceguard,
    InvalidAudioError,
    InvalidInputError,
    "Audio that cannot be used: empty, NaN or infinite samples, or too little speech (kind `invalid_input`)."
);
create_exception!(
    voiceguard,
    EnrollmentError,
    InvalidInputError,
    "Enrollment wrote nothing because of the utterances (too little accepted speech, or another voice than the member's); `.report` is the EnrollmentReport with every utterance's findings (kind `invalid_input`)."
);
create_exception!(
    voiceguard,
    UnsupportedFormatError,
    VoiceguardError,
    "Not WAV/FLAC/OGG/MP3, a damaged file, or a damaged store header (kind `unsupported_format`): convert the file to WAV."
);
create_exception!(
    voiceguard,
    ModelMismatchError,
    VoiceguardError,
    "A model file differs from its manifest, or data (a store) was made with another model (kind `model_mismatch`)."
);
create_exception!(
    voiceguard,
    NotEnrolledError,
    VoiceguardError,
    "The member named is not enrolled in the store (kind `not_enrolled`): enroll it first, or check `Store.members()`."
);
create_exception!(
    voiceguard,
    FileIOError,
    VoiceguardError,
    "The operating system could not read or write a file (kind `io`): check the path, permissions and free space."
);
create_exception!(
    voiceguard,
    LimitExceededError,
    VoiceguardError,
    "Duration, channels or sample rate beyond the safety limits (kind `limit_exceeded`): split or resample the input."
);
create_exception!(
    voiceguard,
    StoreAuthError,
    VoiceguardError,
    "The store cannot be decrypted: wrong key, or the file was modified (kind `auth`). Nothing was overwritten."
);
create_exception!(
    voiceguard,
    StoreBusyError,
    VoiceguardError,
    "Another process (or another open Store) holds the store's lock (kind `busy`): close it or wait."
);
create_exception!(
    voiceguard,
    InternalError,
    VoiceguardError,
    "A bug inside voiceguard or its model runtime (kind `internal`): report it, and treat the audio as unverified."
);

/// The exception class of a core error kind.
fn class_of(py: Python<'_>, kind: ErrorKind) -> Bound<'_, pyo3::types::PyType> {
    match kind {
        ErrorKind::InvalidInput => InvalidInputError::type_object(py),
        ErrorKind::UnsupportedFormat => UnsupportedFormatError::type_object(py),
        ErrorKind::ModelMismatch => ModelMismatchError::type_object(py),
        ErrorKind::NotEnrolled => NotEnrolledError::type_object(py),
        ErrorKind::Io => FileIOError::type_object(py),
        ErrorKind::LimitExceeded => LimitExceededError::type_object(py),
        ErrorKind::Auth => StoreAuthError::type_object(py),
        ErrorKind::Busy => StoreBusyError::type_object(py),
        ErrorKind::Internal => InternalError::type_object(py),
        // A kind added to the core later: still a VoiceguardError.
        _ => VoiceguardError::type_object(py),
    }
}

/// Converts a core error into the exception of its kind, with the core's
/// message. Lazy: needs no GIL until the error is raised.
pub fn to_py(e: &Error) -> PyErr {
    let msg = e.to_string();
    if matches!(e, Error::InvalidAudio { .. } | Error::NoSpeech { .. }) {
        return InvalidAudioError::new_err(msg);
    }
    match e.kind() {
        ErrorKind::InvalidInput => InvalidInputError::new_err(msg),
        ErrorKind::UnsupportedFormat => UnsupportedFormatError::new_err(msg),
        ErrorKind::ModelMismatch => ModelMismatchError::new_err(msg),
        ErrorKind::NotEnrolled => NotEnrolledError::new_err(msg),
        ErrorKind::Io => FileIOError::new_err(msg),
        ErrorKind::LimitExceeded => LimitExceededError::new_err(msg),
        ErrorKind::Auth => StoreAuthError::new_err(msg),
        ErrorKind::Busy => StoreBusyError::new_err(msg),
        ErrorKind::Internal => InternalError::new_err(msg),
        _ => VoiceguardError::new_err(msg),
    }
}

/// `InvalidInputError` with a message (for checks the binding makes itself).
pub fn invalid_input(msg: impl Into<String>) -> PyErr {
    InvalidInputError::new_err(msg.into())
}

/// `InvalidAudioError` with a message.
pub fn invalid_audio(msg: impl Into<String>) -> PyErr {
    InvalidAudioError::new_err(msg.into())
}

/// Adds the classes to the module, each with its `kind` attribute.
pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    let base = VoiceguardError::type_object(py);
    base.setattr("kind", py.None())?;
    m.add("VoiceguardError", base)?;
    for t in [InvalidAudioError::type_object(py), EnrollmentError::type_object(py)] {
        t.setattr("kind", ErrorKind::InvalidInput.as_str())?;
        m.add(t.name()?, t)?;
    }
    for kind in ErrorKind::ALL {
        let t = class_of(py, kind);
        t.setattr("kind", kind.as_str())?;
        m.add(t.name()?, t)?;
    }
    Ok(())
}

/// `?`-friendly conversion of core results.
pub trait IntoPy<T> {
    /// The core error as its Python exception.
    fn py_err(self) -> PyResult<T>;
}

impl<T> IntoPy<T> for voiceguard::Result<T> {
    fn py_err(self) -> PyResult<T> {
        self.map_err(|e| to_py(&e))
    }
}
