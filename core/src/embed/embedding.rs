//! [`Embedding`]: an L2-normalised speaker vector.

use crate::error::{Error, Result};
use crate::score::Score;

/// A speaker embedding: `dim` f32 values with unit L2 norm. Owns its values.
#[derive(Debug, Clone, PartialEq)]
pub struct Embedding(Vec<f32>);

impl Embedding {
    /// L2-normalises `raw` (computed in f64).
    ///
    /// # Errors
    /// [`Error::InvalidInput`](crate::ErrorKind::InvalidInput) if `raw` is empty, zero or not finite.
    pub fn normalized(mut raw: Vec<f32>) -> Result<Self> {
        let norm = raw.iter().map(|&v| f64::from(v) * f64::from(v)).sum::<f64>().sqrt();
        if raw.is_empty() || !norm.is_finite() || norm == 0.0 {
            return Err(Error::InvalidArgument {
                what: "embedding",
                value: format!("{} values with L2 norm {norm}", raw.len()),
                expected: "a non-empty, finite, non-zero vector".into(),
            });
        }
        for v in &mut raw {
            #[allow(clippy::cast_possible_truncation)]
            let x = (f64::from(*v) / norm) as f32;
            *v = x;
        }
        Ok(Embedding(raw))
    }

    /// Resemblyzer's utterance embedding: the mean of `parts` (each already
    /// unit-norm), normalised again.
    ///
    /// # Errors
    /// As [`Embedding::normalized`]; also if `parts` is empty or dims differ.
    pub fn mean_of<'a>(parts: impl IntoIterator<Item = &'a [f32]>) -> Result<Self> {
        let mut acc: Vec<f64> = Vec::new();
        let mut n = 0usize;
        for p in parts {
            if acc.is_empty() {
                acc = vec![0.0; p.len()];
            } else if acc.len() != p.len() {
                return Err(Error::BufferLength {
                    what: "partial embedding",
                    expected: acc.len(),
                    actual: p.len(),
                });
            }
            for (a, v) in acc.iter_mut().zip(p) {
                *a += f64::from(*v);
            }
            n += 1;
        }
        #[allow(clippy::cast_precision_loss, clippy::cast_possible_truncation)]
        let mean = acc.iter().map(|a| (a / n.max(1) as f64) as f32).collect();
        Embedding::normalized(mean)
    }

    /// The values (unit L2 norm).
    #[must_use]
    pub fn as_slice(&self) -> &[f32] {
        &self.0
    }

    /// Number of dimensions.
    #[must_use]
    pub fn dim(&self) -> usize {
        self.0.len()
    }

    /// Cosine similarity with `other` (a dot product, both being unit-norm).
    ///
    /// # Errors
    /// [`Error::BufferLength`] if the dimensions differ.
    pub fn cosine(&self, other: &Embedding) -> Result<Score> {
        Score::cosine(&self.0, &other.0)
    }

    /// Consumes the embedding, returning its values.
    #[must_use]
    pub fn into_vec(self) -> Vec<f32> {
        self.0
    }
}
