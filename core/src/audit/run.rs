//! Auditing an export: screen every audio file (in parallel), copy the
//! rest, hold what belongs to a held clip, judge the export, write the
//! cleared copy and its manifest last. Resumable through a journal.

use super::classify::{walk, FileKind, Found};
use super::files::{copy_atomic, sha256_file};
use super::long::{screen_long_wav, wav_duration_s};
use super::manifest::{
    AuditReason, AuditReport, FileDecision, Manifest, ManifestEntry, Totals, AUDIT_SCHEMA_VERSION, MANIFEST_NAME,
};
use super::verdict::{ExportVerdict, OnSuspicious, VerdictKind, VerdictThresholds};
use crate::error::{Error, Result};
use crate::pipeline::Engine;
use crate::screen::{
    output_path, screen_file, ClipReport, Decision, ModelRef, OutputOptions, Policy, Summary, Voiceprint,
};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::{BTreeSet, HashMap, HashSet};
use std::io::{BufRead, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

/// Hidden directory in the cleared copy holding the journal and the staged
/// outputs while an audit runs; removed before the manifest is written.
pub const STATE_DIR: &str = ".voiceguard-audit";

/// Largest metadata file searched for names of held clips, bytes. Larger
/// non-audio files are copied without the search.
pub const NAME_SEARCH_MAX_BYTES: u64 = 16 << 20;

/// Settings of an audit besides the household.
#[derive(Debug, Clone, Copy)]
pub struct AuditSettings {
    /// The screening policy applied to every clip.
    pub policy: Policy,
    /// When the export is `suspicious`.
    pub thresholds: VerdictThresholds,
    /// What a suspicious export releases.
    pub on_suspicious: OnSuspicious,
    /// Worker threads screening files in parallel (0: one per core).
    pub jobs: usize,
    /// WAV files longer than this are screened in blocks of this length,
    /// seconds (memory stays bounded whatever the file's length).
    pub block_s: f64,
}

impl AuditSettings {
    /// Default block length for long WAV files, seconds (5 minutes: about
    /// 20 MB of samples at 16 kHz).
    pub const DEFAULT_BLOCK_S: f64 = 300.0;
}

impl Default for AuditSettings {
    fn default() -> Self {
        AuditSettings {
            policy: Policy::default(),
            thresholds: VerdictThresholds::default(),
            on_suspicious: OnSuspicious::HoldAll,
            jobs: 0,
            block_s: Self::DEFAULT_BLOCK_S,
        }
    }
}

/// Whose voices the audit screens against.
#[derive(Debug, Clone)]
pub enum Household<'a> {
    /// The enrolled members (none: every clip with speech is held, `empty_store`).
    Members(&'a [Voiceprint<'a>]),
    /// The store could not be opened (wrong key, damaged, missing): nothing
    /// is screened and every file is held (`store_unavailable`), with this message.
    Unavailable(String),
}

/// What an audit reports while it runs (for a progress bar).
#[derive(Debug, Clone, Copy)]
pub enum Progress<'a> {
    /// The export was listed.
    Start {
        /// Files in the export.
        files: usize,
        /// Audio files to screen.
        audio_files: usize,
        /// Their total size, bytes.
        audio_bytes: u64,
    },
    /// One audio file is done.
    Clip {
        /// Its path relative to the export.
        rel: &'a str,
        /// Its size, bytes.
        bytes: u64,
        /// Its duration, seconds (0 if it could not be decoded).
        duration_s: f64,
        /// Taken over from an interrupted run.
        resumed: bool,
    },
    /// Every clip is screened; the cleared copy is being put in place.
    Finalizing,
}

/// What an audit produced.
#[derive(Debug, Clone)]
pub struct AuditOutcome {
    /// The manifest written into the cleared copy.
    pub manifest: Manifest,
    /// The full report (to write outside the cleared copy).
    pub report: AuditReport,
}

#[derive(Serialize, Deserialize)]
struct JournalHeader {
    voiceguard_audit_journal: u32,
    fingerprint: String,
}

#[derive(Serialize, Deserialize)]
struct JournalEntry {
    rel: String,
    sha256: String,
    clip: ClipReport,
}

fn usage(what: &'static str, value: &Path, expected: &str) -> Error {
    Error::InvalidArgument {
        what,
        value: value.display().to_string(),
        expected: expected.into(),
    }
}

fn io(action: &'static str, p: &Path, e: std::io::Error) -> Error {
    Error::io(action, p, e)
}

/// What identifies "the same arguments" for resuming: the model, the policy,
/// the voiceprints, the block length and the export's location.
fn fingerprint(engine: &Engine, members: &[Voiceprint<'_>], settings: &AuditSettings, export: &Path) -> String {
    let mut h = Sha256::new();
    h.update(engine.encoder().manifest().sha256.as_bytes());
    h.update(serde_json::to_vec(&settings.policy).unwrap_or_default());
    h.update(settings.block_s.to_le_bytes());
    h.update(export.as_os_str().as_encoded_bytes());
    for m in members {
        h.update(m.name.as_bytes());
        h.update([0]);
        for v in m.vector {
            h.update(v.to_le_bytes());
        }
    }
    hex::encode(h.finalize())
}

/// Removes `.<name>.vg-tmp` files an interrupted run left below `dir`.
fn remove_temporaries(dir: &Path) {
    let Ok(rd) = std::fs::read_dir(dir) else { return };
    for entry in rd.flatten() {
        let p = entry.path();
        let Ok(meta) = std::fs::symlink_metadata(&p) else {
            continue;
        };
        if meta.is_dir() {
            remove_temporaries(&p);
        } else if p.file_name().is_some_and(|n| n.to_string_lossy().ends_with(".vg-tmp")) {
            let _ = std::fs::remove_file(&p);
        }
    }
}

/// Prepares `out`: new, empty, or holding an interrupted audit of the same
/// arguments (whose finished clips are returned).
fn prepare_out(out: &Path, fp: &str) -> Result<HashMap<String, JournalEntry>> {
    let state = out.join(STATE_DIR);
    let journal = state.join("journal.jsonl");
    let mut done = HashMap::new();
    if out.join(MANIFEST_NAME).exists() {
        return Err(usage(
            "--out",
            out,
            "a new or empty directory: this one holds a finished audit (its manifest is there)",
        ));
    }
    if journal.is_file() {
        let f = std::fs::File::open(&journal).map_err(|e| io("read", &journal, e))?;
        let mut lines = std::io::BufReader::new(f).lines();
        let header: Option<JournalHeader> = lines
            .next()
            .and_then(std::result::Result::ok)
            .and_then(|l| serde_json::from_str(&l).ok());
        if header.as_ref().is_none_or(|h| h.fingerprint != fp) {
            return Err(usage(
                "--out",
                out,
                "the same arguments as the interrupted audit it holds (export, store, model, policy), or a new directory",
            ));
        }
        // A line cut short by a kill does not parse and is redone.
        for line in lines.map_while(std::result::Result::ok) {
            if let Ok(e) = serde_json::from_str::<JournalEntry>(&line) {
                done.insert(e.rel.clone(), e);
            }
        }
        remove_temporaries(out);
        return Ok(done);
    }
    if out.exists() {
        let mut rd = std::fs::read_dir(out).map_err(|e| io("list directory", out, e))?;
        if rd.next().is_some() {
            return Err(usage(
                "--out",
                out,
                "a new or empty directory (the cleared copy is written there)",
            ));
        }
    }
    std::fs::create_dir_all(&state).map_err(|e| io("create directory", &state, e))?;
    let header = serde_json::to_string(&JournalHeader {
        voiceguard_audit_journal: 1,
        fingerprint: fp.to_owned(),
    })
    .map_err(|e| Error::Internal(format!("journal header: {e}")))?;
    crate::screen::write_bytes_atomic(&journal, format!("{header}\n").as_bytes())?;
    Ok(done)
}

/// Whether a journalled clip's output is still where it was left, unchanged.
fn output_intact(clip: &ClipReport, staged_base: &Path, final_base: &Path) -> bool {
    if clip.reasons.contains(&crate::screen::Reason::Error) {
        return false; // errors are retried
    }
    let Some(want) = &clip.output_sha256 else {
        return clip.decision == Decision::Hold;
    };
    [staged_base, final_base]
        .iter()
        .any(|b| output_path(b, clip.decision).is_some_and(|p| sha256_file(&p).is_ok_and(|(s, _)| &s == want)))
}

fn rel_path(rel: &str) -> PathBuf {
    rel.split('/').collect()
}

/// Audits the export at `export` against the household `members` and writes
/// the cleared copy to `out` (new or empty, or an interrupted audit of the
/// same arguments, which is resumed). `member_names` are named in the report.
///
/// # Errors
/// [`Error::InvalidArgument`] for unusable settings or directories (the
/// export is not a directory, `out` holds something else); [`Error::Io`] if
/// the export cannot be listed or the cleared copy cannot be written. File
/// problems never fail the audit: the file is held with its reason.
#[allow(clippy::too_many_lines)]
pub fn audit_export(
    engine: &Engine,
    household: Household<'_>,
    export: &Path,
    out: &Path,
    settings: &AuditSettings,
    progress: &(dyn Fn(Progress<'_>) + Sync),
) -> Result<AuditOutcome> {
    settings.policy.validate()?;
    settings.thresholds.validate()?;
    let (members, store_error): (&[Voiceprint<'_>], Option<String>) = match &household {
        Household::Members(m) => (*m, None),
        Household::Unavailable(msg) => (&[][..], Some(msg.clone())),
    };
    if !export.is_dir() {
        return Err(usage("--export", export, "an existing directory (the export tree)"));
    }
    let export_canon = export.canonicalize().map_err(|e| io("inspect", export, e))?;
    if let Ok(oc) = out.canonicalize() {
        if export_canon.starts_with(&oc) {
            return Err(usage(
                "--out",
                out,
                "a directory that is not the export and does not contain it",
            ));
        }
    }
    let fp = fingerprint(engine, members, settings, &export_canon);
    let journalled = prepare_out(out, &fp)?;
    let out_canon = out.canonicalize().map_err(|e| io("inspect", out, e))?;
    let state = out.join(STATE_DIR);
    let staged_root = state.join("staged");
    let mut found = walk(export, &[out_canon])?;
    found.sort_by(|a, b| a.rel.cmp(&b.rel));
    let audio: Vec<&Found> = found.iter().filter(|f| f.kind == FileKind::Audio).collect();
    let audio_bytes = audio
        .iter()
        .map(|f| std::fs::metadata(&f.path).map_or(0, |m| m.len()))
        .sum();
    progress(Progress::Start {
        files: found.len(),
        audio_files: audio.len(),
        audio_bytes,
    });

    // 1. Screen the audio, in parallel, journalling each finished clip.
    let journal_path = state.join("journal.jsonl");
    let journal = Mutex::new(
        std::fs::OpenOptions::new()
            .append(true)
            .open(&journal_path)
            .map_err(|e| io("append to", &journal_path, e))?,
    );
    let journal_failed = Mutex::new(None::<Error>);
    let jobs = if settings.jobs == 0 {
        std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get)
    } else {
        settings.jobs
    }
    .clamp(1, audio.len().max(1));
    let screen_one = |f: &&Found| -> (ClipReport, bool) {
        let staged_base = staged_root.join(rel_path(&f.rel));
        let final_base = out.join(rel_path(&f.rel));
        let sha = sha256_file(&f.path).ok();
        if let Some(msg) = &store_error {
            let c = ClipReport {
                input: f.rel.clone(),
                sha256: sha.map(|s| s.0),
                duration_s: wav_duration_s(&f.path),
                decision: Decision::Hold,
                reasons: vec![crate::screen::Reason::Error],
                error: Some(format!("not screened: {msg}")),
                output: None,
                output_sha256: None,
                spans: Vec::new(),
                windows: Vec::new(),
                redactions: Vec::new(),
            };
            return (c, false);
        }
        if let (Some(prev), Some((sha, _))) = (journalled.get(&f.rel), &sha) {
            if &prev.sha256 == sha && output_intact(&prev.clip, &staged_base, &final_base) {
                return (prev.clip.clone(), true);
            }
        }
        let long = wav_duration_s(&f.path).is_some_and(|d| d > settings.block_s);
        let clip = if long {
            screen_long_wav(
                engine,
                &f.path,
                &f.rel,
                members,
                &settings.policy,
                &staged_base,
                settings.block_s,
            )
        } else {
            screen_file(
                engine,
                &f.path,
                &f.rel,
                members,
                &settings.policy,
                Some(OutputOptions {
                    base: &staged_base,
                    overwrite: true,
                }),
            )
        };
        if let Some(sha) = &clip.sha256 {
            let entry = JournalEntry {
                rel: f.rel.clone(),
                sha256: sha.clone(),
                clip: clip.clone(),
            };
            let written = serde_json::to_string(&entry)
                .map_err(|e| Error::Internal(format!("journal entry: {e}")))
                .and_then(|line| {
                    let mut j = journal
                        .lock()
                        .map_err(|_| Error::Internal("journal lock poisoned".into()))?;
                    j.write_all(format!("{line}\n").as_bytes())
                        .and_then(|()| j.sync_data())
                        .map_err(|e| io("append to", &journal_path, e))
                });
            if let Err(e) = written {
                if let Ok(mut slot) = journal_failed.lock() {
                    slot.get_or_insert(e);
                }
            }
        }
        (clip, false)
    };
    // A work queue over `jobs` scoped threads: each takes the next file.
    let next = AtomicUsize::new(0);
    let slots: Vec<Mutex<Option<(ClipReport, bool)>>> = audio.iter().map(|_| Mutex::new(None)).collect();
    std::thread::scope(|scope| {
        for _ in 0..jobs {
            scope.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(f) = audio.get(i) else { break };
                let r = screen_one(f);
                progress(Progress::Clip {
                    rel: &f.rel,
                    bytes: std::fs::metadata(&f.path).map_or(0, |m| m.len()),
                    duration_s: r.0.duration_s.unwrap_or(0.0),
                    resumed: r.1,
                });
                if let Ok(mut slot) = slots[i].lock() {
                    *slot = Some(r);
                }
            });
        }
    });
    let mut results = Vec::with_capacity(audio.len());
    for (slot, f) in slots.into_iter().zip(&audio) {
        match slot.into_inner().ok().flatten() {
            Some(r) => results.push(r),
            None => return Err(Error::Internal(format!("no screening result for {}", f.rel))),
        }
    }
    if let Some(e) = journal_failed.into_inner().ok().flatten() {
        return Err(e);
    }
    let resumed = results.iter().filter(|r| r.1).count();
    let mut clips: Vec<ClipReport> = results.into_iter().map(|r| r.0).collect();

    // 2. The export verdict.
    let mut verdict = ExportVerdict::of(&clips, settings.thresholds);
    let suspicious = verdict.verdict == VerdictKind::Suspicious;
    if suspicious {
        verdict.headline.push_str(match settings.on_suspicious {
            OnSuspicious::HoldAll => "; the whole export is held (--on-suspicious hold-all)",
            OnSuspicious::ReleaseVerified => {
                "; only clips that verified as household speech are released (--on-suspicious release-verified)"
            }
        });
    }

    // 3. Every file's fate.
    let by_rel: HashMap<&str, &ClipReport> = clips.iter().map(|c| (c.input.as_str(), c)).collect();
    let mut entries: Vec<ManifestEntry> = found
        .iter()
        .map(|f| {
            entry_for(
                f,
                by_rel.get(f.rel.as_str()).copied(),
                suspicious,
                settings.on_suspicious,
            )
        })
        .collect();
    hold_belongings(&found, &mut entries);
    hold_collisions(&mut entries);
    if let Some(msg) = &store_error {
        verdict.headline = format!(
            "Export NOT screened: the household store could not be opened ({msg}); every file is held (store_unavailable)"
        );
        for e in &mut entries {
            e.decision = FileDecision::Hold;
            e.reasons = vec![AuditReason::StoreUnavailable];
            e.held_with = None;
        }
    }

    // 4. Put the cleared copy in place; the manifest last.
    progress(Progress::Finalizing);
    for (f, e) in found.iter().zip(entries.iter_mut()) {
        place(f, e, by_rel.get(f.rel.as_str()).copied(), &staged_root, out);
    }
    drop(by_rel);
    for c in &mut clips {
        let e = entries.iter().find(|e| e.path == c.input);
        c.output = e.and_then(|e| e.output.clone());
        if c.output.is_none() {
            c.output_sha256 = None;
        }
    }
    std::fs::remove_dir_all(&state).map_err(|e| io("remove", &state, e))?;
    let totals = Totals::of(&entries);
    let model = ModelRef {
        id: engine.encoder().model_id().to_string(),
        sha256: engine.encoder().manifest().sha256.clone(),
    };
    let manifest = Manifest {
        schema_version: AUDIT_SCHEMA_VERSION,
        verdict: verdict.verdict,
        headline: verdict.headline.clone(),
        voiceguard_version: env!("CARGO_PKG_VERSION").to_string(),
        model: model.clone(),
        on_suspicious: settings.on_suspicious,
        totals: totals.clone(),
        files: entries.clone(),
    };
    let mut bytes = serde_json::to_vec_pretty(&manifest).map_err(|e| Error::Internal(format!("manifest: {e}")))?;
    bytes.push(b'\n');
    crate::screen::write_bytes_atomic(&out.join(MANIFEST_NAME), &bytes)?;
    let summary = Summary::of(&clips);
    let report = AuditReport {
        schema_version: AUDIT_SCHEMA_VERSION,
        verdict,
        on_suspicious: settings.on_suspicious,
        voiceguard_version: env!("CARGO_PKG_VERSION").to_string(),
        model,
        policy: settings.policy,
        members: members.iter().map(|m| m.name.to_owned()).collect(),
        export: export.display().to_string(),
        out: out.display().to_string(),
        resumed,
        clips,
        summary,
        files: entries,
        totals,
    };
    Ok(AuditOutcome { manifest, report })
}

/// The decision a screened clip gets in the cleared copy under the export
/// verdict: a suspicious export holds everything (`hold-all`) or everything
/// but clips that passed (`release-verified`). `None`: as screened.
#[must_use]
pub fn released_under_verdict(clip: Decision, suspicious: bool, on: OnSuspicious) -> Option<AuditReason> {
    match (suspicious, on, clip) {
        (false, _, _) | (true, _, Decision::Hold) | (true, OnSuspicious::ReleaseVerified, Decision::Pass) => None,
        (true, _, _) => Some(AuditReason::SuspiciousExport),
    }
}

fn entry_for(f: &Found, clip: Option<&ClipReport>, suspicious: bool, on: OnSuspicious) -> ManifestEntry {
    let hashed = sha256_file(&f.path).ok();
    let mut e = ManifestEntry {
        path: f.rel.clone(),
        kind: f.kind,
        size_bytes: hashed.as_ref().map(|h| h.1),
        sha256: hashed.map(|h| h.0),
        duration_s: None,
        decision: FileDecision::Hold,
        reasons: Vec::new(),
        output: None,
        output_sha256: None,
        held_with: None,
        note: f.note.clone(),
    };
    match (f.kind, clip) {
        (FileKind::Audio, Some(c)) => {
            e.sha256.clone_from(&c.sha256);
            e.duration_s = c.duration_s;
            e.decision = c.decision.into();
            e.reasons = c.reasons.iter().map(|&r| r.into()).collect();
            e.note.clone_from(&c.error);
            if let Some(r) = released_under_verdict(c.decision, suspicious, on) {
                e.decision = FileDecision::Hold;
                e.reasons.push(r);
            }
        }
        (FileKind::Audio, None) => {
            e.reasons = vec![AuditReason::Error];
            e.note = Some("internal error: the clip has no screening result".into());
        }
        (FileKind::UnsupportedAudio, _) => e.reasons = vec![AuditReason::UnsupportedAudio],
        (FileKind::Archive, _) => e.reasons = vec![AuditReason::Archive],
        (FileKind::Unreadable, _) => e.reasons = vec![AuditReason::Unreadable],
        (FileKind::Other, _) => {
            if e.sha256.is_none() {
                e.reasons = vec![AuditReason::Unreadable];
                e.note = Some("cannot read the file".into());
            } else if suspicious && on == OnSuspicious::HoldAll {
                e.reasons = vec![AuditReason::SuspiciousExport];
            } else {
                e.decision = FileDecision::Copy;
                e.reasons = vec![AuditReason::NotAudio];
            }
        }
    }
    e.reasons.sort();
    e.reasons.dedup();
    e
}

fn split_rel(rel: &str) -> (&str, &str) {
    rel.rsplit_once('/').unwrap_or(("", rel))
}

fn stem(name: &str) -> &str {
    name.rsplit_once('.').map_or(name, |(s, _)| s)
}

/// Holds the non-audio files that belong to a held (or redacted) clip:
/// same-stem sidecars in the same directory, and metadata that names a held clip.
fn hold_belongings(found: &[Found], entries: &mut [ManifestEntry]) {
    // (directory, stem) -> (clip path, held?)
    let mut clips: HashMap<(String, String), (String, bool)> = HashMap::new();
    let mut held_names: HashMap<String, String> = HashMap::new();
    for e in entries.iter() {
        if e.kind == FileKind::Other || !matches!(e.decision, FileDecision::Hold | FileDecision::Redact) {
            continue;
        }
        let held = e.decision == FileDecision::Hold;
        let (dir, name) = split_rel(&e.path);
        clips
            .entry((dir.to_owned(), stem(name).to_owned()))
            .and_modify(|v| v.1 |= held)
            .or_insert((e.path.clone(), held));
        if held {
            held_names.insert(name.to_owned(), e.path.clone());
            held_names.insert(e.path.clone(), e.path.clone());
            if stem(name).len() >= 6 {
                held_names.insert(stem(name).to_owned(), e.path.clone());
            }
        }
    }
    for (f, e) in found.iter().zip(entries.iter_mut()) {
        if e.decision != FileDecision::Copy {
            continue;
        }
        let (dir, name) = split_rel(&e.path);
        // Every prefix of the name up to a dot is a candidate stem: a.txt, a.wav.json, a.en.srt.
        let sidecar_of = name
            .match_indices('.')
            .map(|(i, _)| &name[..i])
            .find_map(|s| clips.get(&(dir.to_owned(), s.to_owned())));
        if let Some((clip, held)) = sidecar_of {
            e.decision = FileDecision::Hold;
            e.reasons = vec![if *held {
                AuditReason::SidecarOfHeldClip
            } else {
                AuditReason::SidecarOfRedactedClip
            }];
            e.held_with = Some(clip.clone());
            continue;
        }
        if held_names.is_empty() || e.size_bytes.is_none_or(|n| n > NAME_SEARCH_MAX_BYTES) {
            continue;
        }
        let Ok(bytes) = std::fs::read(&f.path) else { continue };
        let text = String::from_utf8_lossy(&bytes);
        let tokens: HashSet<&str> = text
            .split(|c: char| !(c.is_alphanumeric() || matches!(c, '.' | '-' | '_' | '/')))
            .flat_map(|t| [t, t.rsplit('/').next().unwrap_or(t)])
            .filter(|t| !t.is_empty())
            .collect();
        if let Some(clip) = tokens.iter().find_map(|t| held_names.get(*t)) {
            e.decision = FileDecision::Hold;
            e.reasons = vec![AuditReason::NamesHeldClip];
            e.held_with = Some(clip.clone());
        }
    }
}

/// The output path (relative to the cleared copy) of an entry released as is.
fn output_rel(e: &ManifestEntry) -> Option<String> {
    match e.decision {
        FileDecision::Hold => None,
        FileDecision::Copy | FileDecision::Pass => Some(e.path.clone()),
        FileDecision::Redact => {
            output_path(Path::new(&e.path), Decision::Redact).map(|p| p.to_string_lossy().into_owned())
        }
    }
}

/// Holds entries whose output would land on the manifest, the audit's state
/// directory, or another entry's output (`a.flac` redacted to `a.flac.wav`
/// beside an `a.flac.wav`): the first in path order keeps its output.
fn hold_collisions(entries: &mut [ManifestEntry]) {
    let mut taken: HashMap<String, String> = HashMap::new();
    for e in entries.iter_mut() {
        let Some(o) = output_rel(e) else { continue };
        let clash = if o == MANIFEST_NAME || o == STATE_DIR || o.starts_with(&format!("{STATE_DIR}/")) {
            Some("the audit's own files".to_string())
        } else {
            taken.get(&o).cloned()
        };
        if let Some(other) = clash {
            e.decision = FileDecision::Hold;
            e.reasons = vec![AuditReason::Error];
            e.note = Some(format!(
                "its output {o} would overwrite {other}; rename it in the export"
            ));
        } else {
            taken.insert(o, e.path.clone());
        }
    }
}

/// Moves a staged output into the cleared copy, copies a non-audio file, or
/// removes whatever an earlier, interrupted finalisation left of a held file.
fn place(f: &Found, e: &mut ManifestEntry, clip: Option<&ClipReport>, staged_root: &Path, out: &Path) {
    let rel = rel_path(&f.rel);
    let final_base = out.join(&rel);
    let staged_base = staged_root.join(&rel);
    let outcome = match (e.decision, clip) {
        (FileDecision::Copy, _) => copy_atomic(&f.path, &final_base).map(|sha| Some((final_base.clone(), sha))),
        (FileDecision::Pass | FileDecision::Redact, Some(c)) => {
            let d = c.decision;
            match (
                output_path(&staged_base, d),
                output_path(&final_base, d),
                &c.output_sha256,
            ) {
                (Some(staged), Some(dst), Some(sha)) => {
                    let moved = if staged.exists() {
                        dst.parent()
                            .map_or(Ok(()), |p| {
                                std::fs::create_dir_all(p).map_err(|e| io("create directory", p, e))
                            })
                            .and_then(|()| std::fs::rename(&staged, &dst).map_err(|e| io("rename into", &dst, e)))
                    } else {
                        Ok(()) // placed by an interrupted finalisation; checked below
                    };
                    moved.and_then(|()| {
                        let (got, _) = sha256_file(&dst)?;
                        if &got == sha {
                            Ok(Some((dst, got)))
                        } else {
                            Err(Error::Internal(format!(
                                "{} changed after screening (sha256 {got}, screened {sha})",
                                dst.display()
                            )))
                        }
                    })
                }
                _ => Err(Error::Internal("a released clip has no staged output".into())),
            }
        }
        _ => Ok(None),
    };
    match outcome {
        Ok(Some((dst, sha))) => {
            e.output = dst.strip_prefix(out).ok().map(|p| {
                p.components()
                    .map(|c| c.as_os_str().to_string_lossy())
                    .collect::<Vec<_>>()
                    .join("/")
            });
            e.output_sha256 = Some(sha);
        }
        Ok(None) => {}
        Err(err) => {
            e.decision = FileDecision::Hold;
            e.reasons = vec![AuditReason::Error];
            e.note = Some(err.to_string());
        }
    }
    if e.decision == FileDecision::Hold {
        e.output = None;
        e.output_sha256 = None;
        let mut stale: BTreeSet<PathBuf> = BTreeSet::new();
        stale.insert(final_base.clone());
        if let Some(p) = output_path(&final_base, Decision::Redact) {
            stale.insert(p);
        }
        // Only outputs this file could have produced, never another file's.
        for p in stale {
            let rel_o = p.strip_prefix(out).map(Path::to_path_buf).unwrap_or_default();
            if rel_o != Path::new(&e.path)
                && rel_o != output_path(Path::new(&e.path), Decision::Redact).unwrap_or_default()
            {
                continue;
            }
            if std::fs::symlink_metadata(&p).is_ok() {
                let _ = std::fs::remove_file(&p);
            }
        }
    }
}
