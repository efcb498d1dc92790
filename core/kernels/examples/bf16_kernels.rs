//! The LSTM products alone, f32 against bf16 in one process (shapes of the
//! GE2E encoder: hidden 256, gates 1024): the input projection of one chunk
//! of 160 frames (`sgemm` vs [`matmul_bf16`]) and one recurrent step
//! ([`recurrent`] vs [`matmul_bf16`] accumulating), for batches of 1, 12 and
//! 32 partials. Prints the best of 7 runs per row and the MAC rate.
//!
//! Usage: `cargo run --release -p voiceguard-kernels --example bf16_kernels`.

use std::time::Instant;
use voiceguard_kernels::{matmul_bf16, pack_recurrent, recurrent, sgemm, Bf16Cpu, Cpu, PackedBf16};

const H: usize = 256;
const G: usize = 4 * H;
const FRAMES: usize = 160;

fn best(reps: usize, mut f: impl FnMut()) -> f64 {
    f();
    (0..7)
        .map(|_| {
            let t = Instant::now();
            for _ in 0..reps {
                f();
            }
            t.elapsed().as_secs_f64() / reps as f64
        })
        .fold(f64::INFINITY, f64::min)
}

fn row(name: &str, macs: usize, f32_s: f64, bf16_s: f64) {
    #[allow(clippy::cast_precision_loss)]
    let g = |s: f64| macs as f64 / s / 1e9;
    println!(
        "{name:<28} f32 {:>9.1} us ({:>5.1} GMAC/s)   bf16 {:>9.1} us ({:>5.1} GMAC/s)   ratio {:.2}",
        f32_s * 1e6,
        g(f32_s),
        bf16_s * 1e6,
        g(bf16_s),
        f32_s / bf16_s
    );
}

fn main() {
    let bcpu = Bf16Cpu::detect();
    let cpu = Cpu::detect();
    println!("kernels: {cpu:?} / {bcpu:?}");
    #[allow(clippy::cast_precision_loss)]
    let w: Vec<f32> = (0..G * H).map(|i| ((i * 7919) % 1009) as f32 / 5000.0 - 0.1).collect();
    let w_t: Vec<f32> = (0..H * G).map(|i| w[(i % G) * H + i / G]).collect();
    let r_packed = pack_recurrent(&w, H);
    let packed = PackedBf16::new(G, H, |j, i| w[j * H + i]);
    for batch in [1, 12, 32] {
        let rows = FRAMES * batch;
        #[allow(clippy::cast_precision_loss)]
        let x: Vec<f32> = (0..rows * H)
            .map(|i| ((i * 104_729) % 997) as f32 / 498.5 - 1.0)
            .collect();
        let mut out = vec![0.0f32; rows * G];
        let mut xb = vec![0u16; packed.scratch_len(rows)];
        let reps = 64 / batch + 1;
        let a = best(reps, || sgemm(rows, H, G, &x, &w_t, &mut out));
        let b = best(reps, || matmul_bf16(bcpu, &x, &mut xb, &packed, &mut out, false));
        row(&format!("input 160 frames x {batch}"), rows * H * G, a, b);
        let h = &x[..batch * H];
        let mut step = vec![0.0f32; batch * G];
        let a = best(200, || recurrent(cpu, h, &r_packed, H, &mut step));
        let b = best(200, || matmul_bf16(bcpu, h, &mut xb, &packed, &mut step, true));
        row(&format!("recurrent step x {batch}"), batch * H * G, a, b);
    }
}
