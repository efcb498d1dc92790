//! The incident that started the project, as tests of the export audit's
//! decisions: each clip screened by the real pipeline (`screen::analyze` +
//! `screen::decide`, window embeddings cached by `common::screening`), the
//! export verdict and the release rule of `voiceguard::audit` over them.
//!
//! Exports are built from `../shared/speech` by random crops and gains (-12
//! to +3 dB, clipped) of corpus clips, since the corpus has too few: the
//! household's crops run from pause to pause of a held-out clip (at least
//! 1.5 s), others' are cut anywhere (1.5-6 s):
//! 1. an account with no enrolled voices receives 1,700 clips of others;
//! 2. household A (lj-linda, ls-3331) receives 200 of its own clips plus the 1,700;
//! 3. household A's ordinary export: its 200 clips plus 10 of a guest (vctk-p228).
//!
//! The file-level machinery (cleared copy, manifest, sidecars) is tested
//! through the binary in `bindings/cli/tests/audit.rs`.

mod common;

use common::screening::{self, LazyEmbedder, Rng};
use common::Clip;
use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use voiceguard::audit::{released_under_verdict, ExportVerdict, OnSuspicious, VerdictKind, VerdictThresholds};
use voiceguard::screen::{self, decide, ClipReport, Decision, Policy, Verdict, Voiceprint};
use voiceguard::{Engine, SampleRate};

const HOUSEHOLD: [&str; 2] = ["lj-linda", "ls-3331"];
const GUEST: &str = "vctk-p228";
const OTHERS: usize = 1700;
const OWN: usize = 200;
const GUESTS: usize = 10;
/// Share of the household's own clips of 3 s or more that must pass, in
/// percent (the bound). With raise-only levelling these crops at -12
/// to +3 dB passed 89.2 % (107 of 120): the quiet ones scored low against
/// voiceprints enrolled at the natural level. The engine now levels both
/// ways (`Leveling::Match`).
const OWN_PASS_MIN_PERCENT: usize = 90;

/// A clip of the synthetic exports: a crop of a corpus clip with a gain.
struct Crop {
    source: usize,
    start: usize,
    len: usize,
    gain_db: f64,
}

impl Crop {
    fn samples(&self, sources: &[Vec<f32>]) -> Vec<f32> {
        let g = 10f64.powf(self.gain_db / 20.0) as f32;
        sources[self.source][self.start..self.start + self.len]
            .iter()
            .map(|x| (x * g).clamp(-1.0, 1.0))
            .collect()
    }
    fn secs(&self) -> f64 {
        self.len as f64 / 16_000.0
    }
}

fn crop(rng: &mut Rng, source: usize, sources: &[Vec<f32>], min_s: f64, max_s: f64) -> Crop {
    let n = sources[source].len();
    let want = (rng.uniform(min_s, max_s) * 16_000.0) as usize;
    let len = want.min(n);
    let start = if n > len { rng.below(n - len + 1) } else { 0 };
    Crop {
        source,
        start,
        len,
        gain_db: rng.uniform(-12.0, 3.0),
    }
}

fn report_of(name: String, secs: f64, v: Verdict) -> ClipReport {
    ClipReport {
        input: name,
        sha256: None,
        duration_s: Some(secs),
        decision: v.decision,
        reasons: v.reasons,
        error: None,
        output: None,
        output_sha256: None,
        spans: v.spans,
        windows: v.windows,
        redactions: v.redactions,
    }
}

/// What a clip of each kind got.
struct Outcome {
    secs: f64,
    /// Screened against an empty store.
    empty: ClipReport,
    /// Screened against household A.
    home: ClipReport,
}

#[test]
fn the_incident_exports() {
    let Some(corpus) = common::corpus() else { return };
    let t0 = std::time::Instant::now();
    let engine = Engine::bundled().unwrap();
    let policy = Policy::default();
    let clips: Vec<Clip> = common::manifest(&corpus)
        .into_iter()
        .filter(|c| c.role != "mixture")
        .collect();
    let banned = screening::mixture_sources(&corpus);
    let mut enrolled = Vec::new();
    for spk in HOUSEHOLD {
        let own: Vec<Clip> = clips.iter().filter(|c| c.speaker == spk).cloned().collect();
        enrolled.push(screening::enroll(&engine, spk, &own, &banned).expect("the household's members enroll"));
    }
    let members: Vec<Voiceprint<'_>> = enrolled
        .iter()
        .map(|e| Voiceprint {
            name: &e.speaker,
            vector: &e.voiceprint,
        })
        .collect();
    let sources: Vec<Vec<f32>> = clips
        .iter()
        .map(|c| {
            voiceguard::audio::load(&c.path, SampleRate::MODEL, &Default::default())
                .unwrap()
                .0
                .samples
        })
        .collect();
    // Held-out clips of the household, the guest's clips, everyone else's by speaker.
    let held_out: Vec<usize> = (0..clips.len())
        .filter(|&i| {
            HOUSEHOLD.contains(&clips[i].speaker.as_str()) && !enrolled.iter().any(|e| e.used.contains(&clips[i].rel))
        })
        .collect();
    let guest: Vec<usize> = (0..clips.len()).filter(|&i| clips[i].speaker == GUEST).collect();
    let mut others: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    for (i, c) in clips.iter().enumerate() {
        if !HOUSEHOLD.contains(&c.speaker.as_str()) && c.speaker != GUEST {
            others.entry(&c.speaker).or_default().push(i);
        }
    }
    let speakers: Vec<&Vec<usize>> = others.values().collect();
    let mut rng = Rng(0xA0D1_7001);
    let mut crops: Vec<(char, Crop)> = Vec::new();
    // The household's clips start and end in pauses, as a device records
    // utterances: cut points are the clip's ends and the middles of the
    // pauses its VAD finds.
    let cuts: HashMap<usize, Vec<usize>> = held_out
        .iter()
        .map(|&s| {
            let a = screening::analysis(&engine, &policy, &sources[s]);
            let mut c = vec![0];
            c.extend(a.map.segments.windows(2).map(|w| (w[0].end + w[1].start) / 2));
            c.push(sources[s].len());
            (s, c)
        })
        .collect();
    let mut own_rng = Rng(0xA0D1_7002);
    while crops.len() < OWN {
        let rng = &mut own_rng;
        let s = held_out[rng.below(held_out.len())];
        let c = &cuts[&s];
        let (i, j) = (rng.below(c.len()), rng.below(c.len()));
        let (a, b) = (c[i.min(j)], c[i.max(j)]);
        if b - a < 24_000 {
            continue; // at least 1.5 s
        }
        crops.push((
            'A',
            Crop {
                source: s,
                start: a,
                len: b - a,
                gain_db: rng.uniform(-12.0, 3.0),
            },
        ));
    }
    // The first version drew uniform crops for the household from `rng`;
    // drawing them still keeps the guests' and others' crops (and their
    // cached analyses) the same.
    for _ in 0..OWN {
        let s = held_out[rng.below(held_out.len())];
        let _ = crop(&mut rng, s, &sources, 1.5, 10.0);
    }
    for _ in 0..GUESTS {
        let s = guest[rng.below(guest.len())];
        crops.push(('G', crop(&mut rng, s, &sources, 3.0, 8.0)));
    }
    for _ in 0..OTHERS {
        let spk = speakers[rng.below(speakers.len())];
        let s = spk[rng.below(spk.len())];
        crops.push(('O', crop(&mut rng, s, &sources, 1.5, 6.0)));
    }

    // Screen every crop on two threads (this machine has two cores).
    let next = AtomicUsize::new(0);
    let done: Mutex<HashMap<usize, Outcome>> = Mutex::new(HashMap::new());
    std::thread::scope(|s| {
        for _ in 0..2 {
            s.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some((kind, c)) = crops.get(i) else { break };
                let samples = c.samples(&sources);
                let a = screening::analysis(&engine, &policy, &samples);
                let mut emb = LazyEmbedder::new(&engine, &samples, &a.map);
                let name = format!("{kind}{i:04}.wav");
                let home = report_of(name.clone(), c.secs(), decide(&a, &members, &policy, &mut emb).unwrap());
                let empty = report_of(name, c.secs(), decide(&a, &[], &policy, &mut emb).unwrap());
                done.lock().unwrap().insert(
                    i,
                    Outcome {
                        secs: c.secs(),
                        empty,
                        home,
                    },
                );
            });
        }
    });
    let done = done.into_inner().unwrap();
    println!("screened {} crops in {:.0} s", crops.len(), t0.elapsed().as_secs_f64());
    let of = |k: char| -> Vec<&Outcome> {
        (0..crops.len())
            .filter(|&i| crops[i].0 == k)
            .map(|i| &done[&i])
            .collect()
    };
    let (own, guests, strangers) = (of('A'), of('G'), of('O'));
    let speech = |c: &ClipReport| screen_speech(c);
    let th = VerdictThresholds::default();

    // 1. The incident: no enrolled voices, 1,700 clips of others.
    let export: Vec<ClipReport> = strangers.iter().map(|o| o.empty.clone()).collect();
    let v = ExportVerdict::of(&export, th);
    let with_speech = export.iter().filter(|c| speech(c)).count();
    for on in [OnSuspicious::HoldAll, OnSuspicious::ReleaseVerified] {
        let released = export
            .iter()
            .filter(|c| speech(c) && final_decision(c, &v, on) != Decision::Hold)
            .count();
        assert_eq!(
            released, 0,
            "nothing with speech leaves an account with no enrolled voices ({on:?})"
        );
    }
    println!(
        "incident 1: {}; {with_speech} of {} clips with speech, all held",
        v.headline,
        export.len()
    );
    assert_eq!(v.verdict, VerdictKind::Suspicious);
    assert!(
        v.headline.starts_with("Export verdict: SUSPICIOUS") && v.headline.contains("no enrolled voices"),
        "{}",
        v.headline
    );

    // 2. A misdirected export: household A's 200 clips plus the 1,700.
    let export: Vec<ClipReport> = own.iter().chain(&strangers).map(|o| o.home.clone()).collect();
    let v = ExportVerdict::of(&export, th);
    println!("incident 2: {}", v.headline);
    assert_eq!(v.verdict, VerdictKind::Suspicious);
    let released = export
        .iter()
        .filter(|c| final_decision(c, &v, OnSuspicious::HoldAll) != Decision::Hold)
        .count();
    assert_eq!(released, 0, "a suspicious export is held whole by default");
    let own_long: Vec<&&Outcome> = own.iter().filter(|o| o.secs >= 3.0).collect();
    let own_passed = own_long
        .iter()
        .filter(|o| final_decision(&o.home, &v, OnSuspicious::ReleaseVerified) == Decision::Pass)
        .count();
    // A released clip without speech carries no one's voice; those are counted apart.
    let strangers_out: Vec<&str> = strangers
        .iter()
        .filter(|o| {
            screen_speech(&o.home) && final_decision(&o.home, &v, OnSuspicious::ReleaseVerified) != Decision::Hold
        })
        .map(|o| o.home.input.as_str())
        .collect();
    let silent_out = strangers
        .iter()
        .filter(|o| {
            !screen_speech(&o.home) && final_decision(&o.home, &v, OnSuspicious::ReleaseVerified) != Decision::Hold
        })
        .count();
    println!(
        "incident 2, release-verified: {own_passed} of {} own clips >= 3 s pass; {} of {} others with speech released {strangers_out:?} \
         ({silent_out} crops without speech released as no_speech)",
        own_long.len(),
        strangers_out.len(),
        strangers.len()
    );
    assert!(
        own_passed * 100 >= own_long.len() * OWN_PASS_MIN_PERCENT,
        "at least {OWN_PASS_MIN_PERCENT} % of A's clips of 3 s or more pass"
    );
    assert!(
        strangers_out.len() <= 1,
        "at most 1 of the 1,700 others is released with speech"
    );

    // 3. An ordinary export: A's 200 clips plus 10 of a guest.
    let export: Vec<ClipReport> = own.iter().chain(&guests).map(|o| o.home.clone()).collect();
    let v = ExportVerdict::of(&export, th);
    println!("ordinary export: {}", v.headline);
    assert_eq!(v.verdict, VerdictKind::Consistent);
    let own_passed = own_long
        .iter()
        .filter(|o| final_decision(&o.home, &v, OnSuspicious::HoldAll) == Decision::Pass)
        .count();
    let guest_passed = guests.iter().filter(|o| o.home.decision == Decision::Pass).count();
    let guest_redacted = guests.iter().filter(|o| o.home.decision == Decision::Redact).count();
    println!(
        "ordinary export: {own_passed} of {} own clips >= 3 s pass; guest clips: {guest_passed} passed, {guest_redacted} redacted, {} held",
        own_long.len(),
        guests.len() - guest_passed - guest_redacted
    );
    assert!(
        own_passed * 100 >= own_long.len() * OWN_PASS_MIN_PERCENT,
        "at least {OWN_PASS_MIN_PERCENT} % of A's clips of 3 s or more pass"
    );
    assert_eq!(guest_passed, 0, "no guest clip passes");

    // The margins the default thresholds rest on.
    let own_only: Vec<ClipReport> = own.iter().map(|o| o.home.clone()).collect();
    let own_share = ExportVerdict::of(&own_only, th).non_household_share;
    println!(
        "non-household share: A alone {:.3}, ordinary export {:.3}, misdirected export {:.3}, incident {:.3} (suspicious from {:.2} and {} clips)",
        own_share,
        v.non_household_share,
        ExportVerdict::of(&own.iter().chain(&strangers).map(|o| o.home.clone()).collect::<Vec<_>>(), th).non_household_share,
        ExportVerdict::of(&strangers.iter().map(|o| o.empty.clone()).collect::<Vec<_>>(), th).non_household_share,
        th.min_share,
        th.min_count
    );
    assert!(
        v.non_household_share + 0.2 < th.min_share,
        "the ordinary export stays at least 0.2 below the share threshold"
    );
    println!("incident tests took {:.0} s", t0.elapsed().as_secs_f64());
}

fn screen_speech(c: &ClipReport) -> bool {
    voiceguard::audit::speech_of(c).0 || c.reasons.contains(&screen::Reason::EmptyStore)
}

/// The clip's fate in the cleared copy: its screening decision, unless the
/// export verdict holds it.
fn final_decision(c: &ClipReport, v: &ExportVerdict, on: OnSuspicious) -> Decision {
    match released_under_verdict(c.decision, v.verdict == VerdictKind::Suspicious, on) {
        Some(_) => Decision::Hold,
        None => c.decision,
    }
}
