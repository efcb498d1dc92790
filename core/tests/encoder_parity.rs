//! The tract-run GE2E encoder against the committed float64 numpy reference
//! and onnxruntime outputs on identical mel input (models/ge2e/reference/).

mod common;

use voiceguard::SpeakerEncoder;

#[test]
fn partial_embeddings_match_numpy_and_onnxruntime() {
    let enc = SpeakerEncoder::bundled().unwrap();
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
            "{}: max |tract - numpy f64| = {d_np:.2e}, max |tract - onnxruntime| = {d_ort:.2e}",
            path.display()
        );
        worst_np = worst_np.max(d_np);
        worst_ort = worst_ort.max(d_ort);
        cases += 1;
    }
    assert!(cases >= 3, "expected at least 3 reference cases in {}", dir.display());
    assert!(worst_np <= 1e-5, "tract vs numpy float64: {worst_np:e} > 1e-5");
    assert!(worst_ort <= 1e-5, "tract vs onnxruntime: {worst_ort:e} > 1e-5");
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
    let got = enc.embed_windows(&x, window, hop).unwrap();
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
    assert!(enc.embed_windows(&x, 0, 1).is_err());
    assert!(enc.embed_windows(&[], 10, 1).is_err());
    // A hop longer than the window never starts a window past the end.
    let sparse = enc.embed_windows(&x[..20_000], 4_000, 9_000).unwrap();
    assert_eq!(sparse.iter().map(|(s, _)| *s).collect::<Vec<_>>(), [0, 9_000, 18_000]);
}
