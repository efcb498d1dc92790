//! Peak single-thread f32 FMA throughput of this core, for the physical limit
//! in `benches/README.md`: 12 independent 8-lane fused multiply-add chains
//! (enough to cover FMA latency x ports on current x86 cores), run for a
//! fixed number of iterations; prints one JSON line
//! `{"stage": "fma_peak", "gflops": .., "isa": ..}` (best of 5 runs).
//!
//! On x86_64 with AVX2 and FMA (checked at run time) it uses those
//! instructions; elsewhere it reports the portable scalar-loop rate and says so.

use std::time::Instant;

const ITERS: u64 = 50_000_000;

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
unsafe fn fma_avx2(iters: u64) -> f32 {
    use std::arch::x86_64::{__m256, _mm256_add_ps, _mm256_fmadd_ps, _mm256_set1_ps, _mm256_storeu_ps};
    let a = _mm256_set1_ps(0.999_999);
    let b = _mm256_set1_ps(1e-7);
    let mut acc: [__m256; 12] = [_mm256_set1_ps(1.0); 12];
    for _ in 0..iters {
        for v in &mut acc {
            *v = _mm256_fmadd_ps(*v, a, b);
        }
    }
    let mut s = acc[0];
    for v in &acc[1..] {
        s = _mm256_add_ps(s, *v);
    }
    let mut out = [0.0f32; 8];
    // SAFETY: `out` has room for the 8 lanes of one __m256; unaligned store.
    unsafe { _mm256_storeu_ps(out.as_mut_ptr(), s) };
    out.iter().sum()
}

fn main() {
    #[cfg(target_arch = "x86_64")]
    if is_x86_feature_detected!("avx2") && is_x86_feature_detected!("fma") {
        let mut best = f64::INFINITY;
        let mut sink = 0.0f32;
        for _ in 0..5 {
            let t = Instant::now();
            // SAFETY: AVX2 and FMA were detected on this CPU just above.
            sink += unsafe { fma_avx2(ITERS) };
            best = best.min(t.elapsed().as_secs_f64());
        }
        // 12 chains x 8 lanes x 2 flops (multiply + add) per iteration.
        #[allow(clippy::cast_precision_loss)]
        let gflops = (ITERS * 12 * 8 * 2) as f64 / best / 1e9;
        println!(
            r#"{{"stage": "fma_peak", "gflops": {gflops:.1}, "isa": "avx2+fma, 12 chains x 8 lanes", "check": {sink:.3}}}"#
        );
        return;
    }
    let mut acc = [1.0f32; 16];
    let t = Instant::now();
    for _ in 0..ITERS / 4 {
        for v in &mut acc {
            *v = v.mul_add(0.999_999, 1e-7);
        }
    }
    #[allow(clippy::cast_precision_loss)]
    let gflops = (ITERS / 4 * 16 * 2) as f64 / t.elapsed().as_secs_f64() / 1e9;
    println!(
        r#"{{"stage": "fma_peak", "gflops": {gflops:.1}, "isa": "portable mul_add (no AVX2+FMA detected)", "check": {:.3}}}"#,
        acc.iter().sum::<f32>()
    );
}
