#!/usr/bin/env python3
"""Rebuild models/ge2e/ from the Resemblyzer 0.1.4 wheel, without PyTorch.

    python models/ge2e/convert.py [--out-dir models/ge2e] [--wheel PATH] [--speech-dir DIR]
    python models/ge2e/convert.py --explicit-state --out /tmp/encoder_explicit_state.onnx

What it does (default mode):

1. `pip download --no-deps resemblyzer==0.1.4` into a temporary directory (or use
   --wheel), and read `resemblyzer/pretrained.pt` out of the wheel (a zip).
2. Parse that file, which uses PyTorch's *legacy* (pre-zip) serialisation:
   pickle(magic) pickle(protocol) pickle(sys_info) pickle(object) pickle(storage keys),
   then for each key: int64 element count + raw little-endian data.  The object pickle
   is read with a restricted Unpickler that only resolves collections.OrderedDict,
   torch._utils._rebuild_tensor_v2 and torch.*Storage, all mapped to local stand-ins.
3. Write `encoder.onnx` (opset 14, IR 8): mels [batch, frames, 40] -> Transpose ->
   3 x LSTM(256) -> Y_h of the last layer -> MatMul+Add (256x256) -> Relu -> x/ReduceL2(x)
   -> embedding [batch, 256].  No initial_h / initial_c (implicit zero state).
4. Run a float64 numpy reference forward pass (torch LSTM semantics) and compare it with
   onnxruntime running encoder.onnx on real speech; write reference/*.json.
5. Write manifest.toml (with the sha256 of encoder.onnx) and LICENSE.
6. Sanity-check speaker discrimination with Resemblyzer-style partial embeddings.

--explicit-state writes (only) a variant to --out whose three LSTMs take their initial
state from two extra graph inputs `h0` and `c0`, each float32 [3, batch, 256] (layer-major,
as in torch.nn.LSTM); layer i uses Gather(h0, [i], axis=0) -> [1, batch, 256].  Feed zeros
to get the same result as encoder.onnx.  It is only for speed measurements and is not
committed.

The output is deterministic: the same wheel gives byte-identical files.
"""

import argparse
import collections
import hashlib
import io
import json
import os
import pickle
import struct
import subprocess
import sys
import tempfile
import wave
import zipfile
from pathlib import Path

import numpy as np

WHEEL_SPEC = "resemblyzer==0.1.4"
WHEEL_MEMBER = "resemblyzer/pretrained.pt"
WHEEL_LICENSE_MEMBER = "Resemblyzer-0.1.4.dist-info/LICENSE"

N_MELS = 40
HIDDEN = 256
EMBED = 256
N_LAYERS = 3
OPSET = 14
IR_VERSION = 8

# Resemblyzer audio/partials hyper-parameters (resemblyzer/hparams.py, voice_encoder.py)
SAMPLE_RATE = 16000
N_FFT = 400
HOP = 160
PARTIAL_FRAMES = 160
PARTIAL_RATE = 1.3
MIN_COVERAGE = 0.75
NORM_TARGET_DBFS = -30.0

HERE = Path(__file__).resolve().parent
REPO_ROOT = HERE.parent.parent

LICENSE_HEADER = (
    "encoder.onnx is derived from resemblyzer 0.1.4 pretrained.pt "
    "(Copyright Resemble AI / Corentin Jemine), Apache-2.0\n"
    "The weights were only re-laid out (LSTM gate order, transposes) by "
    "models/ge2e/convert.py; the licence text below is the one shipped in the wheel "
    "(Resemblyzer-0.1.4.dist-info/LICENSE).\n"
    "\n"
)


# --------------------------------------------------------------------------------------
# 1. wheel
# --------------------------------------------------------------------------------------

def read_wheel(wheel_path=None):
    """Return (pretrained.pt bytes, LICENSE bytes, wheel sha256)."""
    if wheel_path is None:
        with tempfile.TemporaryDirectory(prefix="ge2e-wheel-") as tmp:
            subprocess.run(
                [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:",
                 "--disable-pip-version-check", "-q", "-d", tmp, WHEEL_SPEC],
                check=True,
            )
            wheels = sorted(Path(tmp).glob("*.whl"))
            if len(wheels) != 1:
                raise SystemExit(f"expected one wheel in {tmp}, got {wheels}")
            return _read_wheel_file(wheels[0])
    return _read_wheel_file(Path(wheel_path))


def _read_wheel_file(path):
    raw = path.read_bytes()
    with zipfile.ZipFile(io.BytesIO(raw)) as zf:
        pt = zf.read(WHEEL_MEMBER)
        lic = zf.read(WHEEL_LICENSE_MEMBER)
    return pt, lic, hashlib.sha256(raw).hexdigest()


# --------------------------------------------------------------------------------------
# 2. legacy torch.save reader (no torch)
# --------------------------------------------------------------------------------------

LEGACY_MAGIC = 0x1950A86A20F9469CFC6C
LEGACY_PROTOCOL = 1001


class _StorageType:
    """Stand-in for torch.FloatStorage & co: only carries the numpy dtype."""

    def __init__(self, name, dtype):
        self.name = name
        self.dtype = np.dtype(dtype).newbyteorder("<")

    def __repr__(self):
        return f"<{self.name}>"


_STORAGE_TYPES = {
    "FloatStorage": _StorageType("FloatStorage", np.float32),
    "DoubleStorage": _StorageType("DoubleStorage", np.float64),
    "HalfStorage": _StorageType("HalfStorage", np.float16),
    "LongStorage": _StorageType("LongStorage", np.int64),
    "IntStorage": _StorageType("IntStorage", np.int32),
    "ShortStorage": _StorageType("ShortStorage", np.int16),
    "CharStorage": _StorageType("CharStorage", np.int8),
    "ByteStorage": _StorageType("ByteStorage", np.uint8),
    "BoolStorage": _StorageType("BoolStorage", np.bool_),
}


class _StorageRef:
    def __init__(self, key, stype, numel, location, view):
        self.key, self.stype, self.numel, self.location, self.view = key, stype, numel, location, view


class _LazyTensor:
    """What torch._utils._rebuild_tensor_v2 would have built; materialised later."""

    def __init__(self, storage, offset, size, stride):
        self.storage, self.offset = storage, offset
        self.size, self.stride = tuple(size), tuple(stride)

    def materialise(self, storages):
        ref = self.storage
        flat = storages[ref.key]
        if ref.view is not None:  # (view_key, offset, view_size) into the root storage
            _, voff, vsize = ref.view
            flat = flat[voff:voff + vsize]
        if not self.size:
            return flat[self.offset].copy()
        need = self.offset + sum((s - 1) * st for s, st in zip(self.size, self.stride)) + 1
        if need > flat.shape[0]:
            raise ValueError("tensor view runs past its storage")
        base = flat[self.offset:]
        arr = np.lib.stride_tricks.as_strided(
            base, shape=self.size, strides=[st * flat.itemsize for st in self.stride])
        return np.array(arr, copy=True)


def _rebuild_tensor_v2(storage, storage_offset, size, stride, requires_grad=False,
                       backward_hooks=None, metadata=None):
    return _LazyTensor(storage, storage_offset, size, stride)


class _RestrictedUnpickler(pickle.Unpickler):
    ALLOWED = {
        ("collections", "OrderedDict"): collections.OrderedDict,
        ("torch._utils", "_rebuild_tensor_v2"): _rebuild_tensor_v2,
    }

    def __init__(self, f, allow_globals=True):
        super().__init__(f)
        self.allow_globals = allow_globals
        self.storage_refs = {}

    def find_class(self, module, name):
        if self.allow_globals:
            if (module, name) in self.ALLOWED:
                return self.ALLOWED[(module, name)]
            if module == "torch" and name in _STORAGE_TYPES:
                return _STORAGE_TYPES[name]
        raise pickle.UnpicklingError(f"global {module}.{name} is not allowed")

    def persistent_load(self, pid):
        if not (isinstance(pid, tuple) and len(pid) == 6 and pid[0] == "storage"):
            raise pickle.UnpicklingError(f"unexpected persistent id {pid!r}")
        _, stype, key, location, numel, view = pid
        if not isinstance(stype, _StorageType):
            raise pickle.UnpicklingError(f"unexpected storage type {stype!r}")
        ref = _StorageRef(key, stype, numel, location, view)
        prev = self.storage_refs.setdefault(key, ref)
        if prev.stype is not stype or prev.numel != numel:
            raise pickle.UnpicklingError(f"inconsistent storage {key}")
        return ref


def _plain_load(f):
    return _RestrictedUnpickler(f, allow_globals=False).load()


def load_legacy_torch(data):
    """Parse a legacy torch.save() file. Returns (object with numpy arrays, info dict)."""
    f = io.BytesIO(data)
    magic = _plain_load(f)
    if magic != LEGACY_MAGIC:
        raise ValueError("not a legacy torch.save file (bad magic number)")
    protocol = _plain_load(f)
    if protocol != LEGACY_PROTOCOL:
        raise ValueError(f"unsupported legacy protocol {protocol}")
    sys_info = _plain_load(f)
    if not sys_info.get("little_endian", False):
        raise ValueError("big-endian checkpoints are not supported")
    up = _RestrictedUnpickler(f)
    obj = up.load()
    keys = _plain_load(f)
    storages = {}
    for key in keys:
        (numel,) = struct.unpack("<q", f.read(8))
        ref = up.storage_refs.get(key)
        if ref is None:
            raise ValueError(f"storage {key} has data but no reference")
        if numel != ref.numel:
            raise ValueError(f"storage {key}: {numel} elements on disk, {ref.numel} in pickle")
        nbytes = numel * ref.stype.dtype.itemsize
        buf = f.read(nbytes)
        if len(buf) != nbytes:
            raise ValueError("truncated storage data")
        storages[key] = np.frombuffer(buf, dtype=ref.stype.dtype)
    if f.tell() != len(data):
        raise ValueError(f"{len(data) - f.tell()} trailing bytes after the storages")

    def walk(o):
        if isinstance(o, _LazyTensor):
            return o.materialise(storages)
        if isinstance(o, collections.OrderedDict):
            return collections.OrderedDict((k, walk(v)) for k, v in o.items())
        if isinstance(o, dict):
            return {k: walk(v) for k, v in o.items()}
        if isinstance(o, list):
            return [walk(v) for v in o]
        if isinstance(o, tuple):
            return tuple(walk(v) for v in o)
        return o

    info = {"sys_info": sys_info, "n_storages": len(keys),
            "locations": sorted({r.location for r in up.storage_refs.values()})}
    return walk(obj), info


def extract_state(pt_bytes):
    ckpt, info = load_legacy_torch(pt_bytes)
    sd = ckpt["model_state"]
    expect = {}
    for layer in range(N_LAYERS):
        nin = N_MELS if layer == 0 else HIDDEN
        expect[f"lstm.weight_ih_l{layer}"] = (4 * HIDDEN, nin)
        expect[f"lstm.weight_hh_l{layer}"] = (4 * HIDDEN, HIDDEN)
        expect[f"lstm.bias_ih_l{layer}"] = (4 * HIDDEN,)
        expect[f"lstm.bias_hh_l{layer}"] = (4 * HIDDEN,)
    expect["linear.weight"] = (EMBED, HIDDEN)
    expect["linear.bias"] = (EMBED,)
    weights = {}
    for k, shape in expect.items():
        a = sd[k]
        if a.shape != shape or a.dtype != np.float32:
            raise ValueError(f"{k}: got {a.shape} {a.dtype}, want {shape} float32")
        if not np.all(np.isfinite(a)):
            raise ValueError(f"{k} has non-finite values")
        weights[k] = np.ascontiguousarray(a)
    extra = sorted(set(sd) - set(expect))
    info.update({
        "state_dict_keys": list(sd.keys()),
        "ignored_keys": extra,
        "checkpoint_keys": list(ckpt.keys()),
        "step": ckpt.get("step"),
    })
    return weights, info


# --------------------------------------------------------------------------------------
# 3. ONNX graph
# --------------------------------------------------------------------------------------

def _torch_to_onnx_gates(a):
    """Reorder the 4*H leading axis from torch (i, f, g, o) to ONNX (i, o, f, c)."""
    i, f, g, o = np.split(a, 4, axis=0)
    return np.concatenate([i, o, f, g], axis=0)


def build_onnx(weights, pt_sha256, explicit_state=False):
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    inits, nodes = [], []

    def init(name, arr):
        inits.append(numpy_helper.from_array(np.ascontiguousarray(arr), name=name))
        return name

    inputs = [helper.make_tensor_value_info("mels", TensorProto.FLOAT, ["batch", "frames", N_MELS])]
    if explicit_state:
        for n in ("h0", "c0"):
            inputs.append(helper.make_tensor_value_info(n, TensorProto.FLOAT,
                                                        [N_LAYERS, "batch", HIDDEN]))
    outputs = [helper.make_tensor_value_info("embedding", TensorProto.FLOAT, ["batch", EMBED])]

    nodes.append(helper.make_node("Transpose", ["mels"], ["x_tbf"], name="to_time_major",
                                  perm=[1, 0, 2]))
    x = "x_tbf"
    init("axes_1", np.array([1], dtype=np.int64))
    init("axes_0", np.array([0], dtype=np.int64))
    last_h = None
    for layer in range(N_LAYERS):
        w = _torch_to_onnx_gates(weights[f"lstm.weight_ih_l{layer}"])[None]
        r = _torch_to_onnx_gates(weights[f"lstm.weight_hh_l{layer}"])[None]
        b = np.concatenate([_torch_to_onnx_gates(weights[f"lstm.bias_ih_l{layer}"]),
                            _torch_to_onnx_gates(weights[f"lstm.bias_hh_l{layer}"])])[None]
        lin = [x, init(f"lstm{layer}.W", w), init(f"lstm{layer}.R", r),
               init(f"lstm{layer}.B", b)]
        if explicit_state:
            idx = init(f"layer_index_{layer}", np.array([layer], dtype=np.int64))
            for s in ("h0", "c0"):
                nodes.append(helper.make_node("Gather", [s, idx], [f"lstm{layer}.{s}"],
                                              name=f"lstm{layer}.gather_{s}", axis=0))
            lin += ["", f"lstm{layer}.h0", f"lstm{layer}.c0"]  # sequence_lens omitted
        last = layer == N_LAYERS - 1
        y = "" if last else f"lstm{layer}.Y"
        y_h = f"lstm{layer}.Y_h" if last else ""
        outs = [y, y_h] if last else [y]
        nodes.append(helper.make_node("LSTM", lin, outs, name=f"lstm{layer}",
                                      hidden_size=HIDDEN, direction="forward"))
        if not last:
            # Y: [frames, num_directions=1, batch, H] -> [frames, batch, H]
            nodes.append(helper.make_node("Squeeze", [y, "axes_1"], [f"lstm{layer}.out"],
                                          name=f"lstm{layer}.squeeze"))
            x = f"lstm{layer}.out"
        else:
            last_h = y_h
    # Y_h: [1, batch, H] -> [batch, H]
    nodes.append(helper.make_node("Squeeze", [last_h, "axes_0"], ["hidden"], name="squeeze_hidden"))
    wt = init("linear.weight_T", weights["linear.weight"].T)
    bias = init("linear.bias", weights["linear.bias"])
    nodes.append(helper.make_node("MatMul", ["hidden", wt], ["linear_mm"], name="linear.matmul"))
    nodes.append(helper.make_node("Add", ["linear_mm", bias], ["linear_out"], name="linear.add"))
    nodes.append(helper.make_node("Relu", ["linear_out"], ["embeds_raw"], name="relu"))
    nodes.append(helper.make_node("ReduceL2", ["embeds_raw"], ["embeds_norm"], name="l2norm.reduce",
                                  axes=[1], keepdims=1))
    nodes.append(helper.make_node("Div", ["embeds_raw", "embeds_norm"], ["embedding"],
                                  name="l2norm.div"))

    doc = (
        "GE2E speaker encoder (3-layer LSTM 40->256, linear 256->256, ReLU, L2 norm) from the "
        "PyPI wheel resemblyzer==0.1.4, file resemblyzer/pretrained.pt "
        f"(sha256 {pt_sha256}). Licence: Apache-2.0, Copyright 2019 Resemble.AI "
        "(author Corentin Jemine). Converted without PyTorch by models/ge2e/convert.py. "
        "Input: mel power spectrogram (NOT log), librosa-compatible, 16 kHz, n_fft=400, "
        "hop=160, 40 mels, [batch, frames, 40]. Output: L2-normalised embedding [batch, 256]."
    )
    if explicit_state:
        doc += (" Variant with explicit initial state inputs h0/c0 [3, batch, 256] "
                "(feed zeros for the reference behaviour); for speed measurements only.")
    graph = helper.make_graph(nodes, "ge2e_encoder", inputs, outputs, initializer=inits,
                              doc_string=doc)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)],
                              producer_name="voiceguard models/ge2e/convert.py",
                              producer_version="1", doc_string=doc)
    model.ir_version = IR_VERSION
    meta = [
        ("source", f"PyPI wheel {WHEEL_SPEC}, {WHEEL_MEMBER}"),
        ("source_sha256", pt_sha256),
        ("licence", "Apache-2.0"),
        ("copyright", "Copyright 2019 Resemble.AI (Corentin Jemine)"),
        ("frontend", "mel_power sr=16000 n_fft=400 win=400 hop=160 n_mels=40 slaney "
                     "center=true pad_mode=constant power=2"),
        ("explicit_state", "true" if explicit_state else "false"),
    ]
    for k, v in meta:
        p = model.metadata_props.add()
        p.key, p.value = k, v
    onnx.checker.check_model(model, full_check=True)
    return model


def serialise(model):
    return model.SerializeToString(deterministic=True)


# --------------------------------------------------------------------------------------
# 4. float64 reference forward pass (torch semantics)
# --------------------------------------------------------------------------------------

def _sigmoid(x):
    return 0.5 * (1.0 + np.tanh(0.5 * x))


def reference_forward(weights, mels):
    """mels [batch, frames, 40] -> embeddings [batch, 256], all in float64."""
    x = np.asarray(mels, dtype=np.float64)
    b, t, _ = x.shape
    h = None
    for layer in range(N_LAYERS):
        wih = weights[f"lstm.weight_ih_l{layer}"].astype(np.float64)
        whh = weights[f"lstm.weight_hh_l{layer}"].astype(np.float64)
        bias = (weights[f"lstm.bias_ih_l{layer}"].astype(np.float64)
                + weights[f"lstm.bias_hh_l{layer}"].astype(np.float64))
        xw = x @ wih.T + bias  # [b, t, 4H]
        h = np.zeros((b, HIDDEN))
        c = np.zeros((b, HIDDEN))
        ys = np.empty((b, t, HIDDEN))
        for step in range(t):
            gates = xw[:, step] + h @ whh.T
            i, f, g, o = np.split(gates, 4, axis=1)
            c = _sigmoid(f) * c + _sigmoid(i) * np.tanh(g)
            h = _sigmoid(o) * np.tanh(c)
            ys[:, step] = h
        x = ys
    e = h @ weights["linear.weight"].astype(np.float64).T + weights["linear.bias"].astype(np.float64)
    e = np.maximum(e, 0.0)
    return e / np.sqrt(np.sum(e * e, axis=1, keepdims=True))


class OrtEncoder:
    def __init__(self, model_bytes):
        import onnxruntime as ort
        so = ort.SessionOptions()
        so.intra_op_num_threads = 2
        so.inter_op_num_threads = 1
        self.sess = ort.InferenceSession(model_bytes, so, providers=["CPUExecutionProvider"])
        self.input_names = [i.name for i in self.sess.get_inputs()]

    def __call__(self, mels, **extra):
        feeds = {"mels": np.ascontiguousarray(mels, dtype=np.float32), **extra}
        return self.sess.run(["embedding"], feeds)[0]


# --------------------------------------------------------------------------------------
# 5. audio front end (Resemblyzer-compatible) and reference cases
# --------------------------------------------------------------------------------------

def load_wav(path):
    """16-bit PCM mono WAV -> float32 in [-1, 1) (same scaling as librosa/soundfile)."""
    with wave.open(str(path), "rb") as w:
        if w.getnchannels() != 1 or w.getsampwidth() != 2 or w.getframerate() != SAMPLE_RATE:
            raise ValueError(f"{path}: expected 16 kHz mono 16-bit PCM")
        pcm = np.frombuffer(w.readframes(w.getnframes()), dtype="<i2")
    return (pcm.astype(np.float32) / np.float32(32768.0)).astype(np.float32)


def wav_to_mel(wav):
    """Exactly resemblyzer.audio.wav_to_mel_spectrogram: [frames, 40] float32 mel power."""
    import librosa
    frames = librosa.feature.melspectrogram(y=wav, sr=SAMPLE_RATE, n_fft=N_FFT,
                                            hop_length=HOP, n_mels=N_MELS)
    return frames.astype(np.float32).T


def normalize_volume(wav, target_dbfs=NORM_TARGET_DBFS):
    """resemblyzer.audio.normalize_volume(increase_only=True)."""
    int16_max = 2 ** 15 - 1
    rms = np.sqrt(np.mean((wav * int16_max) ** 2))
    change = target_dbfs - 20 * np.log10(rms / int16_max)
    if change < 0:
        return wav
    return wav * (10 ** (change / 20))


def compute_partial_slices(n_samples, rate=PARTIAL_RATE, min_coverage=MIN_COVERAGE):
    """resemblyzer VoiceEncoder.compute_partial_slices (mel slices and wav slices)."""
    n_frames = int(np.ceil((n_samples + 1) / HOP))
    frame_step = int(np.round((SAMPLE_RATE / rate) / HOP))
    steps = max(1, n_frames - PARTIAL_FRAMES + frame_step + 1)
    mel_slices = [slice(i, i + PARTIAL_FRAMES) for i in range(0, steps, frame_step)]
    wav_slices = [slice(s.start * HOP, s.stop * HOP) for s in mel_slices]
    last = wav_slices[-1]
    coverage = (n_samples - last.start) / (last.stop - last.start)
    if coverage < min_coverage and len(mel_slices) > 1:
        mel_slices, wav_slices = mel_slices[:-1], wav_slices[:-1]
    return wav_slices, mel_slices


def embed_utterance(encoder, wav):
    """resemblyzer VoiceEncoder.embed_utterance (rate 1.3, min_coverage 0.75)."""
    wav_slices, mel_slices = compute_partial_slices(len(wav))
    need = wav_slices[-1].stop
    if need >= len(wav):
        wav = np.pad(wav, (0, need - len(wav)), "constant")
    mel = wav_to_mel(wav)
    mels = np.array([mel[s] for s in mel_slices])
    partials = encoder(mels)
    raw = partials.mean(axis=0)
    return raw / np.linalg.norm(raw), mels


# name, [(wav relative to the speech dir, number of frames)], frames are taken from the
# middle of the clip's full mel spectrogram.
REFERENCE_CASES = [
    ("ls1688_b1_f160", [("ls-1688/1688-142285-0000.wav", 160)]),
    ("mixed_b4_f160", [("ls-1688/1688-142285-0001.wav", 160),
                       ("vctk-p225/p225_003.wav", 160),
                       ("lj-linda/LJ001-0001.wav", 160),
                       ("vctk-p226/p226_003.wav", 160)]),
    ("short_b2_f37", [("arctic-aew/cmu_arctic_us_aew_a0001.wav", 37),
                      ("ls-2033/2033-164914-0000.wav", 37)]),
]


def _resolve_clip(speech_dir, rel):
    p = speech_dir / rel
    if not p.exists():
        raise SystemExit(f"missing speech clip {p} (pass --speech-dir)")
    return p


def _fmt(vals, fmt):
    return ",".join(fmt % v for v in vals)


def _dump_case(path, name, mels, emb64, emb_ort, sources):
    b, f, n = mels.shape
    rows = mels.reshape(b * f, n)
    mel_txt = ",\n    ".join(_fmt(r.astype(np.float64), "%.9g") for r in rows)
    e64 = ",\n    ".join(_fmt(r, "%.17g") for r in emb64)
    eort = ",\n    ".join(_fmt(r.astype(np.float64), "%.9g") for r in emb_ort)
    text = (
        "{\n"
        '  "schema_version": 1,\n'
        f'  "name": {json.dumps(name)},\n'
        f'  "shape": [{b}, {f}, {n}],\n'
        f'  "embedding_dim": {EMBED},\n'
        '  "mels_note": "float32 mel power (no log) from librosa 0.11 melspectrogram(sr=16000, '
        'n_fft=400, hop_length=160, n_mels=40) of the raw clip (int16/32768, float32, no volume '
        'normalisation, no VAD); frames [frame_start, frame_end) of the whole-clip spectrogram",\n'
        f'  "sources": {json.dumps(sources)},\n'
        f'  "mels": [\n    {mel_txt}\n  ],\n'
        f'  "embedding_f64": [\n    {e64}\n  ],\n'
        f'  "embedding_onnxruntime": [\n    {eort}\n  ]\n'
        "}\n"
    )
    json.loads(text)  # self-check
    path.write_text(text)


def make_reference(weights, encoder, speech_dir, ref_dir):
    ref_dir.mkdir(parents=True, exist_ok=True)
    worst = 0.0
    rows = []
    for name, clips in REFERENCE_CASES:
        batch, sources = [], []
        for rel, nf in clips:
            p = _resolve_clip(speech_dir, rel)
            mel = wav_to_mel(load_wav(p))
            start = max(0, (mel.shape[0] - nf) // 2)
            if mel.shape[0] < start + nf:
                raise SystemExit(f"{p} too short")
            batch.append(mel[start:start + nf])
            sources.append({"wav": p.relative_to(speech_dir).as_posix(),
                            "frame_start": start, "frame_end": start + nf})
        mels = np.stack(batch).astype(np.float32)
        emb64 = reference_forward(weights, mels)
        emb_ort = encoder(mels)
        diff = float(np.max(np.abs(emb64 - emb_ort.astype(np.float64))))
        worst = max(worst, diff)
        rows.append((name, mels.shape, diff))
        _dump_case(ref_dir / f"{name}.json", name, mels, emb64, emb_ort, sources)
    return worst, rows


def speaker_check(encoder, speech_dir):
    clips = [
        ("ls-1688 #0", "ls-1688/1688-142285-0000.wav"),
        ("ls-1688 #1", "ls-1688/1688-142285-0001.wav"),
        ("ls-1688 #2", "ls-1688/1688-142285-0002.wav"),
        ("ls-2033 #0", "ls-2033/2033-164914-0000.wav"),
        ("ls-2033 #1", "ls-2033/2033-164914-0001.wav"),
        ("vctk-p225 #0", "vctk-p225/p225_003.wav"),
        ("vctk-p225 #1", "vctk-p225/p225_008.wav"),
        ("vctk-p228 #0", "vctk-p228/p228_003.wav"),
    ]
    embeds, labels = [], []
    for label, rel in clips:
        p = _resolve_clip(speech_dir, rel)
        e, _ = embed_utterance(encoder, normalize_volume(load_wav(p)))
        embeds.append(e)
        labels.append(label)
    e = np.stack(embeds)
    return labels, e @ e.T


# --------------------------------------------------------------------------------------
# 6. manifest
# --------------------------------------------------------------------------------------

MANIFEST = """schema_version = 1
name = "ge2e"
description = "GE2E speaker encoder (Resemblyzer 0.1.4 pretrained.pt) converted to ONNX"
file = "encoder.onnx"
sha256 = "{sha256}"
licence = "Apache-2.0"
licence_file = "LICENSE"
source = "PyPI wheel resemblyzer==0.1.4, resemblyzer/pretrained.pt"
rebuild = "python models/ge2e/convert.py"

[input]
name = "mels"
shape = ["batch", "frames", 40]
dtype = "f32"

[output]
name = "embedding"
dim = 256

[frontend]
kind = "mel_power"       # librosa-compatible mel power spectrogram, no log
sample_rate = 16000
n_fft = 400
win_length = 400
hop_length = 160
n_mels = 40
fmin = 0.0
fmax = 8000.0
mel_scale = "slaney"
norm = "slaney"
window = "hann"
center = true
pad_mode = "{pad_mode}"    # default of librosa 0.11 stft/melspectrogram (zero padding of n_fft//2 each side)
power = 2.0

[partials]
window_frames = 160
rate_hz = 1.3            # Resemblyzer embed_utterance(rate=1.3)
min_coverage = 0.75
"""


def librosa_pad_mode():
    import inspect
    import librosa
    a = inspect.signature(librosa.stft).parameters["pad_mode"].default
    b = inspect.signature(librosa.feature.melspectrogram).parameters["pad_mode"].default
    if a != b:
        raise SystemExit(f"librosa stft pad_mode {a!r} != melspectrogram pad_mode {b!r}")
    return a


# --------------------------------------------------------------------------------------

def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out-dir", type=Path, default=HERE,
                    help="where encoder.onnx, manifest.toml, LICENSE, reference/ go")
    ap.add_argument("--wheel", type=Path, default=None,
                    help="use this local resemblyzer-0.1.4 wheel instead of pip download")
    ap.add_argument("--speech-dir", type=Path, default=REPO_ROOT.parent / "shared" / "speech",
                    help="real speech clips for reference/ and the speaker check")
    ap.add_argument("--explicit-state", action="store_true",
                    help="write only the h0/c0-input variant to --out (not committed)")
    ap.add_argument("--out", type=Path, default=None, help="output path for --explicit-state")
    ap.add_argument("--skip-speaker-check", action="store_true")
    args = ap.parse_args(argv)
    if args.explicit_state and args.out is None:
        ap.error("--explicit-state needs --out PATH")

    pt, lic, wheel_sha = read_wheel(args.wheel)
    pt_sha = hashlib.sha256(pt).hexdigest()
    print(f"wheel sha256 {wheel_sha}\npretrained.pt {len(pt)} bytes, sha256 {pt_sha}")
    weights, info = extract_state(pt)
    print(f"checkpoint keys: {info['checkpoint_keys']} (step {info['step']}), "
          f"{info['n_storages']} storages, locations {info['locations']}, "
          f"sys_info {info['sys_info']}")
    print(f"model_state keys: {info['state_dict_keys']}")
    print(f"ignored: {info['ignored_keys']}")

    rng = np.random.default_rng(1234)
    probe = (rng.random((2, 50, N_MELS)) ** 4 * 5).astype(np.float32)

    if args.explicit_state:
        model = build_onnx(weights, pt_sha, explicit_state=True)
        blob = serialise(model)
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_bytes(blob)
        enc = OrtEncoder(blob)
        z = np.zeros((N_LAYERS, probe.shape[0], HIDDEN), np.float32)
        d = np.max(np.abs(enc(probe, h0=z, c0=z) - reference_forward(weights, probe)))
        print(f"wrote {args.out} ({len(blob)} bytes, sha256 {hashlib.sha256(blob).hexdigest()})")
        print(f"explicit-state variant vs float64 reference (zero state): max abs diff {d:.3g}")
        return 0

    out = args.out_dir
    out.mkdir(parents=True, exist_ok=True)
    model = build_onnx(weights, pt_sha)
    blob = serialise(model)
    (out / "encoder.onnx").write_bytes(blob)
    sha = hashlib.sha256(blob).hexdigest()
    print(f"wrote {out / 'encoder.onnx'} ({len(blob)} bytes, sha256 {sha})")

    enc = OrtEncoder(blob)
    d = float(np.max(np.abs(enc(probe) - reference_forward(weights, probe))))
    print(f"random probe [2,50,40]: onnxruntime vs float64 max abs diff {d:.3g}")

    worst, rows = make_reference(weights, enc, args.speech_dir, out / "reference")
    for name, shape, diff in rows:
        print(f"reference {name} {list(shape)}: onnxruntime vs float64 max abs diff {diff:.3g}")
    worst = max(worst, d)
    if worst > 1e-5:
        raise SystemExit(f"parity FAILED: {worst:.3g} > 1e-5")
    print(f"parity OK: worst max abs diff {worst:.3g} <= 1e-5")

    pad_mode = librosa_pad_mode()
    (out / "manifest.toml").write_text(MANIFEST.format(sha256=sha, pad_mode=pad_mode))
    (out / "LICENSE").write_bytes(LICENSE_HEADER.encode() + lic)
    print(f"librosa stft/melspectrogram default pad_mode: {pad_mode!r}")

    if not args.skip_speaker_check:
        labels, sims = speaker_check(enc, args.speech_dir)
        print("speaker check (Resemblyzer-style utterance embeddings, cosine):")
        w = max(len(l) for l in labels)
        print(" " * (w + 1) + " ".join(f"{'#' + str(i):>6}" for i in range(len(labels))))
        for i, (l, row) in enumerate(zip(labels, sims)):
            print(f"{l:<{w}} " + " ".join(f"{v:6.3f}" for v in row) + f"  #{i}")
        spk = [l.split()[0] for l in labels]
        same = [sims[i, j] for i in range(len(spk)) for j in range(i) if spk[i] == spk[j]]
        diff = [sims[i, j] for i in range(len(spk)) for j in range(i) if spk[i] != spk[j]]
        print(f"same-speaker cosine min {min(same):.3f} mean {np.mean(same):.3f}; "
              f"different-speaker max {max(diff):.3f} mean {np.mean(diff):.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
