//! `voiceguard listen`: capture from an audio input through the streaming
//! gate into a WAV file (feature `live`; needs libasound2-dev on Linux).

use crate::household::StoreArgs;
use crate::EXIT_ERROR;
use std::path::PathBuf;
use voiceguard::Engine;

/// The options of `voiceguard listen`.
#[derive(clap::Args)]
pub struct ListenArgs {
    #[command(flatten)]
    pub store: StoreArgs,
    /// Output WAV (16 kHz, mono, 16-bit, aligned with the capture), written
    /// under a temporary name and renamed when listening ends.
    #[arg(long, value_name = "FILE.wav")]
    pub out: PathBuf,
    /// Fixed delay between capture and release, in seconds (1-60) [default: 4].
    #[arg(long, value_name = "SECONDS")]
    pub latency: Option<f32>,
    /// Stop after this many seconds (default: until Ctrl-C).
    #[arg(long, value_name = "SECONDS")]
    pub seconds: Option<f64>,
    /// Input device by name (default: the system's default input).
    #[arg(long, value_name = "NAME")]
    pub device: Option<String>,
    /// Replace FILE.wav if it exists.
    #[arg(long)]
    pub overwrite: bool,
}

/// Runs `voiceguard listen`: exit 0 if all speech was a member's, 3 if
/// anything was silenced, 1 for a missing or failing device or store, 2 for
/// bad usage.
#[cfg(not(feature = "live"))]
pub fn listen(_engine: &Engine, _args: &ListenArgs) -> voiceguard::Result<u8> {
    eprintln!(
        "error: this voiceguard was built without live capture; rebuild it with \
         `cargo build --release -p voiceguard-cli --features live` (needs libasound2-dev on Debian)"
    );
    Ok(EXIT_ERROR)
}

/// Runs `voiceguard listen`: exit 0 if all speech was a member's, 3 if
/// anything was silenced, 1 for a missing or failing device or store, 2 for
/// bad usage.
#[cfg(feature = "live")]
pub fn listen(engine: &Engine, args: &ListenArgs) -> voiceguard::Result<u8> {
    use crate::{show, EXIT_HELD, EXIT_USAGE};
    use cpal::traits::{DeviceTrait, HostTrait};
    use std::sync::atomic::{AtomicBool, Ordering};
    use voiceguard::gate::{live, GateConfig, GatePlan, SpanLabel};
    use voiceguard::screen::Policy;

    static STOP: AtomicBool = AtomicBool::new(false);
    if args.out.exists() && !args.overwrite {
        eprintln!(
            "error: {} exists; pass --overwrite to replace it or choose another --out",
            show(&args.out)
        );
        return Ok(EXIT_USAGE);
    }
    let mut config = GateConfig::default();
    if let Some(l) = args.latency {
        if !(l.is_finite() && (1.0..=60.0).contains(&l)) {
            eprintln!("error: --latency {l} is outside 1 to 60 seconds");
            return Ok(EXIT_USAGE);
        }
        config = GateConfig::for_latency(l, Policy::default().window_s);
    }
    if let Some(s) = args.seconds {
        if !(s.is_finite() && s > 0.0) {
            eprintln!("error: --seconds {s} must be a positive number of seconds");
            return Ok(EXIT_USAGE);
        }
    }
    let store = match crate::screen::open_store(engine, &args.store) {
        Ok(s) => s,
        Err(msg) => {
            eprintln!("error: {msg}");
            return Ok(EXIT_ERROR);
        }
    };
    let plan = GatePlan::from_store(engine.clone(), &store, Policy::default(), config)?;
    drop(store);
    let host = cpal::default_host();
    let device = match &args.device {
        None => live::default_input(&host)?,
        Some(want) => {
            let devices: Vec<cpal::Device> = host.input_devices().map(Iterator::collect).unwrap_or_default();
            let names: Vec<String> = devices
                .iter()
                .filter_map(|d| d.description().ok().map(|x| x.name().to_string()))
                .collect();
            match devices
                .into_iter()
                .find(|d| d.description().is_ok_and(|x| x.name() == want))
            {
                Some(d) => d,
                None => {
                    return Err(voiceguard::Error::Device {
                        device: want.clone(),
                        reason: format!(
                            "there is no input device of that name (found: {}); pass one of those to --device",
                            if names.is_empty() {
                                "none".to_string()
                            } else {
                                names.join(", ")
                            }
                        ),
                    })
                }
            }
        }
    };
    STOP.store(false, Ordering::Release);
    if let Err(e) = ctrlc::set_handler(|| STOP.store(true, Ordering::Release)) {
        eprintln!("warning: Ctrl-C will not stop cleanly ({e}); use --seconds");
    }
    if let Some(s) = args.seconds {
        std::thread::spawn(move || {
            std::thread::sleep(std::time::Duration::from_secs_f64(s));
            STOP.store(true, Ordering::Release);
        });
    }
    eprintln!(
        "listening (latency {:.1} s) to {}; Ctrl-C ends and writes {}",
        plan.config().latency_s,
        device
            .description()
            .map_or_else(|_| "the input".into(), |d| d.name().to_string()),
        show(&args.out)
    );
    let mut silenced = false;
    let names = plan.clone();
    let summary = live::run(&device, plan, &args.out, &STOP, |e| {
        silenced |= e.label.is_silenced();
        let label = match e.label {
            SpanLabel::Member(i) => format!("member:{}", names.member_name(i).unwrap_or("?")),
            other => names.label(other).to_string(),
        };
        let score = e.score.map_or_else(|| "-".to_string(), |s| format!("{s:.3}"));
        println!("{:8.2} {:8.2}  {label}  {score}", e.start_s, e.end_s);
    })?;
    eprintln!(
        "wrote {} ({:.1} s); captured at {} Hz x {}; {} spans; {} frames lost to overruns",
        show(&args.out),
        summary.written_samples as f64 / 16_000.0,
        summary.device_rate,
        summary.channels,
        summary.spans,
        summary.overruns
    );
    Ok(if silenced { EXIT_HELD } else { 0 })
}
