//! The audit's HTML report: one self-contained page (inline CSS, plots as
//! inline PNG data) for a privacy reviewer. Loads nothing from the network.

use std::fmt::Write as _;
use voiceguard::audit::{AuditReport, FileDecision, VerdictKind};
use voiceguard::screen::{ClipReport, Label};

/// Escapes text for HTML element content and attribute values.
#[must_use]
pub fn escape(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => o.push_str("&amp;"),
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '"' => o.push_str("&quot;"),
            '\'' => o.push_str("&#39;"),
            _ => o.push(c),
        }
    }
    o
}

/// Standard base64 (RFC 4648, with padding) of `bytes`.
#[must_use]
pub fn base64(bytes: &[u8]) -> String {
    const ABC: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut o = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for c in bytes.chunks(3) {
        let n =
            (u32::from(c[0]) << 16) | (u32::from(*c.get(1).unwrap_or(&0)) << 8) | u32::from(*c.get(2).unwrap_or(&0));
        for (i, shift) in [18u32, 12, 6, 0].into_iter().enumerate() {
            if i <= c.len() {
                o.push(char::from(ABC[((n >> shift) & 63) as usize]));
            } else {
                o.push('=');
            }
        }
    }
    o
}

const CSS: &str = "
body{font-family:-apple-system,'Segoe UI',Helvetica,Arial,sans-serif;margin:24px;color:#1a1a1a;max-width:1150px}
h1{font-size:22px;margin:0 0 8px}
h2{font-size:17px;margin:28px 0 8px;border-bottom:1px solid #ccc;padding-bottom:4px}
.verdict{padding:12px 16px;border-radius:6px;font-size:16px;font-weight:600;margin:8px 0 16px}
.suspicious{background:#fde2e1;border:2px solid #c62828;color:#7f1010}
.consistent{background:#e3f4e5;border:2px solid #2e7d32;color:#1b4d1e}
table{border-collapse:collapse;width:100%;font-size:13px}
th,td{border:1px solid #d0d0d0;padding:4px 6px;text-align:left;vertical-align:top}
th{background:#f0f0f0}
td.num{text-align:right;font-variant-numeric:tabular-nums}
.hold{color:#b71c1c;font-weight:600}.redact{color:#e65100;font-weight:600}
.pass,.copy{color:#2e7d32}
.plot{margin:12px 0 24px}.plot img{max-width:100%;border:1px solid #ddd}
.meta{color:#555;font-size:13px}
";

fn decision_cell(d: FileDecision) -> String {
    format!("<td class=\"{0}\">{0}</td>", d.as_str())
}

/// Best member score over a clip's windows, and the lowest span score.
fn scores(c: &ClipReport) -> (Option<f32>, Option<f32>) {
    let best = c
        .windows
        .iter()
        .map(|w| w.score)
        .fold(None, |m: Option<f32>, s| Some(m.map_or(s, |m| m.max(s))));
    let low = c
        .spans
        .iter()
        .filter(|s| s.label != Label::Nonspeech)
        .filter_map(|s| s.score)
        .fold(None, |m: Option<f32>, s| Some(m.map_or(s, |m| m.min(s))));
    (best, low)
}

fn fmt_score(s: Option<f32>) -> String {
    s.map_or_else(|| "&ndash;".into(), |v| format!("{v:.3}"))
}

/// Renders the page. `plots` are `(export path, PNG bytes)` of redacted clips.
#[must_use]
pub fn render(report: &AuditReport, plots: &[(String, Vec<u8>)], plots_left_out: usize) -> String {
    let v = &report.verdict;
    let class = match v.verdict {
        VerdictKind::Suspicious => "suspicious",
        VerdictKind::Consistent => "consistent",
    };
    let mut h = String::new();
    let _ = writeln!(
        h,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; img-src data:; style-src 'unsafe-inline'\">\
         <title>voiceguard audit: {}</title><style>{CSS}</style></head><body>",
        escape(&report.export)
    );
    let _ = writeln!(
        h,
        "<div id=\"verdict\" class=\"verdict {class}\">{}</div>",
        escape(&v.headline)
    );
    let _ = writeln!(
        h,
        "<h1>Export audit of {}</h1><p class=\"meta\">cleared copy {} &middot; voiceguard {} &middot; model {} &middot; \
         members: {} &middot; policy: other voices {:?}, uncertain {:?} &middot; suspicious export: {:?}</p>",
        escape(&report.export),
        escape(&report.out),
        escape(&report.voiceguard_version),
        escape(&report.model.id),
        if report.members.is_empty() { "none (empty store)".to_string() } else { escape(&report.members.join(", ")) },
        report.policy.on_other,
        report.policy.on_uncertain,
        report.on_suspicious,
    );
    let t = &report.totals;
    h.push_str("<h2>Totals</h2><table id=\"totals\"><tr><th>files</th><th>audio files</th><th>audio</th>");
    for d in t.by_decision.keys() {
        let _ = write!(h, "<th>{}</th>", escape(d));
    }
    let _ = write!(
        h,
        "</tr><tr><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{:.2} h</td>",
        t.files,
        t.audio_files,
        t.audio_s / 3600.0
    );
    for n in t.by_decision.values() {
        let _ = write!(h, "<td class=\"num\">{n}</td>");
    }
    let _ = writeln!(
        h,
        "</tr></table><p class=\"meta\">speech clips {}, not household speech {} ({:.1} %), clips on error {}; \
         suspicious from {} clips and {:.0} %.</p>",
        v.speech_clips,
        v.non_household_clips,
        v.non_household_share * 100.0,
        v.error_clips,
        v.thresholds.min_count,
        v.thresholds.min_share * 100.0
    );
    h.push_str("<table id=\"reasons\"><tr><th>reason</th><th>files</th></tr>");
    for (r, n) in &t.by_reason {
        let _ = write!(h, "<tr><td>{}</td><td class=\"num\">{n}</td></tr>", escape(r));
    }
    h.push_str("</table>\n");

    let clip_of = |p: &str| report.clips.iter().find(|c| c.input == p);
    let listed: Vec<_> = report
        .files
        .iter()
        .filter(|e| matches!(e.decision, FileDecision::Hold | FileDecision::Redact))
        .collect();
    let _ = write!(h, "<h2>Held and redacted files ({})</h2>", listed.len());
    h.push_str(
        "<table id=\"held\"><tr><th>file</th><th>kind</th><th>decision</th><th>reasons</th>\
         <th>best member score</th><th>lowest span score</th><th>other / uncertain speech</th><th>note</th></tr>\n",
    );
    for e in listed {
        let c = clip_of(&e.path);
        let (best, low) = c.map_or((None, None), scores);
        let (other, unc): (f64, f64) = c.map_or((0.0, 0.0), |c| {
            c.spans.iter().fold((0.0, 0.0), |(o, u), s| match s.label {
                Label::Other => (o + s.end_s - s.start_s, u),
                Label::Uncertain => (o, u + s.end_s - s.start_s),
                _ => (o, u),
            })
        });
        let reasons: Vec<&str> = e.reasons.iter().map(|r| r.as_str()).collect();
        let mut note = e.note.clone().unwrap_or_default();
        if let Some(w) = &e.held_with {
            note = format!("held with {w}. {note}");
        }
        let _ = writeln!(
            h,
            "<tr><td>{}</td><td>{:?}</td>{}<td>{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td>\
             <td class=\"num\">{other:.1} s / {unc:.1} s</td><td>{}</td></tr>",
            escape(&e.path),
            e.kind,
            decision_cell(e.decision),
            escape(&reasons.join(", ")),
            fmt_score(best),
            fmt_score(low),
            escape(note.trim()),
        );
    }
    h.push_str("</table>\n");

    let _ = writeln!(h, "<h2>Redacted clips: timelines ({})</h2>", plots.len());
    if plots.is_empty() {
        h.push_str("<p class=\"meta\">No clip was redacted.</p>\n");
    }
    for (path, png) in plots {
        let b64 = base64(png);
        let _ = writeln!(
            h,
            "<div class=\"plot\"><h3>{0}</h3><img alt=\"timeline of {0}\" src=\"data:image/png;base64,{b64}\"></div>",
            escape(path)
        );
    }
    if plots_left_out > 0 {
        let _ = writeln!(h, "<p class=\"meta\">{plots_left_out} more redacted clips are not plotted (too many or too long); see the JSON report.</p>");
    }
    h.push_str("</body></html>\n");
    h
}

#[cfg(test)]
mod tests {
    use super::{base64, escape};

    #[test]
    fn base64_matches_rfc_4648_vectors() {
        for (plain, coded) in [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("fooba", "Zm9vYmE="),
            ("foobar", "Zm9vYmFy"),
        ] {
            assert_eq!(base64(plain.as_bytes()), coded);
        }
        assert_eq!(base64(&[0xFB, 0xFF, 0xBF]), "+/+/");
    }

    #[test]
    fn escape_neutralises_markup() {
        assert_eq!(
            escape(r#"<a href="x">'&'</a>"#),
            "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;"
        );
    }
}
