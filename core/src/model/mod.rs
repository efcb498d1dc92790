//! Model directories: manifest, ONNX bytes, hash check, bundled defaults.

mod manifest;

pub use manifest::{EncoderManifest, FrontEndSpec, OutputSpec, PartialSpec, TensorSpec, VadManifest, VadStreamSpec};

use crate::error::{Error, Result};
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};

/// A model's manifest text and ONNX bytes, before parsing.
#[derive(Debug, Clone)]
pub struct ModelFiles {
    /// Where they came from: a directory, or `<bundled:NAME>`.
    pub origin: PathBuf,
    /// `manifest.toml` text.
    pub manifest: String,
    /// The ONNX file's bytes.
    pub onnx: std::borrow::Cow<'static, [u8]>,
    /// An encoder's overlapped-speech detector (`overlap.json` beside the
    /// manifest), if there is one.
    pub overlap: Option<std::borrow::Cow<'static, str>>,
}

impl ModelFiles {
    /// Reads `DIR/manifest.toml` and the ONNX file it names (`file = ...`).
    ///
    /// # Errors
    /// [`Error::Io`] if either file cannot be read; [`Error::Manifest`] if the
    /// manifest has no `file` key.
    pub fn from_dir(dir: &Path) -> Result<Self> {
        let mpath = dir.join("manifest.toml");
        let manifest = std::fs::read_to_string(&mpath).map_err(|e| Error::io("read", &mpath, e))?;
        let value: toml::Table = toml::from_str(&manifest).map_err(|e| Error::Manifest {
            path: mpath.clone(),
            reason: e.to_string(),
        })?;
        let file = value
            .get("file")
            .and_then(toml::Value::as_str)
            .ok_or_else(|| Error::Manifest {
                path: mpath.clone(),
                reason: "missing `file = \"<model>.onnx\"`".into(),
            })?;
        if file.contains(['/', '\\']) || file == ".." {
            return Err(Error::Manifest {
                path: mpath,
                reason: format!("`file` must be a plain file name beside the manifest, not {file:?}"),
            });
        }
        let opath = dir.join(file);
        let onnx = std::fs::read(&opath).map_err(|e| Error::io("read", &opath, e))?;
        let overlap_path = dir.join(crate::embed::OVERLAP_FILE);
        let overlap = match std::fs::read_to_string(&overlap_path) {
            Ok(text) => Some(text.into()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
            Err(e) => return Err(Error::io("read", &overlap_path, e)),
        };
        Ok(ModelFiles {
            origin: dir.to_path_buf(),
            manifest,
            onnx: onnx.into(),
            overlap,
        })
    }

    /// Checks the ONNX bytes against the manifest's sha256.
    ///
    /// # Errors
    /// [`Error::ModelMismatch`] naming both hashes.
    pub fn check_sha256(&self, name: &str, expected: &str) -> Result<()> {
        let found = hex::encode(Sha256::digest(&self.onnx));
        if found.eq_ignore_ascii_case(expected) {
            Ok(())
        } else {
            Err(Error::ModelMismatch {
                model: format!("{name} ({})", self.origin.display()),
                what: "sha256 of the ONNX file",
                expected: expected.to_string(),
                found,
            })
        }
    }
}

/// The GE2E encoder embedded in the library (feature `bundled-models`).
#[cfg(feature = "bundled-models")]
#[must_use]
pub fn bundled_encoder() -> ModelFiles {
    ModelFiles {
        origin: PathBuf::from("<bundled:ge2e>"),
        manifest: include_str!("../../../models/ge2e/manifest.toml").to_string(),
        onnx: std::borrow::Cow::Borrowed(include_bytes!("../../../models/ge2e/encoder.onnx")),
        overlap: Some(std::borrow::Cow::Borrowed(include_str!(
            "../../../models/ge2e/overlap.json"
        ))),
    }
}

/// The Silero VAD embedded in the library (feature `bundled-models`).
#[cfg(feature = "bundled-models")]
#[must_use]
pub fn bundled_vad() -> ModelFiles {
    ModelFiles {
        origin: PathBuf::from("<bundled:silero_vad>"),
        manifest: include_str!("../../../models/silero_vad/manifest.toml").to_string(),
        onnx: std::borrow::Cow::Borrowed(include_bytes!("../../../models/silero_vad/silero_vad.onnx")),
        overlap: None,
    }
}

/// Parses ONNX bytes with tract.
pub(crate) fn parse_onnx(files: &ModelFiles, name: &str) -> Result<tract_onnx::prelude::InferenceModel> {
    parse_onnx_with_proto(files, name).map(|(_, model)| model)
}

/// Parses ONNX bytes once and returns both the protobuf (for callers that
/// read initializers themselves) and tract's model built from it.
pub(crate) fn parse_onnx_with_proto(
    files: &ModelFiles,
    name: &str,
) -> Result<(tract_onnx::pb::ModelProto, tract_onnx::prelude::InferenceModel)> {
    use tract_onnx::prelude::Framework;
    let mismatch = |e: tract_onnx::prelude::TractError| Error::ModelMismatch {
        model: format!("{name} ({})", files.origin.display()),
        what: "ONNX graph",
        expected: "a graph tract-onnx can load".into(),
        found: format!("{e:#}"),
    };
    let onnx = tract_onnx::onnx();
    let proto = onnx
        .proto_model_for_read(&mut std::io::Cursor::new(&files.onnx[..]))
        .map_err(mismatch)?;
    let model = onnx.model_for_proto_model(&proto).map_err(mismatch)?;
    Ok((proto, model))
}
