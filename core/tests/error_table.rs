//! The README's error table lists every `ErrorKind`, once, in the core's order.

mod common;

use voiceguard::ErrorKind;

#[test]
fn readme_error_table_lists_every_kind_in_order() {
    let readme = std::fs::read_to_string(common::repo_root().join("README.md")).unwrap();
    let rows: Vec<String> = readme
        .lines()
        .filter_map(|l| l.strip_prefix("| `"))
        .filter_map(|l| l.split_once('`').map(|(name, _)| name.to_string()))
        .filter(|name| name.chars().next().is_some_and(char::is_uppercase))
        .collect();
    let kinds: Vec<String> = ErrorKind::ALL.iter().map(|k| format!("{k:?}")).collect();
    assert_eq!(rows, kinds, "README error table must list ErrorKind::ALL in order");
    // Names are stable and distinct.
    let mut names: Vec<&str> = ErrorKind::ALL.iter().map(|k| k.as_str()).collect();
    names.sort_unstable();
    names.dedup();
    assert_eq!(names.len(), ErrorKind::ALL.len());
}

#[test]
fn embedding_audio_at_the_wrong_rate_is_refused() {
    let engine = voiceguard::Engine::bundled().unwrap();
    let audio = voiceguard::audio::AudioBuf::new(vec![0.1; 44_100], voiceguard::SampleRate(44_100));
    let err = engine.embed_clip(&audio, std::path::Path::new("x.wav")).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidInput);
    assert!(err.to_string().contains("44100 Hz"), "{err}");
}
