//! The store file's byte layout (see FORMAT.md): a plain header, then the
//! AEAD ciphertext of a binary payload. Pure parsing, no I/O, no crypto, no
//! dependencies beyond `std`, so the fuzz target can include this file alone.
//!
//! Every length read from input is checked against both a fixed limit and the
//! bytes that remain, before anything is allocated.

use std::fmt;

/// First 8 bytes of every store file.
pub const MAGIC: &[u8; 8] = b"VGSTORE\0";
/// Container version written now. Version 1 files (payload without the
/// per-member timestamps) are still read.
pub const VERSION: u16 = 2;
/// AEAD id of XChaCha20-Poly1305.
pub const AEAD_XCHACHA20POLY1305: u16 = 1;
/// Nonce bytes (XChaCha20-Poly1305).
pub const NONCE_LEN: usize = 24;
/// Header bytes: magic 8, version 2, aead 2, nonce 24, ciphertext length 8.
pub const HEADER_LEN: usize = 8 + 2 + 2 + NONCE_LEN + 8;
/// Most members a store holds.
pub const MAX_MEMBERS: usize = 256;
/// Longest member name or model id, in bytes (UTF-8).
pub const MAX_NAME: usize = 128;
/// Largest embedding dimension accepted.
pub const MAX_DIM: usize = 4096;
/// Largest ciphertext accepted, in bytes.
pub const MAX_CIPHERTEXT: u64 = 16 << 20;

/// Why bytes are not a valid store file or payload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FormatError {
    /// The file does not start with [`MAGIC`].
    BadMagic,
    /// A version this build cannot read.
    UnsupportedVersion(u16),
    /// An AEAD id this build does not know.
    UnsupportedAead(u16),
    /// The bytes end before a field does.
    Truncated(&'static str),
    /// Bytes follow the last field.
    TrailingBytes(usize),
    /// A count or length beyond its limit.
    Limit(&'static str, u64),
    /// A value that cannot be right (bad UTF-8, non-finite float, duplicate name).
    Invalid(&'static str),
}

impl fmt::Display for FormatError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FormatError::BadMagic => write!(f, "not a voiceguard store (bad magic number)"),
            FormatError::UnsupportedVersion(v) => {
                write!(
                    f,
                    "store format version {v} is not supported (this build reads 1..={VERSION}); upgrade voiceguard"
                )
            }
            FormatError::UnsupportedAead(a) => write!(f, "unknown encryption id {a}"),
            FormatError::Truncated(what) => write!(f, "the file is truncated (ends inside {what})"),
            FormatError::TrailingBytes(n) => write!(f, "{n} unexpected bytes after the end of the data"),
            FormatError::Limit(what, v) => write!(f, "{what} is {v}, beyond the format's limit"),
            FormatError::Invalid(what) => write!(f, "invalid {what}"),
        }
    }
}

/// The plain header of a store file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Header {
    /// Container version.
    pub version: u16,
    /// AEAD id.
    pub aead: u16,
    /// The nonce used for this write.
    pub nonce: [u8; NONCE_LEN],
    /// Ciphertext length in bytes (payload plus the 16-byte tag).
    pub ciphertext_len: u64,
}

impl Header {
    /// Serialises the header; these bytes are also the AEAD's associated data.
    #[must_use]
    pub fn to_bytes(&self) -> [u8; HEADER_LEN] {
        let mut b = [0u8; HEADER_LEN];
        b[..8].copy_from_slice(MAGIC);
        b[8..10].copy_from_slice(&self.version.to_le_bytes());
        b[10..12].copy_from_slice(&self.aead.to_le_bytes());
        b[12..12 + NONCE_LEN].copy_from_slice(&self.nonce);
        b[12 + NONCE_LEN..].copy_from_slice(&self.ciphertext_len.to_le_bytes());
        b
    }
}

/// Splits a store file into its header and ciphertext, checking magic,
/// version, AEAD id and lengths.
///
/// # Errors
/// A [`FormatError`] naming the first problem.
pub fn parse_container(bytes: &[u8]) -> Result<(Header, &[u8]), FormatError> {
    if bytes.len() < 8 || &bytes[..8] != MAGIC {
        return Err(if bytes.len() < 8 && MAGIC.starts_with(bytes) {
            FormatError::Truncated("the magic number")
        } else {
            FormatError::BadMagic
        });
    }
    if bytes.len() < HEADER_LEN {
        return Err(FormatError::Truncated("the header"));
    }
    let version = u16::from_le_bytes([bytes[8], bytes[9]]);
    if version == 0 || version > VERSION {
        return Err(FormatError::UnsupportedVersion(version));
    }
    let aead = u16::from_le_bytes([bytes[10], bytes[11]]);
    if aead != AEAD_XCHACHA20POLY1305 {
        return Err(FormatError::UnsupportedAead(aead));
    }
    let mut nonce = [0u8; NONCE_LEN];
    nonce.copy_from_slice(&bytes[12..12 + NONCE_LEN]);
    let mut len = [0u8; 8];
    len.copy_from_slice(&bytes[12 + NONCE_LEN..HEADER_LEN]);
    let ciphertext_len = u64::from_le_bytes(len);
    if ciphertext_len > MAX_CIPHERTEXT {
        return Err(FormatError::Limit("the ciphertext length", ciphertext_len));
    }
    let rest = &bytes[HEADER_LEN..];
    let n = usize::try_from(ciphertext_len).map_err(|_| FormatError::Limit("the ciphertext length", ciphertext_len))?;
    if rest.len() < n {
        return Err(FormatError::Truncated("the ciphertext"));
    }
    if rest.len() > n {
        return Err(FormatError::TrailingBytes(rest.len() - n));
    }
    Ok((
        Header {
            version,
            aead,
            nonce,
            ciphertext_len,
        },
        rest,
    ))
}

/// One member as stored (plaintext form, inside the encryption).
#[derive(Debug, Clone, PartialEq)]
pub struct MemberRecord {
    /// Display name, unique in the store.
    pub name: String,
    /// Unit-norm voiceprint, `dim` values.
    pub voiceprint: Vec<f32>,
    /// Utterances enrolled.
    pub utterances: u32,
    /// Seconds of speech enrolled.
    pub speech_s: f32,
    /// Mean cosine of the utterances to the voiceprint, in [-1, 1].
    pub consistency: f32,
    /// Creation time, seconds since the Unix epoch.
    pub created_unix: i64,
    /// Last update time, seconds since the Unix epoch.
    pub updated_unix: i64,
}

/// The decrypted payload: model id, dimension and members.
#[derive(Debug, Clone, PartialEq)]
pub struct Payload {
    /// Id of the model every voiceprint was made with.
    pub model_id: String,
    /// Embedding dimension.
    pub dim: u32,
    /// Members, in enrollment order.
    pub members: Vec<MemberRecord>,
}

struct Reader<'a> {
    b: &'a [u8],
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize, what: &'static str) -> Result<&'a [u8], FormatError> {
        if self.b.len() < n {
            return Err(FormatError::Truncated(what));
        }
        let (h, t) = self.b.split_at(n);
        self.b = t;
        Ok(h)
    }
    fn u16(&mut self, what: &'static str) -> Result<u16, FormatError> {
        let s = self.take(2, what)?;
        Ok(u16::from_le_bytes([s[0], s[1]]))
    }
    fn u32(&mut self, what: &'static str) -> Result<u32, FormatError> {
        let s = self.take(4, what)?;
        Ok(u32::from_le_bytes([s[0], s[1], s[2], s[3]]))
    }
    fn i64(&mut self, what: &'static str) -> Result<i64, FormatError> {
        let s = self.take(8, what)?;
        let mut a = [0u8; 8];
        a.copy_from_slice(s);
        Ok(i64::from_le_bytes(a))
    }
    fn f32(&mut self, what: &'static str) -> Result<f32, FormatError> {
        let v = f32::from_bits(self.u32(what)?);
        if v.is_finite() {
            Ok(v)
        } else {
            Err(FormatError::Invalid(what))
        }
    }
    fn str(&mut self, what: &'static str) -> Result<String, FormatError> {
        let n = usize::from(self.u16(what)?);
        if n > MAX_NAME {
            return Err(FormatError::Limit(what, n as u64));
        }
        let s = self.take(n, what)?;
        String::from_utf8(s.to_vec()).map_err(|_| FormatError::Invalid(what))
    }
}

fn put_str(out: &mut Vec<u8>, s: &str) {
    let n = u16::try_from(s.len()).unwrap_or(u16::MAX);
    out.extend_from_slice(&n.to_le_bytes());
    out.extend_from_slice(&s.as_bytes()[..usize::from(n)]);
}

/// Serialises a payload in the current version's layout.
///
/// # Errors
/// [`FormatError::Limit`] or [`FormatError::Invalid`] if the payload breaks
/// the format's limits (too many members, long names, wrong dimensions).
pub fn encode_payload(p: &Payload) -> Result<Vec<u8>, FormatError> {
    validate(p)?;
    Ok(encode_layout(p, VERSION))
}

/// Writes `p` in the layout of `version` (1: no timestamps; 2: with them).
fn encode_layout(p: &Payload, version: u16) -> Vec<u8> {
    let dim = p.dim as usize;
    let times = if version >= 2 { 16 } else { 0 };
    // The exact size, so the buffer never reallocates (a reallocation would
    // free plaintext without wiping it).
    let size = 2
        + p.model_id.len()
        + 8
        + p.members
            .iter()
            .map(|m| 2 + m.name.len() + dim * 4 + 12 + times)
            .sum::<usize>();
    let mut out = Vec::with_capacity(size);
    put_str(&mut out, &p.model_id);
    out.extend_from_slice(&p.dim.to_le_bytes());
    out.extend_from_slice(&u32::try_from(p.members.len()).unwrap_or(u32::MAX).to_le_bytes());
    for m in &p.members {
        put_str(&mut out, &m.name);
        for v in &m.voiceprint {
            out.extend_from_slice(&v.to_bits().to_le_bytes());
        }
        out.extend_from_slice(&m.utterances.to_le_bytes());
        out.extend_from_slice(&m.speech_s.to_bits().to_le_bytes());
        out.extend_from_slice(&m.consistency.to_bits().to_le_bytes());
        if version >= 2 {
            out.extend_from_slice(&m.created_unix.to_le_bytes());
            out.extend_from_slice(&m.updated_unix.to_le_bytes());
        }
    }
    out
}

fn validate(p: &Payload) -> Result<(), FormatError> {
    if p.model_id.len() > MAX_NAME {
        return Err(FormatError::Limit("the model id length", p.model_id.len() as u64));
    }
    if p.dim == 0 || p.dim as usize > MAX_DIM {
        return Err(FormatError::Limit("the embedding dimension", u64::from(p.dim)));
    }
    if p.members.len() > MAX_MEMBERS {
        return Err(FormatError::Limit("the member count", p.members.len() as u64));
    }
    for (i, m) in p.members.iter().enumerate() {
        if m.name.is_empty() || m.name.len() > MAX_NAME {
            return Err(FormatError::Invalid("member name (1 to 128 bytes of UTF-8)"));
        }
        if m.voiceprint.len() != p.dim as usize || m.voiceprint.iter().any(|v| !v.is_finite()) {
            return Err(FormatError::Invalid("voiceprint (wrong dimension or not finite)"));
        }
        if p.members[..i].iter().any(|o| o.name == m.name) {
            return Err(FormatError::Invalid("member list (duplicate name)"));
        }
    }
    Ok(())
}

/// Parses a decrypted payload of container `version` (1 or 2).
///
/// # Errors
/// A [`FormatError`] naming the first problem; never panics, and allocates
/// only what the remaining bytes can fill.
pub fn decode_payload(bytes: &[u8], version: u16) -> Result<Payload, FormatError> {
    if version == 0 || version > VERSION {
        return Err(FormatError::UnsupportedVersion(version));
    }
    let mut r = Reader { b: bytes };
    let model_id = r.str("the model id")?;
    let dim = r.u32("the embedding dimension")?;
    if dim == 0 || dim as usize > MAX_DIM {
        return Err(FormatError::Limit("the embedding dimension", u64::from(dim)));
    }
    let n = r.u32("the member count")? as usize;
    if n > MAX_MEMBERS {
        return Err(FormatError::Limit("the member count", n as u64));
    }
    let per_member_min = 2 + dim as usize * 4 + 12 + if version >= 2 { 16 } else { 0 };
    if r.b.len() < n.saturating_mul(per_member_min) {
        return Err(FormatError::Truncated("the member list"));
    }
    let mut members = Vec::with_capacity(n);
    for _ in 0..n {
        let name = r.str("a member name")?;
        let raw = r.take(dim as usize * 4, "a voiceprint")?;
        let mut voiceprint = Vec::with_capacity(dim as usize);
        for c in raw.chunks_exact(4) {
            let v = f32::from_bits(u32::from_le_bytes([c[0], c[1], c[2], c[3]]));
            if !v.is_finite() {
                return Err(FormatError::Invalid("voiceprint value"));
            }
            voiceprint.push(v);
        }
        let utterances = r.u32("an utterance count")?;
        let speech_s = r.f32("the speech seconds")?;
        let consistency = r.f32("the consistency")?;
        let (created_unix, updated_unix) = if version >= 2 {
            (r.i64("a creation time")?, r.i64("an update time")?)
        } else {
            (0, 0)
        };
        members.push(MemberRecord {
            name,
            voiceprint,
            utterances,
            speech_s,
            consistency,
            created_unix,
            updated_unix,
        });
    }
    if !r.b.is_empty() {
        return Err(FormatError::TrailingBytes(r.b.len()));
    }
    let p = Payload { model_id, dim, members };
    validate(&p)?;
    Ok(p)
}

/// Serialises a payload in the version 1 layout (no timestamps). Only for
/// tests of the upgrade path: voiceguard itself always writes [`VERSION`].
#[must_use]
pub fn encode_payload_v1_for_tests(p: &Payload) -> Vec<u8> {
    encode_layout(p, 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Payload {
        Payload {
            model_id: "ge2e:563fbaeeaeb7".into(),
            dim: 3,
            members: vec![MemberRecord {
                name: "ana".into(),
                voiceprint: vec![0.6, 0.8, 0.0],
                utterances: 3,
                speech_s: 16.5,
                consistency: 0.91,
                created_unix: 1_700_000_000,
                updated_unix: 1_700_000_100,
            }],
        }
    }

    #[test]
    fn payload_round_trips_and_v1_reads() {
        let p = sample();
        let b = encode_payload(&p).unwrap();
        assert_eq!(decode_payload(&b, VERSION).unwrap(), p);
        let v1 = decode_payload(&encode_payload_v1_for_tests(&p), 1).unwrap();
        assert_eq!(v1.members[0].voiceprint, p.members[0].voiceprint);
        assert_eq!(v1.members[0].created_unix, 0);
    }

    #[test]
    fn every_truncation_is_an_error() {
        let b = encode_payload(&sample()).unwrap();
        for n in 0..b.len() {
            assert!(decode_payload(&b[..n], VERSION).is_err(), "prefix {n}");
        }
        let mut long = b.clone();
        long.push(0);
        assert_eq!(decode_payload(&long, VERSION), Err(FormatError::TrailingBytes(1)));
    }

    #[test]
    fn container_checks() {
        let h = Header {
            version: VERSION,
            aead: AEAD_XCHACHA20POLY1305,
            nonce: [7; NONCE_LEN],
            ciphertext_len: 5,
        };
        let mut f = h.to_bytes().to_vec();
        f.extend_from_slice(b"abcde");
        let (h2, ct) = parse_container(&f).unwrap();
        assert_eq!((h2, ct), (h, &b"abcde"[..]));
        assert_eq!(parse_container(b"RIFF1234"), Err(FormatError::BadMagic));
        assert_eq!(
            parse_container(&f[..f.len() - 1]),
            Err(FormatError::Truncated("the ciphertext"))
        );
        let mut v9 = f.clone();
        v9[8] = 9;
        assert_eq!(parse_container(&v9), Err(FormatError::UnsupportedVersion(9)));
        let mut huge = f.clone();
        huge[12 + NONCE_LEN + 7] = 0xff;
        assert!(matches!(parse_container(&huge), Err(FormatError::Limit(..))));
    }
}
