//! `voiceguard listen`: a missing input device is a clear error with exit
//! code 1, and a build without the `live` feature says how to get one. (The
//! capture path itself is tested in `core/tests/live.rs` with a cpal host
//! that plays a WAV file.)

mod common;

use common::{repo, vg};

/// A store with one member and its key file, in `dir`.
fn household(dir: &std::path::Path) -> (std::path::PathBuf, std::path::PathBuf) {
    let (store, key) = (dir.join("home.vgs"), dir.join("home.key"));
    vg().arg("keygen").arg("--out").arg(&key).assert().success();
    let clips: Vec<_> = (1..=4)
        .map(|i| repo().join(format!("examples/data/librivox-sas01_{i}.wav")))
        .collect();
    vg().args(["enroll", "--store"])
        .arg(&store)
        .arg("--key-file")
        .arg(&key)
        .args(["--member", "sas"])
        .args(&clips)
        .assert()
        .success();
    (store, key)
}

#[test]
fn listen_reports_a_missing_device_or_a_build_without_live_capture() {
    let dir = tempfile::tempdir().unwrap();
    let (store, key) = household(dir.path());
    let out = dir.path().join("out.wav");
    let assert = vg()
        .arg("listen")
        .arg("--store")
        .arg(&store)
        .arg("--key-file")
        .arg(&key)
        .arg("--out")
        .arg(&out)
        .args(["--seconds", "1", "--device", "no-such-microphone"])
        .assert()
        .code(1);
    let stderr = String::from_utf8_lossy(&assert.get_output().stderr).into_owned();
    if cfg!(feature = "live") {
        assert!(
            stderr.contains("audio device no-such-microphone: there is no input device of that name"),
            "{stderr}"
        );
    } else {
        assert!(stderr.contains("built without live capture"), "{stderr}");
        assert!(stderr.contains("--features live"), "{stderr}");
    }
    assert!(!out.exists(), "no output may be written when nothing was captured");
    // Bad usage is exit 2 whatever the build.
    if cfg!(feature = "live") {
        vg().arg("listen")
            .arg("--store")
            .arg(&store)
            .arg("--key-file")
            .arg(&key)
            .arg("--out")
            .arg(&out)
            .args(["--latency", "0.1"])
            .assert()
            .code(2);
    }
}
