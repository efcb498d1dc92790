//! Errors of the core, and the small [`ErrorKind`] list that every surface
//! (CLI exit codes, C result codes, Python exception classes) maps 1:1.

use std::path::PathBuf;

/// What kind of failure an [`Error`] is, and so how a caller recovers.
///
/// This list is the authority for every binding: the README's error table maps
/// each kind to one CLI exit code, one C `vg_result` code and one Python
/// exception class. New kinds may be added; existing ones keep their meaning.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The caller's input is wrong (bad argument, empty, NaN, too short, no speech).
    /// Recover: fix the input as the message says.
    InvalidInput,
    /// The audio or file format is not one voiceguard can read.
    /// Recover: convert the file (16 kHz mono WAV always works).
    UnsupportedFormat,
    /// A model file does not match its manifest (hash, input facts, dimensions),
    /// or data was made with another model.
    /// Recover: use the model directory the data was made with, or rebuild it.
    ModelMismatch,
    /// A voice is needed that is not enrolled (reserved for the voiceprint store).
    /// Recover: enroll the member first.
    NotEnrolled,
    /// Reading or writing a file failed at the operating-system level.
    /// Recover: check the path, permissions and free space.
    Io,
    /// Input exceeds a safety limit (duration, channels, sample rate, file size).
    /// Recover: split the input, or raise the limit if the source is trusted.
    LimitExceeded,
    /// A store could not be decrypted or authenticated: wrong key, or the file
    /// was changed. Nothing was overwritten. Recover: use the right key, or
    /// restore the file from a backup.
    Auth,
    /// Another process holds the store's lock. Recover: wait for it to finish.
    Busy,
    /// A bug or an unexpected failure inside voiceguard or a model runtime.
    /// Recover: report it; the audio must be treated as unverified.
    Internal,
}

impl ErrorKind {
    /// Every kind, in table order (used by the bindings and the README table test).
    pub const ALL: [ErrorKind; 9] = [
        ErrorKind::InvalidInput,
        ErrorKind::UnsupportedFormat,
        ErrorKind::ModelMismatch,
        ErrorKind::NotEnrolled,
        ErrorKind::Io,
        ErrorKind::LimitExceeded,
        ErrorKind::Auth,
        ErrorKind::Busy,
        ErrorKind::Internal,
    ];

    /// Stable snake_case name of the kind, as printed in JSON errors.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorKind::InvalidInput => "invalid_input",
            ErrorKind::UnsupportedFormat => "unsupported_format",
            ErrorKind::ModelMismatch => "model_mismatch",
            ErrorKind::NotEnrolled => "not_enrolled",
            ErrorKind::Io => "io",
            ErrorKind::LimitExceeded => "limit_exceeded",
            ErrorKind::Auth => "auth",
            ErrorKind::Busy => "busy",
            ErrorKind::Internal => "internal",
        }
    }
}

impl std::fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Every error the core returns. Each variant carries the values needed to
/// say what was wrong and what to do; [`Error::kind`] classifies it.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// An OS-level read or write failed.
    #[error("cannot {action} {path}: {source}")]
    Io {
        /// What was attempted ("read", "write", "rename", ...).
        action: &'static str,
        /// The file concerned.
        path: PathBuf,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
    /// The bytes are not audio voiceguard can decode.
    #[error("{path}: {reason}; convert it to WAV (16 kHz mono 16-bit works everywhere)")]
    UnsupportedFormat {
        /// The file concerned.
        path: PathBuf,
        /// What the decoder found.
        reason: String,
    },
    /// The audio decoded but its content is unusable.
    #[error("{path}: {reason}")]
    InvalidAudio {
        /// The file (or `<buffer>`) concerned.
        path: PathBuf,
        /// What is wrong and what to do.
        reason: String,
    },
    /// Too little speech to embed or verify.
    #[error("no speech found in {path}: {found_s:.1} s of speech, at least {needed_s:.1} s needed; use a longer recording with the speaker close to the microphone")]
    NoSpeech {
        /// The file (or `<buffer>`) concerned.
        path: PathBuf,
        /// Seconds of speech found.
        found_s: f32,
        /// Seconds of speech required.
        needed_s: f32,
    },
    /// A caller passed an argument outside its valid range.
    #[error("invalid {what}: {value}; {expected}")]
    InvalidArgument {
        /// The parameter name.
        what: &'static str,
        /// The value given, formatted.
        value: String,
        /// The valid range, with units, and what to do.
        expected: String,
    },
    /// A buffer has the wrong length.
    #[error("{what} has {actual} samples, expected {expected}")]
    BufferLength {
        /// Which buffer.
        what: &'static str,
        /// Required length in samples (or values).
        expected: usize,
        /// Length given.
        actual: usize,
    },
    /// A safety limit was exceeded by the input.
    #[error("{path}: {what} is {actual}, above the limit of {limit}; split the input or raise the limit if you trust the source")]
    LimitExceeded {
        /// The file concerned.
        path: PathBuf,
        /// What was measured, with units.
        what: &'static str,
        /// The value found, with units.
        actual: String,
        /// The limit, with units.
        limit: String,
    },
    /// A model does not match its manifest, or data belongs to another model.
    #[error("model mismatch in {model}: {what}: expected {expected}, found {found}; use the model directory the manifest describes, or rebuild it with its script")]
    ModelMismatch {
        /// Model name or directory.
        model: String,
        /// Which property disagrees.
        what: &'static str,
        /// What the manifest (or data) requires.
        expected: String,
        /// What was found.
        found: String,
    },
    /// A manifest file could not be parsed.
    #[error("invalid model manifest {path}: {reason}")]
    Manifest {
        /// The manifest path.
        path: PathBuf,
        /// Parser message.
        reason: String,
    },
    /// The model runtime (tract) failed.
    #[error("model {model} failed: {reason}")]
    Model {
        /// The model name.
        model: String,
        /// The runtime's message.
        reason: String,
    },
    /// The store's bytes are not a valid store (bad magic, version, layout).
    #[error("{path}: {reason}; nothing was overwritten")]
    StoreFormat {
        /// The store file.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// Decryption or authentication failed.
    #[error("cannot open {path}: wrong key, or the file was modified or damaged (authentication failed); nothing was overwritten")]
    StoreAuth {
        /// The store file.
        path: PathBuf,
    },
    /// The store is locked by another process.
    #[error("{path} is locked by pid {pid}; wait for that process to finish")]
    Locked {
        /// The store file.
        path: PathBuf,
        /// The lock holder's pid, as it wrote it (or "unknown").
        pid: String,
    },
    /// A member is not in the store.
    #[error("no member named {name:?} in {path}; `voiceguard members` lists them")]
    NotEnrolled {
        /// The name asked for.
        name: String,
        /// The store file.
        path: PathBuf,
    },
    /// An enrollment does not have enough usable speech yet.
    #[error("enrollment of {member:?} is insufficient: {reason}")]
    InsufficientEnrollment {
        /// The member being enrolled.
        member: String,
        /// What is missing, with the amounts.
        reason: String,
    },
    /// New utterances do not match an existing member's voiceprint.
    #[error("the new utterances do not match {member:?}'s voiceprint (cosine {score:.3} < {threshold:.2}); refusing to average another voice in (use --force if you are sure)")]
    VoiceMismatch {
        /// The member.
        member: String,
        /// Cosine of the new utterances' mean to the voiceprint.
        score: f32,
        /// Required cosine.
        threshold: f32,
    },
    /// An audio capture device is missing or failed (live capture).
    #[error("audio device {device}: {reason}")]
    Device {
        /// The device (its name, or what was looked for, e.g. "default input").
        device: String,
        /// What went wrong and what to do.
        reason: String,
    },
    /// An internal invariant broke; a bug.
    #[error("internal error: {0}; please report it, and treat the audio as unverified")]
    Internal(String),
}

impl Error {
    /// The kind of this error, which decides exit codes and binding classes.
    #[must_use]
    pub fn kind(&self) -> ErrorKind {
        match self {
            Error::Io { .. } | Error::Device { .. } => ErrorKind::Io,
            Error::UnsupportedFormat { .. } => ErrorKind::UnsupportedFormat,
            Error::InvalidAudio { .. }
            | Error::NoSpeech { .. }
            | Error::InvalidArgument { .. }
            | Error::BufferLength { .. } => ErrorKind::InvalidInput,
            Error::LimitExceeded { .. } => ErrorKind::LimitExceeded,
            Error::ModelMismatch { .. } | Error::Manifest { .. } => ErrorKind::ModelMismatch,
            Error::StoreFormat { .. } => ErrorKind::UnsupportedFormat,
            Error::StoreAuth { .. } => ErrorKind::Auth,
            Error::Locked { .. } => ErrorKind::Busy,
            Error::NotEnrolled { .. } => ErrorKind::NotEnrolled,
            Error::InsufficientEnrollment { .. } | Error::VoiceMismatch { .. } => ErrorKind::InvalidInput,
            Error::Model { .. } | Error::Internal(_) => ErrorKind::Internal,
        }
    }

    pub(crate) fn io(action: &'static str, path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Error::Io {
            action,
            path: path.into(),
            source,
        }
    }

    pub(crate) fn model(model: &str, e: impl std::fmt::Display) -> Self {
        Error::Model {
            model: model.to_string(),
            reason: format!("{e:#}"),
        }
    }
}

/// Result with the core's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
