//! The streaming gate against offline screening on mixed clips of the
//! real-speech corpus (member, stranger, member; as in `screen_corpus.rs`),
//! and the latency trade-off: stranger speech leaked and member speech lost
//! per latency setting. Prints a table with `--nocapture`.

mod common;

use common::screening::{self, Enrolled, Rng};
use common::Clip;
use std::collections::{BTreeMap, HashMap};
use std::ops::Range;
use std::path::Path;
use std::sync::Arc;
use voiceguard::gate::{GateConfig, GatePlan, StreamingGate};
use voiceguard::screen::{self, Decision, Label, OnUncertain, Policy, Verdict, Voiceprint};
use voiceguard::voiceprint::Member;
use voiceguard::Engine;

const MIXES: usize = 24;
/// A gate setting: (latency in seconds, decide every n windows).
type Setting = (f32, u32);

/// Gate settings measured.
const SETTINGS: [Setting; 7] = [(1.5, 1), (2.0, 1), (3.0, 1), (4.0, 1), (5.0, 1), (4.0, 2), (4.0, 4)];

struct Mix {
    samples: Vec<f32>,
    bounds: [Range<usize>; 3],
    household: Vec<String>,
}

fn trimmed(engine: &Engine, policy: &Policy, x: &[f32]) -> Vec<f32> {
    let a = screening::analysis(engine, policy, x);
    match (a.map.segments.first(), a.map.segments.last()) {
        (Some(f), Some(l)) => x[f.start..l.end].to_vec(),
        _ => Vec::new(),
    }
}

/// Offline screening's silenced positions: redactions, or all speech of a held clip.
fn offline_mask(v: &Verdict, n: usize) -> Vec<bool> {
    let mut m = vec![false; n];
    let mut set = |a: f64, b: f64| {
        let (a, b) = (
            ((a * 16e3).round() as usize).min(n),
            ((b * 16e3).round() as usize).min(n),
        );
        m[a..b].fill(true);
    };
    match v.decision {
        Decision::Pass => {}
        Decision::Redact => v.redactions.iter().for_each(|&(a, b)| set(a, b)),
        Decision::Hold => v
            .spans
            .iter()
            .filter(|s| s.label != Label::Nonspeech)
            .for_each(|s| set(s.start_s, s.end_s)),
    }
    m
}

/// The gate's silenced positions: released as exact zeros where the input was not.
fn gate_mask(plan: &Arc<GatePlan>, x: &[f32]) -> Vec<bool> {
    let mut gate = StreamingGate::new(plan.clone()).unwrap();
    let l = gate.latency_samples();
    let out = common::stream_through(&mut gate, x, 160);
    assert_eq!(out.len(), l + x.len());
    (0..x.len()).map(|i| out[l + i] == 0.0 && x[i] != 0.0).collect()
}

fn member(name: &str, e: &Enrolled) -> Member {
    Member {
        name: name.to_string(),
        voiceprint: e.voiceprint.clone(),
        utterances: 3,
        speech_s: e.speech_s,
        consistency: 0.9,
        created_unix: 0,
        updated_unix: 0,
    }
}

#[test]
fn gate_agrees_with_offline_screening_and_latency_trades_off() {
    let Some(corpus) = common::corpus() else { return };
    let engine = Engine::bundled().unwrap();
    let policy = Policy::default();
    let clips: Vec<Clip> = common::manifest(&corpus)
        .into_iter()
        .filter(|c| c.role != "mixture" && !c.speaker.starts_with("fsdd-"))
        .collect();
    let banned = screening::mixture_sources(&corpus);
    let mut by_speaker: BTreeMap<String, Vec<Clip>> = BTreeMap::new();
    for c in &clips {
        by_speaker.entry(c.speaker.clone()).or_default().push(c.clone());
    }
    let speakers: Vec<String> = by_speaker
        .iter()
        .filter(|(_, cs)| cs.len() >= 4)
        .map(|(s, _)| s.clone())
        .collect();
    let households = screening::households(&speakers, 8, 0x6A7E_2026);
    let mut enrolled: HashMap<String, Enrolled> = HashMap::new();
    for h in &households {
        for s in h {
            if !enrolled.contains_key(s) {
                if let Some(e) = screening::enroll(&engine, s, &by_speaker[s], &banned) {
                    enrolled.insert(s.clone(), e);
                }
            }
        }
    }
    // Mixed clips, as in the screening tests.
    let mut rng = Rng(0x6A7E_C0FE);
    let mut mixes: Vec<Mix> = Vec::new();
    while mixes.len() < MIXES {
        let h = &households[rng.below(households.len())];
        if h.iter().any(|s| !enrolled.contains_key(s)) {
            continue;
        }
        let held_out: Vec<&Clip> = clips
            .iter()
            .filter(|c| h.contains(&c.speaker) && !enrolled[&c.speaker].used.contains(&c.rel) && c.duration_s >= 3.0)
            .collect();
        let strangers: Vec<&Clip> = clips
            .iter()
            .filter(|c| !h.contains(&c.speaker) && c.duration_s >= 3.0)
            .collect();
        if held_out.len() < 2 {
            continue;
        }
        let (a, b) = (held_out[rng.below(held_out.len())], held_out[rng.below(held_out.len())]);
        let s = strangers[rng.below(strangers.len())];
        let parts = [a, s, b].map(|c| {
            let x = common::read_i16_wav(&c.path);
            screening::excerpt(&trimmed(&engine, &policy, &x), &mut rng)
        });
        let mut samples: Vec<f32> = Vec::new();
        let mut bounds = Vec::new();
        for (i, p) in parts.iter().enumerate() {
            if i > 0 {
                let gap = (rng.uniform(0.0, 0.3) * 16_000.0) as usize;
                samples.extend(std::iter::repeat_n(0.0, gap));
            }
            bounds.push(samples.len()..samples.len() + p.len());
            samples.extend(p);
        }
        mixes.push(Mix {
            samples,
            bounds: [bounds[0].clone(), bounds[1].clone(), bounds[2].clone()],
            household: h.clone(),
        });
    }

    // Offline, with the gate's treatment of uncertain speech (silenced) and
    // with the default (held), on each mix.
    let stream_policy = Policy {
        on_uncertain: OnUncertain::Redact,
        ..policy
    };
    struct Offline {
        stream: Vec<bool>,
        default: Vec<bool>,
        speech: Vec<bool>,
    }
    let offline: Vec<Offline> = mixes
        .iter()
        .map(|m| {
            let members: Vec<Member> = m.household.iter().map(|s| member(s, &enrolled[s])).collect();
            let vps: Vec<Voiceprint<'_>> = members
                .iter()
                .map(|m| Voiceprint {
                    name: &m.name,
                    vector: &m.voiceprint,
                })
                .collect();
            let (analysis, mut speech) =
                screen::analyze_samples(&engine, &m.samples, &policy, Path::new("mix")).unwrap();
            let n = m.samples.len();
            let vs = screen::decide(&analysis, &vps, &stream_policy, &mut speech).unwrap();
            let vd = screen::decide(&analysis, &vps, &policy, &mut speech).unwrap();
            let mut sp = vec![false; n];
            for r in &analysis.map.segments {
                sp[r.clone()].fill(true);
            }
            Offline {
                stream: offline_mask(&vs, n),
                default: offline_mask(&vd, n),
                speech: sp,
            }
        })
        .collect();

    // The gate at each latency (one thread per setting).
    let results: Vec<(Setting, Vec<Vec<bool>>)> = std::thread::scope(|s| {
        let handles: Vec<_> = SETTINGS
            .iter()
            .map(|&(lat, every)| {
                let (engine, mixes, enrolled) = (&engine, &mixes, &enrolled);
                s.spawn(move || {
                    let masks = mixes
                        .iter()
                        .map(|m| {
                            let members = m.household.iter().map(|s| member(s, &enrolled[s])).collect();
                            let config = GateConfig {
                                decide_every: every,
                                ..GateConfig::for_latency(lat, policy.window_s)
                            };
                            let plan = GatePlan::new(engine.clone(), members, policy, config).unwrap();
                            gate_mask(&plan, &m.samples)
                        })
                        .collect();
                    ((lat, every), masks)
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });

    // Stranger speech leaked and member speech lost (speech = the mix's VAD).
    let rates = |mask: &dyn Fn(usize, usize) -> bool| {
        let (mut sn, mut sl, mut mn, mut ml) = (0usize, 0usize, 0usize, 0usize);
        for (k, (m, o)) in mixes.iter().zip(&offline).enumerate() {
            for (part, r) in m.bounds.iter().enumerate() {
                for i in r.clone() {
                    if !o.speech[i] || m.samples[i] == 0.0 {
                        continue;
                    }
                    if part == 1 {
                        sn += 1;
                        sl += usize::from(!mask(k, i));
                    } else {
                        mn += 1;
                        ml += usize::from(mask(k, i));
                    }
                }
            }
        }
        (100.0 * sl as f64 / sn as f64, 100.0 * ml as f64 / mn as f64)
    };
    println!("| setting | stranger speech leaked | member speech lost | clips differing from offline by > 2% | mean / max difference |");
    println!("|---|---|---|---|---|");
    let off_stream = |k: usize, i: usize| offline[k].stream[i];
    let off_default = |k: usize, i: usize| offline[k].default[i];
    type Mask<'a> = &'a dyn Fn(usize, usize) -> bool;
    let settings: [(&str, Mask<'_>); 2] = [
        ("offline, uncertain silenced", &off_stream),
        ("offline, default (held clips count as silenced)", &off_default),
    ];
    for (name, f) in settings {
        let (leak, lost) = rates(f);
        println!("| {name} | {leak:.1}% | {lost:.1}% | - | - |");
    }
    let mut default_diffs = Vec::new();
    for ((lat, every), masks) in &results {
        let (leak, lost) = rates(&|k, i| masks[k][i]);
        let diffs: Vec<f64> = mixes
            .iter()
            .zip(&offline)
            .zip(masks)
            .map(|((m, o), g)| {
                let d = (0..m.samples.len())
                    .filter(|&i| m.samples[i] != 0.0 && g[i] != o.stream[i])
                    .count();
                d as f64 / m.samples.len() as f64
            })
            .collect();
        let vs_default: Vec<f64> = mixes
            .iter()
            .zip(&offline)
            .zip(masks)
            .map(|((m, o), g)| {
                let d = (0..m.samples.len())
                    .filter(|&i| m.samples[i] != 0.0 && g[i] != o.default[i])
                    .count();
                d as f64 / m.samples.len() as f64
            })
            .collect();
        let over = diffs.iter().filter(|d| **d > 0.02).count();
        let mean = 100.0 * diffs.iter().sum::<f64>() / diffs.len() as f64;
        let max = 100.0 * diffs.iter().copied().fold(0.0, f64::max);
        println!(
            "| gate, latency {lat:.1} s{} | {leak:.1}% | {lost:.1}% | {over} of {} | {mean:.2}% / {max:.2}% (vs default policy: mean {:.1}%) |",
            if *every > 1 { format!(", deciding every {every} windows") } else { String::new() },
            diffs.len(),
            100.0 * vs_default.iter().sum::<f64>() / vs_default.len() as f64
        );
        let d = GateConfig::default();
        if (*lat - d.latency_s).abs() < 1e-6 && *every == d.decide_every {
            default_diffs = diffs;
        }
    }
    for (k, d) in default_diffs.iter().enumerate() {
        assert!(
            *d <= 0.02,
            "mix {k} ({:?}): the gate at the default latency differs from offline on {:.2}% of the clip",
            mixes[k].household,
            100.0 * d
        );
    }
}
