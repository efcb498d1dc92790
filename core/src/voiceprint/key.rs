//! [`StoreKey`]: the 32-byte key that encrypts a store; zeroized on drop.

use crate::error::{Error, Result};
use std::io::Write;
use std::path::Path;
use zeroize::Zeroizing;

/// Key length in bytes (XChaCha20-Poly1305).
pub const KEY_LEN: usize = 32;

/// A store key. The bytes are wiped from memory when it is dropped, and
/// `Debug` does not print them.
#[derive(Clone)]
pub struct StoreKey(Zeroizing<[u8; KEY_LEN]>);

impl std::fmt::Debug for StoreKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("StoreKey(<redacted>)")
    }
}

impl StoreKey {
    /// Wraps 32 key bytes given by the caller.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] unless `bytes` is exactly 32 bytes long.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self> {
        let arr: [u8; KEY_LEN] = bytes.try_into().map_err(|_| Error::InvalidArgument {
            what: "store key",
            value: format!("{} bytes", bytes.len()),
            expected: format!("exactly {KEY_LEN} random bytes (make one with `voiceguard keygen`)"),
        })?;
        Ok(StoreKey(Zeroizing::new(arr)))
    }

    /// A fresh random key from the operating system's generator.
    ///
    /// # Errors
    /// [`Error::Internal`] if the OS generator fails.
    pub fn generate() -> Result<Self> {
        let mut k = Zeroizing::new([0u8; KEY_LEN]);
        getrandom::fill(&mut k[..]).map_err(|e| Error::Internal(format!("OS random generator failed: {e}")))?;
        Ok(StoreKey(k))
    }

    /// The key bytes.
    #[must_use]
    pub fn as_bytes(&self) -> &[u8; KEY_LEN] {
        &self.0
    }

    /// Reads a key file: exactly 32 raw bytes, not readable by group or others.
    ///
    /// # Errors
    /// [`Error::Io`] if unreadable; [`Error::InvalidArgument`] if its
    /// permissions let others read it or its length is wrong.
    pub fn read_file(path: &Path) -> Result<Self> {
        let meta = std::fs::metadata(path).map_err(|e| Error::io("read", path, e))?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = meta.permissions().mode() & 0o777;
            if mode & 0o077 != 0 {
                return Err(Error::InvalidArgument {
                    what: "key file permissions",
                    value: format!("{} has mode {mode:o}", path.display()),
                    expected: format!("readable by its owner only: run `chmod 600 {}`", path.display()),
                });
            }
        }
        if meta.len() != KEY_LEN as u64 {
            return Err(Error::InvalidArgument {
                what: "key file",
                value: format!("{} holds {} bytes", path.display(), meta.len()),
                expected: format!("exactly {KEY_LEN} raw bytes, as written by `voiceguard keygen`"),
            });
        }
        let bytes = Zeroizing::new(std::fs::read(path).map_err(|e| Error::io("read", path, e))?);
        Self::from_bytes(&bytes)
    }

    /// Writes the key to a new file with mode 0600; refuses to overwrite.
    ///
    /// # Errors
    /// [`Error::Io`] if the file exists or cannot be written.
    pub fn write_new_file(&self, path: &Path) -> Result<()> {
        let mut opts = std::fs::OpenOptions::new();
        opts.write(true).create_new(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            opts.mode(0o600);
        }
        let mut f = opts.open(path).map_err(|e| Error::io("create", path, e))?;
        f.write_all(&self.0[..])
            .and_then(|()| f.sync_all())
            .map_err(|e| Error::io("write", path, e))
    }
}
