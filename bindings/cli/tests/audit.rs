//! `voiceguard audit` through the real binary, on the demo clips: the
//! cleared copy, the manifest (written last, schema-valid, every input
//! listed), sidecars and metadata held with their clip, formats that cannot
//! be screened held, originals untouched, resume after SIGKILL, store
//! problems, bad usage, the HTML report in headless Chromium, and memory on
//! a 2-hour WAV.

mod common;

use assert_cmd::Command;
use common::{repo, validate, vg};
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, SystemTime};

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
        let mut c = h.cmd("enroll");
        c.args(["--member", "sas"])
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

    fn audit(&self, export: &Path, out: &Path) -> Command {
        let mut c = self.cmd("audit");
        c.arg("--export").arg(export).arg("--out").arg(out);
        c
    }
}

fn sha(path: &Path) -> String {
    voiceguard::audit::sha256_file(path).unwrap().0
}

/// Every file under `dir` (relative, `/`-separated) with its sha256 and mtime.
fn snapshot(dir: &Path) -> BTreeMap<String, (String, SystemTime)> {
    let mut m = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                let rel = p.strip_prefix(dir).unwrap().to_string_lossy().replace('\\', "/");
                m.insert(rel, (sha(&p), std::fs::metadata(&p).unwrap().modified().unwrap()));
            }
        }
    }
    m
}

fn write_wav(path: &Path, samples: &[i16]) {
    let spec = hound::WavSpec {
        channels: 1,
        sample_rate: 16_000,
        bits_per_sample: 16,
        sample_format: hound::SampleFormat::Int,
    };
    mkparent(path);
    let mut w = hound::WavWriter::create(path, spec).unwrap();
    for &s in samples {
        w.write_sample(s).unwrap();
    }
    w.finalize().unwrap();
}

fn mkparent(p: &Path) {
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
}

fn copy(from: &Path, to: &Path) {
    mkparent(to);
    std::fs::copy(from, to).unwrap();
}

fn write(to: &Path, bytes: &[u8]) {
    mkparent(to);
    std::fs::write(to, bytes).unwrap();
}

/// The mixed export of the main test.
fn export_tree(root: &Path) {
    copy(&demo("librivox-sas01_1.wav"), &root.join("home/sas-1.wav"));
    write(&root.join("home/sas-1.txt"), b"transcript of the member's clip\n");
    copy(&demo("arctic-awb_1.wav"), &root.join("visit/awb-1.wav"));
    write(
        &root.join("visit/awb-1.json"),
        br#"{"speaker": "visitor", "text": "a transcript"}"#,
    );
    copy(&demo("formats/arctic-awb_1.flac"), &root.join("visit/awb-1b.flac"));
    write_wav(&root.join("quiet/silence.wav"), &[0i16; 48_000]);
    // Announces WAV, then garbage: held on error.
    let mut broken = b"RIFF\x24\x10\x00\x00WAVEfmt ".to_vec();
    broken.extend((0u32..4000).map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8));
    write(&root.join("quiet/broken-recording.wav"), &broken);
    write(
        &root.join("notes/index.csv"),
        b"file,label\nquiet/broken-recording.wav,kitchen\n",
    );
    write(&root.join("notes/readme.md"), b"# export\nplain notes\n");
    // Ogg/Opus (not decodable), audio under a non-audio name, archives.
    let mut opus = b"OggS\x00\x02".to_vec();
    opus.extend([0u8; 22]);
    opus.extend(b"OpusHead\x01\x01\x38\x01\x80\x3e\x00\x00\x00\x00\x00");
    write(&root.join("voice/message.opus"), &opus);
    write(&root.join("voice/message-2.dat"), &opus);
    copy(&demo("arctic-slt_1.wav"), &root.join("voice/recording.bin"));
    write(
        &root.join("bundle.zip"),
        b"PK\x03\x04\x14\x00\x00\x00\x08\x00rest of a zip",
    );
}

fn manifest(out: &Path) -> Value {
    serde_json::from_slice(&std::fs::read(out.join("voiceguard-manifest.json")).unwrap()).unwrap()
}

fn entry<'a>(m: &'a Value, path: &str) -> &'a Value {
    m["files"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["path"] == path)
        .unwrap_or_else(|| panic!("{path} not in the manifest"))
}

fn strs(v: &Value) -> Vec<&str> {
    v.as_array().unwrap().iter().map(|x| x.as_str().unwrap()).collect()
}

/// Checks the cleared copy against its manifest: exactly the manifest and
/// the released outputs, each with the hash the manifest gives.
fn check_cleared_copy(out: &Path, m: &Value) {
    let copy = snapshot(out);
    let mut expected: BTreeMap<String, String> = BTreeMap::new();
    for e in m["files"].as_array().unwrap() {
        if let Some(o) = e["output"].as_str() {
            expected.insert(o.to_string(), e["output_sha256"].as_str().unwrap().to_string());
            assert_ne!(e["decision"], "hold");
        } else {
            assert_eq!(e["decision"], "hold", "{e}");
        }
    }
    let got: BTreeMap<String, String> = copy
        .iter()
        .filter(|(k, _)| *k != "voiceguard-manifest.json")
        .map(|(k, v)| (k.clone(), v.0.clone()))
        .collect();
    assert_eq!(got, expected, "the cleared copy holds exactly the released outputs");
    assert!(copy.contains_key("voiceguard-manifest.json"));
}

#[test]
fn audit_an_export_tree() {
    let h = Home::new();
    let export = h.path("export");
    export_tree(&export);
    let before = snapshot(&export);
    let out = h.path("cleared");
    let report = h.path("audit.json");
    let html = h.path("audit.html");
    let o = h
        .audit(&export, &out)
        .arg("--report")
        .arg(&report)
        .arg("--html")
        .arg(&html)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&o.stderr);
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert_eq!(o.status.code(), Some(3), "stdout {stdout}\nstderr {stderr}");
    assert!(
        stdout.lines().next().unwrap().starts_with("Export verdict: consistent"),
        "{stdout}"
    );
    assert_eq!(snapshot(&export), before, "originals are never modified");

    let m = manifest(&out);
    validate("audit-manifest.schema.json", &m);
    let listed: Vec<&str> = m["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["path"].as_str().unwrap())
        .collect();
    assert_eq!(
        listed,
        before.keys().map(String::as_str).collect::<Vec<_>>(),
        "every input listed once, sorted"
    );
    for e in m["files"].as_array().unwrap() {
        let p = e["path"].as_str().unwrap();
        assert_eq!(e["sha256"].as_str().unwrap(), before[p].0, "{p}");
    }
    check_cleared_copy(&out, &m);

    // The member's own clip passes byte for byte, its transcript is copied.
    let sas = entry(&m, "home/sas-1.wav");
    assert_eq!(sas["decision"], "pass", "{sas}");
    assert_eq!(sas["output_sha256"], sas["sha256"]);
    assert_eq!(entry(&m, "home/sas-1.txt")["decision"], "copy");
    // The visitor never passes; its sidecar is held with it.
    for p in ["visit/awb-1.wav", "visit/awb-1b.flac"] {
        assert!(
            ["redact", "hold"].contains(&entry(&m, p)["decision"].as_str().unwrap()),
            "{p}"
        );
    }
    let side = entry(&m, "visit/awb-1.json");
    assert_eq!(side["decision"], "hold");
    assert_eq!(side["held_with"], "visit/awb-1.wav");
    assert!(strs(&side["reasons"])[0].starts_with("sidecar_of_"), "{side}");
    // No speech passes; a broken file is held on error, and the metadata naming it with it.
    assert_eq!(entry(&m, "quiet/silence.wav")["decision"], "pass");
    let broken = entry(&m, "quiet/broken-recording.wav");
    assert_eq!(
        (broken["decision"].as_str(), strs(&broken["reasons"])),
        (Some("hold"), vec!["error"])
    );
    let index = entry(&m, "notes/index.csv");
    assert_eq!(strs(&index["reasons"]), ["names_held_clip"]);
    assert_eq!(index["held_with"], "quiet/broken-recording.wav");
    assert_eq!(entry(&m, "notes/readme.md")["decision"], "copy");
    // What cannot be screened is held, with its reason.
    for (p, reason) in [
        ("voice/message.opus", "unsupported_audio"),
        ("voice/message-2.dat", "unsupported_audio"),
        ("voice/recording.bin", "unsupported_audio"),
        ("bundle.zip", "archive"),
    ] {
        let e = entry(&m, p);
        assert_eq!(
            (e["decision"].as_str(), strs(&e["reasons"])),
            (Some("hold"), vec![reason]),
            "{p}"
        );
        assert!(e["note"].as_str().is_some_and(|n| !n.is_empty()), "{p}");
    }
    assert_eq!(m["verdict"], "consistent");

    // The report: outside the copy, schema-valid, and its screening part
    // valid against the screening report's schema.
    let r: Value = serde_json::from_slice(&std::fs::read(&report).unwrap()).unwrap();
    validate("audit-report.schema.json", &r);
    let mut screening = serde_json::Map::new();
    for k in ["voiceguard_version", "model", "policy", "members", "clips", "summary"] {
        screening.insert(k.into(), r[k].clone());
    }
    screening.insert("schema_version".into(), Value::from(1));
    validate("report.schema.json", &Value::Object(screening));
    assert_eq!(r["files"], m["files"]);
    assert_eq!(r["totals"]["by_decision"]["hold"], m["totals"]["by_decision"]["hold"]);
    assert_eq!(
        r["verdict"]["headline"].as_str().unwrap(),
        stdout.lines().next().unwrap()
    );

    check_html(&html, h.path("chromium").as_path());
}

/// Opens the HTML report in headless Chromium: the DOM has the verdict, the
/// table of held files and an inline plot; the screenshot is a real render.
fn check_html(html: &Path, work: &Path) {
    let page = std::fs::read_to_string(html).unwrap();
    assert!(
        !page.contains("http://") && !page.contains("https://"),
        "no network resources"
    );
    assert!(page.contains("data:image/png;base64,"), "an inline plot");
    let chromium = ["/usr/bin/chromium", "/usr/bin/chromium-browser"]
        .into_iter()
        .map(Path::new)
        .find(|p| p.exists());
    let Some(chromium) = chromium else {
        let msg = "chromium is not installed (apt-get install chromium)";
        if std::env::var("VOICEGUARD_REQUIRE_CORPUS").is_ok_and(|v| v == "1") {
            panic!("{msg}; VOICEGUARD_REQUIRE_CORPUS=1 makes the browser check mandatory");
        }
        eprintln!("SKIPPED: {msg}");
        return;
    };
    std::fs::create_dir_all(work).unwrap();
    let png = work.join("audit.png");
    let url = format!("file://{}", html.canonicalize().unwrap().display());
    let run = |extra: &[&str], profile: &str| {
        let o = std::process::Command::new(chromium)
            .args([
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--window-size=1200,2000",
            ])
            .arg(format!("--user-data-dir={}", work.join(profile).display()))
            .args(extra)
            .arg(&url)
            .output()
            .unwrap();
        assert!(
            o.status.success(),
            "chromium failed: {}",
            String::from_utf8_lossy(&o.stderr)
        );
        o
    };
    run(&[&format!("--screenshot={}", png.display())], "profile-shot");
    let dom = String::from_utf8(run(&["--dump-dom"], "profile-dom").stdout).unwrap();
    assert!(
        dom.contains("id=\"verdict\"") && dom.contains("Export verdict: consistent"),
        "verdict in the DOM"
    );
    assert!(
        dom.contains("<table id=\"held\"") && dom.contains("visit/awb-1.wav"),
        "the table of held files"
    );
    assert!(
        dom.contains("<img") && dom.contains("data:image/png;base64,"),
        "an inline plot"
    );
    let img = image::open(&png).unwrap().to_rgb8();
    assert_eq!(img.dimensions(), (1200, 2000));
    let total = img.pixels().count();
    let white = img.pixels().filter(|p| p.0.iter().all(|&c| c > 245)).count();
    let mut colors = std::collections::HashSet::new();
    for p in img.pixels() {
        colors.insert(p.0);
    }
    eprintln!(
        "screenshot {}: {} of {total} pixels not white, {} colours",
        png.display(),
        total - white,
        colors.len()
    );
    assert!(total - white > total / 50, "the screenshot is not blank");
    assert!(colors.len() > 50, "text, table and plot colours");
    if let Ok(keep) = std::env::var("VOICEGUARD_KEEP_SCREENSHOT") {
        std::fs::copy(&png, keep).unwrap();
    }
}

/// Ten clips and their sidecars.
fn resume_tree(root: &Path) {
    let clips = [
        "librivox-sas01_1.wav",
        "librivox-sas01_2.wav",
        "arctic-awb_1.wav",
        "librivox-sas01_5.wav",
        "arctic-slt_1.wav",
    ];
    for i in 0..10 {
        let name = clips[i % clips.len()];
        copy(&demo(name), &root.join(format!("d{}/clip-{i:02}.wav", i % 3)));
        write(
            &root.join(format!("d{}/clip-{i:02}.json", i % 3)),
            format!("{{\"n\": {i}}}").as_bytes(),
        );
    }
    write(&root.join("index.txt"), b"ten clips\n");
}

#[test]
fn resume_after_sigkill_matches_an_uninterrupted_run() {
    let h = Home::new();
    let export = h.path("export");
    resume_tree(&export);
    let before = snapshot(&export);
    let whole = h.path("whole");
    let code = h
        .audit(&export, &whole)
        .args(["--jobs", "1"])
        .output()
        .unwrap()
        .status
        .code();
    let reference = manifest(&whole);

    let out = h.path("resumed");
    let journal = out.join(".voiceguard-audit/journal.jsonl");
    let mut cmd = std::process::Command::new(assert_cmd::cargo::cargo_bin("voiceguard"));
    cmd.arg("audit")
        .arg("--store")
        .arg(&h.store)
        .arg("--key-file")
        .arg(&h.key);
    cmd.arg("--export")
        .arg(&export)
        .arg("--out")
        .arg(&out)
        .args(["--jobs", "1"]);
    cmd.stderr(std::process::Stdio::null())
        .stdout(std::process::Stdio::null());
    let mut running = cmd.spawn().unwrap();
    let t0 = Instant::now();
    // Kill it once 4 clips (header + 4 lines) are journalled.
    loop {
        let lines = std::fs::read_to_string(&journal).map_or(0, |s| s.lines().count());
        if lines >= 5 {
            break;
        }
        assert!(
            running.try_wait().unwrap().is_none(),
            "the audit finished before it could be killed"
        );
        assert!(t0.elapsed() < Duration::from_secs(300));
        std::thread::sleep(Duration::from_millis(20));
    }
    running.kill().unwrap(); // SIGKILL
    running.wait().unwrap();
    assert!(
        !out.join("voiceguard-manifest.json").exists(),
        "no manifest: the copy is incomplete"
    );
    let report = h.path("resumed.json");
    let o = h
        .audit(&export, &out)
        .args(["--jobs", "1"])
        .arg("--report")
        .arg(&report)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), code, "{}", String::from_utf8_lossy(&o.stderr));
    let r: Value = serde_json::from_slice(&std::fs::read(&report).unwrap()).unwrap();
    let resumed = r["resumed"].as_u64().unwrap();
    assert!((4..10).contains(&resumed), "clips taken over: {resumed}");
    assert_eq!(
        manifest(&out),
        reference,
        "the resumed run's manifest equals the uninterrupted one"
    );
    check_cleared_copy(&out, &reference);
    assert_eq!(snapshot(&export), before, "originals are never modified");

    // A finished audit is not redone; another export into a journal is refused.
    let o = h.audit(&export, &out).output().unwrap();
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn store_problems_and_bad_usage() {
    let h = Home::new();
    let export = h.path("export");
    copy(&demo("librivox-sas01_1.wav"), &export.join("a.wav"));
    copy(&demo("arctic-awb_1.wav"), &export.join("b.wav"));
    write(&export.join("notes.txt"), b"notes\n");

    // An empty store: nothing with speech is released.
    h.cmd("forget").args(["--member", "sas"]).assert().success();
    let out = h.path("empty");
    let o = h.audit(&export, &out).output().unwrap();
    assert_eq!(o.status.code(), Some(3));
    let first = String::from_utf8_lossy(&o.stdout)
        .lines()
        .next()
        .unwrap_or_default()
        .to_string();
    assert!(first.contains("no enrolled voices"), "{first}");
    let m = manifest(&out);
    for p in ["a.wav", "b.wav"] {
        assert_eq!(strs(&entry(&m, p)["reasons"]), ["empty_store"]);
    }

    // A wrong key: every file held and listed, exit 1.
    let other_key = h.path("other.key");
    vg().args(["keygen", "--out"]).arg(&other_key).assert().success();
    let out = h.path("wrong-key");
    let o = vg()
        .args(["audit", "--store"])
        .arg(&h.store)
        .arg("--key-file")
        .arg(&other_key)
        .arg("--export")
        .arg(&export)
        .arg("--out")
        .arg(&out)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1), "{}", String::from_utf8_lossy(&o.stderr));
    let m = manifest(&out);
    validate("audit-manifest.schema.json", &m);
    assert_eq!(m["files"].as_array().unwrap().len(), 3);
    for e in m["files"].as_array().unwrap() {
        assert_eq!(
            (e["decision"].as_str(), strs(&e["reasons"])),
            (Some("hold"), vec!["store_unavailable"])
        );
    }
    check_cleared_copy(&out, &m);

    // Bad usage: exit 2, nothing written.
    let busy = h.path("busy");
    write(&busy.join("x"), b"x");
    let p = |rel: &str| h.path(rel).to_string_lossy().into_owned();
    let cases: [(Vec<String>, &str); 4] = [
        (vec!["--out".into(), p("busy")], "new or empty directory"),
        (
            vec!["--out".into(), p("o1"), "--report".into(), p("o1/r.json")],
            "elsewhere",
        ),
        (
            vec!["--out".into(), p("o2"), "--suspicious-share".into(), "1.5".into()],
            "outside",
        ),
        (vec!["--out".into(), p("o3"), "--jobs".into(), "0".into()], "jobs"),
    ];
    for (args, needle) in cases {
        let o = h
            .cmd("audit")
            .arg("--export")
            .arg(&export)
            .args(&args)
            .output()
            .unwrap();
        assert_eq!(o.status.code(), Some(2), "{args:?}");
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(err.contains(needle), "{args:?}: {err}");
    }
    assert!(!h.path("o1").join("voiceguard-manifest.json").exists());
    let o = h.audit(&h.path("missing"), &h.path("o4")).output().unwrap();
    assert_eq!(o.status.code(), Some(2));
}

/// Peak resident memory (kB) of a running process, polled until it exits.
fn run_measuring_peak(mut cmd: std::process::Command) -> (std::process::ExitStatus, u64) {
    let mut child = cmd
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let status_file = format!("/proc/{}/status", child.id());
    let mut peak = 0u64;
    loop {
        if let Ok(s) = std::fs::read_to_string(&status_file) {
            if let Some(kb) = s
                .lines()
                .find_map(|l| l.strip_prefix("VmHWM:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            {
                peak = peak.max(kb);
            }
        }
        if let Some(st) = child.try_wait().unwrap() {
            return (st, peak);
        }
        std::thread::sleep(Duration::from_millis(25));
    }
}

#[test]
fn a_two_hour_wav_stays_under_200_mb() {
    let h = Home::new();
    let export = h.path("export");
    std::fs::create_dir_all(&export).unwrap();
    let long = export.join("two-hours.wav");
    let read = |name: &str| -> Vec<i16> {
        hound::WavReader::open(demo(name))
            .unwrap()
            .samples::<i16>()
            .map(Result::unwrap)
            .collect()
    };
    let member = read("librivox-sas01_2.wav");
    let stranger = read("arctic-awb_1.wav");
    let spec = hound::WavSpec {
        channels: 1,
        sample_rate: 16_000,
        bits_per_sample: 16,
        sample_format: hound::SampleFormat::Int,
    };
    let mut w = hound::WavWriter::create(&long, spec).unwrap();
    let total = 2 * 3600 * 16_000usize;
    let mut s: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut n = 0usize;
    // Low noise, with the member speaking once every 10 minutes and a
    // stranger once, all away from the 5-minute block edges.
    while n < total {
        let minute = n / (60 * 16_000);
        let at = n % (300 * 16_000);
        if at == 100 * 16_000 && minute % 10 == 1 {
            let clip = if minute == 61 { &stranger } else { &member };
            for &x in clip {
                w.write_sample(x).unwrap();
            }
            n += clip.len();
            continue;
        }
        s ^= s << 13;
        s ^= s >> 7;
        s ^= s << 17;
        w.write_sample(((s >> 58) as i16) - 32).unwrap();
        n += 1;
    }
    w.finalize().unwrap();
    let out = h.path("cleared");
    let mut cmd = std::process::Command::new(assert_cmd::cargo::cargo_bin("voiceguard"));
    cmd.arg("audit")
        .arg("--store")
        .arg(&h.store)
        .arg("--key-file")
        .arg(&h.key);
    cmd.arg("--export")
        .arg(&export)
        .arg("--out")
        .arg(&out)
        .arg("--report")
        .arg(h.path("r.json"));
    let t0 = Instant::now();
    let (status, peak_kb) = run_measuring_peak(cmd);
    eprintln!(
        "2-hour WAV ({} MB): peak RSS {} MB, {:.0} s",
        std::fs::metadata(&long).unwrap().len() >> 20,
        peak_kb / 1024,
        t0.elapsed().as_secs_f64()
    );
    assert_eq!(status.code(), Some(3));
    assert!(peak_kb > 0 && peak_kb < 200 * 1024, "peak RSS {peak_kb} kB");
    let m = manifest(&out);
    let e = entry(&m, "two-hours.wav");
    assert!((e["duration_s"].as_f64().unwrap() - 7200.0).abs() < 30.0);
    assert!(!strs(&e["reasons"]).contains(&"error"), "{e}");
    assert_ne!(e["decision"], "pass", "the stranger's speech is not released: {e}");
    check_cleared_copy(&out, &m);
}
