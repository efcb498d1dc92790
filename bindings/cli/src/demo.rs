//! `voiceguard demo`: the main job end to end on the clips in `examples/data`.
//!
//! In the demo directory (default `./voiceguard-demo`) it writes a throw-away
//! key (`home.key`) and store (`home.vgs`), enrolls household member `sas`
//! from `librivox-sas01_1/3/4.wav` with the default enrollment rule (they give
//! about 17 s of speech), copies the clips to screen into `input/` and builds
//! a mixed one there (member, stranger, member), screens `input/` into
//! `output/` with the default policy, and writes `report.json` and `plots/`.
//!
//! A directory is reused only if an earlier demo made it (it holds the
//! marker file `.voiceguard-demo`); then the demo's own files are replaced.
//!
//! Exit code: 0 when the demo ran to the end, every clip got a decision
//! without an error and no clip with a stranger in it passed (the demo
//! contains strangers, so `screen` itself would exit 3); 1 otherwise.

use crate::household::StoreArgs;
use crate::screen::{self, Plan, RunOptions};
use crate::{show, EXIT_ERROR, EXIT_USAGE};
use std::path::{Path, PathBuf};
use voiceguard::audio::{self, write_wav_atomic, AudioBuf};
use voiceguard::enroll::{EnrollConfig, Enroller};
use voiceguard::screen::{ClipReport, Decision, Policy, Reason};
use voiceguard::voiceprint::{StoreKey, VoiceprintStore};
use voiceguard::Engine;

/// Options of `voiceguard demo`.
#[derive(clap::Args)]
pub struct DemoArgs {
    /// Directory for the demo's key, store, inputs, outputs, report and plots
    /// [default: ./voiceguard-demo].
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// The demo audio (voiceguard's examples/data) [default: the repository this binary was built from].
    #[arg(long, value_name = "DIR")]
    pub data: Option<PathBuf>,
}

/// Marks a directory as the demo's own, so a rerun may replace its files.
const MARKER: &str = ".voiceguard-demo";
/// The member's enrollment clips.
const ENROLL: [&str; 3] = ["librivox-sas01_1.wav", "librivox-sas01_3.wav", "librivox-sas01_4.wav"];
/// Clips screened as they are: (file, who speaks, whether a stranger is in it).
const SCREEN: [(&str, &str, bool); 4] = [
    ("librivox-sas01_2.wav", "member sas", false),
    ("librivox-sas01_5.wav", "member sas", false),
    ("arctic-awb_1.wav", "stranger (awb)", true),
    ("arctic-slt_1.wav", "stranger (slt)", true),
];
/// The mixed clip built on the fly.
const MIXED: &str = "mixed-sas-awb-sas.wav";
/// Pause between the parts of the mixed clip, seconds.
const GAP_S: f64 = 0.3;
/// What the demo writes into its directory (removed when it reruns).
const OWN: [&str; 7] = [
    "home.key",
    "home.vgs",
    "home.vgs.lock",
    "input",
    "output",
    "plots",
    "report.json",
];

fn default_data() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/data")
}

fn fail(msg: &str) -> u8 {
    eprintln!("error: {msg}");
    EXIT_ERROR
}

/// Makes `dir` ready: new, empty, or an earlier demo's (its files removed).
fn prepare(dir: &Path) -> Result<(), (u8, String)> {
    let io = |what: &str, p: &Path, e: std::io::Error| (EXIT_ERROR, format!("cannot {what} {}: {e}", show(p)));
    if dir.exists() {
        let ours = dir.join(MARKER).is_file();
        let empty = std::fs::read_dir(dir).map_err(|e| io("list", dir, e))?.next().is_none();
        if !ours && !empty {
            return Err((
                EXIT_USAGE,
                format!(
                    "{} exists and was not made by `voiceguard demo`; pass --out with a new or empty directory",
                    show(dir)
                ),
            ));
        }
        for name in OWN {
            let p = dir.join(name);
            let removed = if p.is_dir() {
                std::fs::remove_dir_all(&p)
            } else if p.exists() {
                std::fs::remove_file(&p)
            } else {
                Ok(())
            };
            removed.map_err(|e| io("remove", &p, e))?;
        }
    }
    std::fs::create_dir_all(dir.join("input")).map_err(|e| io("create", dir, e))?;
    std::fs::write(
        dir.join(MARKER),
        "made by `voiceguard demo`; it replaces its own files here when run again\n",
    )
    .map_err(|e| io("write", &dir.join(MARKER), e))?;
    Ok(())
}

/// member + pause + stranger + pause + member, at the first clip's rate.
/// Returns the stranger's true span in seconds.
fn build_mixed(engine: &Engine, data: &Path, to: &Path) -> voiceguard::Result<(f64, f64)> {
    let limits = &engine.config().limits;
    let parts = ["librivox-sas01_2.wav", "arctic-awb_1.wav", "librivox-sas01_5.wav"];
    let mut bufs: Vec<AudioBuf> = Vec::new();
    for p in parts {
        bufs.push(audio::read_file(&data.join(p), limits)?);
    }
    let rate = bufs[0].rate;
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    let gap = vec![0.0f32; (GAP_S * f64::from(rate.hz())).round() as usize];
    let mut samples = Vec::new();
    let mut stranger = (0.0, 0.0);
    for (i, b) in bufs.iter().enumerate() {
        let part = if b.rate == rate {
            b.samples.clone()
        } else {
            audio::resample_to(&b.samples, b.rate, rate)?
        };
        if i > 0 {
            samples.extend_from_slice(&gap);
        }
        #[allow(clippy::cast_precision_loss)]
        let at = samples.len() as f64 / f64::from(rate.hz());
        samples.extend_from_slice(&part);
        #[allow(clippy::cast_precision_loss)]
        let end = samples.len() as f64 / f64::from(rate.hz());
        if i == 1 {
            stranger = (at, end);
        }
    }
    write_wav_atomic(to, &samples, rate)?;
    Ok(stranger)
}

fn enroll(engine: &Engine, data: &Path, store: &StoreArgs) -> voiceguard::Result<String> {
    StoreKey::generate()?.write_new_file(&store.key_file)?;
    let mut enroller = Enroller::new(engine, "sas", EnrollConfig::default());
    for f in ENROLL {
        enroller.push_file(&data.join(f))?;
    }
    let member = enroller.finish()?.into_member("sas")?;
    let line = format!(
        "enrolled household member \"sas\" from {}: {} utterances, {:.1} s of speech, consistency {:.3}",
        ENROLL.join(", "),
        member.utterances,
        member.speech_s,
        member.consistency
    );
    let key = StoreKey::read_file(&store.key_file)?;
    let mut vs =
        VoiceprintStore::open_or_create(&store.store, key, engine.encoder().model_id(), engine.encoder().dim())?;
    vs.put(member)?;
    Ok(line)
}

fn spans_text(ranges: &[(f64, f64)]) -> String {
    if ranges.is_empty() {
        return "-".into();
    }
    ranges
        .iter()
        .map(|(a, b)| format!("{a:.2}-{b:.2} s"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// `voiceguard demo`.
///
/// # Errors
/// Never in practice: failures are reported here and mapped to exit codes.
pub fn demo(engine: &Engine, args: &DemoArgs) -> voiceguard::Result<u8> {
    let data = args.data.clone().unwrap_or_else(default_data);
    let needed: Vec<&str> = ENROLL.iter().copied().chain(SCREEN.iter().map(|s| s.0)).collect();
    if let Some(missing) = needed.iter().find(|f| !data.join(f).is_file()) {
        return Ok(fail(&format!(
            "the demo audio is missing: {} not found; pass --data DIR pointing at voiceguard's examples/data",
            show(&data.join(missing))
        )));
    }
    let dir = args.out.clone().unwrap_or_else(|| PathBuf::from("voiceguard-demo"));
    if let Err((code, msg)) = prepare(&dir) {
        eprintln!("error: {msg}");
        return Ok(code);
    }
    let store = StoreArgs {
        store: dir.join("home.vgs"),
        key_file: dir.join("home.key"),
    };
    println!("voiceguard demo in {}", show(&dir));
    match enroll(engine, &data, &store) {
        Ok(line) => println!("{line}"),
        Err(e) => return Ok(fail(&format!("enrolling the demo household failed: {e}"))),
    }
    let input = dir.join("input");
    for (f, _, _) in SCREEN {
        if let Err(e) = std::fs::copy(data.join(f), input.join(f)) {
            return Ok(fail(&format!("cannot copy {} into {}: {e}", f, show(&input))));
        }
    }
    let stranger = match build_mixed(engine, &data, &input.join(MIXED)) {
        Ok(s) => s,
        Err(e) => return Ok(fail(&format!("building the mixed clip failed: {e}"))),
    };
    let out = dir.join("output");
    let plots = dir.join("plots");
    let report_path = dir.join("report.json");
    let jobs = match screen::plan(std::slice::from_ref(&input), &out, Some(&report_path), Some(&plots)) {
        Plan::Jobs(j) => j,
        Plan::Usage(m) => return Ok(fail(&m)),
        Plan::Failed(e) => return Ok(fail(&e.to_string())),
    };
    let vs = match screen::open_store(engine, &store) {
        Ok(s) => s,
        Err(m) => return Ok(fail(&m)),
    };
    let policy = Policy::default();
    println!(
        "screening {} clips with the default policy (accept at cosine {:.2}, reject below {:.2}; other voices redacted, uncertain speech held):",
        jobs.len(),
        policy.accept.0,
        policy.reject.0
    );
    let outcome = screen::run_jobs(
        engine,
        &vs,
        &policy,
        &jobs,
        &RunOptions {
            out: &out,
            plot: Some(&plots),
            overwrite: true,
            clip_lines: false,
        },
    );
    let clips = &outcome.report.clips;
    let mut ok = true;
    println!();
    println!(
        "{:<24} {:<26} {:<8} {:<32} redacted",
        "clip", "who speaks", "decision", "reasons"
    );
    for (job, clip) in jobs.iter().zip(clips) {
        let file = job.rel.display().to_string();
        let (who, has_stranger) = if file == MIXED {
            (format!("sas, awb {:.2}-{:.2} s, sas", stranger.0, stranger.1), true)
        } else {
            SCREEN
                .iter()
                .find(|s| s.0 == file)
                .map_or(("?".to_string(), true), |s| (s.1.to_string(), s.2))
        };
        let reasons: Vec<&str> = clip.reasons.iter().map(|r| r.as_str()).collect();
        let mut note = String::new();
        if clip.reasons.contains(&Reason::Error) {
            ok = false;
            note = format!("  ERROR: {}", clip.error.as_deref().unwrap_or("unknown"));
        } else if has_stranger && clip.decision == Decision::Pass {
            ok = false;
            note = "  UNEXPECTED: a stranger's voice passed".into();
        }
        println!(
            "{:<24} {:<26} {:<8} {:<32} {}{note}",
            file,
            who,
            clip.decision.as_str(),
            reasons.join(", "),
            spans_text(&clip.redactions)
        );
    }
    println!();
    println!("{}", describe(clips));
    println!("outputs: {}  (held clips have none)", show(&out));
    let code = screen::finish(&outcome, Some(&report_path), false)?;
    println!("report:  {}", show(&report_path));
    if outcome.plot_errors.is_empty() {
        println!("plots:   {}", show(&plots));
    } else {
        println!(
            "plots:   not all written ({} failed; see above)",
            outcome.plot_errors.len()
        );
    }
    if code == EXIT_ERROR || !ok {
        eprintln!("error: the demo did not go as expected (see above)");
        return Ok(EXIT_ERROR);
    }
    println!(
        "the demo ran as expected: no stranger's voice was released. `voiceguard screen` on the same input exits 3 (something was held or redacted)."
    );
    Ok(0)
}

/// One sentence on what the decisions mean.
fn describe(clips: &[ClipReport]) -> String {
    let count = |d: Decision| clips.iter().filter(|c| c.decision == d).count();
    format!(
        "pass = released unchanged (byte for byte); redact = released with the other voice silenced; hold = withheld, no output.\n{} pass, {} redact, {} hold.",
        count(Decision::Pass),
        count(Decision::Redact),
        count(Decision::Hold)
    )
}
