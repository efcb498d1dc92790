//! Corpus tests on ../shared/speech (or $VOICEGUARD_CORPUS): mel front end vs
//! librosa, utterance embeddings vs Resemblyzer, and an EER regression guard.
//! Skipped with a printed reason when the corpus is absent (mandatory in CI).

mod common;

use std::collections::BTreeMap;
use voiceguard::{equal_error_rate, Engine, SpeakerEncoder};

/// Utterance embeddings from our pipeline, given Resemblyzer's own
/// preprocessed waveform (rebuilt from the recorded gain and kept intervals),
/// agree with `VoiceEncoder().embed_utterance(preprocess_wav(path))`.
#[test]
fn utterance_embeddings_match_resemblyzer() {
    let Some(corpus) = common::corpus() else { return };
    let refs = common::repo_root().join("models/ge2e/reference/resemblyzer/utterances.json");
    let doc: serde_json::Value = serde_json::from_slice(&std::fs::read(&refs).unwrap()).unwrap();
    let enc = SpeakerEncoder::bundled().unwrap();
    let clips = doc["clips"].as_array().unwrap();
    let mut speakers = std::collections::BTreeSet::new();
    let mut worst = (f64::INFINITY, String::new());
    let mut sum = 0.0;
    for c in clips {
        let rel = c["path"].as_str().unwrap();
        let wav = common::read_i16_wav(&corpus.join(rel));
        let gain = c["gain"].as_f64().unwrap() as f32;
        let mut pre = Vec::new();
        for k in c["kept"].as_array().unwrap() {
            let (s, e) = (k[0].as_u64().unwrap() as usize, k[1].as_u64().unwrap() as usize);
            pre.extend(wav[s..e].iter().map(|x| x * gain));
        }
        assert_eq!(pre.len() as u64, c["preprocessed_samples"].as_u64().unwrap(), "{rel}");
        assert_eq!(
            enc.partial_ranges(pre.len()).len() as u64,
            c["partials"].as_u64().unwrap(),
            "{rel}"
        );
        let ours = enc.embed_utterance(&pre).unwrap();
        let theirs: Vec<f32> = common::floats(&c["embedding"]).iter().map(|&v| v as f32).collect();
        // Cosine in f64 (Score rounds to f32, which would hide the digits that matter here).
        let dot: f64 = ours
            .as_slice()
            .iter()
            .zip(&theirs)
            .map(|(a, b)| f64::from(*a) * f64::from(*b))
            .sum();
        let norm: f64 = theirs.iter().map(|b| f64::from(*b) * f64::from(*b)).sum::<f64>().sqrt();
        let cos = dot / norm;
        sum += cos;
        if cos < worst.0 {
            worst = (cos, rel.to_string());
        }
        speakers.insert(c["speaker"].as_str().unwrap().to_string());
    }
    println!(
        "Resemblyzer parity: {} clips, {} speakers, mean cosine {:.7}, min {:.7} (1 - min = {:.1e}, {})",
        clips.len(),
        speakers.len(),
        sum / clips.len() as f64,
        worst.0,
        1.0 - worst.0,
        worst.1
    );
    assert!(clips.len() >= 100 && speakers.len() >= 20);
    assert!(worst.0 >= 0.999, "cosine {} < 0.999 on {}", worst.0, worst.1);
}

/// Same-speaker vs different-speaker cosine over all pairs of clips >= 2 s of
/// the sentence-reading speakers (all but the spoken-digit fsdd-* folders and
/// the mixtures), through the full pipeline (resample, level, Silero VAD, GE2E).
#[test]
fn eer_on_sentence_readers_is_below_ten_percent() {
    let Some(corpus) = common::corpus() else { return };
    let engine = Engine::bundled().unwrap();
    let clips: Vec<_> = common::manifest(&corpus)
        .into_iter()
        .filter(|c| c.duration_s >= 2.0 && c.role != "mixture" && !c.speaker.starts_with("fsdd-"))
        .collect();
    let mut embs = Vec::new();
    for c in &clips {
        let e = engine.embed_file(&c.path).unwrap_or_else(|e| panic!("{}: {e}", c.rel));
        embs.push((c.speaker.clone(), e.embedding));
    }
    let (mut same, mut diff) = (Vec::new(), Vec::new());
    for i in 0..embs.len() {
        for j in i + 1..embs.len() {
            let s = embs[i].1.cosine(&embs[j].1).unwrap().value();
            if embs[i].0 == embs[j].0 {
                same.push(s)
            } else {
                diff.push(s)
            }
        }
    }
    let eer = equal_error_rate(&same, &diff).unwrap();
    let per_speaker: BTreeMap<&str, usize> = embs.iter().fold(BTreeMap::new(), |mut m, (s, _)| {
        *m.entry(s.as_str()).or_default() += 1;
        m
    });
    println!(
        "EER {:.2}% at cosine {:.3} over {} clips of {} speakers ({} same, {} different pairs)",
        100.0 * eer.rate,
        eer.threshold.value(),
        embs.len(),
        per_speaker.len(),
        same.len(),
        diff.len()
    );
    assert!(eer.rate < 0.10, "EER {} >= 10%", eer.rate);
}
