//! The voiceprint store: encryption, authentication, atomic saves under
//! SIGKILL, erasure, locking, model checks and the v1 -> v2 upgrade.

use std::path::PathBuf;
use voiceguard::voiceprint::format::{self, MemberRecord, Payload};
mod common;

use voiceguard::voiceprint::{seal, unseal, Access, StoreKey, VoiceprintStore};
use voiceguard::ErrorKind;

use common::{key, member, names, vector, DIM, MODEL};

#[test]
fn round_trip_and_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("home.vgs");
    {
        let mut s = VoiceprintStore::open_or_create(&p, key(1), MODEL, DIM).unwrap();
        s.put(member("ana", 1)).unwrap();
        s.put(member("ben", 2)).unwrap();
    }
    let s = VoiceprintStore::open(&p, key(1), MODEL, Access::Read).unwrap();
    assert_eq!(names(&s), ["ana", "ben"]);
    assert_eq!(s.member("ben").unwrap().voiceprint, vector(2));
    assert!(s.member("ana").unwrap().created_unix > 1_600_000_000);
    // Best match first.
    let e = voiceguard::Embedding::normalized(vector(2)).unwrap();
    let scores = s.scores(&e).unwrap();
    assert_eq!(scores[0].0, "ben");
    assert!((scores[0].1.value() - 1.0).abs() < 1e-5);
    // The file is 0600 and holds no plaintext voiceprint bytes.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(std::fs::metadata(&p).unwrap().permissions().mode() & 0o777, 0o600);
    }
    let raw = std::fs::read(&p).unwrap();
    let needle: Vec<u8> = vector(1)[..4].iter().flat_map(|v| v.to_le_bytes()).collect();
    assert!(!raw.windows(needle.len()).any(|w| w == needle));
}

#[test]
fn wrong_key_and_every_changed_byte_fail_and_overwrite_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("home.vgs");
    VoiceprintStore::open_or_create(&p, key(1), MODEL, DIM)
        .unwrap()
        .put(member("ana", 1))
        .unwrap();
    let good = std::fs::read(&p).unwrap();
    let err = VoiceprintStore::open(&p, key(2), MODEL, Access::Write).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Auth, "{err}");
    assert!(err.to_string().contains("wrong key"), "{err}");
    assert_eq!(std::fs::read(&p).unwrap(), good);
    for i in 0..good.len() {
        let mut bad = good.clone();
        bad[i] ^= 0x01;
        std::fs::write(&p, &bad).unwrap();
        let err = VoiceprintStore::open(&p, key(1), MODEL, Access::Write).unwrap_err();
        assert!(
            matches!(err.kind(), ErrorKind::Auth | ErrorKind::UnsupportedFormat),
            "byte {i}: {err}"
        );
        assert_eq!(std::fs::read(&p).unwrap(), bad, "byte {i}: the file was rewritten");
    }
    // Truncations too.
    for n in [0, 7, 20, good.len() / 2, good.len() - 1] {
        std::fs::write(&p, &good[..n]).unwrap();
        assert!(
            VoiceprintStore::open(&p, key(1), MODEL, Access::Read).is_err(),
            "prefix {n}"
        );
    }
}

#[test]
fn store_of_another_model_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("home.vgs");
    VoiceprintStore::open_or_create(&p, key(1), "ecapa:0123456789ab", DIM).unwrap();
    let err = VoiceprintStore::open(&p, key(1), MODEL, Access::Read).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::ModelMismatch);
    let msg = err.to_string();
    assert!(msg.contains("ecapa:0123456789ab") && msg.contains(MODEL), "{msg}");
}

#[test]
fn forget_erases_the_member_and_leaves_no_temporaries() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("home.vgs");
    let mut s = VoiceprintStore::open_or_create(&p, key(1), MODEL, DIM).unwrap();
    s.put(member("ana", 1)).unwrap();
    s.put(member("ben", 2)).unwrap();
    s.forget("ana").unwrap();
    assert_eq!(s.forget("zoe").unwrap_err().kind(), ErrorKind::NotEnrolled);
    drop(s);
    let raw = std::fs::read(&p).unwrap();
    let (_, plain) = unseal(&key(1), &raw, &p).unwrap();
    let ana: Vec<u8> = vector(1).iter().flat_map(|v| v.to_le_bytes()).collect();
    let ben: Vec<u8> = vector(2).iter().flat_map(|v| v.to_le_bytes()).collect();
    // Any 16 consecutive bytes of ana's voiceprint, in plaintext form, are gone;
    // ben's are there (so the search itself works).
    for chunk in ana.chunks(16) {
        assert!(!plain.windows(16).any(|w| w == chunk));
        assert!(!raw.windows(16).any(|w| w == chunk));
    }
    assert!(plain.windows(16).any(|w| w == &ben[..16]));
    assert!(!plain.windows(3).any(|w| w == b"ana"));
    let leftovers: Vec<PathBuf> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|q| q.file_name().unwrap().to_string_lossy().contains(".tmp."))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

#[test]
fn a_second_writer_is_told_who_holds_the_lock() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("home.vgs");
    let _first = VoiceprintStore::open_or_create(&p, key(1), MODEL, DIM).unwrap();
    let err = VoiceprintStore::open(&p, key(1), MODEL, Access::Write).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Busy);
    assert!(
        err.to_string()
            .contains(&format!("locked by pid {}", std::process::id())),
        "{err}"
    );
    let err = VoiceprintStore::open(&p, key(1), MODEL, Access::Read).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Busy);
}

#[test]
fn version_1_files_are_read_and_rewritten_as_version_2() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("old.vgs");
    let payload = Payload {
        model_id: MODEL.into(),
        dim: DIM as u32,
        members: vec![MemberRecord {
            name: "ana".into(),
            voiceprint: vector(1),
            utterances: 4,
            speech_s: 20.0,
            consistency: 0.88,
            created_unix: 0,
            updated_unix: 0,
        }],
    };
    let v1 = seal(&key(1), 1, &format::encode_payload_v1_for_tests(&payload)).unwrap();
    std::fs::write(&p, &v1).unwrap();
    {
        let s = VoiceprintStore::open(&p, key(1), MODEL, Access::Read).unwrap();
        assert_eq!(s.upgraded_from(), None, "a reader never rewrites");
        assert_eq!(std::fs::read(&p).unwrap(), v1);
    }
    let s = VoiceprintStore::open(&p, key(1), MODEL, Access::Write).unwrap();
    assert_eq!(s.upgraded_from(), Some(1));
    assert_eq!(s.member("ana").unwrap().voiceprint, vector(1));
    drop(s);
    let raw = std::fs::read(&p).unwrap();
    assert_eq!(u16::from_le_bytes([raw[8], raw[9]]), format::VERSION);
}

#[test]
fn key_files_must_be_private_and_32_bytes() {
    let dir = tempfile::tempdir().unwrap();
    let k = dir.path().join("k");
    let key = StoreKey::generate().unwrap();
    key.write_new_file(&k).unwrap();
    assert_eq!(StoreKey::read_file(&k).unwrap().as_bytes(), key.as_bytes());
    assert!(key.write_new_file(&k).is_err(), "keygen must not overwrite");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&k, std::fs::Permissions::from_mode(0o644)).unwrap();
        let err = StoreKey::read_file(&k).unwrap_err();
        assert!(err.to_string().contains("chmod 600"), "{err}");
    }
    let short = dir.path().join("short");
    StoreKey::from_bytes(&[1; 32]).unwrap().write_new_file(&short).unwrap();
    std::fs::write(&short, [1u8; 31]).unwrap();
    assert!(StoreKey::read_file(&short)
        .unwrap_err()
        .to_string()
        .contains("31 bytes"));
    assert!(format!("{key:?}").contains("redacted"));
}
