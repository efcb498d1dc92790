//! The streaming gate on the demo clips (committed under `examples/data`):
//! sample alignment, chunk-size independence, agreement with offline
//! screening, an empty store, events, back-pressure, flush and reset.

mod common;

use common::read_i16_wav;
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};
use voiceguard::enroll::{EnrollConfig, Enroller};
use voiceguard::gate::{GateConfig, GatePlan, SpanLabel, StreamingGate};
use voiceguard::screen::{self, Decision, OnUncertain, Policy, Voiceprint};
use voiceguard::voiceprint::Member;
use voiceguard::{Engine, ErrorKind};

fn demo(name: &str) -> PathBuf {
    common::repo_root().join("examples/data").join(name)
}

fn engine() -> &'static Engine {
    static E: OnceLock<Engine> = OnceLock::new();
    E.get_or_init(|| Engine::bundled().unwrap())
}

/// `sas01` enrolled from demo clips 1-3.
fn sas01() -> Member {
    static M: OnceLock<Member> = OnceLock::new();
    M.get_or_init(|| {
        // The demo has 14 s of sas01 in clips 1-3; clips 4 and 5 stay held out.
        let config = EnrollConfig {
            min_speech_s: 12.0,
            ..EnrollConfig::default()
        };
        let mut e = Enroller::new(engine(), "sas01", config);
        for i in 1..=3 {
            e.push_file(&demo(&format!("librivox-sas01_{i}.wav"))).unwrap();
        }
        e.finish().unwrap().into_member("sas01").unwrap()
    })
    .clone()
}

/// sas01 clip 4, the awb stranger, sas01 clip 5, with 0.2 s gaps of silence.
fn mixed() -> (Vec<f32>, [std::ops::Range<usize>; 3]) {
    let parts = [
        read_i16_wav(&demo("librivox-sas01_4.wav")),
        read_i16_wav(&demo("arctic-awb_1.wav")),
        read_i16_wav(&demo("librivox-sas01_5.wav")),
    ];
    let mut mix = Vec::new();
    let mut bounds = Vec::new();
    for p in &parts {
        bounds.push(mix.len()..mix.len() + p.len());
        mix.extend_from_slice(p);
        mix.extend(std::iter::repeat_n(0.0, 3200));
    }
    (mix, [bounds[0].clone(), bounds[1].clone(), bounds[2].clone()])
}

fn plan(members: Vec<Member>, config: GateConfig) -> Arc<GatePlan> {
    GatePlan::new(engine().clone(), members, Policy::default(), config).unwrap()
}

#[test]
fn output_is_the_input_delayed_with_other_speech_silenced() {
    let (mix, bounds) = mixed();
    let p = plan(vec![sas01()], GateConfig::default());
    let mut gate = StreamingGate::new(p.clone()).unwrap();
    let l = gate.latency_samples();
    assert_eq!(l, 64_000);
    let out = common::stream_through(&mut gate, &mix, 160);
    assert_eq!(out.len(), l + mix.len(), "latency zeros then every input sample");
    assert!(out[..l].iter().all(|&v| v == 0.0));
    let released = &out[l..];
    // Kept samples are bit-exact copies of the input at the same position.
    let kept = released.iter().zip(&mix).filter(|(o, i)| o == i && **i != 0.0).count();
    let silenced_in = |r: &std::ops::Range<usize>| {
        let n = mix[r.clone()].iter().filter(|v| **v != 0.0).count();
        let s = r.clone().filter(|&i| released[i] == 0.0 && mix[i] != 0.0).count();
        s as f64 / n as f64
    };
    let (m1, st, m2) = (
        silenced_in(&bounds[0]),
        silenced_in(&bounds[1]),
        silenced_in(&bounds[2]),
    );
    println!("silenced: member {m1:.3}, stranger {st:.3}, member {m2:.3}; kept {kept}");
    assert!(st > 0.85, "stranger part silenced {st}");
    assert!(m1 < 0.25 && m2 < 0.25, "member parts silenced {m1} {m2}");
    // Events cover the stream in order, with the stranger as other/uncertain.
    let mut events = Vec::new();
    while let Some(e) = gate.pop_span() {
        events.push(e);
    }
    assert!(!events.is_empty());
    assert_eq!(events[0].start_s, 0.0);
    assert!(events
        .windows(2)
        .all(|w| w[0].end_s == w[1].start_s && w[0].label != w[1].label));
    assert!((events.last().unwrap().end_s - mix.len() as f64 / 16e3).abs() < 1e-9);
    assert!(events.iter().any(|e| e.label == SpanLabel::Member(0)));
    assert!(events.iter().any(|e| e.label.is_silenced()));
    assert_eq!(p.member_name(0), Some("sas01"));
}

#[test]
fn chunk_size_does_not_change_the_output() {
    let (mix, _) = mixed();
    let x = &mix[..16_000 * 9];
    let p = plan(vec![sas01()], GateConfig::default());
    let reference = common::stream_through(&mut StreamingGate::new(p.clone()).unwrap(), x, 160);
    for chunk in [1, 512, 4_000, 40_000] {
        let out = common::stream_through(&mut StreamingGate::new(p.clone()).unwrap(), x, chunk);
        assert!(out == reference, "chunks of {chunk} samples differ from 160");
    }
}

#[test]
fn gate_agrees_with_offline_screening_on_the_demo_mix() {
    let (mix, _) = mixed();
    let member = sas01();
    let p = plan(vec![member.clone()], GateConfig::default());
    let mut gate = StreamingGate::new(p).unwrap();
    let l = gate.latency_samples();
    let out = common::stream_through(&mut gate, &mix, 320);
    let policy = Policy {
        on_uncertain: OnUncertain::Redact,
        ..Policy::default()
    };
    let vps = [Voiceprint {
        name: &member.name,
        vector: &member.voiceprint,
    }];
    let v = screen::screen_samples(engine(), &mix, &vps, &policy, Path::new("mix")).unwrap();
    let offline = |i: usize| {
        let t = i as f64 / 16e3;
        match v.decision {
            Decision::Pass => false,
            Decision::Redact => v.redactions.iter().any(|(a, b)| t >= *a && t < *b),
            Decision::Hold => v
                .spans
                .iter()
                .any(|s| s.label != voiceguard::screen::Label::Nonspeech && t >= s.start_s && t < s.end_s),
        }
    };
    let differ = (0..mix.len())
        .filter(|&i| mix[i] != 0.0 && (out[l + i] == 0.0) != offline(i))
        .count();
    let frac = differ as f64 / mix.len() as f64;
    if std::env::var_os("VG_DEBUG_GATE").is_some() {
        println!("offline redactions {:?}", v.redactions);
        for sp in &v.spans {
            println!(
                "  offline {:.2}-{:.2} {} {:?}",
                sp.start_s, sp.end_s, sp.label, sp.score
            );
        }
        let mut run_start = None;
        for i in 0..=mix.len() {
            let s = i < mix.len() && out[l + i] == 0.0 && mix[i] != 0.0;
            match (s, run_start) {
                (true, None) => run_start = Some(i),
                (false, Some(a)) if i - a > 800 => {
                    println!("  gate silenced {:.2}-{:.2}", a as f64 / 16e3, i as f64 / 16e3);
                    run_start = None;
                }
                (false, Some(_)) => run_start = None,
                _ => {}
            }
        }
        while let Some(e) = gate.pop_span() {
            println!("  gate {:.2}-{:.2} {:?} {:?}", e.start_s, e.end_s, e.label, e.score);
        }
    }
    println!(
        "offline {} {:?}; differing samples {:.2}%",
        v.decision,
        v.reasons,
        100.0 * frac
    );
    assert!(
        frac <= 0.02,
        "gate and offline differ on {:.2}% of the clip",
        100.0 * frac
    );
}

#[test]
fn an_empty_store_silences_all_speech_and_nothing_else() {
    let x = read_i16_wav(&demo("arctic-slt_1.wav"));
    let mut padded = vec![0.0f32; 8000];
    padded.extend_from_slice(&x);
    padded.extend(std::iter::repeat_n(0.0, 16_000));
    let p = plan(Vec::new(), GateConfig::default());
    let mut gate = StreamingGate::new(p).unwrap();
    let l = gate.latency_samples();
    let out = common::stream_through(&mut gate, &padded, 160);
    let segs = engine().speech_segments(&padded).unwrap();
    assert!(!segs.is_empty());
    for r in &segs {
        assert!(
            out[l + r.start..l + r.end].iter().all(|&v| v == 0.0),
            "speech {r:?} released"
        );
    }
    // Outside speech (and its 10 ms fades), the input comes out unchanged.
    let fade = 160;
    for i in 0..padded.len() {
        let near = segs.iter().any(|r| i + fade >= r.start && i < r.end + fade);
        if !near {
            assert_eq!(out[l + i], padded[i], "non-speech sample {i} changed");
        }
    }
    let mut labels = Vec::new();
    while let Some(e) = gate.pop_span() {
        labels.push(e.label);
    }
    assert!(labels
        .iter()
        .all(|l| matches!(l, SpanLabel::Nonspeech | SpanLabel::Uncertain | SpanLabel::Other)));
}

#[test]
fn push_is_bounded_flush_ends_and_reset_restarts() {
    let x = read_i16_wav(&demo("arctic-awb_1.wav")).repeat(2);
    let config = GateConfig {
        input_s: 0.5,
        max_events: 2,
        ..GateConfig::default()
    };
    let p = plan(vec![sas01()], config);
    let mut gate = StreamingGate::new(p).unwrap();
    // Without process/pull, the buffer fills and push refuses the rest.
    let first = gate.push(&x);
    assert!(first < x.len());
    assert_eq!(gate.free_input(), 0);
    assert_eq!(gate.push(&x[first..]), 0);
    gate.reset();
    let a = common::stream_through(&mut gate, &x, 1000);
    assert_eq!(gate.push(&x[..10]), 0, "push after flush is refused");
    let mut n = 0;
    while gate.pop_span().is_some() {
        n += 1;
    }
    assert!(n <= 2);
    assert!(gate.stats().dropped_spans > 0 || n < 2);
    gate.reset();
    let b = common::stream_through(&mut gate, &x, 777);
    assert!(a == b, "a reset gate gives the same output again");
}

#[test]
fn bad_settings_are_refused_with_what_to_do() {
    for (config, what) in [
        (
            GateConfig {
                latency_s: 0.2,
                ..GateConfig::default()
            },
            "gate latency",
        ),
        (
            GateConfig {
                context_s: 3.5,
                ..GateConfig::default()
            },
            "gate context",
        ),
        (
            GateConfig {
                max_events: 0,
                ..GateConfig::default()
            },
            "gate event queue",
        ),
    ] {
        let e = GatePlan::new(engine().clone(), Vec::new(), Policy::default(), config).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidInput);
        assert!(e.to_string().contains(what), "{e}");
    }
    let mut m = sas01();
    m.voiceprint.truncate(10);
    let e = GatePlan::new(engine().clone(), vec![m], Policy::default(), GateConfig::default()).unwrap_err();
    assert!(e.to_string().contains("256 values"), "{e}");
}
