//! Enrollment on the real-speech corpus: the calibration of the quality
//! thresholds (distributions printed with `--nocapture`), three real
//! enrollments, the refusal to merge another voice into a member, and the
//! quality findings on damaged copies of real clips.

mod common;

use common::Clip;
use std::path::Path;
use voiceguard::audio::{resample_to, AudioBuf};
use voiceguard::enroll::{merge, EnrollConfig, Enroller, FindingCode, UtteranceReport};
use voiceguard::{Engine, Error, SampleRate, Threshold};

use common::screening::mixture_sources;

/// `speaker`'s clips, sorted, without the mixture sources.
fn clips_of(corpus: &Path, speaker: &str) -> Vec<Clip> {
    let banned = mixture_sources(corpus);
    let mut v: Vec<Clip> = common::manifest(corpus)
        .into_iter()
        .filter(|c| c.speaker == speaker && !banned.contains(&c.rel))
        .collect();
    v.sort_by(|a, b| a.rel.cmp(&b.rel));
    assert!(!v.is_empty(), "no clips of {speaker}");
    v
}

/// "n=.. min p5 median p95 max" of `v`.
fn dist(v: &[f32]) -> String {
    if v.is_empty() {
        return "n=0".into();
    }
    let mut s = v.to_vec();
    s.sort_by(f32::total_cmp);
    let q = |p: f32| {
        #[allow(
            clippy::cast_possible_truncation,
            clippy::cast_sign_loss,
            clippy::cast_precision_loss
        )]
        let i = ((s.len() - 1) as f32 * p).round() as usize;
        s[i]
    };
    format!(
        "n={:3} min {:8.3}  p5 {:8.3}  median {:8.3}  p95 {:8.3}  max {:8.3}",
        s.len(),
        s[0],
        q(0.05),
        q(0.5),
        q(0.95),
        s[s.len() - 1]
    )
}

/// One clip through a fresh enroller that accepts a single utterance; returns
/// its report and, if accepted, its embedding (the one-utterance voiceprint).
fn single(engine: &Engine, path: &Path) -> (UtteranceReport, Option<Vec<f32>>) {
    let config = EnrollConfig {
        min_speech_s: 0.0,
        min_utterances: 1,
        ..EnrollConfig::default()
    };
    let mut e = Enroller::new(engine, "probe", config);
    let r = e.push_file(path).unwrap();
    let emb = if r.accepted {
        Some(e.finish().unwrap().voiceprint.into_vec())
    } else {
        None
    };
    (r, emb)
}

fn dot(a: &[f32], b: &[f32]) -> f32 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

fn mean_unit(vs: &[&Vec<f32>]) -> Vec<f32> {
    let mut m = vec![0.0f32; vs[0].len()];
    for v in vs {
        for (a, x) in m.iter_mut().zip(v.iter()) {
            *a += x;
        }
    }
    let n = dot(&m, &m).sqrt();
    m.iter().map(|x| x / n).collect()
}

/// Every corpus clip once: the distributions the defaults were set from, and
/// the corpus-level claims (FSDD is narrowband and nothing else is; the
/// mixtures hold several voices and no clean clip does).
#[test]
fn calibration_distributions() {
    let Some(corpus) = common::corpus() else { return };
    let engine = Engine::bundled().unwrap();
    let cfg = EnrollConfig::default();
    let clips = common::manifest(&corpus);
    let (mut snr, mut hb_wide, mut hb_fsdd, mut self_clean, mut self_mix) = (vec![], vec![], vec![], vec![], vec![]);
    let mut low_snr = vec![];
    let mut embeddings: Vec<(String, Vec<f32>)> = vec![];
    for clip in &clips {
        let (r, emb) = single(&engine, &clip.path);
        if clip.role == "mixture" {
            println!("{r}");
            self_mix.push(r.self_agreement.unwrap());
            assert!(r.has(FindingCode::MultipleVoices), "mixture not flagged: {r}");
            assert!(!r.accepted);
            continue;
        }
        if clip.speaker.starts_with("fsdd-") {
            hb_fsdd.push(r.highband_db.unwrap());
            assert!(r.has(FindingCode::Narrowband), "8 kHz clip not flagged: {r}");
            continue;
        }
        hb_wide.push(r.highband_db.unwrap());
        assert!(!r.has(FindingCode::Narrowband), "wide-band clip flagged: {r}");
        assert!(!r.has(FindingCode::MultipleVoices), "single-speaker clip flagged: {r}");
        assert!(!r.has(FindingCode::Clipping), "{r}");
        assert!(r.accepted, "clean clip rejected: {r}");
        if let Some(a) = r.self_agreement {
            self_clean.push(a);
        }
        if let Some(s) = r.snr_db {
            snr.push(s);
            if s < cfg.min_snr_db {
                low_snr.push(format!("{} {s:.1} dB", clip.rel));
            }
        }
        embeddings.push((clip.speaker.clone(), emb.unwrap()));
    }
    assert_eq!(self_mix.len(), 4, "expected the 4 mixtures in the manifest");

    // Across utterances: each clip against the mean of another single clip
    // (the weakest centroid an enrollment compares with) and of all its
    // speaker's other clips; impostors against the same centroids.
    let mut speakers: Vec<&str> = embeddings.iter().map(|(s, _)| s.as_str()).collect();
    speakers.sort_unstable();
    speakers.dedup();
    let of = |s: &str| {
        embeddings
            .iter()
            .filter(|(x, _)| x == s)
            .map(|(_, e)| e)
            .collect::<Vec<_>>()
    };
    let (mut t1, mut tall, mut i1, mut iall) = (vec![], vec![], vec![], vec![]);
    let mut enrolled_speakers = 0;
    for s in &speakers {
        let mine = of(s);
        if mine.len() < 3 {
            continue;
        }
        enrolled_speakers += 1;
        let all = mean_unit(&mine);
        for (i, e) in mine.iter().enumerate() {
            let others: Vec<&Vec<f32>> = mine
                .iter()
                .enumerate()
                .filter(|(j, _)| *j != i)
                .map(|(_, v)| *v)
                .collect();
            tall.push(dot(e, &mean_unit(&others)));
            for o in &others {
                t1.push(dot(e, o));
            }
        }
        for (t, e) in embeddings.iter().filter(|(t, _)| t != s) {
            let _ = t;
            iall.push(dot(e, &all));
            for m in &mine {
                i1.push(dot(e, m));
            }
        }
    }
    let passes = |v: &[f32]| {
        #[allow(clippy::cast_precision_loss)]
        let p = 100.0 * v.iter().filter(|x| **x >= cfg.multi_voice_cosine).count() as f32 / v.len() as f32;
        p
    };
    println!("\n== enrollment calibration on {} ==", corpus.display());
    println!(
        "snr_db, clean clips with >= {} s non-speech: {}",
        cfg.min_noise_s,
        dist(&snr)
    );
    println!(
        "  below {} dB (LowSnr warnings on the corpus): {low_snr:?}",
        cfg.min_snr_db
    );
    println!("highband_db, wide-band clips:        {}", dist(&hb_wide));
    println!("highband_db, fsdd (8 kHz upsampled): {}", dist(&hb_fsdd));
    println!("  narrowband_db = {} dB", cfg.narrowband_db);
    println!("self_agreement, clean clips >= 5.4 s speech: {}", dist(&self_clean));
    println!("self_agreement, mixtures:                    {}", dist(&self_mix));
    println!("across, same speaker vs 1 other clip:   {}", dist(&t1));
    println!("across, same speaker vs all others:     {}", dist(&tall));
    println!("across, other speaker vs 1 clip:        {}", dist(&i1));
    println!("across, other speaker vs all clips:     {}", dist(&iall));
    println!(
        "  multi_voice_cosine = {}: same speaker passes {:.2}% (1 clip) / {:.2}% (all); other speaker passes {:.2}% / {:.2}% ({enrolled_speakers} speakers)",
        cfg.multi_voice_cosine,
        passes(&t1),
        passes(&tall),
        passes(&i1),
        passes(&iall)
    );
    let strict = |v: &[f32]| {
        #[allow(clippy::cast_precision_loss)]
        let p = 100.0 * v.iter().filter(|x| **x >= Threshold::GE2E_EER.0).count() as f32 / v.len() as f32;
        p
    };
    println!(
        "  (at the match threshold {}: same speaker passes {:.2}% / {:.2}%, other speaker {:.2}% / {:.2}%)",
        Threshold::GE2E_EER.0,
        strict(&t1),
        strict(&tall),
        strict(&i1),
        strict(&iall)
    );
    // Margins the defaults were chosen with (see EnrollConfig's docs).
    let max = |v: &[f32]| v.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    let min = |v: &[f32]| v.iter().copied().fold(f32::INFINITY, f32::min);
    assert!(max(&hb_fsdd) < cfg.narrowband_db - 5.0 && min(&hb_wide) > cfg.narrowband_db + 5.0);
    assert!(max(&self_mix) < cfg.stretch_cosine - 0.05);
    assert!(min(&self_clean) > cfg.stretch_cosine + 0.05);
    assert!(min(&tall) > cfg.multi_voice_cosine);
    assert!(passes(&i1) < 10.0 && passes(&iall) < 15.0);
}

/// Pushes `clips` one by one, printing each report and the progress.
fn push_all(e: &mut Enroller, clips: &[Clip], print: bool) -> Vec<UtteranceReport> {
    clips
        .iter()
        .map(|c| {
            let r = e.push_file(&c.path).unwrap();
            if print {
                println!("{r}\n  progress: {}", e.progress());
            }
            r
        })
        .collect()
}

#[test]
fn enroll_three_speakers_and_refuse_another_voice() {
    let Some(corpus) = common::corpus() else { return };
    let engine = Engine::bundled().unwrap();
    let cfg = EnrollConfig::default();

    // lj-linda: push until sufficient, printing the full report.
    println!("\n== enrollment report: lj-linda ==");
    let linda = clips_of(&corpus, "lj-linda");
    let mut e = Enroller::new(&engine, "linda", cfg);
    let mut n_needed = None;
    for (i, c) in linda.iter().enumerate() {
        let r = e.push_file(&c.path).unwrap();
        println!("{r}\n  progress: {}", e.progress());
        assert!(r.accepted, "{r}");
        if e.progress().sufficient && n_needed.is_none() {
            n_needed = Some(i + 1);
        }
        if i == 0 {
            match e.finish() {
                Err(Error::InsufficientEnrollment { member, reason }) => {
                    assert_eq!(member, "linda");
                    println!("  finish after one clip: {reason}");
                }
                other => panic!("finish after one clip: {other:?}"),
            }
        }
        if i + 1 == 5 {
            break;
        }
    }
    let n_needed = n_needed.expect("5 LJ clips should be enough");
    assert!(n_needed >= 3);
    let linda_e = e.finish().unwrap();
    println!(
        "enrolled: {} utterances, {:.1} s of speech, consistency {:.3}, model {} (sufficient after {n_needed} clips)",
        linda_e.utterances, linda_e.speech_s, linda_e.consistency, linda_e.model_id
    );
    assert_eq!(linda_e.utterances, 5);
    assert!(linda_e.consistency > 0.8 && linda_e.consistency <= 1.0);
    assert_eq!(linda_e.model_id, engine.encoder().model_id());

    // vctk-p225: all usable clips.
    let p225 = clips_of(&corpus, "vctk-p225");
    let mut e = Enroller::new(&engine, "p225", cfg);
    let reports = push_all(&mut e, &p225, false);
    assert!(
        reports.iter().all(|r| r.accepted && r.findings.is_empty()),
        "{reports:#?}"
    );
    let p225_e = e.finish().unwrap();
    println!(
        "vctk-p225: {} utterances, {:.1} s, consistency {:.3}",
        p225_e.utterances, p225_e.speech_s, p225_e.consistency
    );

    // ls-1688: the first three clips make the member, the others extend it.
    let ls = clips_of(&corpus, "ls-1688");
    assert_eq!(ls.len(), 6);
    let mut e = Enroller::new(&engine, "ls1688", cfg);
    push_all(&mut e, &ls[..3], false);
    assert!(e.progress().sufficient, "{}", e.progress());
    let member = e.finish().unwrap().into_member("ls1688").unwrap();
    assert_eq!(member.utterances, 3);

    // Another voice in the same session is refused, not averaged in.
    let r = e.push_file(&p225[0].path).unwrap();
    println!("p225 pushed into ls-1688's session: {r}");
    assert!(!r.accepted && r.has(FindingCode::MultipleVoices), "{r}");
    assert_eq!(e.progress().utterances, 3);

    // More of the same voice: matches, merges.
    let mut more = Enroller::extending(&engine, &member, cfg);
    push_all(&mut more, &ls[3..], false);
    assert!(more.progress().sufficient);
    let more_e = more.finish().unwrap();
    let s = more_e.check_matches(&member, Threshold::GE2E_EER).unwrap();
    println!("ls-1688 clips 4-6 vs ls-1688 member: cosine {:.3}", s.value());
    let merged = merge(&member, &more_e).unwrap();
    assert_eq!(merged.utterances, 6);
    assert!((merged.speech_s - member.speech_s - more_e.speech_s).abs() < 1e-3);
    println!(
        "merged ls-1688: {} utterances, {:.1} s, consistency {:.3}",
        merged.utterances, merged.speech_s, merged.consistency
    );

    // Another speaker's enrollment onto ls-1688's member: VoiceMismatch.
    for (name, other) in [("vctk-p225", &p225_e), ("lj-linda", &linda_e)] {
        match other.check_matches(&member, Threshold::GE2E_EER) {
            Err(Error::VoiceMismatch {
                member: m,
                score,
                threshold,
            }) => {
                println!("{name} onto ls1688: refused, cosine {score:.3} < {threshold}");
                assert_eq!(m, "ls1688");
            }
            r => panic!("{name} onto ls1688 should be refused: {r:?}"),
        }
    }
    // Same through `extending` (the `enroll` command's path for an existing name).
    let mut wrong = Enroller::extending(&engine, &member, cfg);
    push_all(&mut wrong, &p225[..2], false);
    let wrong_e = wrong.finish().unwrap();
    assert!(matches!(
        wrong_e.check_matches(&member, Threshold::GE2E_EER),
        Err(Error::VoiceMismatch { .. })
    ));
}

#[test]
fn damaged_clips_get_findings() {
    let Some(corpus) = common::corpus() else { return };
    let engine = Engine::bundled().unwrap();
    // The vctk-p225 clip with the most leading and trailing silence (room for a noise estimate).
    let rate = SampleRate::MODEL;
    let (audio, segs) = clips_of(&corpus, "vctk-p225")
        .iter()
        .map(|c| {
            let (a, _) = engine.load(&c.path).unwrap();
            let segs = engine.speech_segments(&a.samples).unwrap();
            (a, segs)
        })
        .max_by_key(|(a, segs)| a.samples.len() - segs.iter().map(|r| r.end - r.start).sum::<usize>())
        .unwrap();
    let cfg = EnrollConfig::default();
    let push = |samples: Vec<f32>, rate: SampleRate, name: &str| {
        let mut e = Enroller::new(&engine, "p225", cfg);
        let r = e.push_audio(&AudioBuf::new(samples, rate), name).unwrap();
        println!("{r}");
        r
    };

    let clean = push(audio.samples.clone(), rate, "clean");
    assert!(clean.accepted && clean.findings.is_empty(), "{clean}");
    let snr_clean = clean.snr_db.expect("vctk clips have leading and trailing silence");

    // White noise at 5 dB below the speech power (speech = VAD segments of the clean clip).
    let n: usize = segs.iter().map(|r| r.end - r.start).sum();
    #[allow(clippy::cast_precision_loss)]
    let p_speech = segs
        .iter()
        .flat_map(|r| audio.samples[r.clone()].iter())
        .map(|x| x * x)
        .sum::<f32>()
        / n as f32;
    let a = (3.0 * p_speech / 10f32.powf(0.5)).sqrt(); // uniform noise power is a^2 / 3
    let noisy: Vec<f32> = audio
        .samples
        .iter()
        .zip(common::noise(audio.samples.len(), a, 42))
        .map(|(x, w)| x + w)
        .collect();
    let r = push(noisy, rate, "noise 5 dB");
    let snr = r.snr_db.unwrap();
    assert!(r.has(FindingCode::LowSnr) && r.accepted, "{r}");
    assert!(
        (snr - 5.0).abs() < 2.0,
        "estimated {snr:.1} dB for 5 dB (clean {snr_clean:.1} dB)"
    );

    // x8 and clamped.
    let hot: Vec<f32> = audio.samples.iter().map(|x| (x * 8.0).clamp(-1.0, 1.0)).collect();
    let r = push(hot, rate, "x8 clamped");
    assert!(
        r.has(FindingCode::Clipping) && r.clipped_share > cfg.max_clipped_share,
        "{r}"
    );

    // 0.5 s from inside the speech.
    let mid = segs.iter().max_by_key(|r| r.end - r.start).unwrap();
    let half = audio.samples[mid.start..mid.start + rate.samples(voiceguard::Seconds(0.5))].to_vec();
    let r = push(half, rate, "0.5 s");
    assert!(r.has(FindingCode::TooShort) && !r.accepted, "{r}");

    // Digital silence, and an empty buffer.
    let r = push(vec![0.0; 32_000], rate, "silence");
    assert!(
        r.has(FindingCode::NoSpeech) && !r.accepted && r.findings.len() == 1,
        "{r}"
    );
    let r = push(Vec::new(), rate, "empty");
    assert!(r.has(FindingCode::NoSpeech) && !r.accepted, "{r}");

    // The clip at 8 kHz, pushed as an 8 kHz buffer: resampled, flagged narrowband.
    let tel = resample_to(&audio.samples, rate, SampleRate(8_000)).unwrap();
    let r = push(tel, SampleRate(8_000), "8 kHz");
    assert!(
        r.has(FindingCode::Narrowband) && r.accepted && r.input_rate_hz == 8_000,
        "{r}"
    );

    // Errors stay errors: NaN samples, a missing file.
    let mut e = Enroller::new(&engine, "p225", cfg);
    let bad = e
        .push_audio(&AudioBuf::new(vec![f32::NAN; 16_000], rate), "nan")
        .unwrap_err();
    assert!(matches!(bad, Error::InvalidAudio { .. }), "{bad}");
    let missing = e.push_file(Path::new("/nonexistent/x.wav")).unwrap_err();
    assert_eq!(missing.kind(), voiceguard::ErrorKind::Io);
    assert!(e.reports().is_empty());
}
