//! Live capture through the streaming gate: the default microphone, a
//! household store, and a WAV file of what the gate releases. Spans print
//! as they are decided; Ctrl-C stops, decides the tail and finalises the file.
//!
//! ```text
//! cargo run --release -p voiceguard-examples --features live --example live_gate -- STORE KEYFILE OUT.wav
//! ```
//! (needs libasound2-dev on Debian; `voiceguard listen` is the same with options.)

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use voiceguard::gate::{live, GateConfig, GatePlan};
use voiceguard::screen::Policy;
use voiceguard::voiceprint::{Access, StoreKey, VoiceprintStore};
use voiceguard::Engine;

static STOP: AtomicBool = AtomicBool::new(false);

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<PathBuf> = std::env::args_os().skip(1).map(PathBuf::from).collect();
    let [store, key, out] = args.as_slice() else {
        eprintln!("usage: live_gate STORE KEYFILE OUT.wav");
        std::process::exit(2);
    };
    let engine = Engine::bundled()?;
    let store = VoiceprintStore::open(
        store,
        StoreKey::read_file(key)?,
        engine.encoder().model_id(),
        Access::Read,
    )?;
    let plan = GatePlan::from_store(engine, &store, Policy::default(), GateConfig::default())?;
    drop(store);
    let device = live::default_input(&cpal::default_host())?;
    ctrlc::set_handler(|| STOP.store(true, Ordering::Release))?;
    eprintln!("listening; Ctrl-C to stop");
    let names = plan.clone();
    let summary = live::run(&device, plan, out, &STOP, |e| {
        println!(
            "{:7.2} {:7.2}  {}  {:?}",
            e.start_s,
            e.end_s,
            names.label(e.label),
            e.score
        );
    })?;
    eprintln!("{summary:?}");
    Ok(())
}
