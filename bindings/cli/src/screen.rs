//! `voiceguard screen`: decide, redact or hold back every clip of the inputs
//! against a household store, mirror the released audio under `--out`, and
//! write the JSON report (`docs/report.schema.json`).
//!
//! Which files a directory input contributes: every regular file below it
//! (recursively, in sorted order) whose extension is `wav`, `flac`, `ogg`,
//! `oga` or `mp3`, in any case. The format itself is then sniffed from the
//! content, so a misnamed or damaged file is held with reason `error` and
//! listed, never skipped. Symbolic links to files are screened; symbolic
//! links to directories are not followed (no loops). The `--out` and
//! `--plot` directories are skipped when they lie inside an input
//! directory. A file named on the command line is screened whatever its
//! extension.

use crate::household::StoreArgs;
use crate::{print_json, show, EXIT_ERROR, EXIT_HELD, EXIT_USAGE};
use clap::ValueEnum;
use indicatif::{ProgressBar, ProgressStyle};
use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};
use voiceguard::screen::{
    output_path, screen_file, ClipReport, Decision, Fill, ModelRef, OnNoSpeech, OnOther, OnUncertain, OutputOptions,
    Policy, Reason, Report, Summary, Voiceprint, REPORT_SCHEMA_VERSION,
};
use voiceguard::voiceprint::{Access, StoreKey, VoiceprintStore};
use voiceguard::Engine;

/// File extensions (lower case) a directory input contributes.
pub const AUDIO_EXTENSIONS: [&str; 5] = ["wav", "flac", "ogg", "oga", "mp3"];

/// Comfort-noise level when `--fill noise` is given without `--fill-level`, dBFS RMS.
const NOISE_DBFS: f32 = -60.0;
/// Tone level when `--fill tone` is given without `--fill-level`, dBFS RMS.
const TONE_DBFS: f32 = -30.0;
/// Tone frequency of `--fill tone`, Hz.
const TONE_HZ: f32 = 1000.0;

/// `--policy`: what happens to a clip with speech of a voice that is not enrolled.
#[derive(Clone, Copy, ValueEnum)]
pub enum PolicyArg {
    /// Replace the other voice's spans; household speech is kept (default).
    Redact,
    /// Withhold the whole clip.
    Hold,
}

/// `--uncertain`: what happens to a clip with speech that could not be verified.
#[derive(Clone, Copy, ValueEnum)]
pub enum UncertainArg {
    /// Withhold the whole clip (default).
    Hold,
    /// Treat it like another voice (redact, or hold under `--policy hold`).
    Redact,
}

/// `--no-speech`: what happens to a clip without speech.
#[derive(Clone, Copy, ValueEnum)]
pub enum NoSpeechArg {
    /// Release it unchanged (default).
    Pass,
    /// Withhold it.
    Hold,
}

/// `--fill`: what redacted spans are replaced with.
#[derive(Clone, Copy, ValueEnum)]
pub enum FillArg {
    /// Digital silence (default).
    Silence,
    /// Low white noise (-60 dBFS RMS unless --fill-level), reproducible.
    Noise,
    /// A 1 kHz tone (-30 dBFS RMS unless --fill-level), so a listener hears the cut.
    Tone,
}

/// The options of `voiceguard screen`.
#[derive(clap::Args)]
pub struct ScreenArgs {
    #[command(flatten)]
    pub store: StoreArgs,
    /// Output directory; released clips mirror the input tree under it.
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
    /// Clips with a voice that is not enrolled: redact those spans, or hold the clip [default: redact].
    #[arg(long, value_enum)]
    pub policy: Option<PolicyArg>,
    /// Clips with speech that could not be verified: hold, or redact it [default: hold].
    #[arg(long, value_enum)]
    pub uncertain: Option<UncertainArg>,
    /// Clips without speech: pass, or hold [default: pass].
    #[arg(long, value_enum)]
    pub no_speech: Option<NoSpeechArg>,
    /// What redacted spans are replaced with [default: silence].
    #[arg(long, value_enum)]
    pub fill: Option<FillArg>,
    /// RMS level of the noise or tone fill, dBFS (noise -120 to -20, tone -120 to -6).
    #[arg(long, value_name = "DBFS", allow_negative_numbers = true)]
    pub fill_level: Option<f32>,
    /// Write the JSON report here (atomically).
    #[arg(long, value_name = "FILE")]
    pub report: Option<PathBuf>,
    /// Write one PNG per clip here (waveform, labelled spans, scores).
    #[arg(long, value_name = "DIR")]
    pub plot: Option<PathBuf>,
    /// Replace outputs of an earlier run (and remove those of clips now held).
    #[arg(long)]
    pub overwrite: bool,
    /// Print the JSON report to stdout (instead of one line per clip).
    #[arg(long)]
    pub json: bool,
    /// Audio files, or directories screened recursively (wav, flac, ogg, oga, mp3).
    #[arg(required = true, value_name = "INPUT")]
    pub inputs: Vec<PathBuf>,
}

impl ScreenArgs {
    /// The policy these options select, on top of [`Policy::default`].
    ///
    /// # Errors
    /// A message naming the bad option (bad usage).
    pub fn policy(&self) -> Result<Policy, String> {
        let mut p = Policy::default();
        if let Some(a) = self.policy {
            p.on_other = match a {
                PolicyArg::Redact => OnOther::Redact,
                PolicyArg::Hold => OnOther::Hold,
            };
        }
        if let Some(a) = self.uncertain {
            p.on_uncertain = match a {
                UncertainArg::Hold => OnUncertain::Hold,
                UncertainArg::Redact => OnUncertain::Redact,
            };
        }
        if let Some(a) = self.no_speech {
            p.on_no_speech = match a {
                NoSpeechArg::Pass => OnNoSpeech::Pass,
                NoSpeechArg::Hold => OnNoSpeech::Hold,
            };
        }
        p.fill = match (self.fill, self.fill_level) {
            (None | Some(FillArg::Silence), Some(_)) => {
                return Err("--fill-level needs --fill noise or --fill tone".into());
            }
            (None, None) => p.fill,
            (Some(FillArg::Silence), None) => Fill::Silence,
            (Some(FillArg::Noise), level) => Fill::ComfortNoise {
                level_dbfs: level.unwrap_or(NOISE_DBFS),
            },
            (Some(FillArg::Tone), level) => Fill::Tone {
                hz: TONE_HZ,
                level_dbfs: level.unwrap_or(TONE_DBFS),
            },
        };
        p.validate().map_err(|e| format!("--fill-level: {e}"))?;
        Ok(p)
    }
}

/// One clip to screen.
#[derive(Debug, Clone)]
pub struct Job {
    /// The file to read.
    pub input: PathBuf,
    /// Its path relative to the output (and plot) directory.
    pub rel: PathBuf,
    /// How the report names it: the path as given, or the directory as given joined with `rel`.
    pub name: String,
}

/// An [`voiceguard::Error::Io`] (the core's constructor is crate-private).
pub fn io_err(action: &'static str, path: &Path, source: std::io::Error) -> voiceguard::Error {
    voiceguard::Error::Io {
        action,
        path: path.to_path_buf(),
        source,
    }
}

fn is_audio_name(p: &Path) -> bool {
    p.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| AUDIO_EXTENSIONS.iter().any(|a| e.eq_ignore_ascii_case(a)))
}

/// Collects the audio files below `dir`, sorted, skipping `skip` directories.
fn walk(dir: &Path, skip: &[PathBuf], acc: &mut Vec<PathBuf>) -> voiceguard::Result<()> {
    let rd = std::fs::read_dir(dir).map_err(|e| io_err("list directory", dir, e))?;
    let mut entries = Vec::new();
    for entry in rd {
        let entry = entry.map_err(|e| io_err("list directory", dir, e))?;
        entries.push(entry.path());
    }
    entries.sort();
    for path in entries {
        let meta = std::fs::symlink_metadata(&path).map_err(|e| io_err("inspect", &path, e))?;
        if meta.is_dir() {
            let canon = path.canonicalize().unwrap_or_else(|_| path.clone());
            if !skip.contains(&canon) {
                walk(&path, skip, acc)?;
            }
        } else if is_audio_name(&path) {
            if meta.file_type().is_symlink() {
                // Follow links to files only; a link to a directory is not walked.
                if std::fs::metadata(&path).is_ok_and(|m| m.is_file()) {
                    acc.push(path);
                } else if std::fs::metadata(&path).is_err() {
                    // A dangling link: screened, so it is held with an error and listed.
                    acc.push(path);
                }
            } else if meta.is_file() {
                acc.push(path);
            }
        }
    }
    Ok(())
}

/// Outcome of planning: the jobs, or why the command line cannot work.
pub enum Plan {
    /// Clips to screen, in order.
    Jobs(Vec<Job>),
    /// Bad usage (exit 2), with the message.
    Usage(String),
    /// A directory could not be listed (exit 1).
    Failed(voiceguard::Error),
}

/// Every path `base` may be written to: the pass copy and the redacted WAV.
fn candidates(base: &Path) -> Vec<PathBuf> {
    let mut v = vec![base.to_path_buf()];
    if let Some(r) = output_path(base, Decision::Redact) {
        if r != base {
            v.push(r);
        }
    }
    v
}

fn canonical(p: &Path) -> Option<PathBuf> {
    p.canonicalize().ok()
}

/// Turns the inputs into jobs, and refuses inputs that would share an
/// output, or an output (or the report) that would land on an input.
#[must_use]
pub fn plan(inputs: &[PathBuf], out: &Path, report: Option<&Path>, plot: Option<&Path>) -> Plan {
    let skip: Vec<PathBuf> = [Some(out), plot].into_iter().flatten().filter_map(canonical).collect();
    let mut jobs = Vec::new();
    for input in inputs {
        let Ok(meta) = std::fs::metadata(input) else {
            return Plan::Usage(format!(
                "input {} does not exist (or cannot be accessed); name audio files or directories",
                show(input)
            ));
        };
        if meta.is_dir() {
            let mut files = Vec::new();
            if let Err(e) = walk(input, &skip, &mut files) {
                return Plan::Failed(e);
            }
            if files.is_empty() {
                eprintln!(
                    "warning: no audio files ({}) found under {}",
                    AUDIO_EXTENSIONS.join(", "),
                    show(input)
                );
            }
            for f in files {
                let rel = f.strip_prefix(input).unwrap_or(&f).to_path_buf();
                jobs.push(Job {
                    name: show(&f),
                    input: f,
                    rel,
                });
            }
        } else {
            let Some(file_name) = input.file_name() else {
                return Plan::Usage(format!("input {} has no file name", show(input)));
            };
            jobs.push(Job {
                input: input.clone(),
                rel: PathBuf::from(file_name),
                name: show(input),
            });
        }
    }
    // Two inputs, one output.
    let mut seen: BTreeMap<PathBuf, usize> = BTreeMap::new();
    for (i, job) in jobs.iter().enumerate() {
        for c in candidates(&out.join(&job.rel)) {
            if let Some(&j) = seen.get(&c) {
                if j != i {
                    return Plan::Usage(format!(
                        "inputs {} and {} would both be written to {}; screen them into different --out directories",
                        jobs[j].name,
                        job.name,
                        show(&c)
                    ));
                }
            }
            seen.insert(c, i);
        }
    }
    // Inputs are never opened for writing: no output may be an input.
    let input_set: HashSet<PathBuf> = jobs.iter().filter_map(|j| canonical(&j.input)).collect();
    for (c, &i) in &seen {
        if canonical(c).is_some_and(|c| input_set.contains(&c)) {
            return Plan::Usage(format!(
                "the output for {} would be written over the input {}; choose an --out directory outside the inputs",
                jobs[i].name,
                show(c)
            ));
        }
    }
    if let Some(r) = report {
        if seen.contains_key(r) || canonical(r).is_some_and(|c| input_set.contains(&c)) {
            return Plan::Usage(format!(
                "--report {} is an input or an output path; choose another file",
                show(r)
            ));
        }
    }
    Plan::Jobs(jobs)
}

/// Settings of one screening run besides the policy.
pub struct RunOptions<'a> {
    /// Output directory.
    pub out: &'a Path,
    /// Plot directory.
    pub plot: Option<&'a Path>,
    /// Replace outputs of an earlier run.
    pub overwrite: bool,
    /// Print one line per clip to stdout.
    pub clip_lines: bool,
}

/// What a run produced.
pub struct RunOutcome {
    /// The report.
    pub report: Report,
    /// Messages of plots that could not be written.
    pub plot_errors: Vec<String>,
}

/// Opens the store read-only, or says why nothing can be screened.
///
/// # Errors
/// The store error, wrapped in a message for the user.
pub fn open_store(engine: &Engine, args: &StoreArgs) -> Result<VoiceprintStore, String> {
    let opened = StoreKey::read_file(&args.key_file)
        .and_then(|key| VoiceprintStore::open(&args.store, key, engine.encoder().model_id(), Access::Read));
    opened.map_err(|e| {
        format!(
            "cannot open the household store {} with the key {}: {e}\nnothing was screened and no output was written",
            show(&args.store),
            show(&args.key_file)
        )
    })
}

fn clip_line(c: &ClipReport) -> String {
    let reasons: Vec<&str> = c.reasons.iter().map(|r| r.as_str()).collect();
    let mut line = format!("{:<6}  {}", c.decision.as_str(), c.input);
    if let Some(o) = &c.output {
        line.push_str(&format!(" -> {o}"));
    }
    line.push_str(&format!("  [{}]", reasons.join(", ")));
    if c.decision == Decision::Redact {
        let s: f64 = c.redactions.iter().map(|(a, b)| b - a).sum();
        line.push_str(&format!(" {s:.1} s redacted"));
    }
    if let Some(e) = &c.error {
        line.push_str(&format!(": {e}"));
    }
    line
}

/// Where the plot of `job` goes: `<plot>/<rel>.png`.
#[must_use]
pub fn plot_path(plot: &Path, rel: &Path) -> PathBuf {
    let mut s = plot.join(rel).into_os_string();
    s.push(".png");
    PathBuf::from(s)
}

/// Removes outputs of an earlier run that this run did not write (the clip
/// is now held, or its output moved between `a.flac` and `a.flac.wav`).
fn clear_stale(base: &Path, written: Option<&str>, overwrite: bool, notes: &mut Vec<String>) {
    for c in candidates(base) {
        if written.is_some_and(|w| Path::new(w) == c) || !c.exists() {
            continue;
        }
        if overwrite {
            match std::fs::remove_file(&c) {
                Ok(()) => notes.push(format!("removed the output of an earlier run: {}", show(&c))),
                Err(e) => notes.push(format!(
                    "could not remove the output of an earlier run {}: {e}",
                    show(&c)
                )),
            }
        } else {
            notes.push(format!(
                "an output of an earlier run is still at {} (pass --overwrite to replace or remove it)",
                show(&c)
            ));
        }
    }
}

/// Screens `jobs` against `store` under `policy`: writes outputs and plots,
/// shows progress, and returns the report.
pub fn run_jobs(
    engine: &Engine,
    store: &VoiceprintStore,
    policy: &Policy,
    jobs: &[Job],
    opts: &RunOptions<'_>,
) -> RunOutcome {
    let members: Vec<Voiceprint<'_>> = store
        .members()
        .iter()
        .map(|m| Voiceprint {
            name: &m.name,
            vector: &m.voiceprint,
        })
        .collect();
    let bar = if jobs.len() > 1 {
        let bar = ProgressBar::new(jobs.len() as u64);
        if let Ok(style) = ProgressStyle::with_template("{bar:30} {pos}/{len} clips, {elapsed} {wide_msg}") {
            bar.set_style(style);
        }
        bar
    } else {
        ProgressBar::hidden()
    };
    let mut clips = Vec::with_capacity(jobs.len());
    let mut plot_errors = Vec::new();
    for job in jobs {
        bar.set_message(job.name.clone());
        let base = opts.out.join(&job.rel);
        let clip = screen_file(
            engine,
            &job.input,
            &job.name,
            &members,
            policy,
            Some(OutputOptions {
                base: &base,
                overwrite: opts.overwrite,
            }),
        );
        let mut notes = Vec::new();
        // An output that existed and was refused is not stale: it is why the clip is held.
        if clip.reasons != [Reason::Error] || opts.overwrite {
            clear_stale(&base, clip.output.as_deref(), opts.overwrite, &mut notes);
        }
        if let (Some(dir), Some(_)) = (opts.plot, clip.duration_s) {
            let png = plot_path(dir, &job.rel);
            let made = match png.parent() {
                Some(parent) => std::fs::create_dir_all(parent).map_err(|e| io_err("create directory", parent, e)),
                None => Ok(()),
            }
            .and_then(|()| crate::plot::plot_clip(&png, &job.input, &clip, policy));
            if let Err(e) = made {
                let msg = format!("plot of {} not written: {e}", job.name);
                notes.push(msg.clone());
                plot_errors.push(msg);
            }
        }
        bar.suspend(|| {
            if opts.clip_lines {
                println!("{}", clip_line(&clip));
            }
            for n in &notes {
                eprintln!("warning: {n}");
            }
        });
        clips.push(clip);
        bar.inc(1);
    }
    bar.finish_and_clear();
    let summary = Summary::of(&clips);
    let report = Report {
        schema_version: REPORT_SCHEMA_VERSION,
        voiceguard_version: env!("CARGO_PKG_VERSION").to_string(),
        model: ModelRef {
            id: engine.encoder().model_id().to_string(),
            sha256: engine.encoder().manifest().sha256.clone(),
        },
        policy: *policy,
        members: store.members().iter().map(|m| m.name.clone()).collect(),
        clips,
        summary,
    };
    RunOutcome { report, plot_errors }
}

/// Writes `bytes` to `path` through a hidden temporary file beside it,
/// flushed before the rename, so a reader sees the old report or the new one.
///
/// # Errors
/// [`voiceguard::Error::Io`]; the temporary file is removed.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> voiceguard::Result<()> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|e| io_err("create directory", dir, e))?;
    }
    voiceguard::screen::write_bytes_atomic(path, bytes)
}

/// `screened 5 clips: 2 pass, 2 redact, 1 hold (...)`.
#[must_use]
pub fn summary_line(report: &Report) -> String {
    let s = &report.summary;
    let n = report.clips.len();
    let errors = report
        .clips
        .iter()
        .filter(|c| c.reasons.contains(&Reason::Error))
        .count();
    let mut line = format!(
        "screened {n} clip{}: {} pass, {} redact, {} hold",
        if n == 1 { "" } else { "s" },
        s.pass,
        s.redact,
        s.hold
    );
    if errors > 0 {
        line.push_str(&format!(" ({errors} on error)"));
    }
    line.push_str(&format!(
        " (other speech {:.1} s, uncertain speech {:.1} s, redacted {:.1} s)",
        s.other_speech_s, s.uncertain_speech_s, s.redacted_s
    ));
    line
}

/// The exit code of a finished run: 0 if every clip passed, 3 otherwise.
#[must_use]
pub fn exit_code(report: &Report) -> u8 {
    if report.clips.iter().all(|c| c.decision == Decision::Pass) {
        0
    } else {
        EXIT_HELD
    }
}

fn usage(msg: &str) -> u8 {
    eprintln!("error: {msg}");
    EXIT_USAGE
}

/// `voiceguard screen`.
///
/// # Errors
/// Never in practice: every failure is reported here and mapped to its exit code.
pub fn screen(engine: &Engine, args: &ScreenArgs) -> voiceguard::Result<u8> {
    let policy = match args.policy() {
        Ok(p) => p,
        Err(m) => return Ok(usage(&m)),
    };
    let jobs = match plan(&args.inputs, &args.out, args.report.as_deref(), args.plot.as_deref()) {
        Plan::Jobs(j) => j,
        Plan::Usage(m) => return Ok(usage(&m)),
        Plan::Failed(e) => {
            eprintln!("error: {e}\nnothing was screened");
            return Ok(EXIT_ERROR);
        }
    };
    let store = match open_store(engine, &args.store) {
        Ok(s) => s,
        Err(m) => {
            eprintln!("error: {m}");
            return Ok(EXIT_ERROR);
        }
    };
    if store.members().is_empty() {
        eprintln!(
            "warning: {} has no enrolled members: every clip with speech is held (empty_store)",
            show(&args.store.store)
        );
    }
    let outcome = run_jobs(
        engine,
        &store,
        &policy,
        &jobs,
        &RunOptions {
            out: &args.out,
            plot: args.plot.as_deref(),
            overwrite: args.overwrite,
            clip_lines: !args.json,
        },
    );
    finish(&outcome, args.report.as_deref(), args.json)
}

/// Writes and prints the report and the summary; returns the exit code.
///
/// # Errors
/// Never: a report that cannot be written is reported and gives exit 1.
pub fn finish(outcome: &RunOutcome, report_path: Option<&Path>, json: bool) -> voiceguard::Result<u8> {
    let report = &outcome.report;
    let mut failed = !outcome.plot_errors.is_empty();
    let mut line = summary_line(report);
    if let Some(path) = report_path {
        let written = serde_json::to_vec_pretty(report)
            .map_err(|e| voiceguard::Error::Internal(format!("cannot format the report: {e}")))
            .and_then(|mut bytes| {
                bytes.push(b'\n');
                write_atomic(path, &bytes)
            });
        match written {
            Ok(()) => line.push_str(&format!("; report: {}", show(path))),
            Err(e) => {
                eprintln!("error: the report was not written: {e}");
                line.push_str("; report NOT written");
                failed = true;
            }
        }
    }
    if json {
        print_json(report);
    }
    if !outcome.plot_errors.is_empty() {
        line.push_str(&format!("; {} plot(s) NOT written", outcome.plot_errors.len()));
    }
    eprintln!("{line}");
    Ok(if failed { EXIT_ERROR } else { exit_code(report) })
}
