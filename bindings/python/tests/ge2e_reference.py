"""A slow, obviously correct float64 numpy reference of the GE2E embedding
(no torch, no librosa): Resemblyzer's level normalisation, mel front end
(librosa 0.11 `melspectrogram` semantics written out), partial windows and
the 3-layer LSTM + linear + ReLU + L2 encoder, with the weights read from the
committed ONNX model (`models/ge2e/encoder.onnx`) by the `onnx` package.
Follows `models/ge2e/manifest.toml` and `models/ge2e/convert.py`.
"""

from __future__ import annotations

from pathlib import Path

from typing import Optional

import numpy as np
import numpy.typing as npt

SR = 16000
N_FFT = 400
HOP = 160
N_MELS = 40
PARTIAL_FRAMES = 160
PARTIAL_RATE = 1.3
MIN_COVERAGE = 0.75
TARGET_DBFS = -30.0

F64 = npt.NDArray[np.float64]


def hz_to_mel(f: F64) -> F64:
    """Slaney mel scale (librosa htk=False)."""
    f_sp = 200.0 / 3
    mels = f / f_sp
    min_log_hz = 1000.0
    min_log_mel = min_log_hz / f_sp
    logstep = np.log(6.4) / 27.0
    return np.where(f >= min_log_hz, min_log_mel + np.log(np.maximum(f, 1e-10) / min_log_hz) / logstep, mels)


def mel_to_hz(m: F64) -> F64:
    f_sp = 200.0 / 3
    freqs = f_sp * m
    min_log_hz = 1000.0
    min_log_mel = min_log_hz / f_sp
    logstep = np.log(6.4) / 27.0
    return np.where(m >= min_log_mel, min_log_hz * np.exp(logstep * (m - min_log_mel)), freqs)


def mel_filterbank() -> F64:
    """librosa.filters.mel(sr=16000, n_fft=400, n_mels=40), Slaney norm, in float64."""
    fft_freqs = np.linspace(0.0, SR / 2, 1 + N_FFT // 2)
    mel_f = mel_to_hz(np.linspace(hz_to_mel(np.array(0.0)), hz_to_mel(np.array(SR / 2.0)), N_MELS + 2))
    fdiff = np.diff(mel_f)
    ramps = mel_f[:, None] - fft_freqs[None, :]
    weights = np.zeros((N_MELS, len(fft_freqs)))
    for i in range(N_MELS):
        lower = -ramps[i] / fdiff[i]
        upper = ramps[i + 2] / fdiff[i + 1]
        weights[i] = np.maximum(0.0, np.minimum(lower, upper))
    enorm = 2.0 / (mel_f[2 : N_MELS + 2] - mel_f[:N_MELS])
    return weights * enorm[:, None]


def mel_power(wav: F64) -> F64:
    """[frames, 40] mel power: centred frames (n_fft//2 zeros each side),
    periodic Hann window, |rfft|^2, mel filterbank."""
    padded = np.pad(wav, N_FFT // 2, mode="constant")
    n_frames = 1 + (len(padded) - N_FFT) // HOP
    window = 0.5 - 0.5 * np.cos(2 * np.pi * np.arange(N_FFT) / N_FFT)
    idx = np.arange(N_FFT)[None, :] + HOP * np.arange(n_frames)[:, None]
    spec = np.abs(np.fft.rfft(padded[idx] * window, axis=1)) ** 2
    mel: F64 = spec @ mel_filterbank().T
    return mel


def normalize_volume(wav: F64, target_dbfs: float = TARGET_DBFS, increase_only: bool = True) -> F64:
    """Bring the RMS level to `target_dbfs`: Resemblyzer only raises (the
    default here); voiceguard's engine also lowers each stretch of speech it
    embeds (`leveling == "speech"`)."""
    mean_sq = float(np.mean(wav * wav))
    if mean_sq <= 0.0:
        return wav
    change = target_dbfs - 10.0 * np.log10(mean_sq)
    return wav if (increase_only and change < 0) else wav * 10.0 ** (change / 20.0)


def partial_slices(n_samples: int) -> list[slice]:
    """Resemblyzer's compute_partial_slices (mel frame slices)."""
    n_frames = int(np.ceil((n_samples + 1) / HOP))
    step = max(1, int(np.round((SR / PARTIAL_RATE) / HOP)))
    steps = max(1, n_frames - PARTIAL_FRAMES + step + 1)
    slices = [slice(i, i + PARTIAL_FRAMES) for i in range(0, steps, step)]
    last = slices[-1]
    coverage = (n_samples - last.start * HOP) / (PARTIAL_FRAMES * HOP)
    if coverage < MIN_COVERAGE and len(slices) > 1:
        slices = slices[:-1]
    return slices


def sigmoid(v: F64) -> F64:
    out: F64 = 1.0 / (1.0 + np.exp(-v))
    return out


class Encoder:
    """The GE2E LSTM encoder in float64, weights from the ONNX initializers."""

    def __init__(self, onnx_path: Path) -> None:
        import onnx
        from onnx import numpy_helper

        model = onnx.load(str(onnx_path))
        w = {t.name: numpy_helper.to_array(t).astype(np.float64) for t in model.graph.initializer}
        self.layers = []
        for layer in range(3):
            W = w[f"lstm{layer}.W"][0]  # [4H, in], ONNX gate order i, o, f, c
            R = w[f"lstm{layer}.R"][0]  # [4H, H]
            B = w[f"lstm{layer}.B"][0]  # [8H]: Wb then Rb
            self.layers.append((W, R, B[: W.shape[0]] + B[W.shape[0] :]))
        self.linear_w = w["linear.weight_T"]  # [256, 256], already transposed
        self.linear_b = w["linear.bias"]

    def __call__(self, mels: F64) -> F64:
        """[batch, frames, 40] -> [batch, 256] unit-norm embeddings."""
        x = mels
        batch, frames, _ = x.shape
        h = np.zeros((batch, 0))
        for W, R, bias in self.layers:
            hidden = R.shape[1]
            xw = x @ W.T + bias
            h = np.zeros((batch, hidden))
            c = np.zeros((batch, hidden))
            ys = np.empty((batch, frames, hidden))
            for t in range(frames):
                g = xw[:, t] + h @ R.T
                i, o, f, cc = np.split(g, 4, axis=1)
                c = sigmoid(f) * c + sigmoid(i) * np.tanh(cc)
                h = sigmoid(o) * np.tanh(c)
                ys[:, t] = h
            x = ys
        e = np.maximum(h @ self.linear_w + self.linear_b, 0.0)
        out: F64 = e / np.linalg.norm(e, axis=1, keepdims=True)
        return out


def embed_utterance(encoder: Encoder, wav: F64) -> F64:
    """Resemblyzer's embed_utterance on already-levelled speech."""
    slices = partial_slices(len(wav))
    need = slices[-1].stop * HOP
    if need >= len(wav):
        wav = np.pad(wav, (0, need - len(wav)), mode="constant")
    mel = mel_power(wav)
    partials = encoder(np.stack([mel[s] for s in slices]))
    raw = (partials / np.linalg.norm(partials, axis=1, keepdims=True)).mean(axis=0)
    out: F64 = raw / np.linalg.norm(raw)
    return out


def embed_clip(
    encoder: Encoder,
    wav: F64,
    segments: list[tuple[int, int]],
    speech_level: Optional[float] = None,
) -> F64:
    """The whole clip pipeline: raise the level, join the speech segments,
    bring them to `speech_level` dBFS both ways if given, embed."""
    levelled = normalize_volume(wav)
    speech = np.concatenate([levelled[a:b] for a, b in segments])
    if speech_level is not None:
        speech = normalize_volume(speech, speech_level, increase_only=False)
    return embed_utterance(encoder, speech)
