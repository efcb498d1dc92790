//! Silero VAD through tract against onnxruntime outputs on real chunks
//! (models/silero_vad/reference/), max abs difference <= 1e-4.

mod common;

use voiceguard::vad::{frame_probabilities, SileroModel};

#[test]
fn silero_probabilities_match_onnxruntime() {
    let model = SileroModel::bundled().unwrap();
    let dir = common::repo_root().join("models/silero_vad/reference");
    let mut worst = 0.0f64;
    let mut cases = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|e| e != "json") {
            continue;
        }
        let doc: serde_json::Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
        let samples: Vec<f32> = doc["samples"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_i64().unwrap() as f32 / 32768.0)
            .collect();
        let want = common::floats(&doc["probs"]);
        let mut vad = model.make_vad().unwrap();
        let got = frame_probabilities(&mut vad, &samples).unwrap();
        assert_eq!(got.len(), want.len(), "{}", path.display());
        let d = got
            .iter()
            .zip(&want)
            .map(|(a, b)| (f64::from(*a) - b).abs())
            .fold(0.0, f64::max);
        println!("{}: max |tract - onnxruntime| = {d:.2e}", path.display());
        worst = worst.max(d);
        cases += 1;
    }
    assert!(cases >= 3);
    assert!(worst <= 1e-4, "tract vs onnxruntime: {worst:e} > 1e-4");
}
