"""The peers' side of run.sh: times each peer stage on the same WAV with one
thread and prints JSON lines {stage, seconds, audio_seconds, reps}, where
seconds is the fastest of `reps` runs after one warm-up run.

usage: peers.py <wav> <partials.f32> <partials.json> [reps]
  partials.f32 / partials.json: the batched partial mels voiceguard fed its
  encoder (written by compare_driver --dump-partials), so onnxruntime runs
  the same model on the same inputs with the same batch sizes.
"""
import json
import os
import sys
import time

import kaldi_native_fbank as knf
import librosa
import numpy as np
import onnxruntime as ort
import soundfile as sf
import webrtcvad

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
RATE = 16_000


def timed(reps, f):
    f()
    best = float("inf")
    for _ in range(reps):
        t = time.perf_counter()
        f()
        best = min(best, time.perf_counter() - t)
    return best


def report(stage, seconds, audio_seconds, reps):
    print(json.dumps({"stage": stage, "seconds": round(seconds, 6), "audio_seconds": audio_seconds, "reps": reps}),
          flush=True)


def session(path):
    o = ort.SessionOptions()
    o.intra_op_num_threads = 1
    o.inter_op_num_threads = 1
    o.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    return ort.InferenceSession(path, sess_options=o, providers=["CPUExecutionProvider"])


def main():
    wav, pfile, pjson = sys.argv[1:4]
    reps = int(sys.argv[4]) if len(sys.argv) > 4 else 3
    x, sr = sf.read(wav, dtype="float32")
    assert sr == RATE
    audio_s = len(x) / RATE

    # Front ends over the whole recording.
    def mel():
        librosa.feature.melspectrogram(y=x, sr=RATE, n_fft=400, hop_length=160, n_mels=40)

    report("frontend_mel40", timed(reps, mel), audio_s, reps)

    opts = knf.FbankOptions()
    opts.frame_opts.dither = 0.0
    opts.frame_opts.samp_freq = RATE
    opts.mel_opts.num_bins = 80
    x16 = x * 32768.0  # WeSpeaker feeds int16-range samples, as FbankConfig::WESPEAKER does

    def fbank():
        fb = knf.OnlineFbank(opts)
        fb.accept_waveform(RATE, x16)
        fb.input_finished()
        n = fb.num_frames_ready
        out = np.empty((n, 80), dtype=np.float32)
        for i in range(n):
            out[i] = fb.get_frame(i)
        out -= out.mean(axis=0)  # CMN, as FbankConfig::WESPEAKER (mean_norm)

    report("frontend_fbank80", timed(reps, fbank), audio_s, reps)

    def fbank_compute_only():  # frames are computed in accept_waveform; no per-frame Python copies
        fb = knf.OnlineFbank(opts)
        fb.accept_waveform(RATE, x16)
        fb.input_finished()

    report("frontend_fbank80_compute_only", timed(reps, fbank_compute_only), audio_s, reps)

    # Embedding: the same partial-mel batches as voiceguard.
    meta = json.load(open(pjson))
    frames, feats = meta["frames"], meta["features"]
    flat = np.fromfile(pfile, dtype="<f4").reshape(-1, frames, feats)
    assert flat.shape[0] == meta["n_partials"]
    batches, i = [], 0
    for n in meta["batches"]:
        batches.append(np.ascontiguousarray(flat[i:i + n]))
        i += n
    emb_audio_s = float(meta["audio_seconds"])
    enc = session(os.path.join(ROOT, "models/ge2e/encoder.onnx"))

    def embed_batched():
        for b in batches:
            enc.run(None, {"mels": b})

    def embed_b1():
        for b in batches:
            for j in range(b.shape[0]):
                enc.run(None, {"mels": b[j:j + 1]})

    report("embed_model_batched", timed(reps, embed_batched), emb_audio_s, reps)
    report("embed_model_b1", timed(reps, embed_b1), emb_audio_s, reps)

    # VAD: Silero chunk by chunk with carried state and 64-sample context.
    vad = session(os.path.join(ROOT, "models/silero_vad/silero_vad.onnx"))
    n_chunks = -(-len(x) // 512)
    padded = np.zeros(64 + n_chunks * 512, dtype=np.float32)
    padded[64:64 + len(x)] = x

    def silero():
        state = np.zeros((2, 1, 128), dtype=np.float32)
        probs = np.empty(n_chunks, dtype=np.float32)
        for k in range(n_chunks):
            inp = padded[k * 512:k * 512 + 576].reshape(1, 576)
            out, state = vad.run(None, {"input": inp, "state": state})
            probs[k] = out[0, 0]

    report("vad_silero", timed(reps, silero), audio_s, reps)

    pcm = (np.clip(x, -1.0, 32767 / 32768) * 32768.0).astype("<i2").tobytes()
    frame_bytes = 480 * 2  # 30 ms

    def webrtc():
        v = webrtcvad.Vad(3)
        for k in range(0, len(pcm) - frame_bytes + 1, frame_bytes):
            v.is_speech(pcm[k:k + frame_bytes], RATE)

    report("vad_webrtc", timed(reps, webrtc), audio_s, reps)


if __name__ == "__main__":
    main()
