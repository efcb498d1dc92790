//! Walking an export tree and telling audio from everything else.

use crate::error::{Error, Result};
use serde::{Deserialize, Serialize};
use std::io::Read;
use std::path::{Path, PathBuf};

/// Extensions (lower case) of audio the core decodes.
pub const DECODED_EXTENSIONS: [&str; 5] = ["wav", "flac", "ogg", "oga", "mp3"];

/// Extensions (lower case) of audio, or media with audio, the core cannot
/// decode: such a file is held, never copied.
pub const UNDECODED_AUDIO_EXTENSIONS: [&str; 22] = [
    "opus", "m4a", "aac", "wma", "aif", "aiff", "aifc", "amr", "awb", "webm", "caf", "au", "snd", "mka", "3gp", "spx",
    "wv", "ape", "mp4", "mov", "mkv", "avi",
];

/// Extensions (lower case) of archives and compressed files.
pub const ARCHIVE_EXTENSIONS: [&str; 12] = [
    "zip", "tar", "tgz", "gz", "bz2", "xz", "zst", "7z", "rar", "jar", "tbz2", "txz",
];

/// What a file in an export is, as far as the audit is concerned.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FileKind {
    /// WAV, FLAC, OGG/Vorbis or MP3 by extension: screened.
    Audio,
    /// Audio the core cannot decode (Opus, AAC, ...), or audio content under
    /// a name that is not an audio extension: held.
    UnsupportedAudio,
    /// An archive or compressed file: held whole (never copied unscreened).
    Archive,
    /// Anything else (metadata, transcripts, images): copied unless it
    /// belongs to a held clip.
    Other,
    /// A file that could not be read, or a link to a directory: held.
    Unreadable,
}

/// A file found in the export, classified.
#[derive(Debug, Clone)]
pub struct Found {
    /// The file.
    pub path: PathBuf,
    /// Its path relative to the export root, `/`-separated.
    pub rel: String,
    /// What it is.
    pub kind: FileKind,
    /// Why it got that kind when it is held (a plain sentence).
    pub note: Option<String>,
}

fn ext_of(path: &Path) -> Option<String> {
    path.extension().and_then(|e| e.to_str()).map(str::to_ascii_lowercase)
}

/// What the first bytes of a file announce.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Magic {
    Decoded,
    Opus,
    OtherAudio(&'static str),
    Archive(&'static str),
    Unknown,
}

fn magic(head: &[u8]) -> Magic {
    let at = |i: usize, m: &[u8]| head.get(i..i + m.len()) == Some(m);
    if at(0, b"OggS") {
        // The first page's packet starts at 28 for a single-segment page.
        if head.windows(8).any(|w| w == b"OpusHead") {
            return Magic::Opus;
        }
        return Magic::Decoded;
    }
    if (at(0, b"RIFF") && at(8, b"WAVE")) || at(0, b"fLaC") || at(0, b"ID3") {
        return Magic::Decoded;
    }
    if head.len() >= 2 && head[0] == 0xFF && head[1] & 0xE0 == 0xE0 {
        return Magic::Decoded;
    }
    if at(0, b"FORM") && (at(8, b"AIFF") || at(8, b"AIFC")) {
        return Magic::OtherAudio("AIFF");
    }
    if at(0, b"#!AMR") {
        return Magic::OtherAudio("AMR");
    }
    if at(4, b"ftyp") {
        return Magic::OtherAudio("MP4/M4A");
    }
    if at(0, &[0x1A, 0x45, 0xDF, 0xA3]) {
        return Magic::OtherAudio("Matroska/WebM");
    }
    if at(0, b".snd") {
        return Magic::OtherAudio("Sun/NeXT audio");
    }
    if at(0, &[0x30, 0x26, 0xB2, 0x75]) {
        return Magic::OtherAudio("ASF/WMA");
    }
    if at(0, b"caff") {
        return Magic::OtherAudio("CAF");
    }
    if at(0, b"PK\x03\x04") || at(0, b"PK\x05\x06") {
        return Magic::Archive("zip");
    }
    if at(257, b"ustar") {
        return Magic::Archive("tar");
    }
    if at(0, &[0x1F, 0x8B]) {
        return Magic::Archive("gzip");
    }
    if at(0, b"BZh") {
        return Magic::Archive("bzip2");
    }
    if at(0, &[0xFD, b'7', b'z', b'X', b'Z', 0]) {
        return Magic::Archive("xz");
    }
    if at(0, &[0x28, 0xB5, 0x2F, 0xFD]) {
        return Magic::Archive("zstd");
    }
    if at(0, &[b'7', b'z', 0xBC, 0xAF, 0x27, 0x1C]) {
        return Magic::Archive("7z");
    }
    if at(0, b"Rar!") {
        return Magic::Archive("rar");
    }
    Magic::Unknown
}

/// Classifies one file by its extension and its first 512 bytes. The
/// content wins where it is more cautious: audio under another name is
/// held, an archive under another name is held.
#[must_use]
pub fn classify(path: &Path) -> (FileKind, Option<String>) {
    let mut head = Vec::with_capacity(512);
    let read = std::fs::File::open(path).and_then(|f| f.take(512).read_to_end(&mut head));
    if let Err(e) = read {
        return (FileKind::Unreadable, Some(format!("cannot read the file: {e}")));
    }
    let ext = ext_of(path);
    let ext = ext.as_deref().unwrap_or("");
    let m = magic(&head);
    if m == Magic::Opus {
        return (
            FileKind::UnsupportedAudio,
            Some("Ogg/Opus audio, which voiceguard cannot decode; convert it to WAV to screen it".into()),
        );
    }
    if DECODED_EXTENSIONS.contains(&ext) {
        // Screened; a damaged or misnamed file is held there with reason `error`.
        return (FileKind::Audio, None);
    }
    if UNDECODED_AUDIO_EXTENSIONS.contains(&ext) {
        return (
            FileKind::UnsupportedAudio,
            Some(format!(
                "`.{ext}` audio or video, which voiceguard cannot decode; convert it to WAV to screen it"
            )),
        );
    }
    match m {
        Magic::Decoded => (
            FileKind::UnsupportedAudio,
            Some(format!(
                "the content is audio (WAV, FLAC, OGG or MP3) but the name {} is not an audio name; rename it to screen it",
                if ext.is_empty() { "has no extension".to_string() } else { format!("ends in `.{ext}`") }
            )),
        ),
        Magic::OtherAudio(what) => (
            FileKind::UnsupportedAudio,
            Some(format!("{what} audio or video, which voiceguard cannot decode; convert it to WAV to screen it")),
        ),
        Magic::Archive(what) => (
            FileKind::Archive,
            Some(format!("a {what} archive: held whole, unscreened; unpack it into the export to screen its contents")),
        ),
        Magic::Unknown if ARCHIVE_EXTENSIONS.contains(&ext) => (
            FileKind::Archive,
            Some(format!("a `.{ext}` archive: held whole, unscreened; unpack it into the export to screen its contents")),
        ),
        _ => (FileKind::Other, None),
    }
}

/// `rel` as a `/`-separated string.
fn rel_string(rel: &Path) -> String {
    rel.components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect::<Vec<_>>()
        .join("/")
}

/// Lists every file below `root` (recursively, sorted), classified. `skip`
/// holds canonical directories left out (the output directory when it lies
/// inside the export). Links to files are followed; a link to a directory
/// is listed as [`FileKind::Unreadable`] (held), not walked.
///
/// # Errors
/// [`Error::Io`] if a directory cannot be listed.
pub fn walk(root: &Path, skip: &[PathBuf]) -> Result<Vec<Found>> {
    let mut out = Vec::new();
    walk_into(root, root, skip, &mut out)?;
    Ok(out)
}

fn walk_into(root: &Path, dir: &Path, skip: &[PathBuf], out: &mut Vec<Found>) -> Result<()> {
    let io = |action: &'static str, p: &Path, e: std::io::Error| Error::Io {
        action,
        path: p.to_path_buf(),
        source: e,
    };
    let mut entries = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(|e| io("list directory", dir, e))? {
        entries.push(entry.map_err(|e| io("list directory", dir, e))?.path());
    }
    entries.sort();
    for path in entries {
        let meta = std::fs::symlink_metadata(&path).map_err(|e| io("inspect", &path, e))?;
        let rel = rel_string(path.strip_prefix(root).unwrap_or(&path));
        if meta.is_dir() {
            let canon = path.canonicalize().unwrap_or_else(|_| path.clone());
            if !skip.contains(&canon) {
                walk_into(root, &path, skip, out)?;
            }
            continue;
        }
        if meta.file_type().is_symlink() && std::fs::metadata(&path).is_ok_and(|m| m.is_dir()) {
            out.push(Found {
                path,
                rel,
                kind: FileKind::Unreadable,
                note: Some("a link to a directory, which the audit does not follow; replace it with the files".into()),
            });
            continue;
        }
        if !std::fs::metadata(&path).is_ok_and(|m| m.is_file()) && std::fs::metadata(&path).is_ok() {
            out.push(Found {
                path,
                rel,
                kind: FileKind::Unreadable,
                note: Some("not a regular file (a device, pipe or socket); the audit reads only files".into()),
            });
            continue;
        }
        let (kind, note) = classify(&path);
        out.push(Found { path, rel, kind, note });
    }
    Ok(())
}
