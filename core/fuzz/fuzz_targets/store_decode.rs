//! Fuzzes the voiceprint store's byte layout: the container header and the
//! decrypted payload, versions 1 and 2. No crypto here: whatever follows a
//! valid header is fed to the payload decoder as if it had decrypted to it.
//!
//! Checked on every input: no panic, no allocation beyond what the input can
//! fill (libFuzzer's -rss_limit_mb / -malloc_limit_mb), and for every payload
//! that decodes, `encode_payload` round-trips it and is canonical.
#![no_main]

use libfuzzer_sys::fuzz_target;

// Included as a private module: its public API looks unused or, to clippy, non-exported here.
#[allow(dead_code, clippy::wrong_self_convention)]
#[path = "../../src/voiceprint/format.rs"]
mod format;

fn check_payload(bytes: &[u8], version: u16) {
    let Ok(p) = format::decode_payload(bytes, version) else {
        return;
    };
    let enc = format::encode_payload(&p).expect("a decoded payload must re-encode");
    let back = format::decode_payload(&enc, format::VERSION).expect("a re-encoded payload must decode");
    assert_eq!(back, p, "decode(encode(p)) != p");
    // The layout has one encoding per payload: re-encoding reproduces the input.
    if version == format::VERSION {
        assert_eq!(enc, bytes, "encode(decode(b)) != b for v{version}");
    } else if version == 1 {
        assert!(p.members.iter().all(|m| m.created_unix == 0 && m.updated_unix == 0));
        assert_eq!(format::encode_payload_v1_for_tests(&p), bytes, "v1 re-encoding differs");
    }
}

fuzz_target!(|data: &[u8]| {
    if let Ok((header, rest)) = format::parse_container(data) {
        assert_eq!(
            &header.to_bytes()[..],
            &data[..format::HEADER_LEN],
            "header does not re-serialise"
        );
        assert_eq!(rest.len() as u64, header.ciphertext_len);
        assert!((1..=format::VERSION).contains(&header.version));
        // (a) the ciphertext as if it were the decrypted payload
        check_payload(rest, header.version);
    }
    // (b) the raw input as a payload of either version
    check_payload(data, 1);
    check_payload(data, 2);
    for v in [0, format::VERSION + 1, u16::MAX] {
        assert!(format::decode_payload(data, v).is_err());
    }
});
