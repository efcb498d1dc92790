//! The gate's audio path does not allocate: a counting global allocator
//! over 10 minutes of audio pushed in 10 ms chunks counts zero allocations
//! inside `push` and `pull`, and the heap in use stays bounded while
//! `process` (the compute, on a worker thread in a device) runs.
//! Real speech from the corpus when present, the demo clips otherwise.

mod common;

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::sync::atomic::{AtomicUsize, Ordering};
use voiceguard::gate::{GateConfig, GatePlan, StreamingGate};
use voiceguard::screen::Policy;
use voiceguard::voiceprint::Member;
use voiceguard::Engine;

struct Counting;

static LIVE: AtomicUsize = AtomicUsize::new(0);
thread_local! {
    static WATCH: Cell<bool> = const { Cell::new(false) };
    static IN_WATCH: Cell<usize> = const { Cell::new(0) };
}

// SAFETY: forwards to the system allocator; only counts.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        LIVE.fetch_add(layout.size(), Ordering::Relaxed);
        let _ = WATCH.try_with(|w| {
            if w.get() {
                let _ = IN_WATCH.try_with(|n| n.set(n.get() + 1));
            }
        });
        // SAFETY: same contract as the caller's.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
        // SAFETY: same contract as the caller's.
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        LIVE.fetch_add(new_size, Ordering::Relaxed);
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
        let _ = WATCH.try_with(|w| {
            if w.get() {
                let _ = IN_WATCH.try_with(|n| n.set(n.get() + 1));
            }
        });
        // SAFETY: same contract as the caller's.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static A: Counting = Counting;

fn watched<T>(f: impl FnOnce() -> T) -> T {
    WATCH.with(|w| w.set(true));
    let r = f();
    WATCH.with(|w| w.set(false));
    r
}

/// About `seconds` of speech: corpus clips of several speakers in turn, or the demo clips.
fn audio(seconds: usize) -> (Vec<f32>, Vec<f32>) {
    let want = seconds * 16_000;
    let files: Vec<std::path::PathBuf> = match common::corpus() {
        Some(c) => common::manifest(&c)
            .into_iter()
            .filter(|c| c.role != "mixture")
            .step_by(7)
            .map(|c| c.path)
            .collect(),
        None => [
            "librivox-sas01_4.wav",
            "arctic-awb_1.wav",
            "librivox-sas01_5.wav",
            "arctic-slt_1.wav",
        ]
        .iter()
        .map(|f| common::repo_root().join("examples/data").join(f))
        .collect(),
    };
    let first = common::read_i16_wav(&files[0]);
    let mut x = Vec::with_capacity(want);
    for f in files.iter().cycle() {
        if x.len() >= want {
            break;
        }
        x.extend(common::read_i16_wav(f));
        x.extend(std::iter::repeat_n(0.0, 8000));
    }
    x.truncate(want);
    (x, first)
}

#[test]
fn push_and_pull_never_allocate_and_memory_stays_bounded() {
    let engine = Engine::bundled().unwrap();
    let (x, first) = audio(600);
    let e = engine.embed_samples(&first, std::path::Path::new("first")).unwrap();
    let member = Member {
        name: "first".into(),
        voiceprint: e.embedding.as_slice().to_vec(),
        utterances: 1,
        speech_s: e.speech.0,
        consistency: 1.0,
        created_unix: 0,
        updated_unix: 0,
    };
    let plan = GatePlan::new(engine, vec![member], Policy::default(), GateConfig::default()).unwrap();
    let mut gate = StreamingGate::new(plan).unwrap();
    let mut out = vec![0.0f32; 4096];
    let (mut pushes, mut pulls, mut released) = (0usize, 0usize, 0usize);
    let mut live_half = [0usize; 2];
    let base = LIVE.load(Ordering::Relaxed);
    IN_WATCH.with(|n| n.set(0));
    for (k, chunk) in x.chunks(160).enumerate() {
        let n = watched(|| gate.push(chunk));
        assert_eq!(n, chunk.len());
        pushes += 1;
        gate.process().unwrap();
        loop {
            let n = watched(|| gate.pull(&mut out));
            pulls += 1;
            released += n;
            if n == 0 {
                break;
            }
        }
        let half = usize::from(k * 160 >= x.len() / 2);
        live_half[half] = live_half[half].max(LIVE.load(Ordering::Relaxed).saturating_sub(base));
    }
    let allocs = IN_WATCH.with(Cell::get);
    let s = gate.stats();
    println!(
        "{} s of audio: {pushes} pushes, {pulls} pulls, {allocs} allocations inside them; \
         heap in use above the start: first half max {:.1} MB, second half max {:.1} MB; \
         {} decisions, {} ranges embedded",
        x.len() / 16_000,
        live_half[0] as f64 / 1e6,
        live_half[1] as f64 / 1e6,
        s.decisions,
        s.embedded
    );
    assert_eq!(allocs, 0, "push/pull allocated");
    assert_eq!(
        released,
        x.len(),
        "the output keeps pace with the input (latency zeros included)"
    );
    assert!(
        live_half[1] <= live_half[0] + (4 << 20),
        "heap grew: {} then {}",
        live_half[0],
        live_half[1]
    );
}
