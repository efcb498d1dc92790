//! Export audit: screen a whole data-access export before it leaves.
//!
//! [`audit_export`] walks an export tree and writes a cleared copy:
//! - audio (WAV, FLAC, OGG/Vorbis, MP3) is screened with the household's
//!   [`Policy`](crate::screen::Policy) and passed, redacted or held, in
//!   parallel over files (`jobs` threads); WAV files longer than
//!   [`AuditSettings::block_s`] are screened in blocks, so memory does not
//!   grow with a file's length;
//! - other files are copied unchanged, unless they belong to a held clip
//!   (same-stem sidecars, metadata naming it);
//! - audio the core cannot decode, audio under a non-audio name, archives
//!   and unreadable files are held with a reason: nothing is dropped and
//!   nothing unverified is copied;
//! - an [`ExportVerdict`] (`consistent` or `suspicious`) judges the export as
//!   a whole from the share and count of speech clips that are not
//!   household speech; a suspicious export is held whole, or only its
//!   verified clips are released ([`OnSuspicious`]);
//! - outputs are staged under [`STATE_DIR`] in the cleared copy and moved into
//!   place after the verdict; a journal there lets an interrupted audit
//!   resume (finished clips are checked by hash); the manifest
//!   ([`MANIFEST_NAME`]) is written last, after the state directory is removed.
//!
//! Inputs are only ever opened for reading.

mod classify;
mod files;
mod long;
mod manifest;
mod run;
mod verdict;

pub use classify::{
    classify, walk, FileKind, Found, ARCHIVE_EXTENSIONS, DECODED_EXTENSIONS, UNDECODED_AUDIO_EXTENSIONS,
};
pub use files::{copy_atomic, sha256_file};
pub use long::{screen_long_wav, wav_duration_s};
pub use manifest::{
    AuditReason, AuditReport, FileDecision, Manifest, ManifestEntry, Totals, AUDIT_SCHEMA_VERSION, MANIFEST_NAME,
};
pub use run::{
    audit_export, released_under_verdict, AuditOutcome, AuditSettings, Household, Progress, NAME_SEARCH_MAX_BYTES,
    STATE_DIR,
};
pub use verdict::{speech_of, ExportVerdict, OnSuspicious, VerdictKind, VerdictThresholds};
