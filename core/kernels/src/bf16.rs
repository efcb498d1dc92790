//! bfloat16 matrix products for the LSTM: `out (+)= x * W^T` with `W` packed
//! once into bf16 and `x` rounded to bf16 on the fly, products accumulated
//! in f32 (AVX-512 `VDPBF16PS`: pairs of bf16 products per f32 lane).
//!
//! The same kernel serves the input projection (`x` = the frames of a chunk,
//! `W` = ONNX `W`) and the recurrent product (`x` = `h_{t-1}`, `W` = ONNX
//! `R`, accumulated onto the input projection). A portable build computes
//! exactly what the instruction is specified to compute (round-to-nearest-even
//! conversion, each pair of exact bf16 products added to the f32 sum in
//! turn); the tests compare the SIMD build against it.

/// Output columns per packed panel: one 512-bit register of f32.
pub const BF16_PANEL: usize = 16;

/// Rows (sequences or frames) whose products share one pass over a group of
/// panels in the AVX-512 build: 6 rows x 4 panels keep 24 accumulators in
/// the 32 registers.
const ROWS: usize = 6;

/// Rows of `x` whose panel passes share the L1-resident weight group before
/// moving on (bounds the rows re-read per group of panels).
const ROW_BLOCK: usize = 48;

/// Which build of the bf16 kernels this CPU runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Bf16Cpu {
    /// Plain Rust: the reference (slow; for tests and CPUs without the
    /// instructions).
    Portable,
    /// x86-64 with AVX-512 F/BW/VL and `AVX512_BF16`, detected at run time.
    Avx512Bf16,
}

impl Bf16Cpu {
    /// The best bf16 build this CPU supports. Under valgrind, which hides
    /// AVX-512 from `CPUID`, this is [`Bf16Cpu::Portable`].
    #[must_use]
    pub fn detect() -> Self {
        #[cfg(target_arch = "x86_64")]
        {
            if std::is_x86_feature_detected!("avx512f")
                && std::is_x86_feature_detected!("avx512bw")
                && std::is_x86_feature_detected!("avx512vl")
                && std::is_x86_feature_detected!("avx512bf16")
            {
                return Bf16Cpu::Avx512Bf16;
            }
        }
        Bf16Cpu::Portable
    }
}

/// `x` rounded to bfloat16 (the upper 16 bits of an f32), round to nearest,
/// ties to even; a NaN stays a (quiet) NaN and a subnormal becomes a zero of
/// its sign, as `VCVTNE2PS2BF16` does. Returns the bits.
#[must_use]
pub fn bf16_from_f32(x: f32) -> u16 {
    let bits = x.to_bits();
    if x.is_subnormal() {
        #[allow(clippy::cast_possible_truncation)]
        return ((bits >> 16) as u16) & 0x8000;
    }
    if x.is_nan() {
        // Keep sign and payload's top bits, force quiet.
        #[allow(clippy::cast_possible_truncation)]
        return ((bits >> 16) as u16) | 0x0040;
    }
    let lsb = (bits >> 16) & 1;
    // No overflow: the largest finite f32 rounds to infinity's bits at most.
    #[allow(clippy::cast_possible_truncation)]
    let rounded = (bits.wrapping_add(0x7FFF + lsb) >> 16) as u16;
    rounded
}

/// The f32 value of bfloat16 bits (exact).
#[must_use]
pub fn f32_from_bf16(b: u16) -> f32 {
    f32::from_bits(u32::from(b) << 16)
}

/// A weight matrix in bf16, packed for [`matmul_bf16`]: for `n` outputs of
/// `k` inputs each, panels of [`BF16_PANEL`] outputs; inside a panel, for
/// each pair of inputs `(2q, 2q+1)`, the 16 outputs' two weights side by
/// side (the pair-interleaved layout `VDPBF16PS` multiplies). `k` is padded
/// to even and `n` to a whole panel with zeros.
#[derive(Debug, Clone)]
pub struct PackedBf16 {
    data: Vec<u16>,
    k: usize,
    n: usize,
}

impl PackedBf16 {
    /// Packs the `n x k` matrix whose element (output `j`, input `i`) is
    /// `weight(j, i)`, each rounded to bf16.
    #[must_use]
    pub fn new(n: usize, k: usize, weight: impl Fn(usize, usize) -> f32) -> Self {
        let pairs = k.div_ceil(2);
        let panels = n.div_ceil(BF16_PANEL);
        let mut data = vec![0u16; panels * pairs * 2 * BF16_PANEL];
        for j in 0..n {
            let (p, c) = (j / BF16_PANEL, j % BF16_PANEL);
            for i in 0..k {
                let (q, odd) = (i / 2, i % 2);
                data[((p * pairs + q) * BF16_PANEL + c) * 2 + odd] = bf16_from_f32(weight(j, i));
            }
        }
        PackedBf16 { data, k, n }
    }

    /// Inputs per output (`k`).
    #[must_use]
    pub fn k(&self) -> usize {
        self.k
    }

    /// Outputs (`n`).
    #[must_use]
    pub fn n(&self) -> usize {
        self.n
    }

    /// Length of the bf16 scratch [`matmul_bf16`] needs for `rows` rows of `x`.
    #[must_use]
    pub fn scratch_len(&self, rows: usize) -> usize {
        rows * self.k_even()
    }

    fn k_even(&self) -> usize {
        self.k.div_ceil(2) * 2
    }
}

/// `out = x * W^T` (or `out += x * W^T` with `accumulate`) for `x` of `rows x
/// k` f32 (row-major) and `out` of `rows x n`, with `w` from
/// [`PackedBf16::new`]. `x` is first rounded to bf16 into `x_bf16` (at least
/// [`PackedBf16::scratch_len`] long); products are summed in f32.
///
/// # Panics
/// If the lengths disagree (a caller's bug).
pub fn matmul_bf16(cpu: Bf16Cpu, x: &[f32], x_bf16: &mut [u16], w: &PackedBf16, out: &mut [f32], accumulate: bool) {
    let (k, n) = (w.k, w.n);
    assert!(
        k > 0 && x.len().is_multiple_of(k) && out.len() == x.len() / k * n,
        "matmul_bf16: inconsistent lengths"
    );
    let rows = x.len() / k;
    let xb = &mut x_bf16[..w.scratch_len(rows)];
    match cpu {
        #[cfg(target_arch = "x86_64")]
        // SAFETY: `Bf16Cpu::Avx512Bf16` is only made after run-time
        // detection of every feature the build enables; lengths checked above.
        Bf16Cpu::Avx512Bf16 if n.is_multiple_of(BF16_PANEL) => unsafe {
            avx512::to_bf16(x, k, xb);
            avx512::matmul(xb, w, rows, out, accumulate);
        },
        _ => {
            to_bf16_portable(x, k, xb);
            matmul_portable(xb, w, rows, out, accumulate);
        }
    }
}

/// Rounds `x` (rows of `k`) into `xb` (rows of `k` rounded up to even, the
/// pad zero).
fn to_bf16_portable(x: &[f32], k: usize, xb: &mut [u16]) {
    let ke = k.div_ceil(2) * 2;
    for (row, dst) in x.chunks_exact(k).zip(xb.chunks_exact_mut(ke)) {
        for (d, &v) in dst.iter_mut().zip(row) {
            *d = bf16_from_f32(v);
        }
        dst[k..].fill(0);
    }
}

/// The reference product: per output, a f32 sum over the input pairs, the
/// odd then the even product of each pair added in turn (the products of two
/// bf16 values are exact in f32), as `VDPBF16PS` specifies; then added to or
/// stored in `out`.
fn matmul_portable(xb: &[u16], w: &PackedBf16, rows: usize, out: &mut [f32], accumulate: bool) {
    let (n, ke) = (w.n, w.k_even());
    let pairs = ke / 2;
    for r in 0..rows {
        let xr = &xb[r * ke..(r + 1) * ke];
        for j in 0..n {
            let (p, c) = (j / BF16_PANEL, j % BF16_PANEL);
            let mut acc = 0.0f32;
            for q in 0..pairs {
                let wi = ((p * pairs + q) * BF16_PANEL + c) * 2;
                acc += f32_from_bf16(xr[2 * q + 1]) * f32_from_bf16(w.data[wi + 1]);
                acc += f32_from_bf16(xr[2 * q]) * f32_from_bf16(w.data[wi]);
            }
            let o = &mut out[r * n + j];
            *o = if accumulate { *o + acc } else { acc };
        }
    }
}

/// The AVX-512 BF16 build.
#[cfg(target_arch = "x86_64")]
mod avx512 {
    use super::{PackedBf16, BF16_PANEL, ROWS, ROW_BLOCK};
    use std::arch::x86_64::{
        __m512, __m512bh, __m512i, _mm512_add_ps, _mm512_cvtne2ps_pbh, _mm512_dpbf16_ps, _mm512_loadu_ps,
        _mm512_loadu_si512, _mm512_set1_epi32, _mm512_setzero_ps, _mm512_storeu_ps, _mm512_storeu_si512,
    };

    /// Rounds `x` (rows of `k`) to bf16 into `xb` (rows of `k` rounded up to
    /// even), 32 values per conversion.
    ///
    /// # Safety
    /// The CPU must support AVX-512 F and BF16; `xb` holds `x.len() / k`
    /// rows of even length.
    #[target_feature(enable = "avx512f,avx512bw,avx512vl,avx512bf16")]
    pub(super) unsafe fn to_bf16(x: &[f32], k: usize, xb: &mut [u16]) {
        if !k.is_multiple_of(2) {
            // Rows need a zero pad: not the encoder's case.
            super::to_bf16_portable(x, k, xb);
            return;
        }
        debug_assert!(xb.len() >= x.len());
        let whole = x.len() / 32 * 32;
        let (xp, bp) = (x.as_ptr(), xb.as_mut_ptr());
        let mut i = 0;
        while i < whole {
            // SAFETY: i + 32 <= x.len() <= xb.len(); unaligned loads/stores.
            unsafe {
                let lo = _mm512_loadu_ps(xp.add(i));
                let hi = _mm512_loadu_ps(xp.add(i + 16));
                // The second operand fills the low half.
                let b: __m512bh = _mm512_cvtne2ps_pbh(hi, lo);
                _mm512_storeu_si512(bp.add(i).cast::<__m512i>(), std::mem::transmute::<__m512bh, __m512i>(b));
            }
            i += 32;
        }
        for (d, &v) in xb[whole..x.len()].iter_mut().zip(&x[whole..]) {
            *d = super::bf16_from_f32(v);
        }
    }

    /// `out (+)= xb * W^T`: row blocks of [`ROW_BLOCK`], inside each the
    /// panels in groups of 4 (8 for a single row) and tiles of up to
    /// [`ROWS`] rows per group, so a group's weights stay in L1 while the
    /// block's rows pass over it.
    ///
    /// # Safety
    /// AVX-512 F and BF16; `xb` holds `rows` rows of `w.k_even()`, `out`
    /// `rows * w.n`, `w.n` a multiple of [`BF16_PANEL`].
    #[target_feature(enable = "avx512f,avx512bw,avx512vl,avx512bf16")]
    pub(super) unsafe fn matmul(xb: &[u16], w: &PackedBf16, rows: usize, out: &mut [f32], accumulate: bool) {
        let (n, ke) = (w.n, w.k_even());
        let panels = n / BF16_PANEL;
        let panel_len = ke * BF16_PANEL;
        debug_assert!(xb.len() >= rows * ke && out.len() >= rows * n && w.data.len() >= panels * panel_len);
        let mut r0 = 0;
        while r0 < rows {
            let r1 = (r0 + ROW_BLOCK).min(rows);
            // One row (batch 1): 8 panels at once, so that 8 independent
            // accumulator chains hide the instruction's latency.
            let group = if r1 - r0 == 1 { 8 } else { 4 };
            let mut p = 0;
            while p < panels {
                let q = if p + group <= panels { group } else { 1 };
                let wp = &w.data[p * panel_len..(p + q) * panel_len];
                let mut b0 = r0;
                while b0 < r1 {
                    let m = (r1 - b0).min(ROWS);
                    let x = &xb[b0 * ke..(b0 + m) * ke];
                    let o = &mut out[b0 * n + p * BF16_PANEL..(b0 + m - 1) * n + (p + q) * BF16_PANEL];
                    // SAFETY: the slices cover every index the tile reads or
                    // writes (checked by its debug_assert).
                    unsafe {
                        match (m, q) {
                            (1, 8) => tile::<1, 8>(x, wp, ke, n, o, accumulate),
                            (1, 4) => tile::<1, 4>(x, wp, ke, n, o, accumulate),
                            (2, 4) => tile::<2, 4>(x, wp, ke, n, o, accumulate),
                            (3, 4) => tile::<3, 4>(x, wp, ke, n, o, accumulate),
                            (4, 4) => tile::<4, 4>(x, wp, ke, n, o, accumulate),
                            (5, 4) => tile::<5, 4>(x, wp, ke, n, o, accumulate),
                            (6, 4) => tile::<6, 4>(x, wp, ke, n, o, accumulate),
                            (6, _) => tile::<6, 1>(x, wp, ke, n, o, accumulate),
                            (5, _) => tile::<5, 1>(x, wp, ke, n, o, accumulate),
                            (4, _) => tile::<4, 1>(x, wp, ke, n, o, accumulate),
                            (3, _) => tile::<3, 1>(x, wp, ke, n, o, accumulate),
                            (2, _) => tile::<2, 1>(x, wp, ke, n, o, accumulate),
                            _ => tile::<1, 1>(x, wp, ke, n, o, accumulate),
                        }
                    }
                    b0 += m;
                }
                p += q;
            }
            r0 = r1;
        }
    }

    /// `out[i*n + c] (+)= x[i] * W^T` for the `N` rows of `x` and the `16 * P`
    /// columns `c` of the `P` panels of `w`.
    ///
    /// # Safety
    /// AVX-512 F and BF16; `x` holds `N * ke` values, `w` `P * ke * 16`,
    /// `out` at least `(N-1) * n + 16 * P`.
    #[target_feature(enable = "avx512f,avx512bw,avx512vl,avx512bf16")]
    #[inline]
    unsafe fn tile<const N: usize, const P: usize>(
        x: &[u16],
        w: &[u16],
        ke: usize,
        n: usize,
        out: &mut [f32],
        accumulate: bool,
    ) {
        debug_assert!(x.len() >= N * ke && w.len() >= P * ke * BF16_PANEL && out.len() >= (N - 1) * n + P * BF16_PANEL);
        let (xp, wp, op) = (x.as_ptr(), w.as_ptr(), out.as_mut_ptr());
        let panel_len = ke * BF16_PANEL;
        let mut acc: [[__m512; P]; N] = [[_mm512_setzero_ps(); P]; N];
        for q in 0..ke / 2 {
            // SAFETY: q < ke/2, j < P, i < N keep every read inside the
            // slices (see the debug_assert); loads are unaligned.
            unsafe {
                let mut wv: [__m512bh; P] = [std::mem::transmute::<__m512i, __m512bh>(_mm512_set1_epi32(0)); P];
                for (j, v) in wv.iter_mut().enumerate() {
                    let src = wp.add(j * panel_len + q * 2 * BF16_PANEL).cast::<__m512i>();
                    *v = std::mem::transmute::<__m512i, __m512bh>(_mm512_loadu_si512(src));
                }
                for (i, a) in acc.iter_mut().enumerate() {
                    let pair = xp.add(i * ke + 2 * q).cast::<i32>().read_unaligned();
                    let xv = std::mem::transmute::<__m512i, __m512bh>(_mm512_set1_epi32(pair));
                    for (a, &v) in a.iter_mut().zip(&wv) {
                        *a = _mm512_dpbf16_ps(*a, xv, v);
                    }
                }
            }
        }
        for (i, a) in acc.iter().enumerate() {
            for (j, &v) in a.iter().enumerate() {
                // SAFETY: i*n + j*16 + 15 < (N-1)*n + 16*P <= out.len().
                unsafe {
                    let o = op.add(i * n + j * BF16_PANEL);
                    let v = if accumulate {
                        _mm512_add_ps(_mm512_loadu_ps(o), v)
                    } else {
                        v
                    };
                    _mm512_storeu_ps(o, v);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn values(n: usize, seed: usize) -> Vec<f32> {
        #[allow(clippy::cast_precision_loss)]
        (0..n).map(|i| ((i * 37 + seed) % 101) as f32 / 50.0 - 1.0).collect()
    }

    fn cpus() -> Vec<Bf16Cpu> {
        let mut v = vec![Bf16Cpu::Portable];
        if Bf16Cpu::detect() != Bf16Cpu::Portable {
            v.push(Bf16Cpu::detect());
        }
        v
    }

    #[test]
    fn rounding_is_to_nearest_even() {
        let one = 1.0f32.to_bits();
        // 1 + 2^-8 is halfway between 1 and 1 + 2^-7: ties to even (1).
        assert_eq!(bf16_from_f32(f32::from_bits(one + 0x8000)), 0x3F80);
        // 1 + 3 * 2^-8 is halfway between 1 + 2^-7 and 1 + 2^-6: up (even).
        assert_eq!(bf16_from_f32(f32::from_bits(one + 0x18000)), 0x3F82);
        // Just above a tie rounds up, just below rounds down.
        assert_eq!(bf16_from_f32(f32::from_bits(one + 0x8001)), 0x3F81);
        assert_eq!(bf16_from_f32(f32::from_bits(one + 0x7FFF)), 0x3F80);
        assert_eq!(bf16_from_f32(-2.5), 0xC020);
        assert_eq!(bf16_from_f32(f32::MAX), 0x7F80); // rounds to infinity
        assert!(f32_from_bf16(bf16_from_f32(f32::NAN)).is_nan());
        assert_eq!(f32_from_bf16(0x3F80), 1.0);
    }

    /// The SIMD conversion matches the reference bit for bit, ties and
    /// subnormals included (the length leaves a scalar tail).
    #[test]
    fn conversion_matches_the_reference() {
        // Special values first, so that the SIMD loop (not the tail) sees them.
        let mut x: Vec<f32> = vec![0.0, -0.0, f32::INFINITY, f32::NEG_INFINITY, f32::MAX, -f32::MAX];
        x.extend([
            f32::from_bits(0x0001_8000),
            -f32::from_bits(0x007F_FFFF),
            f32::MIN_POSITIVE,
            1e-39,
        ]);
        let mut s = 0x1234_5678u32;
        for _ in 0..4098 {
            s = s.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
            // Random normal f32 with exponents around 1 and exact ties.
            let e = 100 + (s >> 27);
            let m = if s & 1 == 0 {
                s & 0x007F_FFFF
            } else {
                (s & 0x007F_0000) | 0x8000
            };
            x.push(f32::from_bits((s & 0x8000_0000) | (e << 23) | m));
        }
        for cpu in cpus() {
            let mut xb = vec![0u16; x.len()];
            match cpu {
                #[cfg(target_arch = "x86_64")]
                // SAFETY: detected at run time; k = 2 is even, lengths fit.
                Bf16Cpu::Avx512Bf16 => unsafe { avx512::to_bf16(&x, 2, &mut xb) },
                _ => to_bf16_portable(&x, 2, &mut xb),
            }
            for (v, b) in x.iter().zip(&xb) {
                assert_eq!(*b, bf16_from_f32(*v), "{cpu:?} {v:e}");
            }
        }
    }

    /// The SIMD product against the portable reference (bit for bit on this
    /// CPU; a tolerance leaves room for other implementations of the
    /// instruction), and both against a plain f32 product within bf16's
    /// precision.
    #[test]
    fn matmul_matches_the_reference() {
        for (k, n) in [(8, 16), (40, 64), (20, 128), (256, 1024), (7, 32), (6, 20)] {
            let w = values(n * k, 3); // n x k, as ONNX W or R
            let packed = PackedBf16::new(n, k, |j, i| w[j * k + i]);
            for rows in [1, 2, 3, 5, 6, 7, 12, 13, 50] {
                let x = values(rows * k, rows);
                let mut exact = vec![0.5f32; rows * n];
                let mut scale = vec![0.0f32; rows * n];
                for r in 0..rows {
                    for j in 0..n {
                        for i in 0..k {
                            exact[r * n + j] += x[r * k + i] * w[j * k + i];
                            scale[r * n + j] += (x[r * k + i] * w[j * k + i]).abs();
                        }
                    }
                }
                let mut xb = vec![0u16; packed.scratch_len(rows)];
                let mut reference = vec![0.5f32; rows * n];
                matmul_bf16(Bf16Cpu::Portable, &x, &mut xb, &packed, &mut reference, true);
                for (i, ((r, e), s)) in reference.iter().zip(&exact).zip(&scale).enumerate() {
                    // Two roundings of 2^-9 each on every product.
                    assert!(
                        (r - e).abs() <= 8e-3 * s + 1e-6,
                        "k {k} n {n} rows {rows} [{i}]: {r} vs {e}"
                    );
                }
                for cpu in cpus() {
                    for accumulate in [true, false] {
                        let mut got = vec![0.5f32; rows * n];
                        matmul_bf16(cpu, &x, &mut xb, &packed, &mut got, accumulate);
                        for (i, ((g, r), s)) in got.iter().zip(&reference).zip(&scale).enumerate() {
                            let r = if accumulate { *r } else { r - 0.5 };
                            assert!(
                                (g - r).abs() <= 1e-6 * (s + 1.0),
                                "{cpu:?} k {k} n {n} rows {rows} acc {accumulate} [{i}]: {g} vs {r}"
                            );
                        }
                    }
                }
            }
        }
    }
}
