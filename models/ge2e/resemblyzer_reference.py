#!/usr/bin/env python3
"""Reference utterance embeddings from Resemblyzer itself, for the GE2E parity test.

Runs, for every clip of the shared speech corpus that is at least 2.0 s long and is not a
mixture (role != "mixture"), exactly what a Resemblyzer user would run:

    encoder = VoiceEncoder(device="cpu")            # created once
    wav = preprocess_wav(Path(path))
    emb = encoder.embed_utterance(wav)

and writes, next to this script:

    reference/resemblyzer/utterances.json   one record per clip (see below)
    reference/resemblyzer/README.md         summary tables (clips, speakers, sanity EER)
    reference/resemblyzer/pip-freeze.txt    the exact Python environment that produced them

The script is run once, by hand; neither it nor torch is a dependency of the project or CI.

Throw-away environment (never inside the repository; torch pulls large wheels):

    python3 -m venv /tmp/venv-resemblyzer
    /tmp/venv-resemblyzer/bin/pip install resemblyzer==0.1.4 torch "setuptools<81"
    /tmp/venv-resemblyzer/bin/python models/ge2e/resemblyzer_reference.py [CORPUS_DIR]

`setuptools<81` is needed because webrtcvad 2.0.10 does `import pkg_resources`, which newer
setuptools no longer ships. CORPUS_DIR defaults to $VOICEGUARD_CORPUS, else to
../shared/speech relative to the repository root.

Rebuilding Resemblyzer's preprocessed waveform without Python
--------------------------------------------------------------
`preprocess_wav(path)` = librosa.load(sr=None) -> (no resampling: every clip is 16 kHz, and
librosa.resample returns its input unchanged when orig_sr == target_sr) ->
normalize_volume(wav, -30, increase_only=True) -> trim_long_silences(wav).
For each clip the JSON records what is needed to rebuild the result bit for bit:

* `gain` / `gain_f32_bits`: the scalar that normalize_volume multiplied by. The whole chain runs
  in float32 (NumPy 2 promotion rules): x = int16 / 32768 as float32 (exact), y = x * gain with a
  single float32 multiply. `gain` is the float32 value written as the shortest float64 literal
  (parse it as f64 and cast to f32, or use `f32::from_bits(gain_f32_bits)`). 1.0 when the clip
  was already louder than -30 dBFS (increase_only). Gain formula, all in float32:
  rms = sqrt(mean((x*32767)^2)); dBFS = 20*log10(rms/32767); gain = 10^((-30 - dBFS)/20)
  (note 32767, not 32768, in this formula).
* `kept`: [start, end) intervals in ORIGINAL sample indices. The preprocessed waveform is
  concat(x[s:e] for s, e in kept) * gain. (trim_long_silences first drops the tail that does
  not fill a whole 30 ms = 480-sample VAD window, so the last `end` is <= len - len % 480.)
* `vad`: the raw webrtcvad (mode 3) decision per 480-sample window, as a '0'/'1' string, for
  anyone porting the VAD; `kept` is derived from it by Resemblyzer's moving average (width 8)
  and binary dilation (7 windows).
* `preprocessed_samples`, `partials`, `wav_slices`: len(wav) and
  VoiceEncoder.compute_partial_slices(len(wav), rate=1.3, min_coverage=0.75); embed_utterance
  zero-pads wav up to wav_slices[-1][1] when that is >= len(wav).
* `embedding`: the 256 floats of embed_utterance(wav), printed with 9 significant digits
  (round-trips float32 exactly).

The script asserts, for every clip, that its own WAV parser (int16 / 32768) equals librosa.load,
and that the rebuilt waveform is bit-identical (np.array_equal, float32) to preprocess_wav's.
"""

import hashlib
import json
import os
import struct
import subprocess
import sys
import wave
from pathlib import Path

import numpy as np

SCRIPT_DIR = Path(__file__).resolve().parent
REPO_ROOT = SCRIPT_DIR.parents[1]
OUT_DIR = SCRIPT_DIR / "reference" / "resemblyzer"
MIN_DURATION_S = 2.0


def corpus_dir() -> Path:
    if len(sys.argv) > 1:
        return Path(sys.argv[1]).resolve()
    env = os.environ.get("VOICEGUARD_CORPUS")
    if env:
        return Path(env).resolve()
    return (REPO_ROOT / ".." / "shared" / "speech").resolve()


def read_manifest(root: Path):
    lines = (root / "manifest.tsv").read_text().splitlines()
    header = lines[0].split("\t")
    rows = [dict(zip(header, line.split("\t"))) for line in lines[1:] if line.strip()]
    return rows


def read_pcm16(path: Path) -> np.ndarray:
    """16 kHz mono 16-bit PCM WAV -> float32 in [-1, 1), as int16 / 32768."""
    with wave.open(str(path), "rb") as w:
        assert w.getnchannels() == 1, path
        assert w.getsampwidth() == 2, path
        assert w.getframerate() == 16000, path
        raw = w.readframes(w.getnframes())
    return (np.frombuffer(raw, dtype="<i2").astype(np.float32) / np.float32(32768.0)).astype(np.float32)


def gain_like_normalize_volume(wav: np.ndarray, target_dBFS, int16_max):
    """The scalar resemblyzer.audio.normalize_volume(wav, target, increase_only=True) multiplies
    by, computed with the very same expressions (so the same dtypes), or None if it returns wav."""
    rms = np.sqrt(np.mean((wav * int16_max) ** 2))
    wave_dBFS = 20 * np.log10(rms / int16_max)
    dBFS_change = target_dBFS - wave_dBFS
    if dBFS_change < 0:
        return None
    return 10 ** (dBFS_change / 20)


def vad_mask(wav: np.ndarray):
    """Body of resemblyzer.audio.trim_long_silences, returning (voice_flags, sample mask) instead
    of the trimmed waveform. The mask covers wav[:len(wav) - len(wav) % 480]."""
    import webrtcvad
    from scipy.ndimage import binary_dilation
    from resemblyzer.hparams import (sampling_rate, vad_window_length, vad_moving_average_width,
                                     vad_max_silence_length)
    from resemblyzer.audio import int16_max

    samples_per_window = (vad_window_length * sampling_rate) // 1000
    wav = wav[:len(wav) - (len(wav) % samples_per_window)]
    pcm_wave = struct.pack("%dh" % len(wav), *(np.round(wav * int16_max)).astype(np.int16))
    voice_flags = []
    vad = webrtcvad.Vad(mode=3)
    for window_start in range(0, len(wav), samples_per_window):
        window_end = window_start + samples_per_window
        voice_flags.append(vad.is_speech(pcm_wave[window_start * 2:window_end * 2],
                                         sample_rate=sampling_rate))
    voice_flags = np.array(voice_flags)

    def moving_average(array, width):
        array_padded = np.concatenate((np.zeros((width - 1) // 2), array, np.zeros(width // 2)))
        ret = np.cumsum(array_padded, dtype=float)
        ret[width:] = ret[width:] - ret[:-width]
        return ret[width - 1:] / width

    audio_mask = moving_average(voice_flags, vad_moving_average_width)
    audio_mask = np.round(audio_mask).astype(bool)
    audio_mask = binary_dilation(audio_mask, np.ones(vad_max_silence_length + 1))
    audio_mask = np.repeat(audio_mask, samples_per_window)
    return voice_flags, audio_mask


def mask_to_intervals(mask: np.ndarray):
    m = np.concatenate(([False], mask.astype(bool), [False])).astype(np.int8)
    d = np.diff(m)
    starts = np.flatnonzero(d == 1)
    ends = np.flatnonzero(d == -1)
    return [[int(s), int(e)] for s, e in zip(starts, ends)]


def eer(scores: np.ndarray, labels: np.ndarray):
    """Equal error rate (and its threshold) of scores, labels True = same speaker."""
    order = np.argsort(-scores, kind="stable")
    s, l = scores[order], labels[order]
    n_pos, n_neg = l.sum(), (~l).sum()
    # Accept everything with score >= threshold; sweep thresholds over the sorted scores.
    tp = np.cumsum(l)
    fp = np.cumsum(~l)
    frr = 1.0 - tp / n_pos
    far = fp / n_neg
    frr = np.concatenate(([1.0], frr))
    far = np.concatenate(([0.0], far))
    i = int(np.argmin(np.abs(frr - far)))
    thr = float(s[i - 1]) if i > 0 else float("inf")
    return float((frr[i] + far[i]) / 2), thr, int(n_pos), int(n_neg)


def main():
    import librosa
    import torch
    import webrtcvad  # noqa: F401  (version lookup below)
    import resemblyzer
    from importlib.metadata import version
    from resemblyzer import VoiceEncoder, preprocess_wav
    from resemblyzer.audio import int16_max
    from resemblyzer.hparams import audio_norm_target_dBFS, sampling_rate

    torch.set_num_threads(1)  # shared 2-core machine; also makes the run deterministic
    root = corpus_dir()
    rows = [r for r in read_manifest(root)
            if r["role"] != "mixture" and float(r["duration_s"]) >= MIN_DURATION_S]
    rows.sort(key=lambda r: (r["speaker_id"], r["path"]))
    print(f"corpus {root}: {len(rows)} clips", file=sys.stderr)

    encoder = VoiceEncoder(device="cpu", verbose=False)
    clips = []
    for n, r in enumerate(rows):
        path = root / r["path"]
        data = path.read_bytes()
        orig = read_pcm16(path)

        # 1. What Resemblyzer does.
        wav = preprocess_wav(Path(path))
        emb = encoder.embed_utterance(wav)

        # 2. Our decomposition of it, checked bit for bit.
        loaded, sr = librosa.load(str(path), sr=None)
        assert sr == sampling_rate == 16000, (path, sr)
        assert loaded.dtype == np.float32 and np.array_equal(loaded, orig), path
        g = gain_like_normalize_volume(orig, audio_norm_target_dBFS, int16_max)
        if g is None:
            gain = np.float32(1.0)
            normalized = orig
        else:
            assert isinstance(g, np.float32), type(g)
            gain = g
            normalized = orig * gain
        flags, mask = vad_mask(normalized)
        kept = mask_to_intervals(mask)
        rebuilt = (np.concatenate([orig[s:e] for s, e in kept]) if kept
                   else np.zeros(0, np.float32)) * gain
        assert wav.dtype == np.float32 and rebuilt.dtype == np.float32, (wav.dtype, rebuilt.dtype)
        assert np.array_equal(rebuilt, wav), path

        wav_slices, mel_slices = encoder.compute_partial_slices(len(wav), rate=1.3,
                                                                min_coverage=0.75)
        emb2, partial_embeds, slices2 = encoder.embed_utterance(wav, return_partials=True)
        assert np.array_equal(emb, emb2) and len(slices2) == len(wav_slices)
        assert all(ws.start * 1 == ms.start * 160 for ws, ms in zip(wav_slices, mel_slices))

        clips.append({
            "path": r["path"],
            "speaker": r["speaker_id"],
            "duration_s": float(r["duration_s"]),
            "sha256": hashlib.sha256(data).hexdigest(),
            "samples": int(len(orig)),
            "gain": float(gain),
            "gain_f32_bits": int(np.float32(gain).view(np.uint32)),
            "kept": kept,
            "vad": "".join("1" if f else "0" for f in flags),
            "preprocessed_samples": int(len(wav)),
            "partials": len(wav_slices),
            "wav_slices": [[int(s.start), int(s.stop)] for s in wav_slices],
            "embedding": emb.astype(np.float32),
        })
        if (n + 1) % 10 == 0 or n + 1 == len(rows):
            print(f"  {n + 1}/{len(rows)}", file=sys.stderr)

    OUT_DIR.mkdir(parents=True, exist_ok=True)
    meta = {
        "schema_version": 1,
        "generator": "models/ge2e/resemblyzer_reference.py",
        "resemblyzer": version("resemblyzer"),
        "torch": torch.__version__,
        "torch_threads": 1,
        "librosa": librosa.__version__,
        "webrtcvad": "webrtcvad " + version("webrtcvad"),
        "numpy": np.__version__,
        "scipy": version("scipy"),
        "soundfile": version("soundfile"),
        "selection": f"manifest.tsv rows with role != mixture and duration_s >= {MIN_DURATION_S}",
        "preprocessed_dtype": "float32",
        "rebuild": "preprocessed = concat(int16[s:e] / 32768 for [s,e] in kept) * gain, "
                   "all float32 (bit-identical to preprocess_wav)",
    }

    # Compact JSON: header keys one per line, then one clip per line.
    def clip_line(c):
        emb_txt = "[" + ",".join("%.9g" % v for v in c["embedding"]) + "]"
        d = dict(c)
        d["embedding"] = "@EMB@"
        return json.dumps(d, separators=(",", ":")).replace('"@EMB@"', emb_txt)

    out = ["{"]
    for k, v in meta.items():
        out.append(f"{json.dumps(k)}: {json.dumps(v)},")
    out.append('"clips": [')
    out.append(",\n".join(clip_line(c) for c in clips))
    out.append("]}")
    (OUT_DIR / "utterances.json").write_text("\n".join(out) + "\n")
    json.loads((OUT_DIR / "utterances.json").read_text())  # well-formed

    freeze = subprocess.run([sys.executable, "-m", "pip", "freeze"], capture_output=True,
                            text=True, check=True).stdout
    (OUT_DIR / "pip-freeze.txt").write_text(
        f"# Python {sys.version.split()[0]}; environment that produced utterances.json\n" + freeze)

    # Sanity: EER over all pairs (cosine), sentence-reading speakers (fsdd-* excluded).
    sel = [c for c in clips if not c["speaker"].startswith("fsdd-")]
    E = np.array([c["embedding"] for c in sel], dtype=np.float64)
    E /= np.linalg.norm(E, axis=1, keepdims=True)
    spk = np.array([c["speaker"] for c in sel])
    iu = np.triu_indices(len(sel), k=1)
    scores = (E @ E.T)[iu]
    labels = (spk[:, None] == spk[None, :])[iu]
    e, thr, n_pos, n_neg = eer(scores, labels)

    speakers = sorted(set(c["speaker"] for c in clips))
    lines = [
        "# Resemblyzer reference embeddings",
        "",
        "Generated by `models/ge2e/resemblyzer_reference.py` (Resemblyzer "
        f"{meta['resemblyzer']}, torch {meta['torch']} on CPU, librosa {meta['librosa']}, "
        f"{meta['webrtcvad']}, numpy {meta['numpy']}; full environment in `pip-freeze.txt`).",
        "For every clip: `VoiceEncoder(device=\"cpu\").embed_utterance(preprocess_wav(path))`.",
        "`utterances.json` also holds, per clip, the volume gain and the kept sample intervals",
        "from which the preprocessed waveform is rebuilt bit for bit "
        "(`concat(int16[s:e] / 32768) * gain`, float32).",
        "",
        "| what | value |",
        "|---|---|",
        f"| corpus | `shared/speech`, {meta['selection']} |",
        f"| clips used | {len(clips)} |",
        f"| speakers | {len(speakers)} |",
        f"| total duration | {sum(c['duration_s'] for c in clips):.1f} s |",
        f"| clips with gain > 1 | {sum(1 for c in clips if c['gain'] != 1.0)} |",
        f"| partials per clip | {min(c['partials'] for c in clips)} to "
        f"{max(c['partials'] for c in clips)} |",
        f"| sanity EER, all pairs, cosine | {100 * e:.2f} % "
        f"({n_pos} same-speaker / {n_neg} different-speaker pairs, threshold {thr:.3f}) |",
        "",
        "| speaker | clips | mean duration (s) |",
        "|---|---:|---:|",
    ]
    for s in speakers:
        d = [c["duration_s"] for c in clips if c["speaker"] == s]
        lines.append(f"| {s} | {len(d)} | {np.mean(d):.2f} |")
    (OUT_DIR / "README.md").write_text("\n".join(lines) + "\n")

    print(f"{len(clips)} clips, {len(speakers)} speakers; EER {100 * e:.2f} % "
          f"({n_pos} same / {n_neg} diff pairs, thr {thr:.4f})", file=sys.stderr)


if __name__ == "__main__":
    main()
