//! `voiceguard audit`: screen a whole export tree into a cleared copy with a
//! manifest, an export verdict, a JSON report and an HTML report.

use crate::household::StoreArgs;
use crate::screen::{io_err, open_store, PolicyArg};
use crate::{show, EXIT_ERROR, EXIT_HELD, EXIT_USAGE};
use clap::ValueEnum;
use indicatif::{ProgressBar, ProgressStyle};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Mutex;
use voiceguard::audit::{
    audit_export, AuditReport, AuditSettings, Household, OnSuspicious, Progress, VerdictThresholds, MANIFEST_NAME,
};
use voiceguard::screen::{Decision, OnOther, Policy, Voiceprint};
use voiceguard::{Engine, ErrorKind};

/// Redacted clips plotted into the HTML report at most (the rest are listed).
const MAX_PLOTS: usize = 200;
/// Clips longer than this are not plotted into the HTML report, seconds.
const MAX_PLOT_S: f64 = 600.0;

/// `--on-suspicious`.
#[derive(Clone, Copy, ValueEnum)]
pub enum OnSuspiciousArg {
    /// Hold every file of a suspicious export (default).
    HoldAll,
    /// Release the clips that verified as household speech; hold the rest.
    ReleaseVerified,
}

/// The options of `voiceguard audit`.
#[derive(clap::Args)]
pub struct AuditArgs {
    #[command(flatten)]
    pub store: StoreArgs,
    /// The export tree to audit (audio mixed with other files).
    #[arg(long, value_name = "DIR")]
    pub export: PathBuf,
    /// The cleared copy: a new or empty directory, or an interrupted audit of the same arguments (resumed).
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
    /// Write the JSON audit report here (outside --out; it names members and scores).
    #[arg(long, value_name = "FILE")]
    pub report: Option<PathBuf>,
    /// Write the self-contained HTML report here (outside --out).
    #[arg(long, value_name = "FILE")]
    pub html: Option<PathBuf>,
    /// Files screened in parallel [default: one per core].
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..=256))]
    pub jobs: Option<u16>,
    /// What a suspicious export releases [default: hold-all].
    #[arg(long, value_enum)]
    pub on_suspicious: Option<OnSuspiciousArg>,
    /// Share of speech clips not verified as household speech from which the export is suspicious, 0-1 [default: 0.5].
    #[arg(long, value_name = "SHARE", value_parser = parse_share)]
    pub suspicious_share: Option<f64>,
    /// Number of such clips from which the export may be suspicious [default: 20].
    #[arg(long, value_name = "N")]
    pub suspicious_min_clips: Option<usize>,
    /// Clips with a voice that is not enrolled: redact those spans, or hold the clip [default: redact].
    #[arg(long, value_enum)]
    pub policy: Option<PolicyArg>,
}

fn parse_share(s: &str) -> Result<f64, String> {
    let v: f64 = s.parse().map_err(|_| format!("{s:?} is not a number"))?;
    if (0.0..=1.0).contains(&v) {
        Ok(v)
    } else {
        Err(format!(
            "{v} is outside [0, 1]; the share is a fraction of the speech clips"
        ))
    }
}

fn usage(msg: &str) -> u8 {
    eprintln!("error: {msg}");
    EXIT_USAGE
}

/// Whether `p` lies inside `dir` (comparing canonical forms of their existing parts).
fn inside(p: &Path, dir: &Path) -> bool {
    let canon = |p: &Path| -> PathBuf {
        let abs = if p.is_absolute() {
            p.to_path_buf()
        } else {
            std::env::current_dir()
                .map(|d| d.join(p))
                .unwrap_or_else(|_| p.to_path_buf())
        };
        // Canonicalise the longest existing ancestor.
        let mut head = abs.clone();
        let mut tail = Vec::new();
        while !head.exists() {
            match (head.parent(), head.file_name()) {
                (Some(parent), Some(name)) => {
                    tail.push(name.to_owned());
                    head = parent.to_path_buf();
                }
                _ => break,
            }
        }
        let mut c = head.canonicalize().unwrap_or(head);
        for t in tail.iter().rev() {
            c.push(t);
        }
        c
    };
    canon(p).starts_with(canon(dir))
}

fn progress_bar() -> ProgressBar {
    let bar = ProgressBar::new(0);
    if let Ok(style) = ProgressStyle::with_template("{bar:30} {percent:>3}% {wide_msg} ETA {eta}") {
        bar.set_style(style);
    }
    bar
}

/// `voiceguard audit`.
///
/// # Errors
/// Never in practice: every failure is reported here and mapped to its exit code.
pub fn audit(engine: &Engine, args: &AuditArgs) -> voiceguard::Result<u8> {
    let mut policy = Policy::default();
    if let Some(PolicyArg::Hold) = args.policy {
        policy.on_other = OnOther::Hold;
    }
    let mut thresholds = VerdictThresholds::default();
    if let Some(s) = args.suspicious_share {
        thresholds.min_share = s;
    }
    if let Some(n) = args.suspicious_min_clips {
        thresholds.min_count = n;
    }
    let settings = AuditSettings {
        policy,
        thresholds,
        on_suspicious: match args.on_suspicious {
            None | Some(OnSuspiciousArg::HoldAll) => OnSuspicious::HoldAll,
            Some(OnSuspiciousArg::ReleaseVerified) => OnSuspicious::ReleaseVerified,
        },
        jobs: args.jobs.map_or(0, usize::from),
        block_s: AuditSettings::DEFAULT_BLOCK_S,
    };
    for (flag, p) in [("--report", &args.report), ("--html", &args.html)] {
        if let Some(p) = p {
            if inside(p, &args.out) || inside(p, &args.export) {
                return Ok(usage(&format!(
                    "{flag} {} lies inside the export or the cleared copy; reports name members and scores, write them elsewhere",
                    show(p)
                )));
            }
        }
    }
    if args.report.is_some() && args.report == args.html {
        return Ok(usage("--report and --html name the same file"));
    }
    if !args.export.is_dir() {
        return Ok(usage(&format!("--export {} is not a directory", show(&args.export))));
    }
    let store = open_store(engine, &args.store);
    let members: Vec<Voiceprint<'_>> = match &store {
        Ok(s) => s
            .members()
            .iter()
            .map(|m| Voiceprint {
                name: &m.name,
                vector: &m.voiceprint,
            })
            .collect(),
        Err(_) => Vec::new(),
    };
    let household = match &store {
        Ok(_) => Household::Members(&members),
        Err(m) => {
            eprintln!("error: {m}");
            eprintln!("every file of the export is held (store_unavailable)");
            Household::Unavailable(m.lines().next().unwrap_or(m).to_string())
        }
    };
    if store.as_ref().is_ok_and(|s| s.members().is_empty()) {
        eprintln!(
            "warning: {} has no enrolled members: every clip with speech is held (empty_store)",
            show(&args.store.store)
        );
    }

    let bar = progress_bar();
    let n_audio = AtomicUsize::new(0);
    let done = AtomicUsize::new(0);
    let bytes_done = AtomicU64::new(0);
    let audio_s = Mutex::new(0.0f64);
    let on_progress = |p: Progress<'_>| match p {
        Progress::Start {
            audio_files,
            audio_bytes,
            ..
        } => {
            n_audio.store(audio_files, Ordering::Relaxed);
            bar.set_length(audio_bytes.max(1));
            bar.set_message(format!("0/{audio_files} files, 0.00 h of audio"));
        }
        Progress::Clip { bytes, duration_s, .. } => {
            let d = done.fetch_add(1, Ordering::Relaxed) + 1;
            bytes_done.fetch_add(bytes, Ordering::Relaxed);
            let hours = audio_s.lock().map_or(0.0, |mut s| {
                *s += duration_s;
                *s / 3600.0
            });
            bar.set_position(bytes_done.load(Ordering::Relaxed));
            bar.set_message(format!(
                "{d}/{} files, {hours:.2} h of audio",
                n_audio.load(Ordering::Relaxed)
            ));
        }
        Progress::Finalizing => bar.set_message("writing the cleared copy and its manifest"),
    };
    let outcome = audit_export(engine, household, &args.export, &args.out, &settings, &on_progress);
    bar.finish_and_clear();
    let outcome = match outcome {
        Ok(o) => o,
        Err(e) if e.kind() == ErrorKind::InvalidInput => return Ok(usage(&e.to_string())),
        Err(e) => {
            eprintln!("error: {e}\nthe cleared copy is incomplete (no manifest); re-run the same command to resume");
            return Ok(EXIT_ERROR);
        }
    };
    let report = &outcome.report;
    println!("{}", report.verdict.headline);
    let mut failed = store.is_err();
    if let Some(path) = &args.report {
        let written = serde_json::to_vec_pretty(report)
            .map_err(|e| voiceguard::Error::Internal(format!("cannot format the report: {e}")))
            .and_then(|mut b| {
                b.push(b'\n');
                crate::screen::write_atomic(path, &b)
            });
        if let Err(e) = written {
            eprintln!("error: the report was not written: {e}");
            failed = true;
        }
    }
    if let Some(path) = &args.html {
        let (plots, left_out) = plots(report, &args.export);
        let page = crate::html::render(report, &plots, left_out);
        if let Err(e) = crate::screen::write_atomic(path, page.as_bytes()) {
            eprintln!("error: the HTML report was not written: {e}");
            failed = true;
        }
    }
    let t = &report.totals;
    let count = |k: &str| t.by_decision.get(k).copied().unwrap_or(0);
    eprintln!(
        "audited {} files ({} audio, {:.2} h): {} pass, {} redact, {} hold, {} copied{}; manifest: {}",
        t.files,
        t.audio_files,
        t.audio_s / 3600.0,
        count("pass"),
        count("redact"),
        count("hold"),
        count("copy"),
        if report.resumed > 0 {
            format!(" ({} clips taken over from the interrupted run)", report.resumed)
        } else {
            String::new()
        },
        show(&args.out.join(MANIFEST_NAME))
    );
    Ok(if failed {
        EXIT_ERROR
    } else if t.all_released() {
        0
    } else {
        EXIT_HELD
    })
}

/// Timeline plots (PNG bytes) of the clips screening redacted, drawn into a
/// private temporary directory outside the cleared copy and read back.
fn plots(report: &AuditReport, export: &Path) -> (Vec<(String, Vec<u8>)>, usize) {
    let redacted: Vec<_> = report.clips.iter().filter(|c| c.decision == Decision::Redact).collect();
    let mut out = Vec::new();
    let dir = std::env::temp_dir().join(format!("voiceguard-audit-plots-{}", std::process::id()));
    if let Err(e) = std::fs::create_dir_all(&dir).map_err(|e| io_err("create directory", &dir, e)) {
        eprintln!("warning: no plots in the HTML report: {e}");
        return (out, redacted.len());
    }
    for (i, c) in redacted.iter().enumerate() {
        if out.len() >= MAX_PLOTS || c.duration_s.is_none_or(|d| d > MAX_PLOT_S) {
            continue;
        }
        let png = dir.join(format!("{i}.png"));
        let input: PathBuf = export.join(c.input.split('/').collect::<PathBuf>());
        match crate::plot::plot_clip(&png, &input, c, &report.policy)
            .and_then(|()| std::fs::read(&png).map_err(|e| io_err("read", &png, e)))
        {
            Ok(bytes) => out.push((c.input.clone(), bytes)),
            Err(e) => eprintln!("warning: no plot of {} in the HTML report: {e}", c.input),
        }
        let _ = std::fs::remove_file(&png);
    }
    let _ = std::fs::remove_dir_all(&dir);
    let left = redacted.len() - out.len();
    (out, left)
}
