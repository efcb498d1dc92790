//! [`OverlapDetector`]: tells a scoring window in which two voices talk at
//! once from one with a single voice, from the window's embedding alone.
//!
//! A logistic regression over the GE2E embedding of one 1.6 s window
//! (levelled to -27 dBFS), trained by `models/ge2e/train_overlap.py` on
//! speakers the screening tests do not use; its file, `overlap.json`, sits
//! beside the encoder's manifest and names the encoder it was trained for.

use crate::error::{Error, Result};
use serde::Deserialize;
use std::path::Path;

/// File name of a detector beside an encoder's `manifest.toml`.
pub const OVERLAP_FILE: &str = "overlap.json";

#[derive(Deserialize)]
struct OverlapFile {
    schema_version: u32,
    kind: String,
    encoder_sha256: String,
    threshold: f32,
    bias: f32,
    weights: Vec<f32>,
}

/// Logistic-regression weights over one window embedding and the logit
/// above which the window counts as overlapped speech. Immutable; share it.
#[derive(Debug, Clone, PartialEq)]
pub struct OverlapDetector {
    weights: Vec<f32>,
    bias: f32,
    threshold: f32,
}

impl OverlapDetector {
    /// Parses `overlap.json` text for an encoder whose ONNX file has
    /// `encoder_sha256` and whose embeddings have `dim` values; `path` names
    /// the file in errors.
    ///
    /// # Errors
    /// [`Error::Manifest`] for malformed JSON, an unknown schema or kind, or
    /// non-finite values; [`Error::ModelMismatch`] if the file was trained
    /// for another encoder or another embedding size.
    pub fn parse(text: &str, path: &Path, encoder_sha256: &str, dim: usize) -> Result<Self> {
        let bad = |reason: String| Error::Manifest {
            path: path.to_path_buf(),
            reason,
        };
        let f: OverlapFile = serde_json::from_str(text).map_err(|e| bad(e.to_string()))?;
        if f.schema_version != 1 || f.kind != "logistic_regression" {
            return Err(bad(format!(
                "schema_version {} kind {:?}; expected 1 and \"logistic_regression\"",
                f.schema_version, f.kind
            )));
        }
        if !f.encoder_sha256.eq_ignore_ascii_case(encoder_sha256) {
            return Err(Error::ModelMismatch {
                model: format!("overlap detector ({})", path.display()),
                what: "encoder it was trained for (sha256)",
                expected: encoder_sha256.to_string(),
                found: f.encoder_sha256,
            });
        }
        if f.weights.len() != dim {
            return Err(Error::ModelMismatch {
                model: format!("overlap detector ({})", path.display()),
                what: "number of weights (embedding size)",
                expected: dim.to_string(),
                found: f.weights.len().to_string(),
            });
        }
        if !(f.threshold.is_finite() && f.bias.is_finite() && f.weights.iter().all(|w| w.is_finite())) {
            return Err(bad("weights, bias and threshold must be finite numbers".into()));
        }
        Ok(OverlapDetector {
            weights: f.weights,
            bias: f.bias,
            threshold: f.threshold,
        })
    }

    /// How far the window with unit-norm embedding `e` lies above the
    /// detector's threshold, in logits: above 0 the window is taken for
    /// overlapped speech. `e` must have the encoder's dimension.
    #[must_use]
    pub fn margin(&self, e: &[f32]) -> f32 {
        let logit: f32 = self.weights.iter().zip(e).map(|(w, x)| w * x).sum::<f32>() + self.bias;
        logit - self.threshold
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(sha: &str, n: usize) -> String {
        format!(
            r#"{{"schema_version": 1, "kind": "logistic_regression", "encoder_sha256": "{sha}",
                "threshold": 1.0, "bias": -0.5, "weights": [{}]}}"#,
            vec!["2.0"; n].join(", ")
        )
    }

    #[test]
    fn margin_is_the_logit_above_the_threshold() {
        let d = OverlapDetector::parse(&file("ab", 2), Path::new("o.json"), "AB", 2).unwrap();
        assert!((d.margin(&[1.0, 0.5]) - (2.0 + 1.0 - 0.5 - 1.0)).abs() < 1e-6);
    }

    #[test]
    fn another_encoder_or_size_is_refused() {
        let e = OverlapDetector::parse(&file("ab", 2), Path::new("o.json"), "cd", 2).unwrap_err();
        assert!(matches!(e, Error::ModelMismatch { .. }), "{e}");
        let e = OverlapDetector::parse(&file("ab", 3), Path::new("o.json"), "ab", 2).unwrap_err();
        assert!(e.to_string().contains("number of weights"), "{e}");
        let e = OverlapDetector::parse("{", Path::new("o.json"), "ab", 2).unwrap_err();
        assert!(matches!(e, Error::Manifest { .. }), "{e}");
    }
}
