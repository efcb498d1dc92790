// TEMPORARY calibration scratch (to be deleted).
mod common;
use realfft::RealFftPlanner;
use std::io::Write;
use voiceguard::{level, Db, Embedding, Engine};

fn band_db(samples: &[f32], segs: &[std::ops::Range<usize>], lo_hz: f32) -> Option<f32> {
    let n = 512;
    let mut p = RealFftPlanner::<f32>::new();
    let fft = p.plan_fft_forward(n);
    let win: Vec<f32> = (0..n)
        .map(|i| 0.5 - 0.5 * (2.0 * std::f32::consts::PI * i as f32 / n as f32).cos())
        .collect();
    let mut inb = fft.make_input_vec();
    let mut out = fft.make_output_vec();
    let (mut hi, mut tot) = (0f64, 0f64);
    let lo_bin = (lo_hz / 16000.0 * n as f32).ceil() as usize;
    for r in segs {
        let mut s = r.start;
        while s + n <= r.end {
            for i in 0..n {
                inb[i] = samples[s + i] * win[i];
            }
            fft.process(&mut inb, &mut out).unwrap();
            for (k, c) in out.iter().enumerate() {
                let pw = f64::from(c.norm_sqr());
                if k >= 5 {
                    tot += pw;
                }
                if k >= lo_bin {
                    hi += pw;
                }
            }
            s += n / 2;
        }
    }
    if tot <= 0.0 {
        None
    } else {
        Some((10.0 * (hi / tot).log10()) as f32)
    }
}

fn cos(a: &[f32], b: &[f32]) -> f32 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}
fn meanv<'a>(v: impl Iterator<Item = &'a [f32]>) -> Vec<f32> {
    let e = Embedding::mean_of(v).unwrap();
    e.into_vec()
}

#[test]
fn scratch() {
    let Some(c) = common::corpus() else { return };
    let engine = Engine::bundled().unwrap();
    let mut clips = common::manifest(&c);
    for m in ["mix01", "mix02", "mix03", "mix04"] {
        let p = c.join(format!("mixtures/{m}.wav"));
        if !clips.iter().any(|x| x.path == p) {
            clips.push(common::Clip {
                path: p,
                rel: format!("mixtures/{m}.wav"),
                speaker: "MIX".into(),
                duration_s: 0.0,
                role: "mixture".into(),
            });
        }
    }
    let mut f = std::fs::File::create("/tmp/enr/stats.tsv").unwrap();
    let mut fe = std::fs::File::create("/tmp/enr/emb.tsv").unwrap();
    writeln!(f, "rel\tspeaker\tdur\tspeech\tsnr\tclip\thb40\thb42\thb45\tnparts\tk2pair\tk2loo\tk3pair\tk3loo\tk4pair\tk4loo\tploo").unwrap();
    for clip in &clips {
        let (a, _) = engine.load(&clip.path).unwrap();
        let orig = a.samples.clone();
        let clipped = orig.iter().filter(|x| x.abs() >= 0.999).count() as f32 / orig.len() as f32;
        let mut s = orig.clone();
        level::normalize_volume(&mut s, Db(-30.0), true);
        let segs = engine.speech_segments(&s).unwrap();
        let sn: usize = segs.iter().map(|r| r.len()).sum();
        // snr
        let mut mask = vec![false; s.len()];
        for r in &segs {
            for i in r.clone() {
                mask[i] = true;
            }
        }
        let (mut ps, mut pn, mut ns, mut nn) = (0f64, 0f64, 0usize, 0usize);
        for (i, x) in orig.iter().enumerate() {
            let e = f64::from(*x) * f64::from(*x);
            if mask[i] {
                ps += e;
                ns += 1
            } else {
                pn += e;
                nn += 1
            }
        }
        let snr = if nn >= 4000 && ns > 0 {
            let ps = ps / ns as f64;
            let pn = pn / nn as f64;
            Some(10.0 * ((ps - pn).max(1e-12) / pn.max(1e-12)).log10())
        } else {
            None
        };
        let full = [0..s.len()];
        let bsegs: &[std::ops::Range<usize>] = if sn >= 512 { &segs } else { &full };
        let hb: Vec<String> = [4000.0, 4200.0, 4500.0]
            .iter()
            .map(|&lo| band_db(&orig, bsegs, lo).map_or("NA".into(), |v| format!("{v:.1}")))
            .collect();
        let mut joined = Vec::new();
        for r in &segs {
            joined.extend_from_slice(&s[r.clone()]);
        }
        let mut row = format!(
            "{}\t{}\t{:.2}\t{:.2}\t{}\t{:.5}\t{}",
            clip.rel,
            clip.speaker,
            orig.len() as f32 / 16000.0,
            sn as f32 / 16000.0,
            snr.map_or("NA".into(), |v| format!("{v:.1}")),
            clipped,
            hb.join("\t")
        );
        if joined.len() < 1600 {
            writeln!(f, "{row}\t0\tNA\tNA\tNA\tNA\tNA\tNA\tNA").unwrap();
            continue;
        }
        let parts = engine.encoder().embed_partials(&joined).unwrap();
        let pv: Vec<&[f32]> = parts.iter().map(|e| e.as_slice()).collect();
        let utt = meanv(pv.iter().copied());
        writeln!(
            fe,
            "{}\t{}\t{}",
            clip.rel,
            clip.speaker,
            utt.iter().map(|v| format!("{v:.6}")).collect::<Vec<_>>().join(",")
        )
        .unwrap();
        row += &format!("\t{}", parts.len());
        for k in [2usize, 3, 4] {
            // local windows: groups of k consecutive partials, stride k (non-overlapping groups of partials)
            let n = parts.len();
            if n < 2 * k {
                row += "\tNA\tNA";
                continue;
            }
            let starts: Vec<usize> = (0..=n - k).step_by(k.max(1)).collect();
            let loc: Vec<Vec<f32>> = starts.iter().map(|&i| meanv(pv[i..i + k].iter().copied())).collect();
            let mut pair = 1f32;
            for i in 0..loc.len() {
                for j in i + 1..loc.len() {
                    pair = pair.min(cos(&loc[i], &loc[j]));
                }
            }
            let mut loo = 1f32;
            for &i in &starts {
                let rest: Vec<&[f32]> = pv
                    .iter()
                    .enumerate()
                    .filter(|(j, _)| *j + 1 < i || *j > i + k)
                    .map(|(_, v)| *v)
                    .collect();
                if rest.is_empty() {
                    continue;
                }
                let m = meanv(rest.into_iter());
                loo = loo.min(cos(&meanv(pv[i..i + k].iter().copied()), &m));
            }
            row += &format!("\t{pair:.3}\t{loo:.3}");
        }
        // single partial leave-one-out
        let mut ploo = 1f32;
        if parts.len() >= 3 {
            for i in 0..parts.len() {
                let rest: Vec<&[f32]> = pv
                    .iter()
                    .enumerate()
                    .filter(|(j, _)| *j != i)
                    .map(|(_, v)| *v)
                    .collect();
                ploo = ploo.min(cos(pv[i], &meanv(rest.into_iter())));
            }
        }
        row += &format!("\t{ploo:.3}");
        writeln!(f, "{row}").unwrap();
    }
}
