//! End-to-end tests of the `voiceguard` binary on the demo clips in
//! examples/data/ (real speech, committed) and on broken files made here.

mod common;

use common::{json_of, repo, validate, vg};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Demo clips grouped by speaker (file names are `<speaker>_<n>.wav`).
fn demo() -> BTreeMap<String, Vec<PathBuf>> {
    let mut m: BTreeMap<String, Vec<PathBuf>> = BTreeMap::new();
    for e in std::fs::read_dir(repo().join("examples/data")).unwrap() {
        let p = e.unwrap().path();
        if p.extension().is_some_and(|x| x == "wav") {
            let stem = p.file_stem().unwrap().to_string_lossy().to_string();
            let spk = stem.rsplit_once('_').map_or(stem.clone(), |(s, _)| s.to_string());
            m.entry(spk).or_default().push(p);
        }
    }
    for v in m.values_mut() {
        v.sort();
    }
    m
}

#[test]
fn embed_json_follows_the_schema_and_order() {
    let d = demo();
    let files: Vec<&PathBuf> = d.values().map(|v| &v[0]).collect();
    assert!(files.len() >= 3, "need demo clips of 3 speakers, found {d:?}");
    let out = vg().arg("embed").arg("--json").args(&files).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let doc = json_of(&out.stdout);
    validate("embed.schema.json", &doc);
    let arr = doc.as_array().unwrap();
    assert_eq!(arr.len(), files.len());
    for (o, f) in arr.iter().zip(&files) {
        assert_eq!(o["input"].as_str().unwrap(), f.display().to_string());
        let e: Vec<f64> = o["embedding"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_f64().unwrap())
            .collect();
        assert_eq!(e.len(), 256);
        let norm: f64 = e.iter().map(|v| v * v).sum::<f64>().sqrt();
        assert!((norm - 1.0).abs() < 1e-4, "norm {norm}");
        assert!(o["speech_s"].as_f64().unwrap() >= 1.0);
    }
}

#[test]
fn compare_tells_same_from_different_speakers() {
    let d = demo();
    let (same_spk, clips) = d
        .iter()
        .find(|(_, v)| v.len() >= 2)
        .expect("a demo speaker with 2 clips");
    let other = d.iter().find(|(s, _)| *s != same_spk).unwrap().1;
    let run = |a: &Path, b: &Path| {
        let out = vg().args(["compare", "--json"]).arg(a).arg(b).output().unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        let doc = json_of(&out.stdout);
        validate("compare.schema.json", &doc);
        doc
    };
    let same = run(&clips[0], &clips[1]);
    let diff = run(&clips[0], &other[0]);
    println!("same {} diff {}", same["cosine"], diff["cosine"]);
    assert_eq!(same["same_speaker"], serde_json::Value::Bool(true), "{same}");
    assert_eq!(diff["same_speaker"], serde_json::Value::Bool(false), "{diff}");
    assert!(same["cosine"].as_f64().unwrap() > diff["cosine"].as_f64().unwrap());
    // Human-readable form.
    vg().arg("compare")
        .arg(&clips[0])
        .arg(&clips[1])
        .assert()
        .success()
        .stdout(predicates::str::contains("same speaker"));
}

#[test]
fn info_reports_facts_of_the_file() {
    let d = demo();
    let f = &d.values().next().unwrap()[0];
    let out = vg().args(["info", "--json"]).arg(f).output().unwrap();
    assert!(out.status.success());
    let doc = json_of(&out.stdout);
    validate("info.schema.json", &doc);
    assert_eq!(doc["sample_rate_hz"], 16000);
    assert_eq!(doc["channels"], 1);
    assert!(doc["speech_s"].as_f64().unwrap() > 0.5);
    assert!(doc["speech_s"].as_f64().unwrap() <= doc["duration_s"].as_f64().unwrap() + 1e-3);
}

fn write_wav(path: &Path, samples: &[f32], rate: u32, float: bool) {
    let spec = hound::WavSpec {
        channels: 1,
        sample_rate: rate,
        bits_per_sample: if float { 32 } else { 16 },
        sample_format: if float {
            hound::SampleFormat::Float
        } else {
            hound::SampleFormat::Int
        },
    };
    let mut w = hound::WavWriter::create(path, spec).unwrap();
    for &s in samples {
        if float {
            w.write_sample(s).unwrap();
        } else {
            w.write_sample((s * 32767.0) as i16).unwrap();
        }
    }
    w.finalize().unwrap();
}

fn read_wav(path: &Path) -> Vec<f32> {
    hound::WavReader::open(path)
        .unwrap()
        .samples::<i16>()
        .map(|s| f32::from(s.unwrap()) / 32768.0)
        .collect()
}

/// Each broken input fails with exit 1 and a message naming the file and the problem.
#[test]
fn broken_inputs_get_clear_errors() {
    let tmp = tempfile::tempdir().unwrap();
    let t = tmp.path();
    let speech = read_wav(&demo().values().next().unwrap()[0]);
    std::fs::write(t.join("empty.wav"), b"").unwrap();
    write_wav(&t.join("full.wav"), &speech, 16_000, false);
    let full = std::fs::read(t.join("full.wav")).unwrap();
    std::fs::write(t.join("truncated.wav"), &full[..full.len() / 2 + 1]).unwrap();
    std::fs::write(t.join("notes.wav"), b"this is a text file, not audio\n").unwrap();
    write_wav(&t.join("nan.wav"), &vec![f32::NAN; 32_000], 16_000, true);
    write_wav(&t.join("silent.wav"), &vec![0.0; 48_000], 16_000, false);
    write_wav(&t.join("short.wav"), &speech[8_000..9_600], 16_000, false);
    let cases = [
        ("empty.wav", "the file is empty"),
        ("truncated.wav", "truncated"),
        ("notes.wav", "not a WAV, FLAC, OGG/Vorbis or MP3 file"),
        ("nan.wav", "not finite"),
        ("silent.wav", "no speech found in"),
        ("short.wav", "no speech found in"),
        ("missing.wav", "cannot read"),
    ];
    for (name, needle) in cases {
        let p = t.join(name);
        let out = vg().arg("embed").arg(&p).output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{name}: {err}");
        assert!(err.contains(needle), "{name}: expected {needle:?} in {err}");
        assert!(err.contains(name), "{name}: message should name the file: {err}");
    }
    // The no-speech message says how much was found and needed.
    let out = vg().arg("embed").arg(t.join("silent.wav")).output().unwrap();
    assert!(String::from_utf8_lossy(&out.stderr).contains("0.0 s of speech, at least 1.0 s needed"));
    // In JSON, failures are objects with an error, and the exit code is still 1.
    let out = vg()
        .args(["embed", "--json"])
        .arg(t.join("full.wav"))
        .arg(t.join("notes.wav"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let doc = json_of(&out.stdout);
    validate("embed.schema.json", &doc);
    assert!(doc[0]["embedding"].is_array());
    assert_eq!(doc[1]["error"]["kind"], "unsupported_format");
}

#[test]
fn bad_usage_exits_2() {
    vg().assert().code(2);
    vg().arg("embed").assert().code(2);
    vg().args(["compare", "a.wav"]).assert().code(2);
    vg().args(["compare", "a.wav", "b.wav", "--threshold", "3"])
        .assert()
        .code(2)
        .stderr(predicates::str::contains("outside [-1, 1]"));
    vg().arg("frobnicate").assert().code(2);
}

#[test]
fn model_dir_with_wrong_hash_is_refused_naming_both() {
    let tmp = tempfile::tempdir().unwrap();
    let src = repo().join("models/ge2e");
    for f in ["manifest.toml", "encoder.onnx"] {
        std::fs::copy(src.join(f), tmp.path().join(f)).unwrap();
    }
    let m = std::fs::read_to_string(tmp.path().join("manifest.toml")).unwrap();
    let real = m
        .lines()
        .find(|l| l.starts_with("sha256"))
        .unwrap()
        .split('"')
        .nth(1)
        .unwrap()
        .to_string();
    let fake = "0".repeat(64);
    std::fs::write(tmp.path().join("manifest.toml"), m.replace(&real, &fake)).unwrap();
    let clip = demo().values().next().unwrap()[0].clone();
    let out = vg()
        .arg("--model")
        .arg(tmp.path())
        .arg("embed")
        .arg(&clip)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains(&fake) && err.contains(&real), "{err}");
    // The untouched copy loads and gives the bundled model's result.
    std::fs::write(tmp.path().join("manifest.toml"), m).unwrap();
    let a = vg()
        .arg("--model")
        .arg(tmp.path())
        .args(["embed", "--json"])
        .arg(&clip)
        .output()
        .unwrap();
    let b = vg().args(["embed", "--json"]).arg(&clip).output().unwrap();
    assert!(a.status.success());
    assert_eq!(json_of(&a.stdout)[0]["embedding"], json_of(&b.stdout)[0]["embedding"]);
}

/// `--precision bf16` embeds within a cosine of 1e-3 of f32 (bf16 products
/// on AVX-512 BF16 CPUs; elsewhere f32 with a note on stderr).
#[test]
fn bf16_precision_embeds_as_f32_does() {
    let d = demo();
    let f = &d.values().next().unwrap()[0];
    let embed = |precision: &str| {
        let out = vg()
            .args(["--precision", precision, "embed", "--json"])
            .arg(f)
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        let doc = json_of(&out.stdout);
        validate("embed.schema.json", &doc);
        let e: Vec<f64> = doc[0]["embedding"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_f64().unwrap())
            .collect();
        (e, String::from_utf8_lossy(&out.stderr).to_string())
    };
    let (a, _) = embed("f32");
    let (b, note) = embed("bf16");
    let cos: f64 = a.iter().zip(&b).map(|(x, y)| x * y).sum();
    println!("bf16 vs f32 cosine {cos:.6} {note}");
    assert!(cos > 0.999, "{cos}");
    vg().args(["--precision", "f16", "embed"])
        .arg(f)
        .assert()
        .code(2)
        .stderr(predicates::str::contains("f16"));
}
