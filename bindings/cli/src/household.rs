//! Household commands: keygen, enroll, members, forget, verify.

use crate::{print_json, show, ErrorJson, EXIT_ERROR, SCHEMA_VERSION};
use serde::Serialize;
use std::path::{Path, PathBuf};
use voiceguard::enroll::{merge, EnrollConfig, Enroller};
use voiceguard::voiceprint::{Access, StoreKey, VoiceprintStore};
use voiceguard::{Engine, Threshold};

/// Where the store and its key are.
#[derive(clap::Args)]
pub struct StoreArgs {
    /// The household's store file (`enroll` creates it if missing).
    #[arg(long, value_name = "FILE")]
    pub store: PathBuf,
    /// File holding the store's 32-byte key (mode 0600; see `keygen`).
    #[arg(long, value_name = "FILE", env = "VOICEGUARD_KEY_FILE")]
    pub key_file: PathBuf,
}

impl StoreArgs {
    fn key(&self) -> voiceguard::Result<StoreKey> {
        StoreKey::read_file(&self.key_file)
    }
}

pub fn keygen(out: &Path) -> voiceguard::Result<u8> {
    StoreKey::generate()?.write_new_file(out)?;
    println!("wrote a new 32-byte key to {} (mode 0600); keep it secret and backed up: without it the store cannot be opened", show(out));
    Ok(0)
}

pub fn enroll(
    engine: &Engine,
    args: &StoreArgs,
    member: &str,
    files: &[PathBuf],
    force: bool,
) -> voiceguard::Result<u8> {
    let key = args.key()?;
    let model_id = engine.encoder().model_id();
    // An existing store is opened (and locked) first, so its member counts
    // toward the requirement; a new store is created only after success.
    let existing_store = if args.store.exists() {
        Some(VoiceprintStore::open(
            &args.store,
            key.clone(),
            model_id,
            Access::Write,
        )?)
    } else {
        None
    };
    let existing = existing_store.as_ref().and_then(|s| s.member(member)).cloned();
    let mut enroller = match &existing {
        Some(m) => Enroller::extending(engine, m, EnrollConfig::default()),
        None => Enroller::new(engine, member, EnrollConfig::default()),
    };
    for f in files {
        let report = enroller.push_file(f)?;
        let verdict = if report.accepted { "accepted" } else { "rejected" };
        println!("{}: {verdict}, {:.1} s of speech", show(f), report.speech_s);
        for finding in &report.findings {
            println!("  - [{}] {}", finding.code.as_str(), finding.message);
        }
        let p = enroller.progress();
        println!(
            "  progress: {:.1} of {:.0} s of speech, {} of {} utterances ({:.0}%)",
            p.speech_s,
            p.required_speech_s,
            p.utterances,
            p.required_utterances,
            100.0 * p.fraction
        );
    }
    let enrollment = enroller.finish()?;
    let (new_member, action) = match &existing {
        Some(old) => {
            if !force {
                enrollment.check_matches(old, Threshold::GE2E_EER)?;
            }
            (merge(old, &enrollment)?, "updated")
        }
        None => (enrollment.into_member(member)?, "enrolled"),
    };
    let mut store = match existing_store {
        Some(s) => s,
        None => VoiceprintStore::open_or_create(&args.store, key, model_id, engine.encoder().dim())?,
    };
    println!(
        "{action} {member:?} in {}: {} utterances, {:.1} s of speech, consistency {:.3}",
        show(&args.store),
        new_member.utterances,
        new_member.speech_s,
        new_member.consistency
    );
    store.put(new_member)?;
    Ok(0)
}

#[derive(Serialize)]
struct MembersJson<'a> {
    schema_version: u32,
    store: String,
    model: &'a str,
    /// Serialised without their voiceprints (see `Member`).
    members: &'a [voiceguard::voiceprint::Member],
}

fn date(unix: i64) -> String {
    // Civil date from days since the epoch (Howard Hinnant's algorithm), UTC.
    let days = unix.div_euclid(86_400);
    let secs = unix.rem_euclid(86_400);
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!("{y:04}-{m:02}-{d:02} {:02}:{:02} UTC", secs / 3600, secs % 3600 / 60)
}

pub fn members(engine: &Engine, args: &StoreArgs, json: bool) -> voiceguard::Result<u8> {
    let store = VoiceprintStore::open(&args.store, args.key()?, engine.encoder().model_id(), Access::Read)?;
    if json {
        print_json(&MembersJson {
            schema_version: SCHEMA_VERSION,
            store: show(&args.store),
            model: store.model_id(),
            members: store.members(),
        });
        return Ok(0);
    }
    if store.members().is_empty() {
        println!("{}: no members enrolled", show(&args.store));
    }
    for m in store.members() {
        println!(
            "{}\t{} utterances\t{:.1} s speech\tconsistency {:.3}\tenrolled {}\tupdated {}",
            m.name,
            m.utterances,
            m.speech_s,
            m.consistency,
            date(m.created_unix),
            date(m.updated_unix)
        );
    }
    Ok(0)
}

pub fn forget(engine: &Engine, args: &StoreArgs, member: &str) -> voiceguard::Result<u8> {
    let mut store = VoiceprintStore::open(&args.store, args.key()?, engine.encoder().model_id(), Access::Write)?;
    store.forget(member)?;
    println!(
        "forgot {member:?}: removed from {} and the file rewritten",
        show(&args.store)
    );
    Ok(0)
}

#[derive(Serialize)]
struct ScoreJson {
    member: String,
    cosine: f32,
}

#[derive(Serialize)]
struct VerifyJson {
    schema_version: u32,
    input: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    model: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    threshold: Option<f32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    speech_s: Option<f32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    scores: Option<Vec<ScoreJson>>,
    /// The best member at or above the threshold; null when none is.
    #[serde(skip_serializing_if = "Option::is_none")]
    best: Option<Option<ScoreJson>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<ErrorJson>,
}

pub fn verify(
    engine: &Engine,
    args: &StoreArgs,
    files: &[PathBuf],
    json: bool,
    threshold: f32,
) -> voiceguard::Result<u8> {
    let store = VoiceprintStore::open(&args.store, args.key()?, engine.encoder().model_id(), Access::Read)?;
    let mut failed = false;
    let mut docs = Vec::new();
    for f in files {
        let result = engine
            .embed_file(f)
            .and_then(|c| Ok((store.scores(&c.embedding)?, c.speech.0)));
        match result {
            Ok((scores, speech_s)) => {
                let best = scores
                    .first()
                    .filter(|(_, s)| Threshold(threshold).accepts(*s))
                    .map(|(n, s)| ScoreJson {
                        member: n.clone(),
                        cosine: s.value(),
                    });
                if !json {
                    let list: Vec<String> = scores.iter().map(|(n, s)| format!("{n} {:.3}", s.value())).collect();
                    match &best {
                        Some(b) => println!(
                            "{}: {} (cosine {:.3}); all: {}",
                            show(f),
                            b.member,
                            b.cosine,
                            list.join(", ")
                        ),
                        None => println!(
                            "{}: no member (best cosine below {threshold:.2}); all: {}",
                            show(f),
                            if list.is_empty() {
                                "no members enrolled".to_string()
                            } else {
                                list.join(", ")
                            }
                        ),
                    }
                }
                docs.push(VerifyJson {
                    schema_version: SCHEMA_VERSION,
                    input: show(f),
                    model: Some(store.model_id().to_string()),
                    threshold: Some(threshold),
                    speech_s: Some(speech_s),
                    scores: Some(
                        scores
                            .iter()
                            .map(|(n, s)| ScoreJson {
                                member: n.clone(),
                                cosine: s.value(),
                            })
                            .collect(),
                    ),
                    best: Some(best),
                    error: None,
                });
            }
            Err(e) => {
                failed = true;
                eprintln!("error: {e}");
                docs.push(VerifyJson {
                    schema_version: SCHEMA_VERSION,
                    input: show(f),
                    model: None,
                    threshold: None,
                    speech_s: None,
                    scores: None,
                    best: None,
                    error: Some(ErrorJson {
                        kind: e.kind().as_str(),
                        message: e.to_string(),
                    }),
                });
            }
        }
    }
    if json {
        print_json(&docs);
    }
    Ok(if failed { EXIT_ERROR } else { 0 })
}
