//! From an [`Analysis`] and a household's voiceprints to labelled spans and a
//! [`Decision`](super::Decision).
//!
//! 1. Each window gets its best member and cosine: confidently that member's
//!    at or above `window_accept`, confidently someone else's below
//!    `window_reject`, neither between (such windows place no boundary).
//! 2. Between two consecutive confident windows of different classes, the
//!    boundary is searched on a 50 ms grid between their centres: the
//!    position whose speech just before and just after (one window each)
//!    differ most in score to the member(s) concerned.
//!    A boundary within [`SNAP_S`] of a VAD pause moves onto the pause, or
//!    within [`SNAP_SAFE_S`] when that widens the non-member side.
//! 3. Every span between boundaries is scored as a whole (the mean of the
//!    window embeddings inside it, or its own embedding if it is shorter than
//!    a window) and labelled by the span thresholds `accept`/`reject`; a span
//!    that confident `other` windows delimit stays `other`.
//! 4. The policy turns labels into a decision; every path without a
//!    verified member for every span ends in `redact` or `hold`.

use super::analysis::{Analysis, Embedder, SpeechMap};
use super::policy::{OnNoSpeech, OnOther, OnUncertain, Policy};
use super::verdict::{Action, Decision, Label, Reason, Span, Verdict, WindowScore};
use crate::embed::Embedding;
use crate::error::{Error, Result};
use std::ops::Range;

/// A boundary this close to a VAD pause moves onto it, in seconds.
pub const SNAP_S: f64 = 0.25;
/// A boundary this close to a VAD pause moves onto it when that widens the
/// speech that is not a member's, in seconds.
pub const SNAP_SAFE_S: f64 = 0.6;
/// Step of the boundary search's first pass over the whole zone, in seconds.
pub const SEARCH_COARSE_S: f64 = 0.2;
/// Step of the boundary search's second pass, within one coarse step either
/// side of the best first-pass candidate, in seconds.
pub const SEARCH_STEP_S: f64 = 0.05;
/// Least speech on each side of a candidate boundary for it to be scored, in seconds.
const MIN_SIDE_S: f64 = 0.5;

/// One enrolled voice as screening sees it.
#[derive(Debug, Clone, Copy)]
pub struct Voiceprint<'a> {
    /// Member name.
    pub name: &'a str,
    /// Unit-norm voiceprint, same dimension as the analysis embeddings.
    pub vector: &'a [f32],
}

/// A window's verdict before spans exist.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Class {
    Member(usize),
    Other,
    Uncertain,
    /// A run of windows scoring low for everyone without being clearly
    /// someone else's: a similar voice, or a member on a bad stretch.
    Dip,
    /// A run of windows the overlap detector flags: two voices at once,
    /// which a member's voice can dominate in the embedding.
    Overlap,
}

fn dot(a: &[f32], b: &[f32]) -> f32 {
    #[allow(clippy::cast_possible_truncation)]
    let d = a.iter().zip(b).map(|(x, y)| f64::from(*x) * f64::from(*y)).sum::<f64>() as f32;
    d.clamp(-1.0, 1.0)
}

fn best(e: &[f32], members: &[Voiceprint<'_>]) -> (usize, f32) {
    members
        .iter()
        .enumerate()
        .map(|(i, m)| (i, dot(e, m.vector)))
        .fold((0, f32::NEG_INFINITY), |acc, x| if x.1 > acc.1 { x } else { acc })
}

fn classify(member: usize, score: f32, accept: f32, reject: f32) -> Class {
    if score >= accept {
        Class::Member(member)
    } else if score < reject {
        Class::Other
    } else {
        Class::Uncertain
    }
}

fn secs_to_samples(s: f64, rate: u32) -> usize {
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    let n = (s.max(0.0) * f64::from(rate)).round() as usize;
    n
}

/// Screens one analysed clip against `members` under `policy`.
///
/// `embedder` supplies embeddings of timeline ranges the analysis does not
/// hold (boundary search, spans shorter than a window).
///
/// # Errors
/// [`Error::InvalidArgument`] for an invalid policy or voiceprints whose
/// dimension differs from the analysis; embedder errors. A caller turns any
/// error into [`Verdict::hold`] with [`Reason::Error`].
pub fn decide(
    analysis: &Analysis,
    members: &[Voiceprint<'_>],
    policy: &Policy,
    embedder: &mut dyn Embedder,
) -> Result<Verdict> {
    policy.validate()?;
    let map = &analysis.map;
    let speech = map.speech_len();
    if let Some(w) = analysis.windows.first() {
        if let Some(m) = members.iter().find(|m| m.vector.len() != w.embedding.dim()) {
            return Err(Error::InvalidArgument {
                what: "voiceprint",
                value: format!("{} with {} values", m.name, m.vector.len()),
                expected: format!("{} values, as the model's embeddings", w.embedding.dim()),
            });
        }
    }
    let whole: Vec<(Range<usize>, Label, Option<f32>)> = vec![(0..speech, Label::Uncertain, None)];
    if speech == 0 && map.secs(map.n_samples) < f64::from(policy.min_speech_s) {
        // Too short for the VAD to rule speech out (a lone spoken digit at
        // the very start of a clip goes unseen): fail closed.
        return Ok(held(map, &whole, Reason::TooShort));
    }
    if speech == 0 {
        let (decision, reason) = match policy.on_no_speech {
            OnNoSpeech::Pass => (Decision::Pass, Reason::NoSpeech),
            OnNoSpeech::Hold => (Decision::Hold, Reason::NoSpeech),
        };
        return Ok(Verdict {
            decision,
            reasons: vec![reason],
            spans: clip_spans(map, &[]),
            windows: Vec::new(),
            redactions: Vec::new(),
        });
    }
    if members.is_empty() {
        return Ok(held(map, &whole, Reason::EmptyStore));
    }
    if map.secs(speech) < f64::from(policy.min_speech_s) || analysis.windows.is_empty() {
        return Ok(held(map, &whole, Reason::TooShort));
    }

    // 1. Windows: confident member, confident other, or neither.
    let scored: Vec<(usize, f32)> = analysis
        .windows
        .iter()
        .map(|w| best(w.embedding.as_slice(), members))
        .collect();
    let mut classes: Vec<Class> = scored
        .iter()
        .map(|&(m, s)| classify(m, s, policy.window_accept.0, policy.window_reject.0))
        .collect();
    let dip_len = usize::try_from(policy.dip_windows).unwrap_or(usize::MAX).max(1);
    let low: Vec<bool> = scored.iter().map(|&(_, s)| s < policy.dip_below.0).collect();
    mark_runs(&mut classes, &low, dip_len, Class::Dip);
    // Overlapped speech: runs of `overlap_windows` or more windows the
    // encoder's detector flags (unless they are confidently someone else's).
    let overlap_len = usize::try_from(policy.overlap_windows).unwrap_or(usize::MAX);
    if overlap_len > 0 && analysis.overlap.len() == classes.len() {
        let flagged: Vec<bool> = analysis.overlap.iter().map(|&m| m > 0.0).collect();
        mark_runs(&mut classes, &flagged, overlap_len, Class::Overlap);
    }
    let windows = window_scores(analysis, &scored, members);

    // 2. Boundaries between consecutive confident windows of different classes.
    let rate = map.rate.hz();
    let joins = map.joins();
    let snap = secs_to_samples(SNAP_S, rate);
    let snap_safe = secs_to_samples(SNAP_SAFE_S, rate);
    let center = |k: usize| {
        let r = &analysis.windows[k].range;
        usize::midpoint(r.start, r.end)
    };
    let confident: Vec<usize> = (0..classes.len()).filter(|&k| classes[k] != Class::Uncertain).collect();
    let mut cuts: Vec<(usize, Class, Class)> = Vec::new();
    let mut prev_cut = 0usize;
    for pair in confident.windows(2) {
        let (k1, k2) = (pair[0], pair[1]);
        let (a, b) = (classes[k1], classes[k2]);
        if a == b {
            continue;
        }
        let zone = center(k1).saturating_sub(analysis.hop / 2)..(center(k2) + analysis.hop / 2).min(speech);
        let mid = usize::midpoint(center(k1), center(k2));
        let mut cut = search_boundary(analysis, members, a, b, zone, speech, embedder)?.unwrap_or(mid);
        // Onto a pause: within SNAP_S either way, or within SNAP_SAFE_S when
        // that widens the side that is not a member's (privacy first).
        let safe = |j: usize| match (a, b) {
            (Class::Member(_), Class::Member(_)) => false,
            (Class::Member(_), _) => j < cut,
            (_, Class::Member(_)) => j > cut,
            _ => false,
        };
        if let Some(&j) = joins
            .iter()
            .filter(|&&j| j.abs_diff(cut) <= snap || (safe(j) && j.abs_diff(cut) <= snap_safe))
            .min_by_key(|&&j| j.abs_diff(cut))
        {
            cut = j;
        }
        let cut = cut.clamp(prev_cut, speech);
        prev_cut = cut;
        cuts.push((cut, a, b));
    }

    // 3. Spans between boundaries, each scored as a whole.
    let mut raw: Vec<(Range<usize>, Class)> = Vec::new();
    match (cuts.first(), cuts.last()) {
        (Some(first), Some(last)) => {
            raw.push((0..first.0, first.1));
            for w in cuts.windows(2) {
                raw.push((w[0].0..w[1].0, w[0].2));
            }
            raw.push((last.0..speech, last.2));
        }
        _ => raw.push((0..speech, confident.first().map_or(Class::Uncertain, |&k| classes[k]))),
    }
    raw.retain(|(r, _)| r.start < r.end);
    let mut labelled: Vec<(Range<usize>, Label, Option<f32>)> = Vec::with_capacity(raw.len());
    let min_span = secs_to_samples(f64::from(policy.min_span_s), rate);
    for (i, (range, class)) in raw.iter().enumerate() {
        let e = span_embedding(analysis, range, embedder)?;
        let (m, s) = best(e.as_slice(), members);
        let label = if *class == Class::Other || *class == Class::Overlap {
            // Overlap: another voice is there, whatever the member's voice
            // does to the mean; redacted with it (it cannot be separated).
            Label::Other
        } else if range.end - range.start < min_span {
            // Too short to verify alone: joins one member's speech around it
            // unless it is clearly someone else.
            let around = (i > 0 && i + 1 < raw.len()).then(|| (raw[i - 1].1, raw[i + 1].1));
            match around {
                Some((Class::Member(x), Class::Member(y)))
                    if x == y && dot(e.as_slice(), members[x].vector) >= policy.reject.0 =>
                {
                    Label::Member(members[x].name.to_owned())
                }
                _ if s < policy.reject.0 => Label::Other,
                _ => Label::Uncertain,
            }
        } else {
            match classify(m, s, policy.accept.0, policy.reject.0) {
                Class::Member(m) => Label::Member(members[m].name.to_owned()),
                Class::Other => Label::Other,
                Class::Uncertain | Class::Dip | Class::Overlap => Label::Uncertain,
            }
        };
        labelled.push((range.clone(), label, Some(s)));
    }
    // Neighbours with one label become one span, scored again as a whole.
    let mut merged: Vec<(Range<usize>, Label, Option<f32>)> = Vec::with_capacity(labelled.len());
    for (r, l, s) in labelled {
        match merged.last_mut() {
            Some(last) if last.1 == l => {
                last.0.end = r.end;
                last.2 = None;
            }
            _ => merged.push((r, l, s)),
        }
    }
    for span in &mut merged {
        if span.2.is_none() {
            let e = span_embedding(analysis, &span.0, embedder)?;
            span.2 = Some(match &span.1 {
                Label::Member(name) => members
                    .iter()
                    .find(|m| m.name == name)
                    .map_or(f32::NAN, |m| dot(e.as_slice(), m.vector)),
                _ => best(e.as_slice(), members).1,
            });
        }
    }

    // 4. Decision.
    let any_other = merged.iter().any(|s| s.1 == Label::Other);
    let any_uncertain = merged.iter().any(|s| s.1 == Label::Uncertain);
    let mut reasons = Vec::new();
    if any_other {
        reasons.push(Reason::OtherSpeech);
    }
    if any_uncertain {
        reasons.push(Reason::UncertainSpeech);
    }
    let decision = if any_uncertain && policy.on_uncertain == OnUncertain::Hold {
        Decision::Hold
    } else if any_other || any_uncertain {
        match policy.on_other {
            OnOther::Redact => Decision::Redact,
            OnOther::Hold => {
                reasons.push(Reason::PolicyHold);
                Decision::Hold
            }
        }
    } else {
        reasons.push(Reason::AllMembers);
        Decision::Pass
    };
    reasons.sort();
    let spans = clip_spans(map, &merged);
    let redactions = if decision == Decision::Redact {
        redaction_ranges(map, &spans, policy)
    } else {
        Vec::new()
    };
    Ok(Verdict {
        decision,
        reasons,
        spans,
        windows,
        redactions,
    })
}

/// Turns every run of at least `min_len` consecutive windows that are
/// `flagged` and not confidently `other` into class `to`.
fn mark_runs(classes: &mut [Class], flagged: &[bool], min_len: usize, to: Class) {
    let hit = |classes: &[Class], j: usize| classes[j] != Class::Other && flagged[j];
    let mut k = 0;
    while k < classes.len() {
        if !hit(classes, k) {
            k += 1;
            continue;
        }
        let mut j = k;
        while j < classes.len() && hit(classes, j) {
            j += 1;
        }
        if j - k >= min_len {
            classes[k..j].fill(to);
        }
        k = j;
    }
}

/// A held verdict that still shows where the speech is.
fn held(map: &SpeechMap, timeline: &[(Range<usize>, Label, Option<f32>)], reason: Reason) -> Verdict {
    Verdict {
        decision: Decision::Hold,
        reasons: vec![reason],
        spans: clip_spans(map, timeline),
        windows: Vec::new(),
        redactions: Vec::new(),
    }
}

fn window_scores(analysis: &Analysis, scored: &[(usize, f32)], members: &[Voiceprint<'_>]) -> Vec<WindowScore> {
    let map = &analysis.map;
    analysis
        .windows
        .iter()
        .zip(scored)
        .map(|(w, &(m, s))| WindowScore {
            start_s: map.secs(map.clip_position(w.range.start)),
            end_s: map.secs(map.clip_position(w.range.end.saturating_sub(1)) + 1),
            member: members[m].name.to_owned(),
            score: s,
        })
        .collect()
}

/// The embedding of a timeline span: the mean of the analysis windows that
/// lie inside it, or its own embedding if none does.
fn span_embedding(analysis: &Analysis, range: &Range<usize>, embedder: &mut dyn Embedder) -> Result<Embedding> {
    let inside: Vec<&[f32]> = analysis
        .windows
        .iter()
        .filter(|w| w.range.start >= range.start && w.range.end <= range.end)
        .map(|w| w.embedding.as_slice())
        .collect();
    if inside.is_empty() {
        embedder
            .embed(std::slice::from_ref(range))?
            .pop()
            .ok_or_else(|| Error::Internal("the embedder returned no embedding".into()))
    } else {
        Embedding::mean_of(inside)
    }
}

/// The boundary between a run of class `a` and one of class `b` inside the
/// timeline `zone` (between the centres of the two confident windows, widened
/// by half a hop): the candidate where the window before it looks most like
/// `a`'s member and the window after it least (or the reverse, or both for two
/// members). Coarse to fine: every [`SEARCH_COARSE_S`] over the zone, then
/// every [`SEARCH_STEP_S`] around the best, which embeds about a third of the
/// windows a single fine pass would.
fn search_boundary(
    analysis: &Analysis,
    members: &[Voiceprint<'_>],
    a: Class,
    b: Class,
    zone: Range<usize>,
    speech: usize,
    embedder: &mut dyn Embedder,
) -> Result<Option<usize>> {
    let rate = analysis.map.rate.hz();
    let coarse = secs_to_samples(SEARCH_COARSE_S, rate).max(1);
    let fine = secs_to_samples(SEARCH_STEP_S, rate).max(1);
    let min_side = secs_to_samples(MIN_SIDE_S, rate);
    let lo = zone.start.max(min_side);
    let hi = zone.end.min(speech.saturating_sub(min_side));
    let scores_anything = matches!(a, Class::Member(_)) || matches!(b, Class::Member(_));
    if lo >= hi || !scores_anything {
        // Without a member on either side every candidate scores 0: the
        // caller cuts in the middle.
        return Ok(None);
    }
    let mut best = best_candidate(analysis, members, a, b, (lo..=hi).step_by(coarse), speech, embedder)?;
    if let Some((t, _)) = best {
        let around = (t.saturating_sub(coarse - fine).max(lo)..=(t + coarse - fine).min(hi)).step_by(fine);
        if let Some(refined) = best_candidate(analysis, members, a, b, around.filter(|&c| c != t), speech, embedder)? {
            if best.is_none_or(|(_, s)| refined.1 > s) {
                best = Some(refined);
            }
        }
    }
    Ok(best.map(|(t, _)| t))
}

/// The best of `candidates` for [`search_boundary`], with its score.
fn best_candidate(
    analysis: &Analysis,
    members: &[Voiceprint<'_>],
    a: Class,
    b: Class,
    candidates: impl Iterator<Item = usize>,
    speech: usize,
    embedder: &mut dyn Embedder,
) -> Result<Option<(usize, f32)>> {
    let candidates: Vec<usize> = candidates.collect();
    let mut ranges = Vec::with_capacity(candidates.len() * 2);
    for &t in &candidates {
        ranges.push(t.saturating_sub(analysis.window)..t);
        ranges.push(t..(t + analysis.window).min(speech));
    }
    let embeddings = embed_reusing_windows(analysis, &ranges, embedder)?;
    let score = |left: &Embedding, right: &Embedding| -> f32 {
        let side = |c: Class, sign: f32| match c {
            Class::Member(m) => {
                let v = members[m].vector;
                sign * (dot(left.as_slice(), v) - dot(right.as_slice(), v))
            }
            Class::Other | Class::Uncertain | Class::Dip | Class::Overlap => 0.0,
        };
        side(a, 1.0) + side(b, -1.0)
    };
    let mut best: Option<(usize, f32)> = None;
    for (i, &t) in candidates.iter().enumerate() {
        let s = score(&embeddings[2 * i], &embeddings[2 * i + 1]);
        if best.is_none_or(|(_, b)| s > b) {
            best = Some((t, s));
        }
    }
    Ok(best)
}

/// Embeddings of timeline `ranges`: those that are one of the analysis's
/// windows (about half of a coarse boundary search's) come from the
/// analysis, the rest from `embedder` in one call.
fn embed_reusing_windows(
    analysis: &Analysis,
    ranges: &[Range<usize>],
    embedder: &mut dyn Embedder,
) -> Result<Vec<Embedding>> {
    let reused: Vec<Option<Embedding>> = ranges
        .iter()
        .map(|r| {
            analysis
                .windows
                .get(r.start / analysis.hop.max(1))
                .filter(|w| w.range == *r)
                .map(|w| w.embedding.clone())
        })
        .collect();
    let missing: Vec<Range<usize>> = ranges
        .iter()
        .zip(&reused)
        .filter(|(_, e)| e.is_none())
        .map(|(r, _)| r.clone())
        .collect();
    let mut computed = if missing.is_empty() {
        Vec::new()
    } else {
        embedder.embed(&missing)?
    }
    .into_iter();
    reused
        .into_iter()
        .map(|e| {
            e.or_else(|| computed.next())
                .ok_or_else(|| Error::Internal("the embedder returned too few embeddings".into()))
        })
        .collect()
}

/// Timeline spans to clip spans: each maps to its pieces in speech
/// segments; what lies between segments is `nonspeech`.
fn clip_spans(map: &SpeechMap, timeline: &[(Range<usize>, Label, Option<f32>)]) -> Vec<Span> {
    let mut pieces: Vec<(Range<usize>, Label, Option<f32>)> = Vec::new();
    for (r, l, s) in timeline {
        for c in map.to_clip(r.clone()) {
            pieces.push((c, l.clone(), *s));
        }
    }
    pieces.sort_by_key(|p| p.0.start);
    let mut out = Vec::with_capacity(pieces.len() * 2 + 1);
    let mut at = 0;
    let push = |out: &mut Vec<Span>, r: Range<usize>, label: Label, score: Option<f32>| {
        if r.start >= r.end {
            return;
        }
        let action = if label.is_unverified_speech() {
            Action::Redact
        } else {
            Action::Keep
        };
        // Adjacent pieces of one label (split only by a join) become one span.
        if let Some(last) = out.last_mut() {
            let last: &mut Span = last;
            if last.label == label && (last.end_s - map.secs(r.start)).abs() < 1e-9 && last.score == score {
                last.end_s = map.secs(r.end);
                return;
            }
        }
        out.push(Span {
            start_s: map.secs(r.start),
            end_s: map.secs(r.end),
            label,
            score,
            action,
        });
    };
    for (r, l, s) in pieces {
        push(&mut out, at..r.start, Label::Nonspeech, None);
        at = r.end;
        push(&mut out, r, l, s);
    }
    push(&mut out, at..map.n_samples, Label::Nonspeech, None);
    out
}

/// Clip ranges to replace: `other`/`uncertain` spans widened by the margin
/// (and the fade) into their neighbours, clamped to the clip, merged. Seconds.
fn redaction_ranges(map: &SpeechMap, spans: &[Span], policy: &Policy) -> Vec<(f64, f64)> {
    let end = map.secs(map.n_samples);
    let margin = f64::from(policy.margin_s);
    let mut out: Vec<(f64, f64)> = Vec::new();
    for s in spans.iter().filter(|s| s.action == Action::Redact) {
        let (a, b) = ((s.start_s - margin).max(0.0), (s.end_s + margin).min(end));
        match out.last_mut() {
            Some(last) if a <= last.1 => last.1 = last.1.max(b),
            _ => out.push((a, b)),
        }
    }
    out
}
