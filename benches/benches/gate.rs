//! The streaming gate's compute per second of audio on one thread, for
//! 10 ms, 32 ms and 100 ms pushes (push, process, pull; flushed at the end;
//! default config, deciding every 2 windows) and for 10 ms pushes deciding
//! every window, against offline screening
//! of the same 30 s of audio in the same run; then offline screening and the
//! gate in 10 ms pushes with the encoder's bf16 products (`Precision::Bf16`,
//! f32 on CPUs without AVX-512 BF16).
//! Throughput is in audio samples per second (divide by 16 000 for the
//! real-time factor).

use criterion::{black_box, criterion_group, criterion_main, Criterion, Throughput};
use std::path::Path;
use voiceguard::gate::{GateConfig, GatePlan, StreamingGate};
use voiceguard::screen::{self, Policy, Voiceprint};
use voiceguard::voiceprint::Member;
use voiceguard::Engine;

const HOUSEHOLD: [&str; 4] = ["ls-1688", "ls-1998", "ls-2033", "ls-2414"];

/// 30 s: member, stranger and member speech in 5 s turns.
fn stream() -> Option<Vec<f32>> {
    let m = voiceguard_benches::speech_of(HOUSEHOLD[0], 20.0)?;
    let s = voiceguard_benches::speech_of("ls-3005", 10.0)?;
    let mut x = Vec::with_capacity(30 * 16_000);
    for k in 0..3 {
        x.extend_from_slice(&m[k * 80_000..(k + 1) * 80_000]);
        x.extend_from_slice(&s[k.min(1) * 80_000..(k.min(1) + 1) * 80_000]);
    }
    Some(x)
}

fn gate(c: &mut Criterion) {
    let engine = Engine::bundled().unwrap();
    let Some(x) = stream() else { return };
    let mut members = Vec::new();
    for name in HOUSEHOLD {
        let Some(sp) = voiceguard_benches::speech_of(name, 10.0) else {
            return;
        };
        let e = engine.encoder().embed_utterance(&sp).unwrap();
        members.push(Member {
            name: name.into(),
            voiceprint: e.as_slice().to_vec(),
            utterances: 1,
            speech_s: 10.0,
            consistency: 1.0,
            created_unix: 0,
            updated_unix: 0,
        });
    }
    let policy = Policy::default();
    let vps: Vec<Voiceprint<'_>> = members
        .iter()
        .map(|m| Voiceprint {
            name: &m.name,
            vector: &m.voiceprint,
        })
        .collect();
    let plan = GatePlan::new(engine.clone(), members.clone(), policy, GateConfig::default()).unwrap();
    let mut g = c.benchmark_group("gate_30s");
    g.sample_size(10);
    g.throughput(Throughput::Elements(x.len() as u64));
    g.bench_function("offline_screening", |b| {
        b.iter(|| screen::screen_samples(&engine, black_box(&x), &vps, &policy, Path::new("bench")).unwrap())
    });
    let mut out = vec![0.0f32; 16_000];
    let every_window = GatePlan::new(
        engine.clone(),
        members.clone(),
        policy,
        GateConfig {
            decide_every: 1,
            ..GateConfig::default()
        },
    )
    .unwrap();
    for (name, push_ms, plan) in [
        ("gate_push_10ms", 10usize, &plan),
        ("gate_push_32ms", 32, &plan),
        ("gate_push_100ms", 100, &plan),
        ("gate_push_10ms_decide_every_1", 10, &every_window),
    ] {
        let chunk = push_ms * 16;
        let mut gate = StreamingGate::new(plan.clone()).unwrap();
        g.bench_function(name, |b| {
            b.iter(|| {
                gate.reset();
                for ch in x.chunks(chunk) {
                    gate.push(black_box(ch));
                    gate.process().unwrap();
                    while gate.pull(&mut out) > 0 {}
                }
                gate.flush().unwrap();
                while gate.pull(&mut out) > 0 {}
            })
        });
    }
    // The same with the encoder's bf16 products (AVX-512 BF16; F32 elsewhere).
    let mut encoder = voiceguard::SpeakerEncoder::bundled().unwrap();
    let precision = encoder.set_precision(voiceguard::embed::Precision::Bf16);
    let engine_bf16 = Engine::new(
        std::sync::Arc::new(encoder),
        voiceguard::VadChoice::Silero(voiceguard::vad::SileroModel::bundled().unwrap()),
        voiceguard::EngineConfig::default(),
    )
    .unwrap();
    println!("bf16 rows run at precision {precision:?}");
    g.bench_function("offline_screening_bf16", |b| {
        b.iter(|| screen::screen_samples(&engine_bf16, black_box(&x), &vps, &policy, Path::new("bench")).unwrap())
    });
    let plan_bf16 = GatePlan::new(engine_bf16.clone(), members.clone(), policy, GateConfig::default()).unwrap();
    let mut gate = StreamingGate::new(plan_bf16).unwrap();
    g.bench_function("gate_push_10ms_bf16", |b| {
        b.iter(|| {
            gate.reset();
            for ch in x.chunks(160) {
                gate.push(black_box(ch));
                gate.process().unwrap();
                while gate.pull(&mut out) > 0 {}
            }
            gate.flush().unwrap();
            while gate.pull(&mut out) > 0 {}
        })
    });
    g.finish();
}

criterion_group!(benches, gate);
criterion_main!(benches);
