//! Screening on the demo clips shipped in `examples/data` (no corpus needed):
//! a household of one reader, her held-out clips, a stranger, and a mixture.

mod common;

use std::path::PathBuf;
use voiceguard::audio::{self, AudioBuf, Limits};
use voiceguard::enroll::{EnrollConfig, Enroller};
use voiceguard::screen::{self, Decision, Label, OnUncertain, Policy, Reason, Voiceprint};
use voiceguard::{Engine, SampleRate};

fn data(name: &str) -> PathBuf {
    common::repo_root().join("examples/data").join(name)
}

fn load(name: &str) -> Vec<f32> {
    audio::read_file(&data(name), &Limits::default()).unwrap().samples
}

fn household(engine: &Engine) -> Vec<f32> {
    let config = EnrollConfig {
        min_speech_s: 10.0,
        ..EnrollConfig::default()
    };
    let mut e = Enroller::new(engine, "sas", config);
    for n in ["librivox-sas01_1.wav", "librivox-sas01_3.wav", "librivox-sas01_4.wav"] {
        e.push_file(&data(n)).unwrap();
    }
    e.finish().unwrap().into_member("sas").unwrap().voiceprint.clone()
}

fn screen_with(engine: &Engine, vp: &[f32], samples: Vec<f32>, policy: &Policy) -> screen::Verdict {
    let members = [Voiceprint {
        name: "sas",
        vector: vp,
    }];
    let audio = AudioBuf::new(samples, SampleRate(16_000));
    screen::screen_audio(engine, &audio, &members, policy, std::path::Path::new("clip")).unwrap()
}

fn screen(engine: &Engine, vp: &[f32], samples: Vec<f32>) -> screen::Verdict {
    screen_with(engine, vp, samples, &Policy::default())
}

#[test]
fn member_passes_stranger_is_redacted_mixture_is_cut_at_the_turns() {
    let engine = Engine::bundled().unwrap();
    let vp = household(&engine);
    for n in ["librivox-sas01_2.wav", "librivox-sas01_5.wav"] {
        let v = screen(&engine, &vp, load(n));
        println!(
            "{n}: {:?} {:?} windows {:?}",
            v.decision,
            v.reasons,
            v.windows.iter().map(|w| w.score).collect::<Vec<_>>()
        );
        assert_eq!(v.decision, Decision::Pass, "{n}: {v:#?}");
    }
    let v = screen(&engine, &vp, load("arctic-awb_1.wav"));
    println!("awb: {:?} {:?}", v.decision, v.reasons);
    assert_ne!(v.decision, Decision::Pass);

    // member 1, stranger, member 2, with 0.3 s pauses.
    let (a, b, c) = (
        load("librivox-sas01_2.wav"),
        load("arctic-awb_1.wav"),
        load("librivox-sas01_5.wav"),
    );
    let gap = vec![0.0f32; 4800];
    let mut mix = a.clone();
    mix.extend(&gap);
    let b0 = mix.len() as f64 / 16_000.0;
    mix.extend(&b);
    let b1 = mix.len() as f64 / 16_000.0;
    mix.extend(&gap);
    mix.extend(&c);
    // Default policy: the short first turn (2.7 s of speech) is `uncertain`,
    // so the clip is held; the stranger's turn is `other` either way.
    let v = screen(&engine, &vp, mix.clone());
    assert_ne!(v.decision, Decision::Pass);
    assert!(v.reasons.contains(&Reason::OtherSpeech), "{:?}", v.reasons);
    // Uncertain speech redacted instead of held: the output keeps the member's
    // last turn and silences the whole stranger turn.
    let policy = Policy {
        on_uncertain: OnUncertain::Redact,
        ..Policy::default()
    };
    let v = screen_with(&engine, &vp, mix, &policy);
    for s in &v.spans {
        println!(
            "{:7.2} {:7.2} {:12} {:?} {:?}",
            s.start_s,
            s.end_s,
            s.label.to_string(),
            s.score,
            s.action
        );
    }
    println!("stranger {b0:.2}..{b1:.2}; redactions {:?}", v.redactions);
    assert_eq!(v.decision, Decision::Redact, "{:?}", v.reasons);
    assert!(v.spans.iter().any(|s| s.label == Label::Member("sas".into())));
    // Every speech span overlapping the stranger's turn is redacted.
    for s in v
        .spans
        .iter()
        .filter(|s| s.label != Label::Nonspeech && s.end_s > b0 + 0.05 && s.start_s < b1 - 0.05)
    {
        assert_ne!(
            s.action,
            screen::Action::Keep,
            "{s:?} inside the stranger turn {b0:.2}..{b1:.2} is kept"
        );
    }
}

/// A clip without speech passes only if it is long enough for the VAD to
/// rule speech out; a shorter one is held as too short to verify.
#[test]
fn silence_passes_but_a_clip_too_short_to_verify_is_held() {
    let engine = Engine::bundled().unwrap();
    let vp = household(&engine);
    let policy = Policy::default();
    let v = screen_with(&engine, &vp, vec![0.0; 48_000], &policy);
    assert_eq!(v.decision, Decision::Pass, "{:?}", v.reasons);
    assert_eq!(v.reasons, vec![Reason::NoSpeech]);
    let v = screen_with(&engine, &vp, vec![0.0; 6_400], &policy);
    assert_eq!(v.decision, Decision::Hold, "{:?}", v.reasons);
    assert_eq!(v.reasons, vec![Reason::TooShort]);
}

/// The recording level does not move a clip's embedding: the engine brings
/// the speech it embeds to -27 dBFS both ways, so a member 12 dB quieter (a
/// speaker further from the device) embeds as at the enrollment level.
/// Raise-only levelling (Resemblyzer's, `Leveling::RaiseOnly`) leaves loud
/// clips as they are, and the same clip then embeds measurably differently.
#[test]
fn the_recording_level_does_not_move_the_embedding() {
    use voiceguard::level::{rms_dbfs, Leveling};
    use voiceguard::vad::SileroModel;
    use voiceguard::{EngineConfig, SpeakerEncoder, VadChoice};
    let x = load("librivox-sas01_2.wav");
    assert!(rms_dbfs(&x).0 > -30.0, "the demo clip is louder than the target");
    let quiet: Vec<f32> = x.iter().map(|v| v * 10f32.powf(-12.0 / 20.0)).collect();
    let cos = |a: &[f32], b: &[f32]| a.iter().zip(b).map(|(x, y)| f64::from(*x) * f64::from(*y)).sum::<f64>();
    let engine = Engine::bundled().unwrap();
    assert_eq!(engine.config().leveling, Leveling::Speech);
    let src = std::path::Path::new("clip");
    let (loud_e, quiet_e) = (
        engine.embed_samples(&x, src).unwrap(),
        engine.embed_samples(&quiet, src).unwrap(),
    );
    let matched = cos(loud_e.embedding.as_slice(), quiet_e.embedding.as_slice());
    let raise_only = Engine::new(
        std::sync::Arc::new(SpeakerEncoder::bundled().unwrap()),
        VadChoice::Silero(SileroModel::bundled().unwrap()),
        EngineConfig {
            leveling: Leveling::RaiseOnly,
            ..EngineConfig::default()
        },
    )
    .unwrap();
    let (loud_r, quiet_r) = (
        raise_only.embed_samples(&x, src).unwrap(),
        raise_only.embed_samples(&quiet, src).unwrap(),
    );
    let raised = cos(loud_r.embedding.as_slice(), quiet_r.embedding.as_slice());
    println!(
        "clip at {:.1} dBFS vs 12 dB quieter: cosine {matched:.6} levelled both ways, {raised:.6} raised only",
        rms_dbfs(&x).0
    );
    assert!(matched > 0.9999, "{matched}");
    assert!(raised < matched - 0.005, "raise-only {raised} vs matched {matched}");
}

/// A stranger talking under the member (a stranger's clip at `gain_db`
/// under the middle of sas01_5 + sas01_2).
fn overlapped(stranger: &str, gain_db: f64) -> (Vec<f32>, f64, f64) {
    let mut member = load("librivox-sas01_5.wav");
    member.extend(load("librivox-sas01_2.wav"));
    let stranger = load(stranger);
    let rms = |x: &[f32]| (x.iter().map(|v| f64::from(*v).powi(2)).sum::<f64>() / x.len() as f64).sqrt();
    let n = stranger.len().min(member.len() / 2);
    let at = member.len() / 2 - n / 2;
    let g = rms(&member) / rms(&stranger[..n]) * 10f64.powf(gain_db / 20.0);
    let mut mix = member;
    for (o, s) in mix[at..at + n].iter_mut().zip(&stranger[..n]) {
        *o += (f64::from(*s) * g) as f32;
    }
    let peak = mix.iter().fold(0.0f32, |p, v| p.max(v.abs()));
    if peak > 1.0 {
        mix.iter_mut().for_each(|v| *v /= peak);
    }
    (mix, at as f64 / 16e3, (at + n) as f64 / 16e3)
}

/// The overlap detector marks a stranger talking under the member, so the
/// clip is not passed; the member's own clips have no flagged window.
#[test]
fn overlapped_speech_is_not_passed() {
    let engine = Engine::bundled().unwrap();
    assert!(
        engine.encoder().overlap_detector().is_some(),
        "the bundled encoder ships a detector"
    );
    let vp = household(&engine);
    let off = Policy {
        overlap_windows: 0,
        ..Policy::default()
    };
    let analyze = |x: &[f32]| {
        screen::analyze_samples(&engine, x, &Policy::default(), std::path::Path::new("clip"))
            .unwrap()
            .0
    };
    for n in ["librivox-sas01_2.wav", "librivox-sas01_5.wav"] {
        let a = analyze(&load(n));
        assert!(a.overlap.iter().all(|m| *m < 0.0), "{n}: {:?}", a.overlap);
    }
    for stranger in ["arctic-awb_1.wav", "arctic-slt_1.wav"] {
        for gain_db in [0.0, -6.0] {
            let (mix, t0, t1) = overlapped(stranger, gain_db);
            let v = screen(&engine, &vp, mix.clone());
            let v_off = screen_with(&engine, &vp, mix.clone(), &off);
            let a = analyze(&mix);
            let flagged = a.overlap.iter().filter(|m| **m > 0.0).count();
            println!(
                "{stranger} at {gain_db} dB over {t0:.2}-{t1:.2} s: {:?} {:?}; rule off: {:?} {:?}; windows flagged {flagged} of {}",
                v.decision,
                v.reasons,
                v_off.decision,
                v_off.reasons,
                a.overlap.len()
            );
            for s in &v.spans {
                println!("   {:6.2}-{:6.2} {} {:?}", s.start_s, s.end_s, s.label, s.score);
            }
            assert_ne!(v.decision, Decision::Pass, "{v:#?}");
        }
    }
}
