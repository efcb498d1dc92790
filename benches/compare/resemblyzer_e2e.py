"""Resemblyzer's own pipeline end to end on a list of files, one thread:
preprocess_wav (load, resample, normalise volume, webrtcvad trim) then
VoiceEncoder.embed_utterance, torch on the CPU. Prints a JSON line
{stage, seconds, audio_seconds, reps} (fastest of reps runs after a warm-up,
model loading excluded) and one {stage: "rss_python_pipeline", max_rss_mb}.
Usage: resemblyzer_e2e.py FILES.txt REPS"""
import json
import resource
import sys
import time

import torch

torch.set_num_threads(1)
torch.set_num_interop_threads(1)

import librosa  # noqa: E402
from resemblyzer import VoiceEncoder, preprocess_wav  # noqa: E402


def main(files_path: str, reps: int) -> None:
    files = [line.strip() for line in open(files_path) if line.strip()]
    audio_s = sum(librosa.get_duration(path=f) for f in files)
    encoder = VoiceEncoder("cpu", verbose=False)

    def run():
        for f in files:
            encoder.embed_utterance(preprocess_wav(f))

    run()
    best = float("inf")
    for _ in range(reps):
        t = time.perf_counter()
        run()
        best = min(best, time.perf_counter() - t)
    print(json.dumps({"stage": "e2e_embed_files", "seconds": round(best, 6), "audio_seconds": round(audio_s, 3),
                      "reps": reps, "files": len(files), "torch": torch.__version__}), flush=True)
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
    print(json.dumps({"stage": "rss_python_pipeline", "max_rss_mb": round(rss_mb, 1), "files": len(files)}), flush=True)


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]))
