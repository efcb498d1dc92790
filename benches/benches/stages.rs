//! The screening stages on real speech from the corpus, one thread each:
//! Silero VAD and the energy VAD per 32 ms chunk, scoring one embedding
//! against a 4-member store, redaction of a 10 s clip, the policy decision on
//! an analysed 10 s clip, and full screening of a 10 s clip (VAD, windows,
//! decision). Throughput is in audio samples per second (divide by 16 000 for
//! the real-time factor).

use criterion::{black_box, criterion_group, criterion_main, Criterion, Throughput};
use voiceguard::audio::AudioBuf;
use voiceguard::screen::{self, Fill, Policy, Voiceprint};
use voiceguard::vad::{EnergyPreset, EnergyVad, SileroModel, Vad};
use voiceguard::voiceprint::{Member, StoreKey, VoiceprintStore};
use voiceguard::{Engine, SampleRate, SpeakerEncoder};

const CHUNK: usize = 512;
const HOUSEHOLD: [&str; 4] = ["ls-1688", "ls-1998", "ls-2033", "ls-2414"];

fn vad(c: &mut Criterion) {
    let Some(x) = voiceguard_benches::speech(10.0) else {
        return;
    };
    let mut g = c.benchmark_group("vad_per_32ms_chunk");
    g.throughput(Throughput::Elements(CHUNK as u64));
    let silero = SileroModel::bundled().unwrap();
    let mut sv = silero.make_vad().unwrap();
    let mut chunks = x.chunks_exact(CHUNK).cycle();
    g.bench_function("silero", |b| {
        b.iter(|| sv.process(black_box(chunks.next().unwrap())).unwrap())
    });
    let mut ev = EnergyVad::new(EnergyPreset::Normal);
    g.bench_function("energy", |b| {
        b.iter(|| ev.process(black_box(chunks.next().unwrap())).unwrap())
    });
    g.finish();
}

/// Voiceprints of the four household speakers (10 s of each, one embedding).
fn household(enc: &SpeakerEncoder) -> Option<Vec<Vec<f32>>> {
    HOUSEHOLD
        .iter()
        .map(|s| {
            Some(
                enc.embed_utterance(&voiceguard_benches::speech_of(s, 10.0)?)
                    .ok()?
                    .as_slice()
                    .to_vec(),
            )
        })
        .collect()
}

fn scoring(c: &mut Criterion) {
    let enc = SpeakerEncoder::bundled().unwrap();
    let (Some(vps), Some(test)) = (household(&enc), voiceguard_benches::speech_of("ls-3005", 10.0)) else {
        return;
    };
    let e = enc.embed_utterance(&test).unwrap();
    let dir = std::env::temp_dir().join(format!("voiceguard-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let mut store = VoiceprintStore::open_or_create(
        &dir.join("home.vgs"),
        StoreKey::generate().unwrap(),
        enc.model_id(),
        enc.dim(),
    )
    .unwrap();
    for (name, vp) in HOUSEHOLD.iter().zip(vps) {
        store
            .put(Member {
                name: (*name).to_string(),
                voiceprint: vp,
                utterances: 1,
                speech_s: 10.0,
                consistency: 1.0,
                created_unix: 0,
                updated_unix: 0,
            })
            .unwrap();
    }
    let mut g = c.benchmark_group("score");
    g.bench_function("embedding_vs_4_members", |b| {
        b.iter(|| store.scores(black_box(&e)).unwrap())
    });
    g.finish();
    let _ = std::fs::remove_dir_all(&dir);
}

/// 10 s: 4 s of a member, 3 s of a stranger, 3 s of the member again.
fn mixed_10s() -> Option<Vec<f32>> {
    let m = voiceguard_benches::speech_of(HOUSEHOLD[0], 7.0)?;
    let s = voiceguard_benches::speech_of("ls-3005", 3.0)?;
    let mut x = m[..64_000].to_vec();
    x.extend_from_slice(&s);
    x.extend_from_slice(&m[64_000..]);
    Some(x)
}

fn screening(c: &mut Criterion) {
    let engine = Engine::bundled().unwrap();
    let (Some(vps), Some(x)) = (household(engine.encoder()), mixed_10s()) else {
        return;
    };
    let members: Vec<Voiceprint<'_>> = HOUSEHOLD
        .iter()
        .zip(&vps)
        .map(|(name, v)| Voiceprint { name, vector: v })
        .collect();
    let policy = Policy::default();
    let audio = AudioBuf::new(x.clone(), SampleRate(16_000));
    let path = std::path::Path::new("bench");
    let mut g = c.benchmark_group("screen_10s");
    g.sample_size(10);
    g.throughput(Throughput::Elements(x.len() as u64));
    let mut out = x.clone();
    let ranges = [(4.0, 7.0)];
    g.bench_function("redact", |b| {
        b.iter(|| {
            out.copy_from_slice(&x);
            screen::redact_interleaved(black_box(&mut out), 1, 16_000, &ranges, Fill::Silence, 10.0).unwrap();
        })
    });
    let (analysis, mut speech) = screen::analyze(&engine, &audio, &policy, path).unwrap();
    g.bench_function("decide_only", |b| {
        b.iter(|| screen::decide(black_box(&analysis), &members, &policy, &mut speech).unwrap())
    });
    g.bench_function("full", |b| {
        b.iter(|| screen::screen_audio(&engine, black_box(&audio), &members, &policy, path).unwrap())
    });
    g.finish();
}

criterion_group!(benches, vad, scoring, screening);
criterion_main!(benches);
