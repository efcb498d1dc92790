//! Front end and embedding on 10 s of real speech, one thread. Throughput is
//! reported by criterion as elements (audio samples) per second; divide by
//! 16 000 for the real-time factor. The two front ends run side by side in the
//! same process; the peers in other runtimes come with the benches issue.

use criterion::{black_box, criterion_group, criterion_main, Criterion, Throughput};
use voiceguard::dsp::{FbankConfig, FbankPlan, MelConfig, MelPlan};
use voiceguard::embed::{Backend, Precision};
use voiceguard::SpeakerEncoder;

fn frontend(c: &mut Criterion) {
    let Some(x) = voiceguard_benches::speech(10.0) else {
        return;
    };
    let mel = MelPlan::new(MelConfig::GE2E).unwrap();
    let fbank = FbankPlan::new(FbankConfig::WESPEAKER).unwrap();
    let mut g = c.benchmark_group("frontend_10s");
    g.throughput(Throughput::Elements(x.len() as u64));
    let mut ms = mel.make_state();
    let mut out = vec![0.0; mel.n_frames(x.len()) * 40];
    g.bench_function("ge2e_mel", |b| {
        b.iter(|| mel.process_into(black_box(&x), &mut ms, &mut out).unwrap())
    });
    let mut fs = fbank.make_state();
    let mut fout = vec![0.0; fbank.n_frames(x.len()) * 80];
    g.bench_function("kaldi_fbank_80", |b| {
        b.iter(|| fbank.process_into(black_box(&x), &mut fs, &mut fout).unwrap())
    });
    g.finish();
}

fn embedding(c: &mut Criterion) {
    let Some(x) = voiceguard_benches::speech(10.0) else {
        return;
    };
    let mut g = c.benchmark_group("embed");
    g.sample_size(10);
    // All backends and precisions in the same run: the native LSTM in f32
    // (default) and in bf16 (AVX-512 BF16 CPUs only), and tract.
    let variants = [
        ("", Backend::Native, Precision::F32),
        ("_bf16", Backend::Native, Precision::Bf16),
        ("_tract", Backend::Tract, Precision::F32),
    ];
    // 32 partials (MAX_BATCH, one model run): the shortest speech that gives them.
    let long = voiceguard_benches::speech(30.0).and_then(|y| {
        let enc = SpeakerEncoder::bundled().unwrap();
        let n = (16_000..y.len())
            .step_by(160)
            .find(|&n| enc.partial_ranges(n).len() == 32)?;
        Some(y[..n].to_vec())
    });
    for (suffix, backend, precision) in variants {
        let mut enc = SpeakerEncoder::bundled().unwrap();
        enc.set_backend(backend).unwrap();
        if enc.set_precision(precision) != precision {
            eprintln!("SKIPPED: embed/*{suffix}: this CPU has no AVX-512 BF16");
            continue;
        }
        g.throughput(Throughput::Elements(x.len() as u64));
        g.bench_function(format!("utterance_10s{suffix}"), |b| {
            b.iter(|| enc.embed_utterance(black_box(&x)).unwrap())
        });
        g.throughput(Throughput::Elements(25_600));
        g.bench_function(format!("one_partial_1.6s{suffix}"), |b| {
            b.iter(|| enc.embed_utterance(black_box(&x[..25_600])).unwrap())
        });
        if let (Some(y), Backend::Native) = (&long, backend) {
            g.throughput(Throughput::Elements(y.len() as u64));
            g.bench_function(format!("32_partials{suffix}"), |b| {
                b.iter(|| enc.embed_utterance(black_box(y)).unwrap())
            });
        }
    }
    g.finish();
}

criterion_group!(benches, frontend, embedding);
criterion_main!(benches);
