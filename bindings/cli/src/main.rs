//! `voiceguard`: embed, compare and inspect speech files from the command line.
//!
//! Exit codes (the same table for every command; see README):
//! 0 done and everything released, 1 processing error, 2 bad usage,
//! 3 done but something was held or redacted (screening commands).

mod audit;
mod demo;
mod household;
mod html;
mod listen;
mod plot;
mod screen;

use clap::{Parser, Subcommand, ValueEnum};
use serde::Serialize;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use voiceguard::embed::Precision;
use voiceguard::vad::{EnergyPreset, SileroModel};
use voiceguard::{Engine, EngineConfig, SpeakerEncoder, Threshold, VadChoice};

/// Version of the JSON documents this binary prints (see docs/*.schema.json).
pub(crate) const SCHEMA_VERSION: u32 = 1;

/// Exit code: processing error.
pub(crate) const EXIT_ERROR: u8 = 1;
/// Exit code: bad usage (clap uses it for its own errors too).
pub(crate) const EXIT_USAGE: u8 = 2;
/// Exit code: done, but something was held or redacted.
pub(crate) const EXIT_HELD: u8 = 3;

#[derive(Parser)]
#[command(
    name = "voiceguard",
    version,
    about = "Check whose voice is in audio before it leaves the device"
)]
struct Cli {
    /// Speaker-encoder model directory (with manifest.toml); default: the bundled GE2E model.
    #[arg(long, global = true, value_name = "DIR")]
    model: Option<PathBuf>,
    /// VAD model directory (with manifest.toml); default: the bundled Silero VAD.
    #[arg(long, global = true, value_name = "DIR")]
    vad_model: Option<PathBuf>,
    /// Which VAD finds speech.
    #[arg(long, global = true, value_enum, default_value_t = VadKind::Silero)]
    vad: VadKind,
    /// Arithmetic of the encoder's LSTM products: f32 (default, the same on
    /// every CPU) or bf16 (AVX-512 BF16 CPUs: 1.6-1.9x faster, embeddings
    /// within cosine 1e-4; falls back to f32 with a note on other CPUs).
    #[arg(long, global = true, value_enum, default_value_t = PrecisionKind::F32)]
    precision: PrecisionKind,
    #[command(subcommand)]
    command: Command,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum PrecisionKind {
    /// f32 throughout (default).
    F32,
    /// bfloat16 products, f32 sums (AVX-512 BF16).
    Bf16,
}

#[derive(Clone, Copy, ValueEnum)]
enum VadKind {
    /// Silero VAD (neural, default).
    Silero,
    /// Energy VAD (pure DSP, for devices without a network model).
    Energy,
}

#[derive(Subcommand)]
enum Command {
    /// Print the speaker embedding of each file.
    Embed {
        /// Audio files (WAV, FLAC, OGG/Vorbis, MP3).
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// Print one JSON array, one object per file in input order.
        #[arg(long)]
        json: bool,
    },
    /// Print the cosine similarity of two files and a same/different verdict.
    Compare {
        /// First audio file.
        a: PathBuf,
        /// Second audio file.
        b: PathBuf,
        /// Print a JSON object.
        #[arg(long)]
        json: bool,
        /// Cosine at or above which the speakers count as the same, in [-1, 1].
        #[arg(long, default_value_t = Threshold::GE2E_EER.0, value_parser = parse_threshold)]
        threshold: f32,
    },
    /// Write a new random 32-byte store key to a file with mode 0600.
    Keygen {
        /// The key file to create (never overwritten).
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
    },
    /// Enroll a household member from utterances (creates the store if missing).
    Enroll {
        #[command(flatten)]
        store: household::StoreArgs,
        /// The member's name.
        #[arg(long)]
        member: String,
        /// Add to an existing member even if the new voice does not match.
        #[arg(long)]
        force: bool,
        /// Utterances of the member (at least 15 s of speech over 3 files by default).
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
    /// List the members of a store (never the voiceprints).
    Members {
        #[command(flatten)]
        store: household::StoreArgs,
        /// Print a JSON object.
        #[arg(long)]
        json: bool,
    },
    /// Remove a member and rewrite the store (right to erasure).
    Forget {
        #[command(flatten)]
        store: household::StoreArgs,
        /// The member to remove.
        #[arg(long)]
        member: String,
    },
    /// Score files against every member and name the best one, or "no member".
    Verify {
        #[command(flatten)]
        store: household::StoreArgs,
        /// Print one JSON array, one object per file.
        #[arg(long)]
        json: bool,
        /// Cosine at or above which the best member is named, in [-1, 1].
        #[arg(long, default_value_t = Threshold::GE2E_EER.0, value_parser = parse_threshold)]
        threshold: f32,
        /// Audio files.
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
    /// Screen clips against the household: pass, redact other voices, or hold back.
    ///
    /// Exit 0 if every clip passed, 3 if any was redacted or held, 1 if a
    /// processing error stopped the run (e.g. the store cannot be opened), 2 on bad usage.
    Screen(screen::ScreenArgs),
    /// Audit an export tree: a cleared copy with a manifest, an export verdict and reports.
    ///
    /// Exit 0 if every file was released unchanged, 3 if anything was
    /// redacted or held, 1 if the store cannot be opened (every file held) or
    /// a report cannot be written, 2 on bad usage (including an --out that
    /// holds something other than an interrupted audit of the same arguments).
    Audit(audit::AuditArgs),
    /// Run the main job end to end on the demo audio (throw-away key and store).
    Demo(demo::DemoArgs),
    /// Capture from the microphone through the streaming gate into a WAV file.
    ///
    /// Speech that is not a member's is silenced before it is written; spans
    /// print as they are decided. Exit 0 if nothing was silenced, 3 if
    /// something was, 1 if the device or store is missing or fails, 2 on bad
    /// usage. Needs a build with `--features live`.
    Listen(listen::ListenArgs),
    /// Print duration, sample rate, channels and seconds of speech of a file.
    Info {
        /// Audio file.
        file: PathBuf,
        /// Print a JSON object.
        #[arg(long)]
        json: bool,
    },
}

fn parse_threshold(s: &str) -> Result<f32, String> {
    let v: f32 = s.parse().map_err(|_| format!("{s:?} is not a number"))?;
    if (-1.0..=1.0).contains(&v) {
        Ok(v)
    } else {
        Err(format!(
            "{v} is outside [-1, 1]; cosine thresholds lie between -1 and 1"
        ))
    }
}

#[derive(Serialize)]
pub(crate) struct ErrorJson {
    pub(crate) kind: &'static str,
    pub(crate) message: String,
}

#[derive(Serialize)]
struct EmbedJson {
    schema_version: u32,
    input: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    model: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    embedding: Option<Vec<f32>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    speech_s: Option<f32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<ErrorJson>,
}

#[derive(Serialize)]
struct CompareJson {
    schema_version: u32,
    a: String,
    b: String,
    model: String,
    cosine: f32,
    threshold: f32,
    same_speaker: bool,
    speech_s: [f32; 2],
}

#[derive(Serialize)]
struct InfoJson {
    schema_version: u32,
    input: String,
    duration_s: f32,
    sample_rate_hz: u32,
    channels: u16,
    speech_s: f32,
}

fn engine(cli: &Cli) -> voiceguard::Result<Engine> {
    let mut encoder = match &cli.model {
        Some(dir) => SpeakerEncoder::from_dir(dir)?,
        None => SpeakerEncoder::bundled()?,
    };
    if cli.precision == PrecisionKind::Bf16 && encoder.set_precision(Precision::Bf16) != Precision::Bf16 {
        eprintln!("note: --precision bf16 needs AVX-512 BF16 and the native encoder; running in f32");
    }
    let vad = match (cli.vad, &cli.vad_model) {
        (VadKind::Energy, _) => VadChoice::Energy(EnergyPreset::Normal),
        (VadKind::Silero, Some(dir)) => VadChoice::Silero(SileroModel::from_dir(dir)?),
        (VadKind::Silero, None) => VadChoice::Silero(SileroModel::bundled()?),
    };
    Engine::new(Arc::new(encoder), vad, EngineConfig::default())
}

pub(crate) fn show(p: &Path) -> String {
    p.display().to_string()
}

pub(crate) fn print_json<T: Serialize>(v: &T) {
    match serde_json::to_string(v) {
        Ok(s) => println!("{s}"),
        Err(e) => eprintln!("error: cannot format JSON: {e}"),
    }
}

fn run(cli: &Cli) -> voiceguard::Result<u8> {
    if let Command::Keygen { out } = &cli.command {
        return household::keygen(out);
    }
    let engine = engine(cli)?;
    match &cli.command {
        Command::Keygen { .. } => unreachable!("handled above"),
        Command::Enroll {
            store,
            member,
            force,
            files,
        } => household::enroll(&engine, store, member, files, *force),
        Command::Members { store, json } => household::members(&engine, store, *json),
        Command::Forget { store, member } => household::forget(&engine, store, member),
        Command::Verify {
            store,
            json,
            threshold,
            files,
        } => household::verify(&engine, store, files, *json, *threshold),
        Command::Screen(args) => screen::screen(&engine, args),
        Command::Demo(args) => demo::demo(&engine, args),
        Command::Audit(args) => audit::audit(&engine, args),
        Command::Listen(args) => listen::listen(&engine, args),
        Command::Embed { files, json } => {
            let mut failed = false;
            let mut docs = Vec::with_capacity(files.len());
            for f in files {
                match engine.embed_file(f) {
                    Ok(c) => {
                        if !json {
                            let vals: Vec<String> = c.embedding.as_slice().iter().map(|v| format!("{v:.6}")).collect();
                            println!("{}\tspeech {:.2} s\t{}", show(f), c.speech.0, vals.join(" "));
                        }
                        docs.push(EmbedJson {
                            schema_version: SCHEMA_VERSION,
                            input: show(f),
                            model: Some(engine.encoder().model_id().to_string()),
                            embedding: Some(c.embedding.into_vec()),
                            speech_s: Some(c.speech.0),
                            error: None,
                        });
                    }
                    Err(e) => {
                        failed = true;
                        eprintln!("error: {e}");
                        docs.push(EmbedJson {
                            schema_version: SCHEMA_VERSION,
                            input: show(f),
                            model: None,
                            embedding: None,
                            speech_s: None,
                            error: Some(ErrorJson {
                                kind: e.kind().as_str(),
                                message: e.to_string(),
                            }),
                        });
                    }
                }
            }
            if *json {
                print_json(&docs);
            }
            Ok(if failed { EXIT_ERROR } else { 0 })
        }
        Command::Compare { a, b, json, threshold } => {
            let ea = engine.embed_file(a)?;
            let eb = engine.embed_file(b)?;
            let score = ea.embedding.cosine(&eb.embedding)?;
            let same = Threshold(*threshold).accepts(score);
            if *json {
                print_json(&CompareJson {
                    schema_version: SCHEMA_VERSION,
                    a: show(a),
                    b: show(b),
                    model: engine.encoder().model_id().to_string(),
                    cosine: score.value(),
                    threshold: *threshold,
                    same_speaker: same,
                    speech_s: [ea.speech.0, eb.speech.0],
                });
            } else {
                println!(
                    "cosine {:.4}: {} (threshold {threshold:.2}; speech {:.1} s and {:.1} s)",
                    score.value(),
                    if same { "same speaker" } else { "different speakers" },
                    ea.speech.0,
                    eb.speech.0
                );
            }
            Ok(0)
        }
        Command::Info { file, json } => {
            let (audio, info) = engine.load(file)?;
            let segments = engine.speech_segments(&audio.samples)?;
            let speech_n: usize = segments.iter().map(|r| r.end - r.start).sum();
            let speech = audio.rate.seconds(speech_n);
            if *json {
                print_json(&InfoJson {
                    schema_version: SCHEMA_VERSION,
                    input: show(file),
                    duration_s: info.duration.0,
                    sample_rate_hz: info.rate.hz(),
                    channels: info.channels,
                    speech_s: speech.0,
                });
            } else {
                println!(
                    "{}: {:.2} s, {} Hz, {} channel{}, {:.2} s of speech in {} segment{}",
                    show(file),
                    info.duration.0,
                    info.rate.hz(),
                    info.channels,
                    if info.channels == 1 { "" } else { "s" },
                    speech.0,
                    segments.len(),
                    if segments.len() == 1 { "" } else { "s" }
                );
            }
            Ok(0)
        }
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(&cli) {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(EXIT_ERROR)
        }
    }
}
