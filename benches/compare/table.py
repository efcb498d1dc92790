"""Joins compare_driver's and peers.py's JSON lines into one markdown table of
seconds of compute per hour of audio (one thread each)."""
import json
import sys


def load(path):
    out = {}
    for line in open(path):
        line = line.strip()
        if line.startswith("{"):
            d = json.loads(line)
            out[d["stage"]] = d
    return out


def per_hour(d, key):
    r = d.get(key)
    return None if r is None else r["seconds"] / r["audio_seconds"] * 3600.0


def main(ours_path, peers_path):
    ours, peers = load(ours_path), load(peers_path)
    mel_ph = per_hour(peers, "frontend_mel40")
    emb_ph = per_hour(peers, "embed_model_batched")
    rows = [
        ("front end", "librosa 0.11 melspectrogram, 40 mels (vs MelPlan GE2E)",
         per_hour(ours, "frontend_mel40"), mel_ph),
        ("front end", "kaldi-native-fbank, 80 bins, dither 0, CMN (vs FbankPlan WESPEAKER)",
         per_hour(ours, "frontend_fbank80"), per_hour(peers, "frontend_fbank80")),
        ("front end", "kaldi-native-fbank C++ compute only (accept_waveform, no frame copies out, no CMN)",
         per_hour(ours, "frontend_fbank80"), per_hour(peers, "frontend_fbank80_compute_only")),
        ("embedding, model only, batched (12 partials per 10 s)", "onnxruntime GE2E (vs the native LSTM)",
         per_hour(ours, "embed_model_batched"), emb_ph),
        ("embedding, model only, batched (12 partials per 10 s)",
         "onnxruntime GE2E, f32 (vs the native LSTM with bf16 products, Precision::Bf16)",
         per_hour(ours, "embed_model_batched_bf16"), emb_ph),
        ("embedding, model only, batched (12 partials per 10 s)", "onnxruntime GE2E (vs tract)",
         per_hour(ours, "embed_model_batched_tract"), emb_ph),
        ("embedding, model only, batch 1", "onnxruntime GE2E (vs the native LSTM)",
         per_hour(ours, "embed_model_b1"), per_hour(peers, "embed_model_b1")),
        ("embedding, model only, batch 1", "onnxruntime GE2E, f32 (vs the native LSTM, Precision::Bf16)",
         per_hour(ours, "embed_model_b1_bf16"), per_hour(peers, "embed_model_b1")),
        ("embedding, model only, batch 1", "onnxruntime GE2E (vs tract)",
         per_hour(ours, "embed_model_b1_tract"), per_hour(peers, "embed_model_b1")),
        ("embedding with front end (10 s utterances)", "librosa + onnxruntime, sum of the rows above"
         " (vs embed_utterance)", per_hour(ours, "embed_utterance_with_frontend"),
         None if mel_ph is None or emb_ph is None else mel_ph + emb_ph),
        ("VAD", "onnxruntime Silero v6, 512-sample chunks, state carried (vs SileroVad)",
         per_hour(ours, "vad_silero"), per_hour(peers, "vad_silero")),
        ("VAD", "webrtcvad mode 3, 30 ms frames (vs EnergyVad)",
         per_hour(ours, "vad_energy"), per_hour(peers, "vad_webrtc")),
        ("end to end, 100 files", "Resemblyzer preprocess_wav + embed_utterance, torch CPU"
         " (vs Engine::embed_file)", per_hour(ours, "e2e_embed_files"), per_hour(peers, "e2e_embed_files")),
        ("end to end, 100 files", "Resemblyzer preprocess_wav + embed_utterance, torch CPU"
         " (vs Engine::embed_file, Precision::Bf16)", per_hour(ours, "e2e_embed_files_bf16"),
         per_hour(peers, "e2e_embed_files")),
    ]

    def fmt(v):
        return "n/a" if v is None else (f"{v:.2f}" if v < 10 else f"{v:.1f}")

    print("| stage | peer | voiceguard s/h | peer s/h | ratio voiceguard/peer |")
    print("|---|---|---:|---:|---:|")
    for stage, peer, o, p in rows:
        ratio = "n/a" if o is None or p is None or p == 0 else f"{o / p:.3f}"
        print(f"| {stage} | {peer} | {fmt(o)} | {fmt(p)} | {ratio} |")

    ours_rss = ours.get("rss_voiceguard_screen", {}).get("max_rss_mb")
    peer_rss = peers.get("rss_python_pipeline", {}).get("max_rss_mb")
    print()
    print("| memory, 100 files | voiceguard peak RSS MB | peer peak RSS MB | ratio voiceguard/peer |")
    print("|---|---:|---:|---:|")
    ratio = "n/a" if ours_rss is None or not peer_rss else f"{ours_rss / peer_rss:.3f}"
    print(f"| `voiceguard screen` vs Resemblyzer pipeline (embed only) | {fmt(ours_rss)} | {fmt(peer_rss)} | {ratio} |")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
