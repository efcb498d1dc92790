//! [`VoiceprintStore`]: one encrypted, authenticated, crash-safe file per household.

use super::format::{self, FormatError, Header, MemberRecord, Payload};
use super::key::StoreKey;
use crate::embed::Embedding;
use crate::error::{Error, Result};
use crate::score::Score;
use chacha20poly1305::aead::{Aead, KeyInit, Payload as AeadPayload};
use chacha20poly1305::{Key, XChaCha20Poly1305, XNonce};
use std::fs::{File, OpenOptions};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use zeroize::{Zeroize, Zeroizing};

/// One enrolled household member. The voiceprint is wiped from memory on
/// drop, and serialising a member (for listings) leaves it out.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Member {
    /// Display name, unique in the store.
    pub name: String,
    /// Unit-norm voiceprint (mean of the utterance embeddings, renormalised).
    #[serde(skip)]
    pub voiceprint: Vec<f32>,
    /// Utterances enrolled.
    pub utterances: u32,
    /// Seconds of speech enrolled.
    pub speech_s: f32,
    /// Mean cosine of the utterances to the voiceprint, in [-1, 1].
    pub consistency: f32,
    /// Creation time, seconds since the Unix epoch (0 if upgraded from a v1 file).
    pub created_unix: i64,
    /// Last update time, seconds since the Unix epoch.
    pub updated_unix: i64,
}

impl Drop for Member {
    fn drop(&mut self) {
        self.voiceprint.zeroize();
    }
}

impl From<MemberRecord> for Member {
    fn from(mut r: MemberRecord) -> Self {
        Member {
            name: std::mem::take(&mut r.name),
            voiceprint: std::mem::take(&mut r.voiceprint),
            utterances: r.utterances,
            speech_s: r.speech_s,
            consistency: r.consistency,
            created_unix: r.created_unix,
            updated_unix: r.updated_unix,
        }
    }
}

/// How a store is opened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Shared lock: other readers may open it too, writers wait.
    Read,
    /// Exclusive lock held until the store is dropped; needed to save.
    Write,
}

/// A household's voiceprints, decrypted in memory and locked on disk.
///
/// The file is `path`; its lock is `path` + `.lock` (advisory, released when
/// the process exits, so a killed writer never leaves it locked). Saving
/// writes a temporary file in the same directory, fsyncs it, renames it over
/// the old file and fsyncs the directory: a crash leaves either the old or
/// the new content.
pub struct VoiceprintStore {
    path: PathBuf,
    key: StoreKey,
    model_id: String,
    dim: usize,
    members: Vec<Member>,
    access: Access,
    upgraded_from: Option<u16>,
    _lock: File,
}

impl std::fmt::Debug for VoiceprintStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VoiceprintStore")
            .field("path", &self.path)
            .field("model_id", &self.model_id)
            .field("members", &self.members.len())
            .finish_non_exhaustive()
    }
}

fn now_unix() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

fn lock_path(path: &Path) -> PathBuf {
    let mut s = path.as_os_str().to_owned();
    s.push(".lock");
    PathBuf::from(s)
}

fn tmp_prefix(path: &Path) -> String {
    format!(
        ".{}.tmp.",
        path.file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default()
    )
}

fn lock(path: &Path, access: Access) -> Result<File> {
    let lp = lock_path(path);
    let mut f = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(&lp)
        .map_err(|e| Error::io("open the lock file", &lp, e))?;
    let got = match access {
        Access::Read => f.try_lock_shared(),
        Access::Write => f.try_lock(),
    };
    match got {
        Ok(()) => {}
        Err(std::fs::TryLockError::WouldBlock) => {
            // Writers record their pid; readers share the lock and cannot.
            // Name the pid only if that process is still alive.
            let mut pid = String::new();
            let _ = f.read_to_string(&mut pid);
            let pid = pid.trim();
            let alive = !pid.is_empty() && Path::new("/proc").join(pid).exists();
            return Err(Error::Locked {
                path: path.into(),
                pid: if alive {
                    pid.to_string()
                } else {
                    "unknown (a reader)".into()
                },
            });
        }
        Err(std::fs::TryLockError::Error(e)) => return Err(Error::io("lock", &lp, e)),
    }
    if access == Access::Write {
        let _ = f.set_len(0);
        let _ = write!(f, "{}", std::process::id());
    }
    Ok(f)
}

impl VoiceprintStore {
    /// Opens an existing store, checks that it was built with `model_id`, and
    /// locks it (shared for [`Access::Read`], exclusive for [`Access::Write`]).
    ///
    /// # Errors
    /// [`Error::Io`] if missing or unreadable; [`Error::Locked`] if another
    /// process holds a conflicting lock; [`Error::StoreFormat`] for a damaged
    /// or unknown layout; [`Error::StoreAuth`] for a wrong key or modified
    /// bytes; [`Error::ModelMismatch`] if it was built with another model.
    pub fn open(path: &Path, key: StoreKey, model_id: &str, access: Access) -> Result<Self> {
        let lock = lock(path, access)?;
        let bytes = std::fs::read(path).map_err(|e| Error::io("read", path, e))?;
        let (version, plain) = unseal(&key, &bytes, path)?;
        let payload = format::decode_payload(&plain, version).map_err(|e| fmt_err(path, &e))?;
        if payload.model_id != model_id {
            return Err(Error::ModelMismatch {
                model: format!("store {}", path.display()),
                what: "model id the voiceprints were made with",
                expected: model_id.to_string(),
                found: payload.model_id.clone(),
            });
        }
        let mut store = VoiceprintStore {
            path: path.into(),
            key,
            dim: payload.dim as usize,
            model_id: payload.model_id,
            members: payload.members.into_iter().map(Member::from).collect(),
            access,
            upgraded_from: None,
            _lock: lock,
        };
        if version < format::VERSION && access == Access::Write {
            store.upgraded_from = Some(version);
            store.save()?;
        }
        if access == Access::Write {
            store.remove_stale_temporaries();
        }
        Ok(store)
    }

    /// Opens `path` for writing, creating an empty store for `model_id` and
    /// `dim`-dimensional voiceprints if the file does not exist.
    ///
    /// # Errors
    /// As [`VoiceprintStore::open`].
    pub fn open_or_create(path: &Path, key: StoreKey, model_id: &str, dim: usize) -> Result<Self> {
        if path.exists() {
            return Self::open(path, key, model_id, Access::Write);
        }
        let lock = lock(path, Access::Write)?;
        let mut store = VoiceprintStore {
            path: path.into(),
            key,
            model_id: model_id.into(),
            dim,
            members: Vec::new(),
            access: Access::Write,
            upgraded_from: None,
            _lock: lock,
        };
        store.save()?;
        Ok(store)
    }

    /// The store file.
    #[must_use]
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Id of the model the voiceprints were made with.
    #[must_use]
    pub fn model_id(&self) -> &str {
        &self.model_id
    }

    /// Voiceprint dimension.
    #[must_use]
    pub fn dim(&self) -> usize {
        self.dim
    }

    /// The members, in enrollment order.
    #[must_use]
    pub fn members(&self) -> &[Member] {
        &self.members
    }

    /// A member by name.
    #[must_use]
    pub fn member(&self, name: &str) -> Option<&Member> {
        self.members.iter().find(|m| m.name == name)
    }

    /// The container version this store was upgraded from when opened, if any.
    #[must_use]
    pub fn upgraded_from(&self) -> Option<u16> {
        self.upgraded_from
    }

    /// Adds a member, or replaces the one with the same name (keeping its
    /// creation time), and saves.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] for a bad name or dimension; save errors.
    pub fn put(&mut self, mut member: Member) -> Result<()> {
        if member.name.is_empty() || member.name.len() > format::MAX_NAME || member.name.chars().any(char::is_control) {
            return Err(Error::InvalidArgument {
                what: "member name",
                value: format!("{:?}", member.name),
                expected: "1 to 128 bytes of UTF-8 without control characters".into(),
            });
        }
        if member.voiceprint.len() != self.dim {
            return Err(Error::BufferLength {
                what: "voiceprint",
                expected: self.dim,
                actual: member.voiceprint.len(),
            });
        }
        let now = now_unix();
        member.updated_unix = now;
        if let Some(old) = self.members.iter_mut().find(|m| m.name == member.name) {
            member.created_unix = old.created_unix;
            *old = member;
        } else {
            if self.members.len() >= format::MAX_MEMBERS {
                return Err(Error::InvalidArgument {
                    what: "member count",
                    value: self.members.len().to_string(),
                    expected: format!("at most {} members per store", format::MAX_MEMBERS),
                });
            }
            member.created_unix = now;
            self.members.push(member);
        }
        self.save()
    }

    /// Right to erasure: removes `name` and rewrites the file (a fresh nonce,
    /// so no ciphertext of the old content remains in the new file).
    ///
    /// # Errors
    /// [`Error::NotEnrolled`] if there is no such member; save errors.
    pub fn forget(&mut self, name: &str) -> Result<()> {
        let i = self
            .members
            .iter()
            .position(|m| m.name == name)
            .ok_or_else(|| Error::NotEnrolled {
                name: name.into(),
                path: self.path.clone(),
            })?;
        self.members.remove(i);
        self.save()
    }

    /// Cosine of `embedding` to every member, best first.
    ///
    /// # Errors
    /// [`Error::BufferLength`] if the dimension differs from the store's.
    pub fn scores(&self, embedding: &Embedding) -> Result<Vec<(String, Score)>> {
        let mut out = self
            .members
            .iter()
            .map(|m| Ok((m.name.clone(), Score::cosine(&m.voiceprint, embedding.as_slice())?)))
            .collect::<Result<Vec<_>>>()?;
        out.sort_by(|a, b| b.1 .0.total_cmp(&a.1 .0));
        Ok(out)
    }

    /// Encrypts and writes the store atomically.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] if opened read-only; [`Error::Io`] for
    /// write, fsync or rename failures (the old file stays intact).
    pub fn save(&mut self) -> Result<()> {
        if self.access != Access::Write {
            return Err(Error::InvalidArgument {
                what: "store access",
                value: "read-only".into(),
                expected: "a store opened for writing".into(),
            });
        }
        let payload = Payload {
            model_id: self.model_id.clone(),
            dim: u32::try_from(self.dim).unwrap_or(u32::MAX),
            members: self
                .members
                .iter()
                .map(|m| MemberRecord {
                    name: m.name.clone(),
                    voiceprint: m.voiceprint.clone(),
                    utterances: m.utterances,
                    speech_s: m.speech_s,
                    consistency: m.consistency,
                    created_unix: m.created_unix,
                    updated_unix: m.updated_unix,
                })
                .collect(),
        };
        let plain = Zeroizing::new(format::encode_payload(&payload).map_err(|e| fmt_err(&self.path, &e))?);
        wipe_payload(payload);
        let bytes = seal(&self.key, format::VERSION, &plain)?;
        atomic_write(&self.path, &bytes)
    }

    fn remove_stale_temporaries(&self) {
        let dir = self
            .path
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        let prefix = tmp_prefix(&self.path);
        if let Ok(entries) = std::fs::read_dir(dir) {
            for e in entries.flatten() {
                if e.file_name().to_string_lossy().starts_with(&prefix) {
                    let _ = std::fs::remove_file(e.path());
                }
            }
        }
    }
}

fn wipe_payload(mut p: Payload) {
    for m in &mut p.members {
        m.voiceprint.zeroize();
    }
}

fn fmt_err(path: &Path, e: &FormatError) -> Error {
    Error::StoreFormat {
        path: path.into(),
        reason: e.to_string(),
    }
}

/// Builds a store file: header of `version` with a fresh random nonce, then
/// the XChaCha20-Poly1305 ciphertext of `plaintext` (a payload encoded for
/// that version) with the header as associated data. voiceguard writes only
/// [`format::VERSION`]; other versions are for upgrade tests.
///
/// # Errors
/// [`Error::Internal`] if the OS random generator or the cipher fails.
pub fn seal(key: &StoreKey, version: u16, plaintext: &[u8]) -> Result<Vec<u8>> {
    let mut nonce = [0u8; format::NONCE_LEN];
    getrandom::fill(&mut nonce).map_err(|e| Error::Internal(format!("OS random generator failed: {e}")))?;
    let cipher = XChaCha20Poly1305::new(Key::from_slice(key.as_bytes()));
    let header = Header {
        version,
        aead: format::AEAD_XCHACHA20POLY1305,
        nonce,
        ciphertext_len: (plaintext.len() + 16) as u64,
    };
    let aad = header.to_bytes();
    let ciphertext = cipher
        .encrypt(
            XNonce::from_slice(&nonce),
            AeadPayload {
                msg: plaintext,
                aad: &aad,
            },
        )
        .map_err(|_| Error::Internal("encryption failed".into()))?;
    let mut bytes = Vec::with_capacity(aad.len() + ciphertext.len());
    bytes.extend_from_slice(&aad);
    bytes.extend_from_slice(&ciphertext);
    Ok(bytes)
}

/// Decrypts a store file's bytes (for audits and tests): the plaintext payload
/// and its version. The plaintext is wiped when dropped.
///
/// # Errors
/// [`Error::StoreFormat`] for a bad container; [`Error::StoreAuth`] for a
/// wrong key or modified bytes.
pub fn unseal(key: &StoreKey, bytes: &[u8], path: &Path) -> Result<(u16, Zeroizing<Vec<u8>>)> {
    let (header, ciphertext) = format::parse_container(bytes).map_err(|e| fmt_err(path, &e))?;
    let plain = decrypt(key, &header, ciphertext).ok_or_else(|| Error::StoreAuth { path: path.into() })?;
    Ok((header.version, plain))
}

fn decrypt(key: &StoreKey, header: &Header, ciphertext: &[u8]) -> Option<Zeroizing<Vec<u8>>> {
    let cipher = XChaCha20Poly1305::new(Key::from_slice(key.as_bytes()));
    let aad = header.to_bytes();
    cipher
        .decrypt(
            XNonce::from_slice(&header.nonce),
            AeadPayload {
                msg: ciphertext,
                aad: &aad,
            },
        )
        .ok()
        .map(Zeroizing::new)
}

/// Writes `bytes` to `path` atomically: temporary file in the same directory,
/// fsync, rename over `path`, fsync the directory.
fn atomic_write(path: &Path, bytes: &[u8]) -> Result<()> {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let tmp = dir.join(format!("{}{}", tmp_prefix(path), std::process::id()));
    let result = (|| -> std::io::Result<()> {
        let mut opts = OpenOptions::new();
        opts.write(true).create(true).truncate(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            opts.mode(0o600);
        }
        let mut f = opts.open(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()
    })();
    if let Err(e) = result {
        let _ = std::fs::remove_file(&tmp);
        return Err(Error::io("write", &tmp, e));
    }
    if let Err(e) = std::fs::rename(&tmp, path) {
        let _ = std::fs::remove_file(&tmp);
        return Err(Error::io("rename into", path, e));
    }
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(|e| Error::io("fsync the directory of", path, e))
}
