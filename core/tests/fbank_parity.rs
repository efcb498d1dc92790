//! The Kaldi fbank front end against kaldi-native-fbank 1.23 (`OnlineFbank`,
//! what WeSpeaker and sherpa use) on real speech, dither 0 (references in
//! core/tests/reference/fbank/, made by core/tests/reference/make_fbank_reference.py).
//!
//! kaldi-native-fbank works in float32 throughout (window, FFT, mel weights,
//! log), we work in f64 with f32 mel weights; on int16-scaled speech the power
//! in a bin is ~1e2..1e11, so float32 rounding plus the FFT's accumulated error
//! gives a relative error of ~1e-6..1e-5 in energy, i.e. the same absolute
//! error in the log. The reference is stored with 8 significant digits
//! (<= 1.5e-7 absolute on |log| < 30). Bound: max absolute difference of the
//! log energies <= 1e-3, over bins whose reference energy is above the
//! `f32::EPSILON` floor (at the floor both sides clamp to ln(eps), which says
//! nothing about the spectrum). The same bound holds with CMN on, against the
//! reference minus its per-bin mean.

mod common;

use voiceguard::dsp::{FbankConfig, FbankPlan};

const BOUND: f64 = 1e-3;

struct Case {
    name: String,
    samples: Vec<f32>,
    frames: usize,
    bins: usize,
    want: Vec<f64>,
}

fn cases() -> Option<Vec<Case>> {
    let corpus = common::corpus()?;
    let dir = common::repo_root().join("core/tests/reference/fbank");
    let mut paths: Vec<_> = std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().path()).collect();
    paths.sort();
    let cases: Vec<Case> = paths
        .iter()
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .map(|path| {
            let doc: serde_json::Value = serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
            assert_eq!(doc["schema_version"], 1, "{}", path.display());
            let wav = common::read_i16_wav(&corpus.join(doc["source"].as_str().unwrap()));
            let start = doc["start_sample"].as_u64().unwrap() as usize;
            let n = doc["n_samples"].as_u64().unwrap() as usize;
            let shape = common::floats(&doc["shape"]);
            let want = common::floats(&doc["fbank"]);
            let (frames, bins) = (shape[0] as usize, shape[1] as usize);
            assert_eq!(want.len(), frames * bins, "{}", path.display());
            Case {
                name: path.file_name().unwrap().to_string_lossy().into_owned(),
                samples: wav[start..start + n].to_vec(),
                frames,
                bins,
                want,
            }
        })
        .collect();
    assert!(cases.len() >= 2, "expected at least 2 references in {}", dir.display());
    Some(cases)
}

/// Max absolute difference over bins whose reference (before CMN) is above the log floor.
fn max_abs_diff(ours: &[f32], want: &[f64], raw: &[f64]) -> (f64, usize) {
    let floor = f64::from(f32::EPSILON).ln() + 1e-3;
    let mut worst = 0.0f64;
    let mut counted = 0;
    for ((a, b), r) in ours.iter().zip(want).zip(raw) {
        if *r > floor {
            worst = worst.max((f64::from(*a) - b).abs());
            counted += 1;
        }
    }
    (worst, counted)
}

#[test]
fn fbank_matches_kaldi_native_fbank_on_real_speech() {
    let Some(cases) = cases() else { return };
    let plan = FbankPlan::new(FbankConfig {
        mean_norm: false,
        ..FbankConfig::WESPEAKER
    })
    .unwrap();
    let mut worst = 0.0f64;
    for c in &cases {
        assert_eq!(plan.n_frames(c.samples.len()), c.frames, "{}", c.name);
        assert_eq!(plan.config().n_mels, c.bins, "{}", c.name);
        let ours = plan.process(&c.samples).unwrap();
        let (diff, counted) = max_abs_diff(&ours, &c.want, &c.want);
        println!(
            "{}: max |log fbank diff| {diff:.2e} over {counted}/{} bins",
            c.name,
            c.want.len()
        );
        assert!(counted > c.want.len() / 2, "{}: too many bins at the floor", c.name);
        worst = worst.max(diff);
    }
    println!("fbank (no CMN): worst max abs diff {worst:.2e}, bound {BOUND:.0e}");
    assert!(worst <= BOUND, "max abs log-fbank difference {worst:e} > {BOUND:e}");
}

#[test]
fn fbank_cmn_matches_reference_minus_its_mean() {
    let Some(cases) = cases() else { return };
    let plan = FbankPlan::new(FbankConfig {
        mean_norm: true,
        ..FbankConfig::WESPEAKER
    })
    .unwrap();
    let mut worst = 0.0f64;
    for c in &cases {
        let mut want = c.want.clone();
        for m in 0..c.bins {
            let mean = want.iter().skip(m).step_by(c.bins).sum::<f64>() / c.frames as f64;
            want.iter_mut().skip(m).step_by(c.bins).for_each(|v| *v -= mean);
        }
        let ours = plan.process(&c.samples).unwrap();
        assert_eq!(ours.len(), want.len(), "{}", c.name);
        let (diff, counted) = max_abs_diff(&ours, &want, &c.want);
        println!(
            "{} (CMN): max |diff| {diff:.2e} over {counted}/{} bins",
            c.name,
            want.len()
        );
        worst = worst.max(diff);
    }
    println!("fbank (CMN): worst max abs diff {worst:.2e}, bound {BOUND:.0e}");
    assert!(worst <= BOUND, "max abs CMN log-fbank difference {worst:e} > {BOUND:e}");
}
