//! Crash safety: a writer process is SIGKILLed at random points while it
//! saves, 60 times; the store always opens to the old or the new content.
//! (Its own test binary: a child forked while another test holds a lock
//! would briefly share that lock.)

mod common;

use common::{key, member, names, DIM, MODEL};
use std::path::{Path, PathBuf};
use std::process::Command;
use voiceguard::voiceprint::{Access, VoiceprintStore};

/// The writer half of the kill test: runs only when re-executed by
/// `killed_writers_leave_old_or_new_content` with `VG_STORE_WRITER` set.
#[test]
fn store_writer_child() {
    let Some(path) = std::env::var_os("VG_STORE_WRITER") else {
        return;
    };
    let p = PathBuf::from(path);
    let mut s = VoiceprintStore::open(&p, key(9), MODEL, Access::Write).unwrap();
    println!("ready");
    let mut i = 0u32;
    loop {
        // Alternate between content A (ana) and B (ana + ben).
        if i.is_multiple_of(2) {
            s.put(member("ben", 2)).unwrap();
        } else {
            s.forget("ben").unwrap();
        }
        i += 1;
    }
}

fn contents(p: &Path) -> Vec<String> {
    let s = VoiceprintStore::open(p, key(9), MODEL, Access::Read).unwrap();
    names(&s)
}

#[test]
fn killed_writers_leave_old_or_new_content() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("home.vgs");
    VoiceprintStore::open_or_create(&p, key(9), MODEL, DIM)
        .unwrap()
        .put(member("ana", 1))
        .unwrap();
    let exe = std::env::current_exe().unwrap();
    let mut seed = 0x2545_F491_4F6C_DD1Du64;
    let (mut seen_a, mut seen_b) = (0, 0);
    for round in 0..60 {
        let mut child = Command::new(&exe)
            .args(["store_writer_child", "--exact", "--nocapture", "--test-threads=1"])
            .env("VG_STORE_WRITER", &p)
            .stdout(std::process::Stdio::null())
            .spawn()
            .unwrap();
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        std::thread::sleep(std::time::Duration::from_micros(2_000 + seed % 40_000));
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();
        let got = contents(&p);
        match got.as_slice() {
            [a] if a == "ana" => seen_a += 1,
            [a, b] if a == "ana" && b == "ben" => seen_b += 1,
            other => panic!("round {round}: store holds {other:?}"),
        }
    }
    println!("after 60 kills: {seen_a} x old content, {seen_b} x new content");
    assert_eq!(seen_a + seen_b, 60);
    // A writer that opens again removes the temporaries killed writers left.
    drop(VoiceprintStore::open(&p, key(9), MODEL, Access::Write).unwrap());
    let left = std::fs::read_dir(dir.path())
        .unwrap()
        .filter(|e| e.as_ref().unwrap().file_name().to_string_lossy().contains(".tmp."))
        .count();
    assert_eq!(left, 0);
}
