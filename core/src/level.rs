//! Level normalisation (Resemblyzer's `normalize_volume`, and the two-way
//! levelling screening uses by default).

use crate::units::Db;

/// How loudness is evened out before the encoder.
///
/// GE2E's input is mel *power* (no logarithm), so its embeddings follow the
/// recording level: the demo reader 12 dB quieter embeds at cosine 0.984 to
/// herself under raise-only levelling, and household crops at -12 to +3 dB
/// (the audit's incident tests) passed 89 % of the time. With
/// [`Leveling::Speech`] both embed exactly as at the enrollment level, and
/// the crops pass 100 %.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Leveling {
    /// Default: the clip is raised for the VAD as Resemblyzer does
    /// (`EngineConfig::target_dbfs`), then every stretch of speech that one
    /// embedding describes (a scoring window, a span, an utterance's joined
    /// speech) is raised *or lowered* to `EngineConfig::speech_dbfs` on its
    /// own. Embeddings no longer depend on the recording level, and the
    /// gate, which cannot know a whole clip's level, embeds its windows
    /// exactly as offline screening does.
    #[default]
    Speech,
    /// Resemblyzer's `preprocess_wav` level: the whole clip raised to
    /// `target_dbfs` if quieter, never lowered, and embedded as it then is
    /// (use it to reproduce Resemblyzer's embeddings).
    RaiseOnly,
}

/// RMS level of `samples` in dBFS (full-scale sine = -3 dBFS); -inf for silence.
#[must_use]
pub fn rms_dbfs(samples: &[f32]) -> Db {
    if samples.is_empty() {
        return Db(f32::NEG_INFINITY);
    }
    #[allow(clippy::cast_precision_loss)]
    let mean_sq = samples.iter().map(|&x| f64::from(x) * f64::from(x)).sum::<f64>() / samples.len() as f64;
    Db::from_power(mean_sq)
}

/// Linear gain that takes audio at `level` dBFS to `target` dBFS (never
/// lowering it when `increase_only`); 1 for silence (-inf).
#[must_use]
pub fn gain_to(level: Db, target: Db, increase_only: bool) -> f32 {
    if !level.0.is_finite() {
        return 1.0;
    }
    let change = target.0 - level.0;
    if increase_only && change < 0.0 {
        return 1.0;
    }
    10f32.powf(change / 20.0)
}

/// Scales `samples` in place so their RMS level is `target` dBFS, only
/// raising the level when `increase_only` (Resemblyzer uses -30 dBFS,
/// increase only). Silence is left as it is. Returns the gain applied (linear).
pub fn normalize_volume(samples: &mut [f32], target: Db, increase_only: bool) -> f32 {
    let gain = gain_to(rms_dbfs(samples), target, increase_only);
    if gain == 1.0 {
        return 1.0;
    }
    for s in samples.iter_mut() {
        *s *= gain;
    }
    gain
}
