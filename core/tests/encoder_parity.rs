//! The GE2E encoder, on both backends (native LSTM and tract), against the
//! committed float64 numpy reference and onnxruntime outputs on identical mel
//! input (models/ge2e/reference/), and against each other on real speech.

mod common;

use voiceguard::embed::{Backend, Precision};
use voiceguard::SpeakerEncoder;

#[test]
fn bundled_encoder_runs_natively_by_default() {
    let enc = SpeakerEncoder::bundled().unwrap();
    assert_eq!(enc.backend(), Backend::Native);
    assert_eq!(enc.backends(), [Backend::Native, Backend::Tract]);
}

#[test]
fn partial_embeddings_match_numpy_and_onnxruntime() {
    for backend in [Backend::Native, Backend::Tract] {
        let mut enc = SpeakerEncoder::bundled().unwrap();
        enc.set_backend(backend).unwrap();
        check_reference(&enc, backend);
    }
}

fn check_reference(enc: &SpeakerEncoder, backend: Backend) {
    let dir = common::repo_root().join("models/ge2e/reference");
    let mut cases = 0;
    let (mut worst_np, mut worst_ort) = (0.0f64, 0.0f64);
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|e| e != "json") {
            continue;
        }
        let doc: serde_json::Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
        let shape: Vec<usize> = doc["shape"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_u64().unwrap() as usize)
            .collect();
        let mels: Vec<f32> = common::floats(&doc["mels"]).iter().map(|&v| v as f32).collect();
        let mut out = vec![0.0f32; shape[0] * enc.dim()];
        enc.run_features(&mels, shape[0], shape[1], &mut out).unwrap();
        let np = common::floats(&doc["embedding_f64"]);
        let ort = common::floats(&doc["embedding_onnxruntime"]);
        assert_eq!(np.len(), out.len());
        let d_np = out
            .iter()
            .zip(&np)
            .map(|(a, b)| (f64::from(*a) - b).abs())
            .fold(0.0, f64::max);
        let d_ort = out
            .iter()
            .zip(&ort)
            .map(|(a, b)| (f64::from(*a) - b).abs())
            .fold(0.0, f64::max);
        println!(
            "{backend:?} {}: max |ours - numpy f64| = {d_np:.2e}, max |ours - onnxruntime| = {d_ort:.2e}",
            path.display()
        );
        worst_np = worst_np.max(d_np);
        worst_ort = worst_ort.max(d_ort);
        cases += 1;
    }
    assert!(cases >= 3, "expected at least 3 reference cases in {}", dir.display());
    assert!(worst_np <= 1e-5, "{backend:?} vs numpy float64: {worst_np:e} > 1e-5");
    assert!(worst_ort <= 1e-5, "{backend:?} vs onnxruntime: {worst_ort:e} > 1e-5");
}

/// Real speech cut into partials and run in batches of 1 to 32 (every
/// remainder of the native kernel's 3-row tiles): both backends agree.
#[test]
fn native_and_tract_agree_on_real_partials() {
    let mut native = SpeakerEncoder::bundled().unwrap();
    native.set_backend(Backend::Native).unwrap();
    let mut tract = SpeakerEncoder::bundled().unwrap();
    tract.set_backend(Backend::Tract).unwrap();
    let path = common::repo_root().join("examples/data/librivox-sas01_1.wav");
    let x = voiceguard::audio::read_file(&path, &voiceguard::audio::Limits::default())
        .unwrap()
        .samples;
    let ranges = native.partial_ranges(x.len());
    let n_feat = native.manifest().n_features();
    let frames = ranges[0].len();
    let total = ranges.last().unwrap().end;
    let mut feats = vec![0.0f32; total * n_feat];
    let mut st = native.frontend().make_state();
    native
        .frontend()
        .process_frames_into(&x, total, &mut st, &mut feats)
        .unwrap();
    let mut batch_feats = Vec::new();
    for r in &ranges {
        batch_feats.extend_from_slice(&feats[r.start * n_feat..r.end * n_feat]);
    }
    let dim = native.dim();
    let mut worst = 0.0f32;
    let mut runs = 0;
    for batch in [1, 2, 3, 4, 5, 7, 32] {
        let batch = batch.min(ranges.len());
        let input = &batch_feats[..batch * frames * n_feat];
        let (mut a, mut b) = (vec![0.0; batch * dim], vec![0.0; batch * dim]);
        native.run_features(input, batch, frames, &mut a).unwrap();
        tract.run_features(input, batch, frames, &mut b).unwrap();
        worst = a.iter().zip(&b).map(|(p, q)| (p - q).abs()).fold(worst, f32::max);
        runs += 1;
    }
    println!(
        "{runs} batch sizes of {} partials: max |native - tract| = {worst:.2e}",
        ranges.len()
    );
    assert!(ranges.len() >= 7, "the clip should give at least 7 partials");
    assert!(worst <= 1e-5, "native vs tract: {worst:e}");
}

/// The bf16 precisions (AVX-512 BF16 CPUs only; elsewhere they fall back
/// to f32) stay within the project's parity bound, cosine >= 0.999, of the
/// f32 embeddings on real partials at every batch remainder of the kernel.
#[test]
fn bf16_partials_stay_within_the_parity_bound() {
    let f32_enc = SpeakerEncoder::bundled().unwrap();
    assert_eq!(f32_enc.precision(), Precision::F32);
    let path = common::repo_root().join("examples/data/librivox-sas01_1.wav");
    let x = voiceguard::audio::read_file(&path, &voiceguard::audio::Limits::default())
        .unwrap()
        .samples;
    let ranges = f32_enc.partial_ranges(x.len());
    let (n_feat, frames, dim) = (f32_enc.manifest().n_features(), ranges[0].len(), f32_enc.dim());
    let total = ranges.last().unwrap().end;
    let mut feats = vec![0.0f32; total * n_feat];
    let mut st = f32_enc.frontend().make_state();
    f32_enc
        .frontend()
        .process_frames_into(&x, total, &mut st, &mut feats)
        .unwrap();
    let batch_feats: Vec<f32> = ranges
        .iter()
        .flat_map(|r| feats[r.start * n_feat..r.end * n_feat].iter().copied())
        .collect();
    for precision in [Precision::Bf16] {
        let mut enc = SpeakerEncoder::bundled().unwrap();
        let got = enc.set_precision(precision);
        assert!(got == precision || got == Precision::F32);
        assert_eq!(enc.precision(), got);
        let mut worst = 1.0f32;
        for batch in [1, 2, 3, 5, 6, 7, 13, 32] {
            let batch = batch.min(ranges.len());
            let input = &batch_feats[..batch * frames * n_feat];
            let (mut a, mut b) = (vec![0.0; batch * dim], vec![0.0; batch * dim]);
            f32_enc.run_features(input, batch, frames, &mut a).unwrap();
            enc.run_features(input, batch, frames, &mut b).unwrap();
            for (p, q) in a.chunks_exact(dim).zip(b.chunks_exact(dim)) {
                worst = worst.min(p.iter().zip(q).map(|(u, v)| u * v).sum::<f32>());
            }
        }
        println!("{precision:?} (in force: {got:?}): min cosine to f32 = {worst:.6}");
        assert!(worst >= 0.999, "{precision:?}: cosine {worst}");
    }
}

#[test]
fn tampered_model_is_refused_with_both_hashes() {
    let mut files = voiceguard::model::bundled_encoder();
    let mut bytes = files.onnx.to_vec();
    let n = bytes.len();
    bytes[n / 2] ^= 0x55;
    files.onnx = bytes.into();
    let err = SpeakerEncoder::load(&files).unwrap_err();
    assert_eq!(err.kind(), voiceguard::ErrorKind::ModelMismatch);
    let msg = err.to_string();
    assert!(msg.contains("563fbaeeaeb71da1"), "{msg}");
    assert!(msg.contains("found"), "{msg}");
}

#[test]
fn manifest_with_wrong_feature_count_is_refused() {
    let mut files = voiceguard::model::bundled_encoder();
    files.manifest = files.manifest.replace("n_mels = 40", "n_mels = 80");
    let err = SpeakerEncoder::load(&files).unwrap_err();
    assert_eq!(err.kind(), voiceguard::ErrorKind::ModelMismatch);
    assert!(err.to_string().contains("80"), "{err}");
}

/// Batched window embeddings equal embedding each window on its own.
#[test]
fn batched_windows_equal_separate_utterances() {
    let enc = SpeakerEncoder::bundled().unwrap();
    let path = common::repo_root().join("examples/data/librivox-sas01_1.wav");
    let x = voiceguard::audio::read_file(&path, &voiceguard::audio::Limits::default())
        .unwrap()
        .samples;
    let (window, hop) = (25_600, 6_400); // 1.6 s every 0.4 s
    let got = enc.embed_windows(&x, window, hop, None).unwrap();
    assert_eq!(got.len(), (x.len() - window).div_ceil(hop) + 1);
    let mut worst = 0.0f32;
    for (start, e) in &got {
        let want = enc.embed_utterance(&x[*start..(*start + window).min(x.len())]).unwrap();
        for (a, b) in e.as_slice().iter().zip(want.as_slice()) {
            worst = worst.max((a - b).abs());
        }
    }
    println!("{} windows, max |batched - separate| = {worst:.2e}", got.len());
    assert!(worst <= 1e-5, "{worst}");
    assert!(enc.embed_windows(&x, 0, 1, None).is_err());
    assert!(enc.embed_windows(&[], 10, 1, None).is_err());
    // A hop longer than the window never starts a window past the end.
    let sparse = enc.embed_windows(&x[..20_000], 4_000, 9_000, None).unwrap();
    assert_eq!(sparse.iter().map(|(s, _)| *s).collect::<Vec<_>>(), [0, 9_000, 18_000]);
}
