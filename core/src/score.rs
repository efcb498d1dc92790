//! Scoring: cosine similarity with its range in the type.

use crate::error::{Error, Result};

/// Cosine similarity of two speaker embeddings, in [-1, 1]; higher means
/// more alike. Same-speaker GE2E pairs are typically above 0.75.
#[derive(Debug, Clone, Copy, PartialEq, PartialOrd, serde::Serialize, serde::Deserialize)]
#[serde(transparent)]
pub struct Score(pub f32);

impl Score {
    /// Cosine similarity of two vectors, computed in f64 and clamped to [-1, 1].
    ///
    /// # Errors
    /// [`Error::BufferLength`] if the lengths differ; [`Error::InvalidArgument`]
    /// if either vector is zero or not finite.
    pub fn cosine(a: &[f32], b: &[f32]) -> Result<Score> {
        if a.len() != b.len() {
            return Err(Error::BufferLength {
                what: "second embedding",
                expected: a.len(),
                actual: b.len(),
            });
        }
        let (mut dot, mut na, mut nb) = (0.0f64, 0.0f64, 0.0f64);
        for (x, y) in a.iter().zip(b) {
            let (x, y) = (f64::from(*x), f64::from(*y));
            dot += x * y;
            na += x * x;
            nb += y * y;
        }
        let denom = (na * nb).sqrt();
        if !(denom.is_finite() && denom > 0.0) {
            return Err(Error::InvalidArgument {
                what: "embedding",
                value: "a zero or non-finite vector".into(),
                expected: "non-zero finite embeddings".into(),
            });
        }
        #[allow(clippy::cast_possible_truncation)]
        Ok(Score((dot / denom).clamp(-1.0, 1.0) as f32))
    }

    /// The value in [-1, 1].
    #[must_use]
    pub fn value(self) -> f32 {
        self.0
    }
}

/// A decision threshold on [`Score`]: scores at or above it count as the same speaker.
#[derive(Debug, Clone, Copy, PartialEq, PartialOrd, serde::Serialize, serde::Deserialize)]
#[serde(transparent)]
pub struct Threshold(pub f32);

impl Threshold {
    /// The default same/different threshold for GE2E cosine: the equal-error
    /// point of `../shared/speech` sentence-reading speakers (0.750, see
    /// README, "Measured") rounded up, since a false accept costs more here
    /// than a false reject. The screening policy sets a stricter one.
    pub const GE2E_EER: Threshold = Threshold(0.76);

    /// Whether `score` is at or above the threshold.
    #[must_use]
    pub fn accepts(self, score: Score) -> bool {
        score.0 >= self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cosine_basics() {
        assert!((Score::cosine(&[1.0, 0.0], &[1.0, 0.0]).unwrap().0 - 1.0).abs() < 1e-7);
        assert!(Score::cosine(&[1.0, 0.0], &[0.0, 1.0]).unwrap().0.abs() < 1e-7);
        assert!((Score::cosine(&[1.0, 0.0], &[-2.0, 0.0]).unwrap().0 + 1.0).abs() < 1e-7);
        assert!(Score::cosine(&[1.0], &[1.0, 2.0]).is_err());
        assert!(Score::cosine(&[0.0, 0.0], &[1.0, 2.0]).is_err());
    }
}

/// Equal error rate of a verification experiment.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Eer {
    /// The rate (0..=1) at which false accepts and false rejects are equal.
    pub rate: f32,
    /// The score threshold where that happens.
    pub threshold: Score,
}

/// Equal error rate from same-speaker (`target`) and different-speaker
/// (`nontarget`) scores: sweeps every observed score as a threshold (accept
/// when `score >= t`) and returns the point minimising `max(FAR, FRR)`, with
/// the rate as the mean of the two there.
///
/// # Errors
/// [`Error::InvalidArgument`] if either list is empty.
pub fn equal_error_rate(target: &[f32], nontarget: &[f32]) -> Result<Eer> {
    if target.is_empty() || nontarget.is_empty() {
        return Err(Error::InvalidArgument {
            what: "score lists",
            value: format!("{} target, {} non-target", target.len(), nontarget.len()),
            expected: "at least one score of each kind".into(),
        });
    }
    let mut t: Vec<f32> = target.to_vec();
    let mut n: Vec<f32> = nontarget.to_vec();
    t.sort_by(f32::total_cmp);
    n.sort_by(f32::total_cmp);
    let mut best = (f32::INFINITY, 0.0f32, 0.0f32);
    for &thr in t.iter().chain(&n) {
        // FRR: targets below thr; FAR: non-targets at or above thr.
        let frr = t.partition_point(|&s| s < thr);
        let far = n.len() - n.partition_point(|&s| s < thr);
        #[allow(clippy::cast_precision_loss)]
        let (frr, far) = (frr as f32 / t.len() as f32, far as f32 / n.len() as f32);
        let worst = frr.max(far);
        if worst < best.0 {
            best = (worst, (frr + far) / 2.0, thr);
        }
    }
    Ok(Eer {
        rate: best.1,
        threshold: Score(best.2),
    })
}

#[cfg(test)]
mod eer_tests {
    use super::*;

    #[test]
    fn separable_scores_have_zero_eer() {
        let e = equal_error_rate(&[0.8, 0.9], &[0.1, 0.2, 0.3]).unwrap();
        assert!(e.rate.abs() < 1e-9);
        assert!(e.threshold.0 > 0.3 && e.threshold.0 <= 0.8);
    }

    #[test]
    fn overlapping_scores() {
        // One target below one non-target: with 4 each, EER 25%.
        let e = equal_error_rate(&[0.2, 0.6, 0.7, 0.8], &[0.1, 0.3, 0.4, 0.65]).unwrap();
        assert!((e.rate - 0.25).abs() < 1e-6, "{e:?}");
    }
}
