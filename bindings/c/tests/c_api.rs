//! The C API through a real C compiler (`cc`, or `$CC`):
//!
//! - `tests/errors.c` exercises every error path (codes and messages);
//! - `examples/screen_wav.c`, linked against the static library, the shared
//!   library, and through `pkg-config`, enrolls a household from corpus
//!   clips and screens held-out, stranger and mixed clips; its decisions,
//!   spans and output audio must equal the Rust API's on the same files.
//!
//! The libraries come from this test's own build (`cargo test` builds the
//! crate's `staticlib`/`cdylib` beside its `rlib`, in the test's `deps/`).

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use voiceguard_core::enroll::{EnrollConfig, Enroller};
use voiceguard_core::gate::{GateConfig, GatePlan, SpanLabel, StreamingGate};
use voiceguard_core::screen::{self, Decision, Label, Policy, Voiceprint};
use voiceguard_core::voiceprint::{Access, StoreKey, VoiceprintStore};
use voiceguard_core::Engine;

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .unwrap()
}

/// The directory with `libvoiceguard.a` and `.so`: beside this test binary
/// (`target/<profile>/deps`), where `cargo test` put them.
fn lib_dir() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    let deps = exe.parent().unwrap().to_path_buf();
    for dir in [deps.clone(), deps.parent().unwrap().to_path_buf()] {
        if dir.join("libvoiceguard.a").is_file() && dir.join("libvoiceguard.so").is_file() {
            return dir;
        }
    }
    panic!("libvoiceguard.a/.so not found in {} or its parent", deps.display());
}

fn include_dir() -> PathBuf {
    repo_root().join("bindings/c/include")
}

fn cc() -> String {
    std::env::var("CC").unwrap_or_else(|_| "cc".into())
}

/// Libraries the Rust static library needs from the system (rustc's
/// `--print native-static-libs` on Linux).
const NATIVE_LIBS: [&str; 6] = ["-lgcc_s", "-lutil", "-lrt", "-lpthread", "-lm", "-ldl"];

const CFLAGS: [&str; 6] = ["-std=c11", "-O1", "-g", "-Wall", "-Wextra", "-Werror"];

fn run(cmd: &mut Command) -> Output {
    let out = cmd.output().unwrap_or_else(|e| panic!("cannot run {cmd:?}: {e}"));
    if !out.status.success() {
        panic!(
            "{cmd:?} failed ({})\nstdout:\n{}\nstderr:\n{}",
            out.status,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    out
}

enum Link {
    Static,
    Shared,
    PkgConfig,
}

/// Compiles `source` into `exe` against the library.
fn compile(source: &Path, exe: &Path, link: Link) {
    let libs = lib_dir();
    let mut cmd = Command::new(cc());
    cmd.args(CFLAGS).arg(source).arg("-o").arg(exe);
    match link {
        Link::Static => {
            cmd.arg("-I")
                .arg(include_dir())
                .arg(libs.join("libvoiceguard.a"))
                .args(NATIVE_LIBS);
        }
        Link::Shared => {
            cmd.arg("-I")
                .arg(include_dir())
                .arg(format!("-L{}", libs.display()))
                .arg("-lvoiceguard")
                .arg(format!("-Wl,-rpath,{}", libs.display()));
        }
        Link::PkgConfig => {
            // The build script writes voiceguard.pc into target/<profile>;
            // point it at the libraries this test uses.
            let pc_dir = exe.parent().unwrap();
            let pc = std::fs::read_to_string(libs.parent().unwrap().join("voiceguard.pc"))
                .or_else(|_| std::fs::read_to_string(libs.join("voiceguard.pc")))
                .expect("voiceguard.pc written by the build script");
            let pc: String = pc
                .lines()
                .map(|l| {
                    if l.starts_with("libdir=") {
                        format!("libdir={}\n", libs.display())
                    } else {
                        format!("{l}\n")
                    }
                })
                .collect();
            std::fs::write(pc_dir.join("voiceguard.pc"), pc).unwrap();
            let flags = run(Command::new("pkg-config").env("PKG_CONFIG_PATH", pc_dir).args([
                "--cflags",
                "--libs",
                "voiceguard",
            ]));
            let flags = String::from_utf8(flags.stdout).unwrap();
            assert!(flags.contains("-lvoiceguard"), "{flags}");
            cmd.args(flags.split_whitespace())
                .arg(format!("-Wl,-rpath,{}", libs.display()));
        }
    }
    run(&mut cmd);
}

/// The speech corpus, or None (skipped with a printed reason) unless
/// `VOICEGUARD_REQUIRE_CORPUS=1`.
fn corpus() -> Option<PathBuf> {
    let dir = std::env::var_os("VOICEGUARD_CORPUS")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo_root().join("../shared/speech"));
    if dir.join("manifest.tsv").is_file() {
        return Some(dir);
    }
    let msg = format!(
        "speech corpus not found at {} (set VOICEGUARD_CORPUS to a folder with manifest.tsv)",
        dir.display()
    );
    if std::env::var("VOICEGUARD_REQUIRE_CORPUS").is_ok_and(|v| v == "1") {
        panic!("{msg}; VOICEGUARD_REQUIRE_CORPUS=1 makes corpus tests mandatory");
    }
    eprintln!("SKIPPED: {msg}");
    None
}

#[test]
fn c_error_paths_return_the_documented_codes_and_messages() {
    let tmp = tempfile::tempdir().unwrap();
    let exe = tmp.path().join("errors");
    compile(&repo_root().join("bindings/c/tests/errors.c"), &exe, Link::Static);
    let work = tmp.path().join("work");
    std::fs::create_dir(&work).unwrap();
    let out = run(Command::new(&exe).arg(&work).arg(repo_root().join("models")));
    let text = String::from_utf8_lossy(&out.stdout);
    println!("{text}");
    assert!(text.contains(", 0 failed"), "{text}");
    let checks: usize = text
        .split("error paths: ")
        .nth(1)
        .and_then(|s| s.split(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap();
    assert!(checks > 100, "only {checks} checks ran");
}

/// One clip's decision and spans as the C example prints them.
#[derive(Debug, PartialEq)]
struct Screened {
    decision: String,
    spans: Vec<(f64, f64, String, bool)>,
}

fn parse_screen_output(text: &str) -> Vec<(String, Screened)> {
    let mut out: Vec<(String, Screened)> = Vec::new();
    for line in text.lines() {
        let f: Vec<&str> = line.split('\t').collect();
        if let Some(rest) = line.strip_prefix('\t') {
            let s: Vec<&str> = rest.split('\t').collect();
            assert_eq!(s.len(), 5, "span line {line:?}");
            out.last_mut().unwrap().1.spans.push((
                s[0].parse().unwrap(),
                s[1].parse().unwrap(),
                s[2].to_string(),
                s[4] == "redact",
            ));
        } else {
            assert_eq!(f.len(), 3, "clip line {line:?}");
            out.push((
                f[0].to_string(),
                Screened {
                    decision: f[1].to_string(),
                    spans: Vec::new(),
                },
            ));
        }
    }
    out
}

fn label_text(l: &Label) -> String {
    match l {
        Label::Member(n) => format!("member:{n}"),
        other => other.to_string(),
    }
}

fn read_i16(path: &Path) -> Vec<i16> {
    let mut r = hound::WavReader::open(path).unwrap();
    r.samples::<i16>().map(Result::unwrap).collect()
}

const KEY_HEX: &str = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";

#[test]
fn c_example_screens_corpus_clips_as_the_rust_api_does() {
    let Some(corpus) = corpus() else { return };
    let clip = |rel: &str| corpus.join(rel);
    let household: [(&str, Vec<PathBuf>); 2] = [
        (
            "ls-3005",
            [
                "ls-3005/3005-163389-0000.wav",
                "ls-3005/3005-163389-0001.wav",
                "ls-3005/3005-163389-0003.wav",
            ]
            .map(clip)
            .to_vec(),
        ),
        (
            "vctk-p225",
            [
                "vctk-p225/p225_003.wav",
                "vctk-p225/p225_008.wav",
                "vctk-p225/p225_011.wav",
                "vctk-p225/p225_016.wav",
            ]
            .map(clip)
            .to_vec(),
        ),
    ];
    // Held-out member clips, strangers, a member-stranger-member mixture,
    // another mixture, a single spoken digit.
    let clips: Vec<PathBuf> = [
        "ls-3005/3005-163389-0002.wav",
        "ls-3005/3005-163389-0004.wav",
        "vctk-p225/p225_019.wav",
        "ls-87/87-121553-0000.wav",
        "ls-26/26-495-0000.wav",
        "mixtures/mix03.wav",
        "mixtures/mix02.wav",
        "fsdd-theo/0_theo_0.wav",
    ]
    .map(clip)
    .into_iter()
    .filter(|p| p.is_file() || panic!("corpus clip {} is missing", p.display()))
    .collect();

    let tmp = tempfile::tempdir().unwrap();
    let static_exe = tmp.path().join("screen_wav_static");
    let shared_exe = tmp.path().join("screen_wav_shared");
    let pc_exe = tmp.path().join("screen_wav_pc");
    let example = repo_root().join("bindings/c/examples/screen_wav.c");
    compile(&example, &static_exe, Link::Static);
    compile(&example, &shared_exe, Link::Shared);
    compile(&example, &pc_exe, Link::PkgConfig);

    // Enroll through C (static build).
    let c_store = tmp.path().join("c.vgstore");
    for (name, files) in &household {
        let out = run(Command::new(&static_exe)
            .arg("enroll")
            .arg(&c_store)
            .arg(KEY_HEX)
            .arg(name)
            .args(files));
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(text.contains(&format!("enrolled {name}")), "{text}");
    }
    let members = run(Command::new(&shared_exe).arg("members").arg(&c_store).arg(KEY_HEX));
    let members = String::from_utf8_lossy(&members.stdout);
    assert!(
        members.starts_with("ls-3005\t") && members.contains("\nvctk-p225\t"),
        "{members}"
    );

    // The same enrollment through Rust gives the same voiceprints.
    let engine = Engine::bundled().unwrap();
    let key = StoreKey::from_bytes(&hex_key()).unwrap();
    let c_side = VoiceprintStore::open(&c_store, key, engine.encoder().model_id(), Access::Read).unwrap();
    let mut rust_prints = Vec::new();
    for (name, files) in &household {
        let mut e = Enroller::new(&engine, name, EnrollConfig::default());
        for f in files {
            e.push_file(f).unwrap();
        }
        let m = e.finish().unwrap().into_member(name).unwrap();
        let c = c_side.member(name).unwrap();
        let diff = m
            .voiceprint
            .iter()
            .zip(&c.voiceprint)
            .map(|(a, b)| (a - b).abs())
            .fold(0.0f32, f32::max);
        println!("{name}: voiceprint max |C - Rust| = {diff:e}");
        assert!(diff <= 1e-6, "{name}: C and Rust voiceprints differ by {diff}");
        assert_eq!(m.utterances, c.utterances);
        rust_prints.push((name.to_string(), m.voiceprint.clone()));
    }
    drop(c_side);

    // Screen through C: static, shared and pkg-config builds agree.
    let mut outputs = Vec::new();
    for exe in [&static_exe, &shared_exe, &pc_exe] {
        let out_dir = tmp
            .path()
            .join(format!("out-{}", exe.file_name().unwrap().to_string_lossy()));
        std::fs::create_dir(&out_dir).unwrap();
        let out = run(Command::new(exe)
            .arg("screen")
            .arg(&c_store)
            .arg(KEY_HEX)
            .arg(&out_dir)
            .args(&clips));
        outputs.push((String::from_utf8(out.stdout).unwrap(), out_dir));
    }
    assert_eq!(outputs[0].0, outputs[1].0, "static and shared builds disagree");
    assert_eq!(outputs[0].0, outputs[2].0, "static and pkg-config builds disagree");
    let c_results = parse_screen_output(&outputs[0].0);
    assert_eq!(c_results.len(), clips.len(), "{}", outputs[0].0);

    // The Rust API on the same files.
    let members: Vec<Voiceprint<'_>> = rust_prints
        .iter()
        .map(|(n, v)| Voiceprint { name: n, vector: v })
        .collect();
    let policy = Policy::default();
    let rust_out = tmp.path().join("rust-out");
    std::fs::create_dir(&rust_out).unwrap();
    let mut decisions = Vec::new();
    for ((c_path, c), path) in c_results.iter().zip(&clips) {
        assert_eq!(Path::new(c_path), path.as_path());
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        let base = rust_out.join(&name);
        let report = screen::screen_file(
            &engine,
            path,
            &name,
            &members,
            &policy,
            Some(screen::OutputOptions {
                base: &base,
                overwrite: false,
            }),
        );
        assert!(report.error.is_none(), "{name}: {:?}", report.error);
        println!("{name}: C {} / Rust {}", c.decision, report.decision);
        assert_eq!(c.decision, report.decision.as_str(), "{name}: decisions differ");
        let rust_spans: Vec<(f64, f64, String, bool)> = report
            .spans
            .iter()
            .map(|s| {
                (
                    s.start_s,
                    s.end_s,
                    label_text(&s.label),
                    s.action == screen::Action::Redact,
                )
            })
            .collect();
        assert_eq!(c.spans.len(), rust_spans.len(), "{name}: span counts differ");
        for (a, b) in c.spans.iter().zip(&rust_spans) {
            // The C example prints times with 3 decimals.
            assert!(
                (a.0 - b.0).abs() <= 6e-4 && (a.1 - b.1).abs() <= 6e-4,
                "{name}: {a:?} vs {b:?}"
            );
            assert_eq!((&a.2, a.3), (&b.2, b.3), "{name}");
        }
        // Released audio: C output equals Rust output sample for sample; held clips have none.
        let c_file = outputs[0].1.join(&name);
        match report.decision {
            Decision::Hold => assert!(!c_file.exists(), "{name}: held but written"),
            Decision::Pass | Decision::Redact => {
                let c_audio = read_i16(&c_file);
                let r_audio = read_i16(&base);
                assert_eq!(c_audio.len(), r_audio.len(), "{name}");
                assert!(c_audio == r_audio, "{name}: C and Rust outputs differ");
                if report.decision == Decision::Pass {
                    assert_eq!(c_audio, read_i16(path), "{name}: a passed clip must be unchanged");
                }
            }
        }
        decisions.push(report.decision);
    }
    // The scenario covers every decision, so the comparison means something.
    for d in [Decision::Pass, Decision::Redact, Decision::Hold] {
        assert!(decisions.contains(&d), "no clip got {d}: {decisions:?}");
    }
    // Strangers never pass.
    for (i, d) in decisions.iter().enumerate() {
        if i == 3 || i == 4 {
            assert_ne!(*d, Decision::Pass, "stranger clip {} passed", clips[i].display());
        }
    }

    // The streaming gate through C (10 ms int16 pushes) releases exactly what
    // the Rust gate releases for the same mixture, with the same spans.
    let mix = &clips[5];
    let c_out = tmp.path().join("streamed.wav");
    let out = run(Command::new(&static_exe)
        .arg("stream")
        .arg(&c_store)
        .arg(KEY_HEX)
        .arg(&c_out)
        .arg(mix));
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let c_spans: Vec<&str> = text.lines().filter(|l| !l.starts_with("latency")).collect();
    let pcm = read_i16(mix);
    let key = StoreKey::from_bytes(&hex_key()).unwrap();
    let c_side = VoiceprintStore::open(&c_store, key, engine.encoder().model_id(), Access::Read).unwrap();
    let plan = GatePlan::from_store(engine.clone(), &c_side, Policy::default(), GateConfig::default()).unwrap();
    let mut gate = StreamingGate::new(plan.clone()).unwrap();
    assert!(text.contains(&format!("latency\t{}", gate.latency_samples())), "{text}");
    let x: Vec<f32> = pcm.iter().map(|&v| f32::from(v) / 32768.0).collect();
    let mut released = Vec::new();
    let mut buf = vec![0.0f32; 4096];
    for chunk in x.chunks(160) {
        assert_eq!(gate.push(chunk), chunk.len());
        gate.process().unwrap();
        while let n @ 1.. = gate.pull(&mut buf) {
            released.extend_from_slice(&buf[..n]);
        }
    }
    gate.flush().unwrap();
    while let n @ 1.. = gate.pull(&mut buf) {
        released.extend_from_slice(&buf[..n]);
    }
    let rust: Vec<i16> = released[gate.latency_samples()..]
        .iter()
        .map(|&v| (v * 32768.0).round().clamp(-32768.0, 32767.0) as i16)
        .collect();
    let c_audio = read_i16(&c_out);
    assert_eq!(c_audio.len(), pcm.len());
    assert!(c_audio == rust, "C and Rust gate outputs differ");
    assert!(c_audio != pcm, "the mixture's stranger must be silenced");
    let mut rust_spans = Vec::new();
    while let Some(e) = gate.pop_span() {
        rust_spans.push(e);
    }
    assert_eq!(c_spans.len(), rust_spans.len(), "{text}");
    for (line, e) in c_spans.iter().zip(&rust_spans) {
        let label = match e.label {
            SpanLabel::Member(i) => format!("member:{}", plan.member_name(i).unwrap()),
            SpanLabel::Other => "other".into(),
            SpanLabel::Uncertain => "uncertain".into(),
            SpanLabel::Nonspeech => "nonspeech".into(),
        };
        assert!(
            line.starts_with(&format!("{:.3}\t{:.3}\t{label}\t", e.start_s, e.end_s)),
            "C span {line:?} vs Rust {e:?}"
        );
    }
}

fn hex_key() -> Vec<u8> {
    (0..32)
        .map(|i| u8::from_str_radix(&KEY_HEX[2 * i..2 * i + 2], 16).unwrap())
        .collect()
}
