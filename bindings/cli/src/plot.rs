//! `--plot DIR`: one PNG per screened clip, so a person can judge a redaction by looking.
//!
//! - Header: the clip, its decision and reasons, what was released, and a legend.
//! - Top panel: the waveform (min/max envelope per pixel column), speech spans as
//!   translucent bands coloured by label (one colour per member, `other` red,
//!   `uncertain` orange, non-speech uncoloured) with their label and score, and the
//!   redacted ranges shaded and hatched (the audio under them drawn faded: it is
//!   not in the output).
//! - Bottom panel: the best member cosine of every scoring window (a thin bar over
//!   the window, a dot at its centre, dots of overlapping windows joined) with the
//!   policy's accept and reject thresholds as dashed lines.
//!
//! Text is drawn with Noto Sans embedded in the binary (crate `ttf-noto-sans`, font
//! under the Apache License 2.0), rasterised by ab_glyph: no fontconfig or other
//! system font library is needed.

use plotters::coord::types::RangedCoordf64;
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use plotters::style::{register_font, FontStyle};
use std::collections::BTreeSet;
use std::fmt::Display;
use std::path::Path;
use std::sync::OnceLock;
use voiceguard::audio::{read_file, Limits};
use voiceguard::screen::{ClipReport, Decision, Label, Policy};
use voiceguard::{Error, Result};

/// Image size, pixels.
const WIDTH: u32 = 1400;
const HEIGHT: u32 = 600;
/// Header (title, details, legend) height.
const HEADER_H: u32 = 92;
/// Waveform panel height (the score panel gets the rest).
const WAVE_H: u32 = 300;
/// Horizontal layout shared by both panels, so their time axes line up.
const MARGIN_L: u32 = 12;
const MARGIN_R: u32 = 24;
const Y_LABEL_W: u32 = 78;
/// Top of the waveform's plotting area below the header.
const WAVE_MARGIN_T: u32 = 6;
/// Tick-label strip under the waveform.
const WAVE_X_LABELS: u32 = 24;

/// Font family the embedded font is registered under (plotters' default family name,
/// so every default text style finds it too).
const FONT: &str = "sans-serif";

const OTHER: RGBColor = RGBColor(214, 39, 40);
const UNCERTAIN: RGBColor = RGBColor(245, 130, 0);
/// Member colours: none of them is close to red or orange.
const MEMBER_PALETTE: [RGBColor; 6] = [
    RGBColor(31, 119, 180),
    RGBColor(44, 160, 44),
    RGBColor(148, 103, 189),
    RGBColor(23, 170, 190),
    RGBColor(140, 86, 75),
    RGBColor(110, 110, 10),
];
const WAVE_KEPT: RGBColor = RGBColor(25, 30, 45);
const WAVE_REMOVED: RGBColor = RGBColor(165, 165, 165);
const REDACT: RGBColor = RGBColor(45, 45, 45);
const ACCEPT_LINE: RGBColor = RGBColor(0, 115, 0);
const REJECT_LINE: RGBColor = RGBColor(190, 0, 0);
const TEXT: RGBColor = RGBColor(20, 20, 20);
const TEXT_DIM: RGBColor = RGBColor(85, 85, 85);

type Area<'a> = DrawingArea<BitMapBackend<'a>, Shift>;
type Chart<'a, 'b> = ChartContext<'a, BitMapBackend<'b>, Cartesian2d<RangedCoordf64, RangedCoordf64>>;

/// Renders the screening of `clip` (read again from `input`) as a `WIDTH`x`HEIGHT`
/// PNG at `png`, written atomically (a temporary file in the same directory, renamed).
///
/// # Errors
/// Whatever [`read_file`] returns for `input`; [`Error::Io`] if the PNG cannot be
/// drawn or written; [`Error::Internal`] if the embedded font cannot be loaded.
pub fn plot_clip(png: &Path, input: &Path, clip: &ClipReport, policy: &Policy) -> Result<()> {
    register_fonts()?;
    let audio = read_file(input, &Limits::default())?;
    let rate = f64::from(audio.rate.hz());
    let name = png
        .file_name()
        .map_or_else(|| "plot.png".into(), |n| n.to_string_lossy().into_owned());
    let tmp = png.with_file_name(format!(".{name}.{}.tmp.png", std::process::id()));
    let drawn = draw(&tmp, &audio.samples, rate, input, clip, policy).map_err(|e| draw_error(png, e));
    let done = drawn.and_then(|()| std::fs::rename(&tmp, png).map_err(|e| io_error("write", png, e)));
    if done.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    done
}

fn register_fonts() -> Result<()> {
    static LOADED: OnceLock<bool> = OnceLock::new();
    let ok = *LOADED.get_or_init(|| {
        register_font(FONT, FontStyle::Normal, ttf_noto_sans::REGULAR).is_ok()
            && register_font(FONT, FontStyle::Bold, ttf_noto_sans::BOLD).is_ok()
    });
    if ok {
        Ok(())
    } else {
        Err(Error::Internal(
            "the embedded plot font (Noto Sans) could not be loaded".into(),
        ))
    }
}

fn io_error(action: &'static str, path: &Path, source: std::io::Error) -> Error {
    Error::Io {
        action,
        path: path.to_path_buf(),
        source,
    }
}

fn draw_error(png: &Path, e: impl Display) -> Error {
    io_error("draw plot", png, std::io::Error::other(e.to_string()))
}

/// Colour of each member name: a stable pick from the palette by name (so a member
/// keeps its colour across clips), moved on to the next free colour on a clash.
fn member_colours(clip: &ClipReport) -> Vec<(String, RGBColor)> {
    let names: BTreeSet<&str> = clip
        .spans
        .iter()
        .filter_map(|s| match &s.label {
            Label::Member(n) => Some(n.as_str()),
            _ => None,
        })
        .chain(clip.windows.iter().map(|w| w.member.as_str()))
        .collect();
    let mut taken = [false; MEMBER_PALETTE.len()];
    names
        .into_iter()
        .map(|n| {
            // FNV-1a: stable across runs and platforms.
            let h = n.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
                (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
            });
            #[allow(clippy::cast_possible_truncation)]
            let mut i = (h % MEMBER_PALETTE.len() as u64) as usize;
            if taken.iter().all(|&t| t) {
                taken = [false; MEMBER_PALETTE.len()];
            }
            while taken[i] {
                i = (i + 1) % MEMBER_PALETTE.len();
            }
            taken[i] = true;
            (n.to_owned(), MEMBER_PALETTE[i])
        })
        .collect()
}

fn member_colour(colours: &[(String, RGBColor)], name: &str) -> RGBColor {
    colours
        .iter()
        .find(|(n, _)| n == name)
        .map_or(MEMBER_PALETTE[0], |(_, c)| *c)
}

fn label_colour(colours: &[(String, RGBColor)], label: &Label) -> Option<RGBColor> {
    match label {
        Label::Member(n) => Some(member_colour(colours, n)),
        Label::Other => Some(OTHER),
        Label::Uncertain => Some(UNCERTAIN),
        Label::Nonspeech => None,
    }
}

fn in_redaction(clip: &ClipReport, t: f64) -> bool {
    clip.redactions.iter().any(|&(a, b)| t >= a && t < b)
}

fn draw(
    path: &Path,
    samples: &[f32],
    rate: f64,
    input: &Path,
    clip: &ClipReport,
    policy: &Policy,
) -> std::result::Result<(), Box<dyn std::error::Error>> {
    #[allow(clippy::cast_precision_loss)]
    let audio_s = samples.len() as f64 / rate;
    let x_max = clip
        .spans
        .iter()
        .map(|s| s.end_s)
        .chain(clip.windows.iter().map(|w| w.end_s))
        .chain(clip.redactions.iter().map(|r| r.1))
        .filter(|t| t.is_finite())
        .fold(audio_s, f64::max)
        .max(0.1);
    let colours = member_colours(clip);

    let root = BitMapBackend::new(path, (WIDTH, HEIGHT)).into_drawing_area();
    root.fill(&WHITE)?;
    let (header, body) = root.split_vertically(HEADER_H);
    let (wave_area, score_area) = body.split_vertically(WAVE_H);
    draw_header(&header, input, clip, policy, &colours)?;
    draw_wave(&wave_area, samples, rate, x_max, clip, &colours)?;
    draw_scores(&score_area, x_max, clip, policy, &colours)?;
    root.present()?;
    Ok(())
}

/// A tick label without "-0.00".
fn tick(v: f64, decimals: usize) -> String {
    let s = format!("{v:.decimals$}");
    if s.starts_with('-') && s[1..].chars().all(|c| c == '0' || c == '.') {
        s[1..].to_owned()
    } else {
        s
    }
}

/// At most `n` characters of `s`, with an ellipsis if cut.
fn clip_text(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_owned()
    } else {
        s.chars().take(n - 1).chain(std::iter::once('\u{2026}')).collect()
    }
}

fn font(size: u32) -> TextStyle<'static> {
    (FONT, size).into_font().color(&TEXT)
}

fn bold(size: u32) -> TextStyle<'static> {
    (FONT, size, FontStyle::Bold).into_font().color(&TEXT)
}

fn draw_header(
    area: &Area,
    input: &Path,
    clip: &ClipReport,
    policy: &Policy,
    colours: &[(String, RGBColor)],
) -> std::result::Result<(), Box<dyn std::error::Error>> {
    // Line 1: the clip and its decision.
    let title = if !clip.input.is_empty() && clip.input.chars().count() <= 80 {
        clip.input.clone()
    } else {
        input
            .file_name()
            .map_or_else(|| clip.input.clone(), |n| n.to_string_lossy().into_owned())
    };
    let style = bold(22);
    let title = format!("{title}  ");
    area.draw_text(&title, &style, (16, 8))?;
    let (w, _) = area.estimate_text_size(&title, &style)?;
    let (word, colour, what) = match clip.decision {
        Decision::Pass => ("PASS", ACCEPT_LINE, "released unchanged"),
        Decision::Redact => ("REDACT", OTHER, "released with the hatched ranges removed"),
        Decision::Hold => ("HOLD", REJECT_LINE, "withheld: no output written"),
    };
    let dstyle = bold(22).color(&colour);
    area.draw_text(word, &dstyle, (16 + i32::try_from(w)?, 8))?;
    let (dw, _) = area.estimate_text_size(word, &dstyle)?;
    area.draw_text(
        &format!("  {what}"),
        &font(17).color(&TEXT_DIM),
        (16 + i32::try_from(w + dw)?, 12),
    )?;

    // Line 2: reasons and amounts.
    let reasons: Vec<&str> = clip.reasons.iter().map(|r| r.as_str()).collect();
    // `+ 0.0`: an empty float sum is -0.0, printed "-0.00".
    let speech = |pred: fn(&Label) -> bool| -> f64 {
        clip.spans
            .iter()
            .filter(|s| pred(&s.label))
            .map(|s| s.end_s - s.start_s)
            .sum::<f64>()
            + 0.0
    };
    let mut details = format!("reasons: {}", reasons.join(", "));
    if let Some(d) = clip.duration_s {
        details += &format!("   |   duration {d:.2} s");
    }
    details += &format!(
        "   |   member speech {:.2} s, other {:.2} s, uncertain {:.2} s   |   redacted {:.2} s",
        speech(|l| matches!(l, Label::Member(_))),
        speech(|l| matches!(l, Label::Other)),
        speech(|l| matches!(l, Label::Uncertain)),
        clip.redactions.iter().map(|(a, b)| b - a).sum::<f64>() + 0.0,
    );
    details += &format!(
        "   |   accept >= {:.2}, reject < {:.2}",
        policy.accept.0, policy.reject.0
    );
    if let Some(e) = &clip.error {
        details += &format!("   |   error: {}", clip_text(e, 90));
    }
    area.draw_text(&details, &font(15).color(&TEXT_DIM), (16, 40))?;

    // Line 3: legend.
    let y = 66;
    let mut x = 16;
    let legend = font(15);
    let swatch =
        |x: &mut i32, colour: Option<RGBColor>, text: &str| -> std::result::Result<(), Box<dyn std::error::Error>> {
            match colour {
                Some(c) => {
                    area.draw(&Rectangle::new([(*x, y), (*x + 22, y + 16)], c.mix(0.3).filled()))?;
                    area.draw(&Rectangle::new([(*x, y), (*x + 22, y + 16)], c.stroke_width(1)))?;
                }
                None => {
                    // Redacted: the shading and hatching of the plot.
                    area.draw(&Rectangle::new([(*x, y), (*x + 22, y + 16)], REDACT.mix(0.28).filled()))?;
                    for k in [-10, -4, 2, 8, 14, 20] {
                        let (x0, x1) = ((*x + k).max(*x), (*x + k + 16).min(*x + 22));
                        let (y0, y1) = (y + 16 - (x0 - (*x + k)), y + 16 - (x1 - (*x + k)));
                        area.draw(&PathElement::new(vec![(x0, y0), (x1, y1)], REDACT.mix(0.8)))?;
                    }
                }
            }
            area.draw_text(text, &legend, (*x + 28, y))?;
            let (w, _) = area.estimate_text_size(text, &legend)?;
            *x += 28 + i32::try_from(w)? + 22;
            Ok(())
        };
    for (name, c) in colours {
        swatch(&mut x, Some(*c), &format!("member:{}", clip_text(name, 20)))?;
    }
    swatch(&mut x, Some(OTHER), "other")?;
    swatch(&mut x, Some(UNCERTAIN), "uncertain")?;
    swatch(&mut x, None, "redacted")?;
    // Threshold lines.
    for (c, text) in [(ACCEPT_LINE, "accept threshold"), (REJECT_LINE, "reject threshold")] {
        for k in 0..3 {
            let x0 = x + k * 10;
            area.draw(&PathElement::new(vec![(x0, y + 8), (x0 + 6, y + 8)], c.stroke_width(2)))?;
        }
        area.draw_text(text, &legend, (x + 32, y))?;
        let (w, _) = area.estimate_text_size(text, &legend)?;
        x += 32 + i32::try_from(w)? + 22;
    }
    area.draw(&Circle::new((x + 8, y + 8), 4, TEXT_DIM.filled()))?;
    area.draw_text("window best score (bar: window extent)", &legend, (x + 20, y))?;
    Ok(())
}

fn draw_wave(
    area: &Area,
    samples: &[f32],
    rate: f64,
    x_max: f64,
    clip: &ClipReport,
    colours: &[(String, RGBColor)],
) -> std::result::Result<(), Box<dyn std::error::Error>> {
    let peak = samples
        .iter()
        .filter(|v| v.is_finite())
        .fold(0f32, |m, v| m.max(v.abs()));
    let amp = (f64::from(peak) * 1.08).clamp(0.02, 1.0);
    let mut chart = ChartBuilder::on(area)
        .margin_left(MARGIN_L)
        .margin_right(MARGIN_R)
        .margin_top(WAVE_MARGIN_T)
        .x_label_area_size(WAVE_X_LABELS)
        .y_label_area_size(Y_LABEL_W)
        .build_cartesian_2d(0f64..x_max, -amp..amp)?;
    chart
        .configure_mesh()
        .x_labels(20)
        .y_labels(5)
        .disable_y_mesh()
        .light_line_style(TRANSPARENT)
        .bold_line_style(RGBColor(215, 215, 215))
        .label_style(font(13))
        .axis_desc_style(font(15))
        .y_desc("amplitude")
        .y_label_formatter(&|v| tick(*v, 2))
        .x_label_formatter(&|v| tick(*v, 1))
        .draw()?;
    span_bands(&mut chart, clip, colours, -amp, amp, 0.22)?;

    // Min/max envelope, one vertical line per pixel column.
    let (cols, rows) = chart.plotting_area().dim_in_pixel();
    let n = samples.len();
    for c in 0..cols {
        let t0 = f64::from(c) / f64::from(cols) * x_max;
        let t1 = f64::from(c + 1) / f64::from(cols) * x_max;
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        let (i0, i1) = (((t0 * rate) as usize).min(n), ((t1 * rate).ceil() as usize).min(n));
        if i0 >= i1 {
            continue;
        }
        let (lo, hi) = samples[i0..i1]
            .iter()
            .filter(|v| v.is_finite())
            .fold((0f32, 0f32), |(lo, hi), &v| (lo.min(v), hi.max(v)));
        let t = (t0 + t1) / 2.0;
        let colour = if in_redaction(clip, t) { WAVE_REMOVED } else { WAVE_KEPT };
        chart.draw_series(std::iter::once(PathElement::new(
            vec![(t, f64::from(lo)), (t, f64::from(hi))],
            colour,
        )))?;
    }

    // Redactions: dark shading, 45-degree hatching (in pixels), edge lines.
    let px_per_s = f64::from(cols) / x_max;
    let dx = f64::from(rows) / px_per_s;
    let step = 11.0 / px_per_s;
    for &(a, b) in &clip.redactions {
        let (a, b) = (a.max(0.0), b.min(x_max));
        if b <= a {
            continue;
        }
        chart.draw_series(std::iter::once(Rectangle::new(
            [(a, -amp), (b, amp)],
            REDACT.mix(0.26).filled(),
        )))?;
        let mut x0 = a - dx;
        while x0 < b {
            // Segment (x0, -amp) -> (x0 + dx, amp), clipped to [a, b].
            let u0 = ((a - x0) / dx).max(0.0);
            let u1 = ((b - x0) / dx).min(1.0);
            if u1 > u0 {
                let p = |u: f64| (x0 + u * dx, -amp + u * 2.0 * amp);
                chart.draw_series(std::iter::once(PathElement::new(vec![p(u0), p(u1)], REDACT.mix(0.55))))?;
            }
            x0 += step;
        }
        for x in [a, b] {
            chart.draw_series(std::iter::once(PathElement::new(
                vec![(x, -amp), (x, amp)],
                REDACT.stroke_width(2),
            )))?;
        }
    }

    // Span captions: label and score, where the span is wide enough.
    let caption = font(13);
    for s in &clip.spans {
        let Some(c) = label_colour(colours, &s.label) else {
            continue;
        };
        let text = match (&s.label, s.score) {
            (Label::Member(n), Some(v)) => format!("{} {v:.2}", clip_text(n, 20)),
            (Label::Member(n), None) => clip_text(n, 20),
            (l, Some(v)) => format!("{l} {v:.2}"),
            (l, None) => l.to_string(),
        };
        let (w, _) = area.estimate_text_size(&text, &caption)?;
        if (s.end_s - s.start_s) * px_per_s < f64::from(w) + 8.0 {
            continue;
        }
        let dark = RGBColor(c.0 / 2, c.1 / 2, c.2 / 2);
        let pos = chart.backend_coord(&(s.start_s, amp));
        let (ox, oy) = area.get_base_pixel();
        area.draw_text(&text, &bold(13).color(&dark), (pos.0 - ox + 4, pos.1 - oy + 3))?;
    }
    Ok(())
}

/// Translucent bands of the labelled spans between `y0` and `y1`.
fn span_bands(
    chart: &mut Chart,
    clip: &ClipReport,
    colours: &[(String, RGBColor)],
    y0: f64,
    y1: f64,
    alpha: f64,
) -> std::result::Result<(), Box<dyn std::error::Error>> {
    for s in &clip.spans {
        if let Some(c) = label_colour(colours, &s.label) {
            chart.draw_series(std::iter::once(Rectangle::new(
                [(s.start_s, y0), (s.end_s, y1)],
                c.mix(alpha).filled(),
            )))?;
        }
    }
    Ok(())
}

fn draw_scores(
    area: &Area,
    x_max: f64,
    clip: &ClipReport,
    policy: &Policy,
    colours: &[(String, RGBColor)],
) -> std::result::Result<(), Box<dyn std::error::Error>> {
    let (accept, reject) = (f64::from(policy.accept.0), f64::from(policy.reject.0));
    let scores = clip
        .windows
        .iter()
        .map(|w| f64::from(w.score))
        .filter(|v| v.is_finite());
    let lo = scores.clone().fold(reject, f64::min) - 0.06;
    let hi = scores.fold(accept, f64::max) + 0.05;
    let lo = ((lo * 10.0).floor() / 10.0).max(-1.0);
    let hi = ((hi * 20.0).ceil() / 20.0).min(1.0);
    let mut chart = ChartBuilder::on(area)
        .margin_left(MARGIN_L)
        .margin_right(MARGIN_R)
        .margin_top(8)
        .margin_bottom(4)
        .x_label_area_size(46)
        .y_label_area_size(Y_LABEL_W)
        .build_cartesian_2d(0f64..x_max, lo..hi)?;
    chart
        .configure_mesh()
        .x_labels(20)
        .y_labels(6)
        .light_line_style(TRANSPARENT)
        .bold_line_style(RGBColor(215, 215, 215))
        .label_style(font(13))
        .axis_desc_style(font(15))
        .x_desc("time (s)")
        .y_desc("best cosine")
        .y_label_formatter(&|v| tick(*v, 2))
        .x_label_formatter(&|v| tick(*v, 1))
        .draw()?;
    span_bands(&mut chart, clip, colours, lo, hi, 0.12)?;
    for &(a, b) in &clip.redactions {
        chart.draw_series(std::iter::once(Rectangle::new(
            [(a, lo), (b, hi)],
            REDACT.mix(0.16).filled(),
        )))?;
    }

    for (y, c, text) in [(accept, ACCEPT_LINE, "accept"), (reject, REJECT_LINE, "reject")] {
        chart.draw_series(DashedLineSeries::new(
            vec![(0.0, y), (x_max, y)],
            10,
            6,
            c.stroke_width(2),
        ))?;
        let text = format!("{text} {y:.2}");
        let style = bold(13).color(&c).pos(Pos::new(HPos::Right, VPos::Bottom));
        let pos = chart.backend_coord(&(x_max, y));
        let (ox, oy) = area.get_base_pixel();
        let dy = if y == reject { 16 } else { -2 };
        area.draw_text(&text, &style, (pos.0 - ox - 4, pos.1 - oy + dy))?;
    }

    let class_colour = |member: &str, score: f64| {
        if score >= accept {
            member_colour(colours, member)
        } else if score < reject {
            OTHER
        } else {
            UNCERTAIN
        }
    };
    // Window extents.
    for w in &clip.windows {
        let v = f64::from(w.score);
        if v.is_finite() {
            let c = class_colour(&w.member, v);
            chart.draw_series(std::iter::once(PathElement::new(
                vec![(w.start_s, v), (w.end_s, v)],
                c.mix(0.45).stroke_width(3),
            )))?;
        }
    }
    // Centres, joined while windows overlap (a gap means another speech region).
    let mut run: Vec<(f64, f64)> = Vec::new();
    let mut prev_end = f64::NEG_INFINITY;
    for w in clip.windows.iter().filter(|w| w.score.is_finite()) {
        if w.start_s > prev_end && !run.is_empty() {
            chart.draw_series(LineSeries::new(std::mem::take(&mut run), TEXT_DIM.stroke_width(1)))?;
        }
        run.push(((w.start_s + w.end_s) / 2.0, f64::from(w.score)));
        prev_end = w.end_s;
    }
    if !run.is_empty() {
        chart.draw_series(LineSeries::new(run, TEXT_DIM.stroke_width(1)))?;
    }
    for w in clip.windows.iter().filter(|w| w.score.is_finite()) {
        let v = f64::from(w.score);
        let c = class_colour(&w.member, v);
        chart.draw_series(std::iter::once(Circle::new(
            ((w.start_s + w.end_s) / 2.0, v),
            4,
            c.filled(),
        )))?;
        chart.draw_series(std::iter::once(Circle::new(
            ((w.start_s + w.end_s) / 2.0, v),
            4,
            TEXT.stroke_width(1),
        )))?;
    }
    if clip.windows.is_empty() {
        let (w, h) = area.dim_in_pixel();
        let style = font(16).color(&TEXT_DIM).pos(Pos::new(HPos::Center, VPos::Center));
        area.draw_text(
            "no scored windows (no speech, or nothing was scored)",
            &style,
            (i32::try_from(w / 2)?, i32::try_from(h / 2)? - 10),
        )?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use voiceguard::screen::{Action, Reason, Span, WindowScore};

    fn span(start_s: f64, end_s: f64, label: Label, score: Option<f32>, action: Action) -> Span {
        Span {
            start_s,
            end_s,
            label,
            score,
            action,
        }
    }

    /// A hand-made report over a real clip: member, stranger, member, uncertain.
    fn report(duration_s: f64) -> ClipReport {
        let m = |n: &str| Label::Member(n.into());
        let spans = vec![
            span(0.0, 0.25, Label::Nonspeech, None, Action::Keep),
            span(0.25, 2.4, m("alice"), Some(0.91), Action::Keep),
            span(2.4, 4.1, Label::Other, Some(0.52), Action::Redact),
            span(4.1, 5.6, m("bob"), Some(0.88), Action::Keep),
            span(5.6, 6.3, Label::Uncertain, Some(0.77), Action::Redact),
            span(6.3, duration_s, Label::Nonspeech, None, Action::Keep),
        ];
        let mut windows = Vec::new();
        let mut t: f64 = 0.25;
        while t + 1.6 <= 6.3 + 1e-9 {
            let mid = t + 0.8;
            let (member, score) = match mid {
                x if x < 2.2 => ("alice", 0.90),
                x if x < 2.8 => ("alice", 0.74),
                x if x < 3.9 => ("bob", 0.50),
                x if x < 4.4 => ("bob", 0.72),
                x if x < 5.4 => ("bob", 0.87),
                _ => ("bob", 0.78),
            };
            #[allow(clippy::cast_possible_truncation)]
            let wobble = ((t * 7.0).sin() * 0.02) as f32;
            windows.push(WindowScore {
                start_s: t,
                end_s: t + 1.6,
                member: member.into(),
                score: score + wobble,
            });
            t += 0.4;
        }
        ClipReport {
            input: "examples/data/librivox-sas01_1.wav".into(),
            sha256: None,
            duration_s: Some(duration_s),
            decision: Decision::Redact,
            reasons: vec![Reason::OtherSpeech, Reason::UncertainSpeech],
            error: None,
            output: Some("out/librivox-sas01_1.wav".into()),
            output_sha256: None,
            spans,
            windows,
            redactions: vec![(2.25, 4.25), (5.45, 6.45)],
        }
    }

    fn data(name: &str) -> std::path::PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../examples/data")
            .join(name)
    }

    /// Copies a plot into `$VOICEGUARD_KEEP_PLOTS` (a directory), to look at it.
    fn keep(png: &Path) {
        if let Some(dir) = std::env::var_os("VOICEGUARD_KEEP_PLOTS") {
            std::fs::copy(png, Path::new(&dir).join(png.file_name().unwrap())).unwrap();
        }
    }

    /// Mean colour of a block of the image, centred at `(x, y)`.
    fn mean_rgb(img: &image::RgbImage, x: u32, y: u32) -> [f64; 3] {
        let mut sum = [0.0; 3];
        let mut n = 0.0;
        for yy in y - 6..=y + 6 {
            for xx in x - 6..=x + 6 {
                let p = img.get_pixel(xx, yy).0;
                for k in 0..3 {
                    sum[k] += f64::from(p[k]);
                }
                n += 1.0;
            }
        }
        sum.map(|s| s / n)
    }

    #[test]
    fn plot_of_a_redacted_clip_is_a_png_with_the_redaction_visible() {
        let dir = tempfile::tempdir().unwrap();
        let png = dir.path().join("sas01_1.png");
        let input = data("librivox-sas01_1.wav");
        let clip = report(7.1);
        // Uncertain speech redacted rather than held, as this report says.
        let policy = Policy {
            on_uncertain: voiceguard::screen::OnUncertain::Redact,
            ..Policy::default()
        };
        plot_clip(&png, &input, &clip, &policy).unwrap();
        keep(&png);

        let bytes = std::fs::read(&png).unwrap();
        assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n");
        assert_eq!(&bytes[12..16], b"IHDR");
        assert_eq!(u32::from_be_bytes(bytes[16..20].try_into().unwrap()), WIDTH);
        assert_eq!(u32::from_be_bytes(bytes[20..24].try_into().unwrap()), HEIGHT);
        let img = image::load_from_memory_with_format(&bytes, image::ImageFormat::Png)
            .unwrap()
            .to_rgb8();
        assert_eq!(img.dimensions(), (WIDTH, HEIGHT));
        // No temporary file is left behind.
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);

        // Near the top of the waveform panel (above the waveform, below the
        // captions): the member band is light blue-ish, the redaction dark grey.
        let left = f64::from(MARGIN_L + Y_LABEL_W);
        let width = f64::from(WIDTH - MARGIN_R) - left;
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        let x_of = |t: f64| (left + t / 7.1 * width) as u32;
        let y = HEADER_H + WAVE_MARGIN_T + 34;
        let member = mean_rgb(&img, x_of(1.2), y);
        let redacted = mean_rgb(&img, x_of(3.2), y);
        let silence = mean_rgb(&img, x_of(6.8), y);
        let lum = |c: [f64; 3]| c.iter().sum::<f64>() / 3.0;
        assert!(
            lum(redacted) + 40.0 < lum(member),
            "redacted {redacted:?} vs member {member:?}"
        );
        let spread = |c: [f64; 3]| c.iter().fold(0f64, |m, &v| m.max(v)) - c.iter().fold(255f64, |m, &v| m.min(v));
        assert!(spread(member) > 12.0, "member band is not coloured: {member:?}");
        assert!(lum(silence) > 240.0, "nonspeech is not left white: {silence:?}");
    }

    #[test]
    fn a_held_clip_without_windows_still_plots() {
        let dir = tempfile::tempdir().unwrap();
        let png = dir.path().join("held.png");
        let mut clip = report(2.99);
        clip.input = "librivox-sas01_2.wav".into();
        clip.decision = Decision::Hold;
        clip.reasons = vec![Reason::EmptyStore];
        clip.spans.clear();
        clip.windows.clear();
        clip.redactions.clear();
        clip.output = None;
        plot_clip(&png, &data("librivox-sas01_2.wav"), &clip, &Policy::default()).unwrap();
        keep(&png);
        assert!(std::fs::metadata(&png).unwrap().len() > 1000);
    }

    #[test]
    fn unreadable_input_is_an_error_and_leaves_no_file() {
        let dir = tempfile::tempdir().unwrap();
        let png = dir.path().join("x.png");
        let err = plot_clip(&png, &dir.path().join("missing.wav"), &report(1.0), &Policy::default());
        assert!(err.is_err());
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
    }
}
