//! Screening accuracy on the real-speech corpus (`../shared/speech`):
//! households of 2-4 enrolled speakers, every stranger clip, members'
//! held-out clips, mixed clips with known turn boundaries, overlap and short
//! speech. Statistics print with `--nocapture`; window embeddings are cached
//! by (model, settings, clip) under `target/voiceguard-test-cache`.

mod common;

use common::screening::{self, Enrolled, LazyEmbedder, Rng};
use common::Clip;
use std::collections::{BTreeMap, HashMap};
use std::sync::{Mutex, OnceLock};
use voiceguard::screen::{decide, Analysis, Decision, Label, Policy, Verdict, Voiceprint};
use voiceguard::Engine;

const HOUSEHOLDS: usize = 120;
/// The similar-voice pairs measured before this work (issue 4).
const SIMILAR: [&str; 4] = ["vctk-p226", "vctk-p227", "ls-367", "ls-125"];

struct Data {
    engine: Engine,
    policy: Policy,
    clips: Vec<Clip>,
    samples: HashMap<String, Vec<f32>>,
    analyses: HashMap<String, Analysis>,
    enrolled: BTreeMap<String, Enrolled>,
    households: Vec<Vec<String>>,
    embedders: Mutex<HashMap<String, LazyEmbedder<'static>>>,
}

fn data() -> Option<&'static Data> {
    static DATA: OnceLock<Option<Data>> = OnceLock::new();
    DATA.get_or_init(|| {
        let corpus = common::corpus()?;
        let engine = Engine::bundled().unwrap();
        let policy = Policy::default();
        let clips: Vec<Clip> = common::manifest(&corpus)
            .into_iter()
            .filter(|c| c.role != "mixture")
            .collect();
        let banned = screening::mixture_sources(&corpus);
        let t = std::time::Instant::now();
        let mut by_speaker: BTreeMap<String, Vec<Clip>> = BTreeMap::new();
        for c in &clips {
            by_speaker.entry(c.speaker.clone()).or_default().push(c.clone());
        }
        let mut enrolled = BTreeMap::new();
        for (spk, cs) in &by_speaker {
            if cs.len() < 3 || spk.starts_with("fsdd-") {
                continue;
            }
            if let Some(e) = screening::enroll(&engine, spk, cs, &banned) {
                enrolled.insert(spk.clone(), e);
            } else {
                println!("{spk}: the default enrollment rule is never satisfied");
            }
        }
        println!(
            "enrolled {} speakers in {:.1} s",
            enrolled.len(),
            t.elapsed().as_secs_f64()
        );
        let samples: HashMap<String, Vec<f32>> = clips
            .iter()
            .map(|c| (c.rel.clone(), common::read_i16_wav(&c.path)))
            .collect();
        let list: Vec<(String, Vec<f32>)> = samples.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
        let t = std::time::Instant::now();
        let analyses = screening::analyses(&engine, &policy, &list);
        println!(
            "analysed {} clips in {:.1} s",
            analyses.len(),
            t.elapsed().as_secs_f64()
        );
        let speakers: Vec<String> = enrolled.keys().cloned().collect();
        let households = screening::households(&speakers, HOUSEHOLDS, 0x5EED_2026);
        Some(Data {
            engine,
            policy,
            clips,
            samples,
            analyses,
            enrolled,
            households,
            embedders: Mutex::new(HashMap::new()),
        })
    })
    .as_ref()
}

fn members<'a>(d: &'a Data, h: &'a [String]) -> Vec<Voiceprint<'a>> {
    h.iter()
        .map(|s| Voiceprint {
            name: s,
            vector: &d.enrolled[s].voiceprint,
        })
        .collect()
}

/// The verdict on corpus clip `key`; ranges embedded on demand are kept per
/// clip across households.
fn verdict(d: &'static Data, key: &str, vps: &[Voiceprint<'_>], policy: &Policy) -> Verdict {
    let a = &d.analyses[key];
    let mut all = d.embedders.lock().unwrap();
    let emb = all
        .entry(key.to_string())
        .or_insert_with(|| LazyEmbedder::new(&d.engine, &d.samples[key], &a.map));
    decide(a, vps, policy, emb).unwrap()
}

/// Ranges embedded on demand so far, over all clips.
fn embedded(d: &Data) -> usize {
    d.embedders.lock().unwrap().values().map(|e| e.embedded).sum()
}

fn dot(a: &[f32], b: &[f32]) -> f32 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

#[test]
fn households_hold_or_redact_strangers_and_pass_members() {
    let Some(d) = data() else { return };
    let mut stranger = (0usize, 0usize); // (clips, passed)
    let mut leaks: Vec<String> = Vec::new();
    let mut clean_household_leaks = 0;
    let mut member = (0usize, 0usize, BTreeMap::<String, usize>::new()); // (clips, passed, outcome counts)
    let mut windows = (0usize, 0usize); // stranger windows, accepted
    let mut stranger_window_scores: Vec<f32> = Vec::new();
    let t0 = std::time::Instant::now();
    for (hi, h) in d.households.iter().enumerate() {
        if hi % 20 == 0 {
            println!(
                "household {hi}: {:.1} s, {} ranges embedded",
                t0.elapsed().as_secs_f64(),
                embedded(d)
            );
        }
        let vps = members(d, h);
        let similar = h.iter().any(|s| SIMILAR.contains(&s.as_str()));
        for c in d.clips.iter().filter(|c| c.duration_s >= 1.0) {
            let a = &d.analyses[&c.rel];
            if h.contains(&c.speaker) {
                if d.enrolled[&c.speaker].used.contains(&c.rel) || c.duration_s < 3.0 {
                    continue;
                }
                let v = verdict(d, &c.rel, &vps, &d.policy);
                member.0 += 1;
                if v.decision == Decision::Pass {
                    member.1 += 1;
                }
                *member.2.entry(format!("{} {:?}", v.decision, v.reasons)).or_default() += 1;
                continue;
            }
            for w in &a.windows {
                let s = vps
                    .iter()
                    .map(|m| dot(w.embedding.as_slice(), m.vector))
                    .fold(f32::MIN, f32::max);
                stranger_window_scores.push(s);
                windows.0 += 1;
                if s >= d.policy.window_accept.0 {
                    windows.1 += 1;
                }
            }
            let v = verdict(d, &c.rel, &vps, &d.policy);
            stranger.0 += 1;
            if v.decision == Decision::Pass {
                stranger.1 += 1;
                let score = v.spans.iter().filter_map(|s| s.score).fold(f32::MIN, f32::max);
                leaks.push(format!(
                    "{} passed as {:?} (household {:?}, score {score:.3})",
                    c.rel,
                    v.spans.iter().map(|s| s.label.to_string()).collect::<Vec<_>>(),
                    h
                ));
                if !similar {
                    clean_household_leaks += 1;
                }
            }
        }
    }
    stranger_window_scores.sort_by(f32::total_cmp);
    let q = |p: f64| stranger_window_scores[((stranger_window_scores.len() - 1) as f64 * p) as usize];
    println!(
        "stranger windows: {} of {} accepted at {:.2} ({:.3}%); score quantiles p99 {:.3} p99.9 {:.3} p99.95 {:.3} max {:.3}",
        windows.1,
        windows.0,
        d.policy.window_accept.0,
        100.0 * windows.1 as f64 / windows.0 as f64,
        q(0.99),
        q(0.999),
        q(0.9995),
        q(1.0)
    );
    println!(
        "stranger clips: {} of {} passed over {} households ({} ranges embedded on demand)",
        stranger.1,
        stranger.0,
        d.households.len(),
        embedded(d)
    );
    for l in &leaks {
        println!("  leak: {l}");
    }
    println!(
        "member held-out clips >= 3 s: {} of {} passed ({:.1}%)",
        member.1,
        member.0,
        100.0 * member.1 as f64 / member.0 as f64
    );
    for (k, n) in &member.2 {
        println!("  {n:5} {k}");
    }
    assert!(stranger.0 >= 10_000, "only {} stranger clips screened", stranger.0);
    assert!(stranger.1 * 2000 <= stranger.0, "{} stranger clips passed", stranger.1);
    assert_eq!(
        clean_household_leaks, 0,
        "leaks in households without the similar-voice pairs"
    );
    assert!(windows.1 * 1000 <= windows.0, "stranger windows accepted: {windows:?}");
    assert!(member.1 as f64 >= 0.9 * member.0 as f64, "member pass rate {member:?}");
}

/// The speech of a clip between its first and last VAD segment.
fn trimmed(d: &Data, key: &str) -> Vec<f32> {
    let a = &d.analyses[key];
    let s = &d.samples[key];
    match (a.map.segments.first(), a.map.segments.last()) {
        (Some(f), Some(l)) => s[f.start..l.end].to_vec(),
        _ => Vec::new(),
    }
}

/// Mixed clips (member, stranger, member), 2-6 s parts from held-out member
/// clips and stranger clips, joined with 0-0.3 s of silence; true turn
/// boundaries known to the sample.
#[test]
fn mixed_clips_redact_the_stranger_and_keep_the_members() {
    let Some(d) = data() else { return };
    let mut rng = Rng(0x00C0_FFEE);
    let (mut stranger_n, mut stranger_cut, mut member_n, mut member_cut) = (0usize, 0usize, 0usize, 0usize);
    let mut held = 0;
    let mut errors_ms: Vec<f64> = Vec::new();
    let mut built = 0;
    let mut outcomes: BTreeMap<String, usize> = BTreeMap::new();
    while built < 40 {
        let h = &d.households[rng.below(d.households.len())];
        let held_out: Vec<&Clip> = d
            .clips
            .iter()
            .filter(|c| h.contains(&c.speaker) && !d.enrolled[&c.speaker].used.contains(&c.rel) && c.duration_s >= 3.0)
            .collect();
        let strangers: Vec<&Clip> = d
            .clips
            .iter()
            .filter(|c| !h.contains(&c.speaker) && !c.speaker.starts_with("fsdd-") && c.duration_s >= 3.0)
            .collect();
        if held_out.len() < 2 {
            continue;
        }
        let (a, b) = (held_out[rng.below(held_out.len())], held_out[rng.below(held_out.len())]);
        let s = strangers[rng.below(strangers.len())];
        let parts = [
            screening::excerpt(&trimmed(d, &a.rel), &mut rng),
            screening::excerpt(&trimmed(d, &s.rel), &mut rng),
            screening::excerpt(&trimmed(d, &b.rel), &mut rng),
        ];
        let mut mix: Vec<f32> = Vec::new();
        let mut bounds = Vec::new();
        for (i, p) in parts.iter().enumerate() {
            if i > 0 {
                let gap = (rng.uniform(0.0, 0.3) * 16_000.0) as usize;
                mix.extend(std::iter::repeat_n(0.0, gap));
            }
            bounds.push(mix.len()..mix.len() + p.len());
            mix.extend(p);
        }
        built += 1;
        let analysis = screening::analysis(&d.engine, &d.policy, &mix);
        let vps = members(d, h);
        let mut emb = LazyEmbedder::new(&d.engine, &mix, &analysis.map);
        let v = decide(&analysis, &vps, &d.policy, &mut emb).unwrap();
        *outcomes.entry(format!("{} {:?}", v.decision, v.reasons)).or_default() += 1;
        if v.decision == Decision::Pass || std::env::var_os("VG_DEBUG_MIX").is_some() {
            println!(
                "mix {built}: {} | {} | {} in {h:?}: {} stranger {:.2}..{:.2}",
                a.rel,
                s.rel,
                b.rel,
                v.decision,
                bounds[1].start as f64 / 16e3,
                bounds[1].end as f64 / 16e3
            );
            for w in &v.windows {
                println!("   w {:6.2}-{:6.2} {} {:.3}", w.start_s, w.end_s, w.member, w.score);
            }
            for sp in &v.spans {
                println!("   s {:6.2}-{:6.2} {} {:?}", sp.start_s, sp.end_s, sp.label, sp.score);
            }
        }
        // Truth: each part's own speech (VAD of the part alone), placed in the mix.
        let redacted = |t: usize| {
            let s = t as f64 / 16_000.0;
            v.decision == Decision::Hold || v.redactions.iter().any(|(a, b)| s >= *a && s < *b)
        };
        for (i, (p, r)) in parts.iter().zip(&bounds).enumerate() {
            let pa = screening::analysis(&d.engine, &d.policy, p);
            for seg in &pa.map.segments {
                for t in (seg.start..seg.end).step_by(16) {
                    let cut = redacted(r.start + t);
                    if i == 1 {
                        stranger_n += 1;
                        stranger_cut += usize::from(cut);
                    } else if v.decision != Decision::Hold {
                        member_n += 1;
                        member_cut += usize::from(cut);
                    }
                }
            }
        }
        if v.decision == Decision::Hold {
            held += 1;
        } else {
            // Boundary error: each true turn change vs the nearest change of
            // label between member and non-member speech.
            let mut changes = Vec::new();
            let speech: Vec<_> = v.spans.iter().filter(|s| s.label != Label::Nonspeech).collect();
            for w in speech.windows(2) {
                if matches!(w[0].label, Label::Member(_)) != matches!(w[1].label, Label::Member(_)) {
                    changes.push(w[1].start_s);
                }
            }
            for t in [bounds[1].start, bounds[2].start] {
                let t = t as f64 / 16_000.0;
                if let Some(e) = changes.iter().map(|c| (c - t).abs()).min_by(f64::total_cmp) {
                    errors_ms.push(e * 1000.0);
                }
            }
        }
    }
    errors_ms.sort_by(f64::total_cmp);
    let stranger_frac = stranger_cut as f64 / stranger_n as f64;
    let member_frac = member_cut as f64 / member_n.max(1) as f64;
    println!("mixed clips: {built}, held {held}; outcomes {outcomes:?}");
    println!(
        "stranger speech redacted or held: {:.1}%; member speech redacted (released clips): {:.1}%",
        100.0 * stranger_frac,
        100.0 * member_frac
    );
    if !errors_ms.is_empty() {
        println!(
            "boundary error: median {:.0} ms, p90 {:.0} ms, max {:.0} ms over {} boundaries",
            errors_ms[errors_ms.len() / 2],
            errors_ms[errors_ms.len() * 9 / 10],
            errors_ms[errors_ms.len() - 1],
            errors_ms.len()
        );
    }
    assert!(stranger_frac >= 0.95, "stranger speech redacted {stranger_frac}");
    assert!(member_frac <= 0.10, "member speech redacted {member_frac}");
}

fn quantiles(v: &mut [f32]) -> String {
    v.sort_by(f32::total_cmp);
    let q = |p: f64| v[((v.len() - 1) as f64 * p).round() as usize];
    format!(
        "n={} min {:.3} p0.1 {:.3} p1 {:.3} p5 {:.3} p10 {:.3} p50 {:.3} p90 {:.3} p99 {:.3} p99.9 {:.3} p99.95 {:.3} max {:.3}",
        v.len(),
        q(0.0),
        q(0.001),
        q(0.01),
        q(0.05),
        q(0.10),
        q(0.5),
        q(0.9),
        q(0.99),
        q(0.999),
        q(0.9995),
        q(1.0)
    )
}

/// Score distributions behind the policy's thresholds (printed with --nocapture).
#[test]
fn score_distributions() {
    let Some(d) = data() else { return };
    let (mut mw, mut sw, mut mc, mut sc) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for (spk, e) in &d.enrolled {
        for c in d.clips.iter().filter(|c| c.duration_s >= 1.0) {
            let a = &d.analyses[&c.rel];
            if a.windows.is_empty() {
                continue;
            }
            let own = &c.speaker == spk;
            if own && e.used.contains(&c.rel) {
                continue;
            }
            let ws: Vec<f32> = a
                .windows
                .iter()
                .map(|w| dot(w.embedding.as_slice(), &e.voiceprint))
                .collect();
            let mean = voiceguard::Embedding::mean_of(a.windows.iter().map(|w| w.embedding.as_slice())).unwrap();
            let clip = dot(mean.as_slice(), &e.voiceprint);
            if own {
                mw.extend(&ws);
                if c.duration_s >= 3.0 {
                    mc.push(clip);
                }
            } else {
                sw.extend(&ws);
                sc.push(clip);
            }
        }
    }
    // Speaker-change evidence: cosine of adjacent, non-overlapping windows.
    let (mut same, mut diff, mut similar) = (Vec::new(), Vec::new(), Vec::new());
    let step = (d.policy.window_s / d.policy.hop_s).round() as usize;
    let keys: Vec<&Clip> = d.clips.iter().filter(|c| c.duration_s >= 3.0).collect();
    let mut rng = Rng(7);
    for c in &keys {
        let ws = &d.analyses[&c.rel].windows;
        for k in 0..ws.len().saturating_sub(step) {
            same.push(dot(ws[k].embedding.as_slice(), ws[k + step].embedding.as_slice()));
        }
        for _ in 0..20 {
            let o = keys[rng.below(keys.len())];
            let wo = &d.analyses[&o.rel].windows;
            if o.speaker == c.speaker || wo.is_empty() || ws.is_empty() {
                continue;
            }
            let x = dot(
                ws[rng.below(ws.len())].embedding.as_slice(),
                wo[rng.below(wo.len())].embedding.as_slice(),
            );
            diff.push(x);
            let pair = [c.speaker.as_str(), o.speaker.as_str()];
            if pair.contains(&"vctk-p226") && pair.contains(&"vctk-p227")
                || pair.contains(&"ls-367") && pair.contains(&"ls-125")
            {
                similar.push(x);
            }
        }
    }
    println!("adjacent windows, same speaker {}", quantiles(&mut same));
    println!("windows, different speakers    {}", quantiles(&mut diff));
    if !similar.is_empty() {
        println!("windows, similar-voice pairs   {}", quantiles(&mut similar));
    }
    println!("member windows   {}", quantiles(&mut mw));
    println!("stranger windows {}", quantiles(&mut sw));
    println!("member clips>=3s {}", quantiles(&mut mc));
    println!("stranger clips   {}", quantiles(&mut sc));
}

/// The corpus's own mixtures (`mixtures/mixNN.wav`, turns in `segments.tsv`)
/// screened for a household of their `household` speakers.
#[test]
fn corpus_mixtures_redact_their_strangers() {
    let Some(d) = data() else { return };
    let corpus = common::corpus().unwrap();
    let text = std::fs::read_to_string(corpus.join("mixtures/segments.tsv")).unwrap();
    let mut turns: BTreeMap<String, Vec<(f64, f64, String, String)>> = BTreeMap::new();
    for l in text.lines().skip(1).filter(|l| !l.trim().is_empty()) {
        let f: Vec<&str> = l.split('\t').collect();
        turns.entry(f[0].to_string()).or_default().push((
            f[1].parse().unwrap(),
            f[2].parse().unwrap(),
            f[3].to_string(),
            f[4].to_string(),
        ));
    }
    let (mut st, mut st_cut, mut mt, mut mt_cut) = (0.0f64, 0.0f64, 0.0f64, 0.0f64);
    for (mix, ts) in &turns {
        let samples = common::read_i16_wav(&corpus.join(format!("mixtures/{mix}.wav")));
        let mut h: Vec<String> = ts.iter().filter(|t| t.3 == "household").map(|t| t.2.clone()).collect();
        h.sort();
        h.dedup();
        let vps = members(d, &h);
        let a = screening::analysis(&d.engine, &d.policy, &samples);
        let mut emb = LazyEmbedder::new(&d.engine, &samples, &a.map);
        let v = decide(&a, &vps, &d.policy, &mut emb).unwrap();
        // Time of each turn's speech (the analysis's speech segments) redacted or held.
        for (s, e, spk, role) in ts {
            let (mut n, mut cut) = (0.0f64, 0.0f64);
            for seg in &a.map.segments {
                for t in (seg.start..seg.end).step_by(16) {
                    let x = t as f64 / 16_000.0;
                    if x >= *s && x < *e {
                        n += 1.0;
                        if v.decision == Decision::Hold || v.redactions.iter().any(|(a, b)| x >= *a && x < *b) {
                            cut += 1.0;
                        }
                    }
                }
            }
            println!(
                "{mix} {s:6.2}-{e:6.2} {spk:10} {role:9}: {:5.1}% redacted or held",
                100.0 * cut / n.max(1.0)
            );
            if role == "stranger" {
                st += n;
                st_cut += cut;
            } else if v.decision != Decision::Hold {
                mt += n;
                mt_cut += cut;
            }
        }
        println!("{mix}: {} {:?}; spans:", v.decision, v.reasons);
        for sp in v.spans.iter().filter(|s| s.label != Label::Nonspeech) {
            println!("   {:6.2}-{:6.2} {} {:?}", sp.start_s, sp.end_s, sp.label, sp.score);
        }
    }
    println!(
        "corpus mixtures: stranger speech redacted or held {:.1}%, member speech redacted {:.1}%",
        100.0 * st_cut / st,
        100.0 * mt_cut / mt.max(1.0)
    );
    assert!(st_cut / st >= 0.95);
}

/// A stranger talking over a member (at 0 and -6 dB relative to the member's
/// level): the overlapped stretch must not pass as member speech. The
/// strangers are speakers the overlap detector was not trained on (it was
/// trained on the single-clip speakers, `models/ge2e/train_overlap.py`).
#[test]
fn overlapped_speech_is_not_released_as_member_speech() {
    let Some(d) = data() else { return };
    let mut rng = Rng(0x0FE1);
    let mut outcomes: BTreeMap<String, usize> = BTreeMap::new();
    let (mut n_total, mut cut_total) = (0.0, 0.0);
    let mut passed: Vec<String> = Vec::new();
    for i in 0..24 {
        let gain_db = if i % 2 == 0 { 0.0 } else { -6.0 };
        let h = &d.households[rng.below(d.households.len())];
        let held_out: Vec<&Clip> = d
            .clips
            .iter()
            .filter(|c| h.contains(&c.speaker) && !d.enrolled[&c.speaker].used.contains(&c.rel) && c.duration_s >= 6.0)
            .collect();
        let strangers: Vec<&Clip> = d
            .clips
            .iter()
            .filter(|c| {
                !h.contains(&c.speaker)
                    && !c.speaker.starts_with("fsdd-")
                    && c.role != "stranger-single-clip"
                    && c.duration_s >= 3.0
            })
            .collect();
        if held_out.is_empty() {
            continue;
        }
        let m = trimmed(d, &held_out[rng.below(held_out.len())].rel);
        let s = trimmed(d, &strangers[rng.below(strangers.len())].rel);
        let rms = |x: &[f32]| (x.iter().map(|v| f64::from(*v).powi(2)).sum::<f64>() / x.len() as f64).sqrt();
        let len = (2.5 * 16_000.0) as usize;
        let s = &s[..len.min(s.len())];
        let at = m.len() / 2 - s.len() / 2;
        let g = (rms(&m) / rms(s)) * 10f64.powf(gain_db / 20.0);
        let mut mix = m.clone();
        for (j, v) in s.iter().enumerate() {
            mix[at + j] += (f64::from(*v) * g) as f32;
        }
        let peak = mix.iter().fold(0.0f32, |p, v| p.max(v.abs()));
        if peak > 1.0 {
            mix.iter_mut().for_each(|v| *v /= peak);
        }
        let a = screening::analysis(&d.engine, &d.policy, &mix);
        let mut emb = LazyEmbedder::new(&d.engine, &mix, &a.map);
        let v = decide(&a, &members(d, h), &d.policy, &mut emb).unwrap();
        let (mut n, mut cut) = (0.0, 0.0);
        for t in (at..at + s.len()).step_by(16) {
            let x = t as f64 / 16_000.0;
            n += 1.0;
            if v.decision == Decision::Hold || v.redactions.iter().any(|(a, b)| x >= *a && x < *b) {
                cut += 1.0;
            }
        }
        n_total += n;
        cut_total += cut;
        *outcomes
            .entry(format!("{gain_db:+.0} dB {} {:?}", v.decision, v.reasons))
            .or_default() += 1;
        if v.decision == Decision::Pass {
            println!(
                "overlap {i} ({gain_db} dB) passed; stranger {:.2}..{:.2} s",
                at as f64 / 16e3,
                (at + s.len()) as f64 / 16e3
            );
            for (k, w) in v.windows.iter().enumerate() {
                let margin = a.overlap.get(k).copied().unwrap_or(f32::NAN);
                println!(
                    "   w {:6.2}-{:6.2} {:.3} overlap margin {margin:+.2}",
                    w.start_s, w.end_s, w.score
                );
            }
            passed.push(format!("{i} ({gain_db} dB)"));
        }
    }
    println!("overlap outcomes: {outcomes:?}");
    println!("overlapped time redacted or held: {:.1}%", 100.0 * cut_total / n_total);
    println!("passed as member speech: {passed:?}");
    // Known gap (README, "Overlapped speech"): the overlap detector, at 1 in
    // 1,000 single-voice windows, still misses two of these at -6 dB (4 pass
    // without it, 75 % of the overlapped time cut).
    assert!(
        cut_total / n_total >= 0.8,
        "overlapped time redacted or held {}",
        cut_total / n_total
    );
    assert!(passed.len() <= 2, "{} overlaps passed", passed.len());
}

/// Digits speakers (single spoken digits, well under 1 s of speech each):
/// their clips are too short to verify, so they are held, never passed.
#[test]
fn short_digit_utterances_are_held() {
    let Some(d) = data() else { return };
    let mut outcomes: BTreeMap<String, usize> = BTreeMap::new();
    let fsdd: Vec<&Clip> = d.clips.iter().filter(|c| c.speaker.starts_with("fsdd-")).collect();
    let h: Vec<String> = d.enrolled.keys().take(3).cloned().collect();
    let vps = members(d, &h);
    for c in &fsdd {
        let v = verdict(d, &c.rel, &vps, &d.policy);
        *outcomes.entry(format!("{} {:?}", v.decision, v.reasons)).or_default() += 1;
        assert_ne!(
            v.decision,
            Decision::Pass,
            "{} passed: {:?} {:?}",
            c.rel,
            v.reasons,
            d.analyses[&c.rel].map.segments
        );
    }
    println!("digit clips ({}) against household {h:?}: {outcomes:?}", fsdd.len());
}

/// Clip-level EER (mean of window embeddings against voiceprints), with and
/// without adaptive s-norm against a cohort of ten single-clip speakers.
#[test]
fn eer_with_and_without_s_norm() {
    let Some(d) = data() else { return };
    let mut singles: Vec<&Clip> = d.clips.iter().filter(|c| c.role == "stranger-single-clip").collect();
    singles.sort_by(|a, b| a.speaker.cmp(&b.speaker));
    let cohort_clips: Vec<&Clip> = singles.iter().take(10).copied().collect();
    let cohort_ids: Vec<&str> = cohort_clips.iter().map(|c| c.speaker.as_str()).collect();
    let clip_emb = |c: &Clip| {
        let a = &d.analyses[&c.rel];
        voiceguard::Embedding::mean_of(a.windows.iter().map(|w| w.embedding.as_slice())).ok()
    };
    let cohort: Vec<Vec<f32>> = cohort_clips
        .iter()
        .filter_map(|c| clip_emb(c))
        .map(|e| e.into_vec())
        .collect();
    let stats = |x: &[f32]| {
        let mut s: Vec<f32> = cohort.iter().map(|c| dot(c, x)).collect();
        s.sort_by(|a, b| b.total_cmp(a));
        let top = &s[..5];
        let mu = top.iter().sum::<f32>() / top.len() as f32;
        let sd = (top.iter().map(|v| (v - mu).powi(2)).sum::<f32>() / top.len() as f32)
            .sqrt()
            .max(1e-3);
        (mu, sd)
    };
    let (mut t, mut n, mut tz, mut nz) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for (spk, e) in &d.enrolled {
        let sv = stats(&e.voiceprint);
        for c in d
            .clips
            .iter()
            .filter(|c| c.duration_s >= 1.0 && !cohort_ids.contains(&c.speaker.as_str()))
        {
            if &c.speaker == spk && e.used.contains(&c.rel) {
                continue;
            }
            let Some(x) = clip_emb(c) else { continue };
            let s = dot(x.as_slice(), &e.voiceprint);
            let se = stats(x.as_slice());
            let z = 0.5 * ((s - se.0) / se.1 + (s - sv.0) / sv.1);
            if &c.speaker == spk {
                t.push(s);
                tz.push(z);
            } else {
                n.push(s);
                nz.push(z);
            }
        }
    }
    let raw = voiceguard::equal_error_rate(&t, &n).unwrap();
    let norm = voiceguard::equal_error_rate(&tz, &nz).unwrap();
    println!(
        "clip-level EER over {} target / {} non-target trials: cosine {:.2}% at {:.3}; adaptive s-norm (cohort {:?}, top 5) {:.2}%",
        t.len(),
        n.len(),
        100.0 * raw.rate,
        raw.threshold.0,
        cohort_ids,
        100.0 * norm.rate
    );
    assert!(raw.rate < 0.02);
}
