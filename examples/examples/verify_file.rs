//! Embeds two files with the bundled models and says whether one speaker
//! speaks in both:
//!
//! ```sh
//! cargo run --release -p voiceguard-examples --example verify_file -- \
//!     examples/data/librivox-sas01_1.wav examples/data/librivox-sas01_2.wav
//! ```

use std::path::PathBuf;
use voiceguard::{Engine, Threshold};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<PathBuf> = std::env::args_os().skip(1).map(PathBuf::from).collect();
    let [a, b] = args.as_slice() else {
        eprintln!("usage: verify_file A.wav B.wav");
        std::process::exit(2);
    };
    let engine = Engine::bundled()?;
    let ea = engine.embed_file(a)?;
    let eb = engine.embed_file(b)?;
    let score = ea.embedding.cosine(&eb.embedding)?;
    println!(
        "cosine {:.3} over {:.1} s and {:.1} s of speech: {}",
        score.value(),
        ea.speech.0,
        eb.speech.0,
        if Threshold::GE2E_EER.accepts(score) {
            "same speaker"
        } else {
            "different speakers"
        }
    );
    Ok(())
}
