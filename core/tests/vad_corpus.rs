//! Both VADs on the corpus mixtures, whose turn times are known exactly:
//! most of each turn is speech, and the 0.4 s digital-silence gaps between
//! turns are not.

mod common;

use voiceguard::vad::{detect, EnergyPreset, EnergyVad, SegmentConfig, SileroModel, Vad};

struct Turn {
    mix: String,
    start: usize,
    end: usize,
}

fn turns(corpus: &std::path::Path) -> Vec<Turn> {
    let text = std::fs::read_to_string(corpus.join("mixtures/segments.tsv")).unwrap();
    text.lines()
        .skip(1)
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let f: Vec<&str> = l.split('\t').collect();
            let s = |v: &str| (v.parse::<f64>().unwrap() * 16_000.0).round() as usize;
            Turn {
                mix: f[0].to_string(),
                start: s(f[1]),
                end: s(f[2]),
            }
        })
        .collect()
}

fn coverage(segs: &[std::ops::Range<usize>], r: std::ops::Range<usize>) -> f64 {
    let covered: usize = segs
        .iter()
        .map(|s| s.end.min(r.end).saturating_sub(s.start.max(r.start)))
        .sum();
    covered as f64 / (r.end - r.start) as f64
}

fn check(name: &str, make: &dyn Fn() -> Box<dyn Vad>, min_turn_coverage: f64) {
    let Some(corpus) = common::corpus() else { return };
    let turns = turns(&corpus);
    let cfg = SegmentConfig::default();
    let (mut turn_cov, mut n_turns, mut gap_cov, mut n_gaps) = (0.0, 0, 0.0, 0);
    let mut mixes: Vec<String> = turns.iter().map(|t| t.mix.clone()).collect();
    mixes.dedup();
    for mix in &mixes {
        let wav = common::read_i16_wav(&corpus.join(format!("mixtures/{mix}.wav")));
        let mut vad = make();
        let segs = detect(vad.as_mut(), &wav, &cfg).unwrap();
        let mine: Vec<&Turn> = turns.iter().filter(|t| &t.mix == mix).collect();
        for t in &mine {
            let c = coverage(&segs, t.start..t.end);
            assert!(
                c >= min_turn_coverage,
                "{name}: {mix} turn {}..{} only {c:.2} speech",
                t.start,
                t.end
            );
            turn_cov += c;
            n_turns += 1;
        }
        for w in mine.windows(2) {
            // The middle 0.2 s of each 0.4 s gap: padding (30 ms) must not reach it.
            let mid = (w[0].end + w[1].start) / 2;
            let c = coverage(&segs, mid - 1600..mid + 1600);
            assert!(c == 0.0, "{name}: {mix} gap at {mid} marked {c:.2} speech");
            gap_cov += c;
            n_gaps += 1;
        }
    }
    println!(
        "{name}: mean turn coverage {:.3} over {n_turns} turns; gap speech {:.3} over {n_gaps} gaps",
        turn_cov / f64::from(n_turns),
        gap_cov / f64::from(n_gaps.max(1))
    );
}

#[test]
fn silero_finds_turns_and_gaps() {
    let model = SileroModel::bundled().unwrap();
    check("silero", &|| Box::new(model.make_vad().unwrap()), 0.7);
}

#[test]
fn energy_vad_finds_turns_and_gaps() {
    check("energy", &|| Box::new(EnergyVad::new(EnergyPreset::Normal)), 0.6);
}
