//! Analysis windows.

/// Periodic Hann window of `n` samples (scipy `get_window("hann", n, fftbins=True)`),
/// as librosa uses: `0.5 - 0.5 cos(2 pi i / n)`.
#[must_use]
pub fn hann_periodic(n: usize) -> Vec<f64> {
    #[allow(clippy::cast_precision_loss)]
    let nf = n as f64;
    (0..n)
        .map(|i| {
            #[allow(clippy::cast_precision_loss)]
            let x = i as f64;
            0.5 - 0.5 * (2.0 * std::f64::consts::PI * x / nf).cos()
        })
        .collect()
}

/// Kaldi's "povey" window of `n` samples: `(0.5 - 0.5 cos(2 pi i / (n - 1)))^0.85`.
#[must_use]
pub fn povey(n: usize) -> Vec<f64> {
    #[allow(clippy::cast_precision_loss)]
    let denom = (n.max(2) - 1) as f64;
    (0..n)
        .map(|i| {
            #[allow(clippy::cast_precision_loss)]
            let x = i as f64;
            (0.5 - 0.5 * (2.0 * std::f64::consts::PI * x / denom).cos()).powf(0.85)
        })
        .collect()
}
