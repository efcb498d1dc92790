//! The manifest of a cleared copy (`voiceguard-manifest.json`) and the audit
//! report. Schemas: `docs/audit-manifest.schema.json`,
//! `docs/audit-report.schema.json` (described in `docs/audit-schema.md`).

use super::classify::FileKind;
use super::verdict::{ExportVerdict, OnSuspicious, VerdictKind};
use crate::screen::{ClipReport, Decision, ModelRef, Policy, Reason, Summary};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Version of the manifest and audit report layouts; bumped on any incompatible change.
pub const AUDIT_SCHEMA_VERSION: u32 = 1;

/// File name of the manifest in the cleared copy, written last.
pub const MANIFEST_NAME: &str = "voiceguard-manifest.json";

/// What happened to one file of the export.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FileDecision {
    /// An audio file released byte for byte.
    Pass,
    /// An audio file released as WAV with other voices replaced.
    Redact,
    /// Not in the cleared copy.
    Hold,
    /// A non-audio file copied byte for byte.
    Copy,
}

impl FileDecision {
    /// `"pass"`, `"redact"`, `"hold"` or `"copy"`.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            FileDecision::Pass => "pass",
            FileDecision::Redact => "redact",
            FileDecision::Hold => "hold",
            FileDecision::Copy => "copy",
        }
    }
}

impl From<Decision> for FileDecision {
    fn from(d: Decision) -> Self {
        match d {
            Decision::Pass => FileDecision::Pass,
            Decision::Redact => FileDecision::Redact,
            Decision::Hold => FileDecision::Hold,
        }
    }
}

/// Why a file got its decision: the screening reasons of a clip plus the
/// audit's own.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AuditReason {
    /// Screening: all speech matched household members.
    AllMembers,
    /// Screening: no speech.
    NoSpeech,
    /// Screening: some speech is another voice.
    OtherSpeech,
    /// Screening: some speech could not be verified.
    UncertainSpeech,
    /// Screening: the policy holds clips with other voices.
    PolicyHold,
    /// Screening: the store has no members.
    EmptyStore,
    /// Screening: too little speech to verify.
    TooShort,
    /// The file could not be read, decoded or written (see `error`).
    Error,
    /// Not audio: copied unchanged.
    NotAudio,
    /// Audio the core cannot decode (Opus, AAC, ...) or audio under a
    /// non-audio name: held.
    UnsupportedAudio,
    /// An archive or compressed file: held whole, unscreened.
    Archive,
    /// A link to a directory, a device or an unreadable file: held.
    Unreadable,
    /// Same stem as a held clip (transcript, metadata): held with it.
    SidecarOfHeldClip,
    /// Same stem as a redacted clip: held, since a transcript or metadata
    /// may describe the redacted voice.
    SidecarOfRedactedClip,
    /// A metadata file that names a held clip: held.
    NamesHeldClip,
    /// The export verdict is `suspicious` and `--on-suspicious` holds this file.
    SuspiciousExport,
    /// The household store could not be opened: nothing was screened.
    StoreUnavailable,
}

impl AuditReason {
    /// The report code, e.g. `"sidecar_of_held_clip"`.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            AuditReason::AllMembers => "all_members",
            AuditReason::NoSpeech => "no_speech",
            AuditReason::OtherSpeech => "other_speech",
            AuditReason::UncertainSpeech => "uncertain_speech",
            AuditReason::PolicyHold => "policy_hold",
            AuditReason::EmptyStore => "empty_store",
            AuditReason::TooShort => "too_short",
            AuditReason::Error => "error",
            AuditReason::NotAudio => "not_audio",
            AuditReason::UnsupportedAudio => "unsupported_audio",
            AuditReason::Archive => "archive",
            AuditReason::Unreadable => "unreadable",
            AuditReason::SidecarOfHeldClip => "sidecar_of_held_clip",
            AuditReason::SidecarOfRedactedClip => "sidecar_of_redacted_clip",
            AuditReason::NamesHeldClip => "names_held_clip",
            AuditReason::SuspiciousExport => "suspicious_export",
            AuditReason::StoreUnavailable => "store_unavailable",
        }
    }
}

impl From<Reason> for AuditReason {
    fn from(r: Reason) -> Self {
        match r {
            Reason::AllMembers => AuditReason::AllMembers,
            Reason::NoSpeech => AuditReason::NoSpeech,
            Reason::OtherSpeech => AuditReason::OtherSpeech,
            Reason::UncertainSpeech => AuditReason::UncertainSpeech,
            Reason::PolicyHold => AuditReason::PolicyHold,
            Reason::EmptyStore => AuditReason::EmptyStore,
            Reason::TooShort => AuditReason::TooShort,
            Reason::Error => AuditReason::Error,
        }
    }
}

/// One file of the export in the manifest.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ManifestEntry {
    /// Path relative to the export root, `/`-separated.
    pub path: String,
    /// What the file is.
    pub kind: FileKind,
    /// Size of the input in bytes (`None` if it could not be read).
    pub size_bytes: Option<u64>,
    /// sha256 of the input's bytes, hex (`None` if it could not be read).
    pub sha256: Option<String>,
    /// Duration of an audio file in seconds (`None` if not decoded).
    pub duration_s: Option<f64>,
    /// What happened to it.
    pub decision: FileDecision,
    /// Why (never empty, sorted).
    pub reasons: Vec<AuditReason>,
    /// Path of the output relative to the cleared copy (`None` when held).
    pub output: Option<String>,
    /// sha256 of the output, hex.
    pub output_sha256: Option<String>,
    /// For a file held with a clip: the clip's path.
    pub held_with: Option<String>,
    /// What went wrong, or why a file of this kind is held, in a plain sentence.
    pub note: Option<String>,
}

/// Counts over the files of an audit.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Totals {
    /// Files in the export.
    pub files: usize,
    /// Audio files screened.
    pub audio_files: usize,
    /// Seconds of audio decoded.
    pub audio_s: f64,
    /// Files per decision code.
    pub by_decision: BTreeMap<String, usize>,
    /// Files per reason code (a file with two reasons counts under both).
    pub by_reason: BTreeMap<String, usize>,
}

impl Totals {
    /// Totals of `entries`.
    #[must_use]
    pub fn of(entries: &[ManifestEntry]) -> Self {
        let mut t = Totals {
            files: entries.len(),
            ..Totals::default()
        };
        for d in [
            FileDecision::Pass,
            FileDecision::Redact,
            FileDecision::Hold,
            FileDecision::Copy,
        ] {
            t.by_decision.insert(d.as_str().to_owned(), 0);
        }
        for e in entries {
            *t.by_decision.entry(e.decision.as_str().to_owned()).or_default() += 1;
            for r in &e.reasons {
                *t.by_reason.entry(r.as_str().to_owned()).or_default() += 1;
            }
            if e.kind == FileKind::Audio {
                t.audio_files += 1;
                t.audio_s += e.duration_s.unwrap_or(0.0);
            }
        }
        t
    }

    /// Whether every file of the export is in the cleared copy.
    #[must_use]
    pub fn all_released(&self) -> bool {
        self.by_decision.get("hold").copied().unwrap_or(0) == 0
            && self.by_decision.get("redact").copied().unwrap_or(0) == 0
    }
}

/// `voiceguard-manifest.json`: every input file, its hash, its fate and its
/// output's hash. Names no member and no score.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    /// [`AUDIT_SCHEMA_VERSION`].
    pub schema_version: u32,
    /// The export verdict (first, as in every report).
    pub verdict: VerdictKind,
    /// Its one-line explanation.
    pub headline: String,
    /// Version of the voiceguard that wrote it.
    pub voiceguard_version: String,
    /// The speaker model.
    pub model: ModelRef,
    /// What a suspicious export releases.
    pub on_suspicious: OnSuspicious,
    /// Counts.
    pub totals: Totals,
    /// Every file of the export, sorted by path.
    pub files: Vec<ManifestEntry>,
}

/// The audit report (JSON, written outside the cleared copy): the
/// screening report's fields plus the verdict, every file and the totals.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuditReport {
    /// [`AUDIT_SCHEMA_VERSION`].
    pub schema_version: u32,
    /// The export verdict with its counts (first).
    pub verdict: ExportVerdict,
    /// What a suspicious export releases.
    pub on_suspicious: OnSuspicious,
    /// Version of the voiceguard that wrote it.
    pub voiceguard_version: String,
    /// The speaker model.
    pub model: ModelRef,
    /// Every policy setting used.
    pub policy: Policy,
    /// Names of the enrolled members screened against.
    pub members: Vec<String>,
    /// The export directory as given.
    pub export: String,
    /// The cleared copy as given.
    pub out: String,
    /// Clips taken over from an interrupted run (checked by hash).
    pub resumed: usize,
    /// One screening entry per audio file (as in the screening report; `input`
    /// is the path relative to the export, `output` relative to the cleared
    /// copy), sorted by path; the final decision is in `files`.
    pub clips: Vec<ClipReport>,
    /// Screening totals over `clips` (before the export verdict).
    pub summary: Summary,
    /// Every file, as in the manifest.
    pub files: Vec<ManifestEntry>,
    /// Counts by decision and by reason.
    pub totals: Totals,
}
