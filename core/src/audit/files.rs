//! Streaming file helpers: hashing and atomic copies without reading a file whole.

use crate::audio::temp_path_beside;
use crate::error::{Error, Result};
use sha2::{Digest, Sha256};
use std::io::{Read, Write};
use std::path::Path;

/// Read buffer for hashing and copying, bytes.
const CHUNK: usize = 1 << 16;

/// sha256 (hex) and size in bytes of the file at `path`, read in 64 KiB chunks.
///
/// # Errors
/// [`Error::Io`] if it cannot be read.
pub fn sha256_file(path: &Path) -> Result<(String, u64)> {
    let mut f = std::fs::File::open(path).map_err(|e| Error::io("read", path, e))?;
    let mut h = Sha256::new();
    let mut buf = vec![0u8; CHUNK];
    let mut n_total = 0u64;
    loop {
        let n = f.read(&mut buf).map_err(|e| Error::io("read", path, e))?;
        if n == 0 {
            break;
        }
        h.update(&buf[..n]);
        n_total += n as u64;
    }
    Ok((hex::encode(h.finalize()), n_total))
}

/// Copies `src` to `dst` through a hidden temporary file beside `dst`
/// (flushed, then renamed), hashing on the way; creates `dst`'s directory.
/// Returns the sha256 (hex) of the bytes copied.
///
/// # Errors
/// [`Error::Io`]; the temporary file is removed.
pub fn copy_atomic(src: &Path, dst: &Path) -> Result<String> {
    if let Some(dir) = dst.parent() {
        std::fs::create_dir_all(dir).map_err(|e| Error::io("create directory", dir, e))?;
    }
    let tmp = temp_path_beside(dst);
    let result = (|| -> std::io::Result<String> {
        let mut from = std::fs::File::open(src)?;
        let mut to = std::fs::File::create(&tmp)?;
        let mut h = Sha256::new();
        let mut buf = vec![0u8; CHUNK];
        loop {
            let n = from.read(&mut buf)?;
            if n == 0 {
                break;
            }
            h.update(&buf[..n]);
            to.write_all(&buf[..n])?;
        }
        to.sync_all()?;
        Ok(hex::encode(h.finalize()))
    })();
    match result {
        Ok(sha) => {
            std::fs::rename(&tmp, dst).map_err(|e| {
                let _ = std::fs::remove_file(&tmp);
                Error::io("rename into", dst, e)
            })?;
            Ok(sha)
        }
        Err(e) => {
            let _ = std::fs::remove_file(&tmp);
            Err(Error::io("copy into", dst, e))
        }
    }
}
