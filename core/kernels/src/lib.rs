//! The numeric kernels of voiceguard's native GE2E LSTM (`voiceguard::embed`).
//!
//! This crate holds the core's only `unsafe` code, and only for two things:
//! calling `matrixmultiply::sgemm` (raw pointers and strides, checked here)
//! and calling AVX2+FMA or AVX-512 BF16 builds of the kernels after the CPU
//! was checked at run time ([`Cpu::detect`], [`Bf16Cpu::detect`]). Every
//! kernel also has a portable build, which the tests compare against plain
//! loops. All kernels take slices and do not allocate (only the packing of
//! weights at load does).
//!
//! Layouts: matrices are row-major `f32`; the LSTM gate order is ONNX's
//! (input, output, forget, cell), each `hidden` wide, so a row of gates is
//! `4 * hidden` values.

mod bf16;

pub use bf16::{bf16_from_f32, f32_from_bf16, matmul_bf16, Bf16Cpu, PackedBf16, BF16_PANEL};

/// Columns per packed panel of a recurrent weight matrix (2 AVX2 registers).
pub const PANEL: usize = 16;

/// Rows (sequences of a batch) whose recurrent products share one pass over a
/// panel: 6 rows x 16 columns keep 12 accumulators in AVX2 registers.
const ROWS: usize = 6;

/// Which build of the kernels this CPU runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cpu {
    /// Plain Rust, vectorised for the compile-time target only.
    Portable,
    /// x86-64 with AVX2 and FMA, detected at run time.
    Avx2Fma,
}

impl Cpu {
    /// The best build this CPU supports.
    #[must_use]
    pub fn detect() -> Self {
        #[cfg(target_arch = "x86_64")]
        {
            if std::is_x86_feature_detected!("avx2") && std::is_x86_feature_detected!("fma") {
                return Cpu::Avx2Fma;
            }
        }
        Cpu::Portable
    }
}

/// `c = a * b` for row-major `a` (`m x k`), `b` (`k x n`) and `c` (`m x n`);
/// `c`'s old values are not read.
///
/// # Panics
/// If a slice is shorter than its shape says (a caller's bug).
pub fn sgemm(m: usize, k: usize, n: usize, a: &[f32], b: &[f32], c: &mut [f32]) {
    assert!(
        a.len() >= m * k && b.len() >= k * n && c.len() >= m * n,
        "sgemm: slices shorter than {m}x{k} * {k}x{n}"
    );
    if m == 0 || n == 0 {
        return;
    }
    let (Ok(k_s), Ok(n_s)) = (isize::try_from(k), isize::try_from(n)) else {
        panic!("sgemm: {k} or {n} does not fit a stride");
    };
    // SAFETY: the asserts above make every index the strides reach lie
    // inside `a`, `b` and `c`; `c` is borrowed mutably and does not alias.
    // beta = 0: `c` is only written.
    unsafe {
        matrixmultiply::sgemm(
            m,
            k,
            n,
            1.0,
            a.as_ptr(),
            k_s,
            1,
            b.as_ptr(),
            n_s,
            1,
            0.0,
            c.as_mut_ptr(),
            n_s,
            1,
        );
    }
}

/// Packs the recurrent weights for [`recurrent`]: `r` is ONNX's `R` for one
/// direction, `4*hidden x hidden` row-major; the result holds `R^T` in panels
/// of [`PANEL`] columns, each `hidden x PANEL` row-major, zero-padded.
#[must_use]
pub fn pack_recurrent(r: &[f32], hidden: usize) -> Vec<f32> {
    let g = 4 * hidden;
    let panels = g.div_ceil(PANEL);
    let mut packed = vec![0.0; panels * hidden * PANEL];
    for (j, row) in r.chunks_exact(hidden).take(g).enumerate() {
        let (p, col) = (j / PANEL, j % PANEL);
        for (k, &v) in row.iter().enumerate() {
            packed[(p * hidden + k) * PANEL + col] = v;
        }
    }
    packed
}

/// `step[b] += h[b] * R^T` for every sequence `b` of the batch: `h` is
/// `batch x hidden`, `step` is `batch x 4*hidden`, `r_packed` comes from
/// [`pack_recurrent`].
///
/// # Panics
/// If the lengths disagree (a caller's bug).
pub fn recurrent(cpu: Cpu, h: &[f32], r_packed: &[f32], hidden: usize, step: &mut [f32]) {
    let g = 4 * hidden;
    assert!(
        hidden > 0
            && h.len().is_multiple_of(hidden)
            && step.len() == h.len() / hidden * g
            && r_packed.len() == g.div_ceil(PANEL) * hidden * PANEL,
        "recurrent: inconsistent lengths"
    );
    match cpu {
        #[cfg(target_arch = "x86_64")]
        // SAFETY: `Cpu::Avx2Fma` is only made after run-time detection.
        Cpu::Avx2Fma if g.is_multiple_of(PANEL) => unsafe { avx2::recurrent(h, r_packed, hidden, step) },
        _ => recurrent_portable(h, r_packed, hidden, step),
    }
}

fn recurrent_portable(h: &[f32], r_packed: &[f32], hidden: usize, step: &mut [f32]) {
    let g = 4 * hidden;
    let batch = h.len() / hidden;
    for (p, panel) in r_packed.chunks_exact(hidden * PANEL).enumerate() {
        let cols = (p * PANEL)..((p + 1) * PANEL).min(g);
        let mut b0 = 0;
        while b0 < batch {
            let n = (batch - b0).min(2);
            let rows = &h[b0 * hidden..(b0 + n) * hidden];
            match n {
                2 => tile::<2>(rows, panel, hidden, g, &mut step[b0 * g..], cols.clone()),
                _ => tile::<1>(rows, panel, hidden, g, &mut step[b0 * g..], cols.clone()),
            }
            b0 += n;
        }
    }
}

/// The AVX2+FMA recurrent product: tiles of up to [`ROWS`] rows by one
/// 16-column panel, accumulators in registers, the panel's two vectors
/// loaded once per `k` for all rows of the tile.
#[cfg(target_arch = "x86_64")]
mod avx2 {
    use super::{PANEL, ROWS};
    use std::arch::x86_64::{
        __m256, _mm256_add_ps, _mm256_broadcast_ss, _mm256_fmadd_ps, _mm256_loadu_ps, _mm256_setzero_ps,
        _mm256_storeu_ps,
    };

    /// # Safety
    /// The CPU must support AVX2 and FMA; lengths as checked by
    /// [`super::recurrent`], and `4 * hidden` a multiple of [`PANEL`].
    #[target_feature(enable = "avx2,fma")]
    pub(super) unsafe fn recurrent(h: &[f32], r_packed: &[f32], hidden: usize, step: &mut [f32]) {
        let g = 4 * hidden;
        let batch = h.len() / hidden;
        let panels = g / PANEL;
        let mut b0 = 0;
        while b0 < batch {
            let n = (batch - b0).min(ROWS);
            // Few rows: several panels at once, so that at least 8
            // independent accumulator chains hide the FMA latency.
            let wide = match n {
                1 => 4,
                2 | 3 => 2,
                _ => 1,
            };
            let rows = &h[b0 * hidden..(b0 + n) * hidden];
            let mut p = 0;
            while p < panels {
                let q = if p + wide <= panels { wide } else { 1 };
                let panel = &r_packed[p * hidden * PANEL..(p + q) * hidden * PANEL];
                let out = &mut step[b0 * g + p * PANEL..(b0 + n - 1) * g + (p + q) * PANEL];
                // SAFETY: the slices cover every index the tile reads or writes.
                unsafe {
                    match (n, q) {
                        (1, 4) => tile::<1, 4>(rows, panel, hidden, g, out),
                        (2, 2) => tile::<2, 2>(rows, panel, hidden, g, out),
                        (3, 2) => tile::<3, 2>(rows, panel, hidden, g, out),
                        (6, _) => tile::<6, 1>(rows, panel, hidden, g, out),
                        (5, _) => tile::<5, 1>(rows, panel, hidden, g, out),
                        (4, _) => tile::<4, 1>(rows, panel, hidden, g, out),
                        (3, _) => tile::<3, 1>(rows, panel, hidden, g, out),
                        (2, _) => tile::<2, 1>(rows, panel, hidden, g, out),
                        _ => tile::<1, 1>(rows, panel, hidden, g, out),
                    }
                }
                p += q;
            }
            b0 += n;
        }
    }

    /// `out[i*g + c]` += `rows[i] * panel` for `i < N` and the `P` panels'
    /// `16 * P` columns `c`.
    ///
    /// # Safety
    /// AVX2+FMA; `rows` holds `N * hidden` values, `panel` `P * hidden * 16`,
    /// `out` at least `(N-1) * g + 16 * P`.
    #[target_feature(enable = "avx2,fma")]
    #[inline]
    unsafe fn tile<const N: usize, const P: usize>(
        rows: &[f32],
        panel: &[f32],
        hidden: usize,
        g: usize,
        out: &mut [f32],
    ) {
        debug_assert!(
            rows.len() >= N * hidden && panel.len() >= P * hidden * PANEL && out.len() >= (N - 1) * g + P * PANEL
        );
        let (rp, pp, op) = (rows.as_ptr(), panel.as_ptr(), out.as_mut_ptr());
        let mut lo: [[__m256; P]; N] = [[_mm256_setzero_ps(); P]; N];
        let mut hi: [[__m256; P]; N] = [[_mm256_setzero_ps(); P]; N];
        for k in 0..hidden {
            for j in 0..P {
                // SAFETY: j < P and k < hidden keep every read inside the
                // slices (see the debug_assert).
                unsafe {
                    let base = pp.add((j * hidden + k) * PANEL);
                    let r0 = _mm256_loadu_ps(base);
                    let r1 = _mm256_loadu_ps(base.add(8));
                    for i in 0..N {
                        let b = _mm256_broadcast_ss(&*rp.add(i * hidden + k));
                        lo[i][j] = _mm256_fmadd_ps(b, r0, lo[i][j]);
                        hi[i][j] = _mm256_fmadd_ps(b, r1, hi[i][j]);
                    }
                }
            }
        }
        for i in 0..N {
            for j in 0..P {
                // SAFETY: i*g + j*16 + 15 < (N-1)*g + 16*P <= out.len().
                unsafe {
                    let o = op.add(i * g + j * PANEL);
                    _mm256_storeu_ps(o, _mm256_add_ps(_mm256_loadu_ps(o), lo[i][j]));
                    _mm256_storeu_ps(o.add(8), _mm256_add_ps(_mm256_loadu_ps(o.add(8)), hi[i][j]));
                }
            }
        }
    }
}

/// The portable tile: `N` rows of `step` (`g` apart), columns `cols`, from one panel.
#[inline(always)]
fn tile<const N: usize>(
    rows: &[f32],
    panel: &[f32],
    hidden: usize,
    g: usize,
    step: &mut [f32],
    cols: std::ops::Range<usize>,
) {
    let mut acc = [[0.0f32; PANEL]; N];
    for (k, r) in panel.chunks_exact(PANEL).enumerate() {
        let Ok(r) = <&[f32; PANEL]>::try_from(r) else {
            continue;
        };
        for (i, a) in acc.iter_mut().enumerate() {
            let hk = rows[i * hidden + k];
            for j in 0..PANEL {
                a[j] += hk * r[j];
            }
        }
    }
    let width = cols.len();
    for (i, a) in acc.iter().enumerate() {
        let out = &mut step[i * g + cols.start..i * g + cols.end];
        for (s, v) in out.iter_mut().zip(&a[..width]) {
            *s += v;
        }
    }
}

/// One LSTM step for every sequence of the batch: from the gate
/// pre-activations `step` (`batch x 4*hidden`, ONNX order i, o, f, c) plus
/// `bias` (`4*hidden`), updates the cell state `c` and writes the hidden
/// state `h` (both `batch x hidden`). Sigmoid and tanh use a polynomial `exp`
/// (error < 1e-6).
///
/// # Panics
/// If the lengths disagree (a caller's bug).
pub fn cell_update(cpu: Cpu, step: &[f32], bias: &[f32], c: &mut [f32], h: &mut [f32], hidden: usize) {
    assert!(
        hidden > 0
            && c.len() == h.len()
            && c.len().is_multiple_of(hidden)
            && step.len() == 4 * c.len()
            && bias.len() == 4 * hidden,
        "cell_update: inconsistent lengths"
    );
    match cpu {
        #[cfg(target_arch = "x86_64")]
        // SAFETY: `Cpu::Avx2Fma` is only made after run-time detection.
        Cpu::Avx2Fma => unsafe { cell_update_avx2(step, bias, c, h, hidden) },
        _ => cell_update_generic(step, bias, c, h, hidden, |a, b, c| a * b + c),
    }
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
unsafe fn cell_update_avx2(step: &[f32], bias: &[f32], c: &mut [f32], h: &mut [f32], hidden: usize) {
    cell_update_generic(step, bias, c, h, hidden, f32::mul_add);
}

#[inline(always)]
fn cell_update_generic(
    step: &[f32],
    bias: &[f32],
    c: &mut [f32],
    h: &mut [f32],
    hidden: usize,
    fma: impl Fn(f32, f32, f32) -> f32 + Copy,
) {
    let (bi, rest) = bias.split_at(hidden);
    let (bo, rest) = rest.split_at(hidden);
    let (bf, bg) = rest.split_at(hidden);
    for ((gates, c), h) in step
        .chunks_exact(4 * hidden)
        .zip(c.chunks_exact_mut(hidden))
        .zip(h.chunks_exact_mut(hidden))
    {
        let (i, rest) = gates.split_at(hidden);
        let (o, rest) = rest.split_at(hidden);
        let (f, g) = rest.split_at(hidden);
        let gates = i
            .iter()
            .zip(bi)
            .zip(o.iter().zip(bo))
            .zip(f.iter().zip(bf))
            .zip(g.iter().zip(bg));
        for ((c, h), ((((i, bi), (o, bo)), (f, bf)), (g, bg))) in c.iter_mut().zip(h.iter_mut()).zip(gates) {
            let cj = fma(sigmoid(f + bf, fma), *c, sigmoid(i + bi, fma) * tanh(g + bg, fma));
            *c = cj;
            *h = sigmoid(o + bo, fma) * tanh(cj, fma);
        }
    }
}

/// `e^x` for x clamped to [-87, 88], within a few ulp (Cephes `expf`).
#[inline(always)]
fn exp(x: f32, fma: impl Fn(f32, f32, f32) -> f32 + Copy) -> f32 {
    // max/min rather than clamp, and no float-to-int `as` (it saturates),
    // so that the loops around this vectorise.
    #[allow(clippy::manual_clamp)]
    let x = x.max(-87.0).min(88.0);
    let n = fma(x, std::f32::consts::LOG2_E, 0.5).floor();
    let r = fma(n, 2.121_944_4e-4, fma(n, -0.693_359_4, x));
    let mut p = 1.987_569_1e-4f32;
    p = fma(p, r, 1.398_199_9e-3);
    p = fma(p, r, 8.333_452e-3);
    p = fma(p, r, 4.166_579_6e-2);
    p = fma(p, r, 1.666_666_5e-1);
    p = fma(p, r, 0.5);
    let e = fma(p, r * r, r) + 1.0;
    // 2^n: n is an integer in [-126, 127]; adding 1.5 * 2^23 puts n + 2^22
    // (offset binary) in the low mantissa bits, from which the exponent
    // field n + 127 follows with integer arithmetic.
    let shifted = (n + 12_582_912.0).to_bits();
    let bits = shifted.wrapping_sub(0x4B40_0000 - 127) << 23;
    e * f32::from_bits(bits)
}

#[inline(always)]
fn sigmoid(x: f32, fma: impl Fn(f32, f32, f32) -> f32 + Copy) -> f32 {
    1.0 / (1.0 + exp(-x, fma))
}

#[inline(always)]
fn tanh(x: f32, fma: impl Fn(f32, f32, f32) -> f32 + Copy) -> f32 {
    2.0 * sigmoid(2.0 * x, fma) - 1.0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cpus() -> Vec<Cpu> {
        let mut v = vec![Cpu::Portable];
        if Cpu::detect() != Cpu::Portable {
            v.push(Cpu::detect());
        }
        v
    }

    #[test]
    fn exp_sigmoid_tanh_match_std() {
        let (mut e_rel, mut s_abs, mut t_abs) = (0.0f64, 0.0f64, 0.0f64);
        for i in -20_000..=20_000 {
            let x = f64::from(i) * 0.004;
            #[allow(clippy::cast_possible_truncation)]
            let xf = x as f32;
            let x = f64::from(xf);
            let plain = |a: f32, b: f32, c: f32| a * b + c;
            for fused in [false, true] {
                let (e, sg, th) = if fused {
                    (exp(xf, f32::mul_add), sigmoid(xf, f32::mul_add), tanh(xf, f32::mul_add))
                } else {
                    (exp(xf, plain), sigmoid(xf, plain), tanh(xf, plain))
                };
                e_rel = e_rel.max(((f64::from(e) - x.exp()) / x.exp()).abs());
                s_abs = s_abs.max((f64::from(sg) - 1.0 / (1.0 + (-x).exp())).abs());
                t_abs = t_abs.max((f64::from(th) - x.tanh()).abs());
            }
        }
        assert!(e_rel < 1e-6, "exp relative error {e_rel}");
        assert!(s_abs < 1e-6, "sigmoid error {s_abs}");
        assert!(t_abs < 1e-6, "tanh error {t_abs}");
    }

    fn values(n: usize, seed: usize) -> Vec<f32> {
        #[allow(clippy::cast_precision_loss)]
        (0..n).map(|i| ((i * 37 + seed) % 101) as f32 / 50.0 - 1.0).collect()
    }

    #[test]
    fn recurrent_matches_a_plain_product() {
        for hidden in [8, 12, 16, 20, 32] {
            let g = 4 * hidden;
            let r = values(g * hidden, 3); // ONNX R: g x hidden
            let packed = pack_recurrent(&r, hidden);
            for batch in 1..=7 {
                let h = values(batch * hidden, batch);
                let mut want = vec![0.5f32; batch * g];
                for b in 0..batch {
                    for j in 0..g {
                        for k in 0..hidden {
                            want[b * g + j] += h[b * hidden + k] * r[j * hidden + k];
                        }
                    }
                }
                for cpu in cpus() {
                    let mut got = vec![0.5f32; batch * g];
                    recurrent(cpu, &h, &packed, hidden, &mut got);
                    let err = got.iter().zip(&want).map(|(a, b)| (a - b).abs()).fold(0.0, f32::max);
                    assert!(err < 1e-4, "hidden {hidden} batch {batch} {cpu:?}: {err}");
                }
            }
        }
    }

    #[test]
    fn cell_update_matches_the_lstm_equations() {
        let hidden = 8;
        let batch = 2;
        let step = values(batch * 4 * hidden, 5);
        let c0 = values(batch * hidden, 7);
        let bias = values(4 * hidden, 11);
        for cpu in cpus() {
            let (mut c, mut h) = (c0.clone(), vec![0.0; batch * hidden]);
            cell_update(cpu, &step, &bias, &mut c, &mut h, hidden);
            for b in 0..batch {
                for j in 0..hidden {
                    let gate = |q: usize| f64::from(step[b * 4 * hidden + q * hidden + j] + bias[q * hidden + j]);
                    let sig = |x: f64| 1.0 / (1.0 + (-x).exp());
                    let cw = sig(gate(2)) * f64::from(c0[b * hidden + j]) + sig(gate(0)) * gate(3).tanh();
                    let hw = sig(gate(1)) * cw.tanh();
                    assert!((f64::from(c[b * hidden + j]) - cw).abs() < 1e-6, "{cpu:?} c");
                    assert!((f64::from(h[b * hidden + j]) - hw).abs() < 1e-6, "{cpu:?} h");
                }
            }
        }
    }

    #[test]
    fn sgemm_overwrites() {
        let (m, k, n) = (5, 7, 9);
        let a = values(m * k, 1);
        let b = values(k * n, 2);
        let mut c = vec![f32::NAN; m * n];
        sgemm(m, k, n, &a, &b, &mut c);
        for i in 0..m {
            for j in 0..n {
                let want: f32 = (0..k).map(|q| a[i * k + q] * b[q * n + j]).sum::<f32>();
                assert!((c[i * n + j] - want).abs() < 1e-5);
            }
        }
    }
}
