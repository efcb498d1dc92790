//! keygen / enroll / members / verify / forget through the real binary, on the
//! demo clips and (where present) on ../shared/speech.

mod common;

use assert_cmd::Command;
use common::{json_of, repo, validate, vg};
use std::path::PathBuf;

fn demo(name: &str) -> PathBuf {
    repo().join("examples/data").join(name)
}

struct Home {
    _dir: tempfile::TempDir,
    store: PathBuf,
    key: PathBuf,
}

impl Home {
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let key = dir.path().join("home.key");
        vg().args(["keygen", "--out"]).arg(&key).assert().success();
        Home {
            store: dir.path().join("home.vgs"),
            key,
            _dir: dir,
        }
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
}

#[test]
fn demo_household_end_to_end() {
    let h = Home::new();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(std::fs::metadata(&h.key).unwrap().permissions().mode() & 0o777, 0o600);
    }
    // keygen never overwrites.
    vg().args(["keygen", "--out"]).arg(&h.key).assert().code(1);
    // Too little speech: exit 1 with reasons, and no store is written.
    let out = h
        .cmd("enroll")
        .args(["--member", "slt"])
        .arg(demo("arctic-slt_1.wav"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("insufficient"), "{err}");
    assert!(!h.store.exists());
    // Enough speech from three utterances.
    let out = h
        .cmd("enroll")
        .args(["--member", "reader"])
        .args(["librivox-sas01_1.wav", "librivox-sas01_3.wav", "librivox-sas01_4.wav"].map(demo))
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{text}\n{}", String::from_utf8_lossy(&out.stderr));
    assert!(
        text.contains("progress:") && text.contains("enrolled \"reader\""),
        "{text}"
    );
    println!("{text}");
    // members never prints vectors.
    let out = h.cmd("members").arg("--json").output().unwrap();
    assert!(out.status.success());
    let doc = json_of(&out.stdout);
    validate("members.schema.json", &doc);
    assert_eq!(doc["members"][0]["name"], "reader");
    assert_eq!(doc["members"][0]["utterances"], 3);
    h.cmd("members")
        .assert()
        .success()
        .stdout(predicates::str::contains("reader\t3 utterances"));
    // verify: held-out clips of the reader, and the stranger.
    let out = h
        .cmd("verify")
        .arg("--json")
        .args(["librivox-sas01_2.wav", "librivox-sas01_5.wav", "arctic-awb_1.wav"].map(demo))
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let doc = json_of(&out.stdout);
    validate("verify.schema.json", &doc);
    println!("{doc}");
    assert_eq!(doc[0]["best"]["member"], "reader");
    assert_eq!(doc[1]["best"]["member"], "reader");
    assert!(doc[2]["best"].is_null(), "stranger matched: {}", doc[2]);
    let out = h.cmd("verify").arg(demo("arctic-awb_1.wav")).output().unwrap();
    assert!(String::from_utf8_lossy(&out.stdout).contains("no member"));
    // A wrong key: clear error, store untouched.
    let before = std::fs::read(&h.store).unwrap();
    let other = h._dir.path().join("other.key");
    vg().args(["keygen", "--out"]).arg(&other).assert().success();
    let out = vg()
        .args(["members", "--store"])
        .arg(&h.store)
        .arg("--key-file")
        .arg(&other)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("wrong key"));
    assert_eq!(std::fs::read(&h.store).unwrap(), before);
    // VOICEGUARD_KEY_FILE works in place of --key-file.
    vg().args(["members", "--store"])
        .arg(&h.store)
        .env("VOICEGUARD_KEY_FILE", &h.key)
        .assert()
        .success();
    // Forget, then forgetting again is an error.
    h.cmd("forget").args(["--member", "reader"]).assert().success();
    h.cmd("forget")
        .args(["--member", "reader"])
        .assert()
        .code(1)
        .stderr(predicates::str::contains("no member named"));
    h.cmd("members")
        .assert()
        .success()
        .stdout(predicates::str::contains("no members enrolled"));
}

#[test]
fn a_key_file_others_can_read_is_refused() {
    let h = Home::new();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&h.key, std::fs::Permissions::from_mode(0o644)).unwrap();
        h.cmd("members")
            .assert()
            .code(1)
            .stderr(predicates::str::contains("chmod 600"));
    }
    // No key at all is bad usage.
    vg().args(["members", "--store", "x.vgs"])
        .env_remove("VOICEGUARD_KEY_FILE")
        .assert()
        .code(2);
}

fn corpus() -> Option<PathBuf> {
    let dir = std::env::var_os("VOICEGUARD_CORPUS").map_or_else(|| repo().join("../shared/speech"), PathBuf::from);
    if dir.join("manifest.tsv").is_file() {
        return Some(dir);
    }
    assert!(
        std::env::var("VOICEGUARD_REQUIRE_CORPUS").map_or(true, |v| v != "1"),
        "corpus missing at {} and VOICEGUARD_REQUIRE_CORPUS=1",
        dir.display()
    );
    eprintln!("SKIPPED: speech corpus not found at {}", dir.display());
    None
}

/// Three real speakers enrolled through the CLI; their held-out clips and ten
/// strangers verified.
#[test]
fn corpus_household_enroll_verify_and_mismatch() {
    let Some(c) = corpus() else { return };
    let manifest = std::fs::read_to_string(c.join("manifest.tsv")).unwrap();
    let segments = std::fs::read_to_string(c.join("mixtures/segments.tsv")).unwrap();
    let rows: Vec<Vec<&str>> = manifest.lines().skip(1).map(|l| l.split('\t').collect()).collect();
    let clips = |spk: &str| -> Vec<PathBuf> {
        let mut v: Vec<&str> = rows
            .iter()
            .filter(|r| r[1] == spk && r[3].parse::<f32>().unwrap() >= 2.0 && !segments.contains(r[0]))
            .map(|r| r[0])
            .collect();
        v.sort_unstable();
        v.into_iter().map(|p| c.join(p)).collect()
    };
    let h = Home::new();
    let household = ["ls-1688", "vctk-p225", "lj-linda"];
    let mut held_out = Vec::new();
    for spk in household {
        let all = clips(spk);
        // Enroll with the first clips; keep the rest for verification.
        let split = all.len() / 2;
        let out = h
            .cmd("enroll")
            .args(["--member", spk])
            .args(&all[..split])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{spk}: {}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        if spk == "ls-1688" {
            println!("{}", String::from_utf8_lossy(&out.stdout));
        }
        held_out.extend(all[split..].iter().map(|p| (spk, p.clone())));
    }
    let strangers: Vec<PathBuf> = rows
        .iter()
        .filter(|r| r[8] == "stranger-single-clip")
        .take(10)
        .map(|r| c.join(r[0]))
        .collect();
    assert_eq!(strangers.len(), 10);
    let out = h
        .cmd("verify")
        .arg("--json")
        .args(held_out.iter().map(|(_, p)| p))
        .args(&strangers)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let doc = json_of(&out.stdout);
    validate("verify.schema.json", &doc);
    let arr = doc.as_array().unwrap();
    let mut right = 0;
    for ((spk, p), o) in held_out.iter().zip(arr) {
        if o["best"]["member"] == *spk {
            right += 1;
        } else {
            println!("held-out {} -> {}", p.display(), o["best"]);
        }
    }
    let mut strangers_accepted = 0;
    for o in &arr[held_out.len()..] {
        if !o["best"].is_null() {
            strangers_accepted += 1;
            println!("stranger {} -> {}", o["input"], o["best"]);
        }
    }
    println!(
        "held-out member clips verified as their member: {right}/{}; strangers named as a member: {strangers_accepted}/10",
        held_out.len()
    );
    println!("example member: {}\nexample stranger: {}", arr[0], arr[held_out.len()]);
    assert!(right * 10 >= held_out.len() * 9, "{right}/{}", held_out.len());
    assert_eq!(strangers_accepted, 0);
    // Adding another speaker's voice to ls-1688 is refused, unless forced.
    let other = clips("ls-2033");
    let out = h
        .cmd("enroll")
        .args(["--member", "ls-1688"])
        .args(&other)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", String::from_utf8_lossy(&out.stdout));
    assert!(String::from_utf8_lossy(&out.stderr).contains("do not match"));
    h.cmd("enroll")
        .args(["--member", "ls-1688", "--force"])
        .args(&other)
        .assert()
        .success();
}
