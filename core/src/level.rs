//! Level normalisation (Resemblyzer's `normalize_volume`).

use crate::units::Db;

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
