//! Front end and embedding on 10 s of real speech, one thread. Throughput is
//! reported by criterion as elements (audio samples) per second; divide by
//! 16 000 for the real-time factor. The two front ends run side by side in the
//! same process; the peers in other runtimes come with the benches issue.

use criterion::{black_box, criterion_group, criterion_main, Criterion, Throughput};
use voiceguard::dsp::{FbankConfig, FbankPlan, MelConfig, MelPlan};
use voiceguard::embed::Backend;
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
    // Both backends in the same run: the native LSTM (default) and tract.
    for (suffix, backend) in [("", Backend::Native), ("_tract", Backend::Tract)] {
        let mut enc = SpeakerEncoder::bundled().unwrap();
        enc.set_backend(backend).unwrap();
        g.throughput(Throughput::Elements(x.len() as u64));
        g.bench_function(format!("utterance_10s{suffix}"), |b| {
            b.iter(|| enc.embed_utterance(black_box(&x)).unwrap())
        });
        g.throughput(Throughput::Elements(25_600));
        g.bench_function(format!("one_partial_1.6s{suffix}"), |b| {
            b.iter(|| enc.embed_utterance(black_box(&x[..25_600])).unwrap())
        });
    }
    g.finish();
}

criterion_group!(benches, frontend, embedding);
criterion_main!(benches);
