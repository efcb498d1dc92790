//! Household voiceprints: an encrypted (XChaCha20-Poly1305), authenticated,
//! versioned, crash-safe store. The file layout is in `FORMAT.md` beside this file.

pub mod format;
mod key;
mod store;

pub use key::{StoreKey, KEY_LEN};
pub use store::{seal, unseal, Access, Member, VoiceprintStore};
