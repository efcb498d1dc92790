//! The GE2E mel front end against librosa 0.11 `melspectrogram` on real
//! speech (references in models/ge2e/reference/mel/, made by
//! models/ge2e/mel_reference.py). We match librosa's `center=True` framing
//! with `pad_mode="constant"`: n_fft/2 zeros before the first and after the
//! last sample. Bound: max relative error <= 1e-4 on bins above 1e-6.

mod common;

use voiceguard::dsp::{MelConfig, MelPlan};

#[test]
fn mel_matches_librosa_on_real_speech() {
    let Some(corpus) = common::corpus() else { return };
    let plan = MelPlan::new(MelConfig::GE2E).unwrap();
    let dir = common::repo_root().join("models/ge2e/reference/mel");
    let mut cases = 0;
    let mut worst = 0.0f64;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let doc: serde_json::Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
        let wav = common::read_i16_wav(&corpus.join(doc["source"].as_str().unwrap()));
        let start = doc["start_sample"].as_u64().unwrap() as usize;
        let n = doc["n_samples"].as_u64().unwrap() as usize;
        let ours = plan.process(&wav[start..start + n]).unwrap();
        let want = common::floats(&doc["mel"]);
        assert_eq!(ours.len(), want.len(), "{}", path.display());
        let mut rel_max = 0.0f64;
        let mut counted = 0;
        for (a, b) in ours.iter().zip(&want) {
            if *b > 1e-6 {
                rel_max = rel_max.max((f64::from(*a) - b).abs() / b);
                counted += 1;
            }
        }
        println!(
            "{}: max relative error {rel_max:.2e} over {counted} bins > 1e-6",
            path.display()
        );
        assert!(counted > want.len() / 2);
        worst = worst.max(rel_max);
        cases += 1;
    }
    assert!(cases >= 3);
    assert!(worst <= 1e-4, "max relative error {worst:e} > 1e-4");
}
