//! A native forward pass of the GE2E encoder graph (3 x LSTM, linear, ReLU,
//! L2 norm), reading its weights from the same `encoder.onnx`.
//!
//! tract lowers an ONNX `LSTM` to a loop that multiplies each frame's input
//! by `W` and the previous state by `R` on every step. Here the input
//! projection of all frames of all partials is one matrix product per layer,
//! and the recurrent product runs on `R` packed once at load into 16-column
//! panels, so a step streams each panel once for up to six partials
//! (kernels in the `voiceguard-kernels` crate, the core's only unsafe code).
//! The result agrees with tract, onnxruntime and the float64 reference to
//! better than 1e-6 (`core/tests/encoder_parity.rs`).
//!
//! With [`Precision::Bf16`], the input projection and the recurrent
//! product run in bfloat16 on AVX-512 BF16 CPUs (weights packed to
//! bf16 at [`NativeEncoder::set_precision`], activations rounded per product,
//! sums and cell state in f32): about 3 significant digits per product, so
//! embeddings move by a cosine of about 1e-4 (see `examples/bf16_parity.rs`).
//!
//! The graph is recognised by its node list and initializer names as written
//! by `models/ge2e/convert.py`; any other graph runs through tract.

use super::Precision;
use tract_onnx::pb;
use voiceguard_kernels::{cell_update, matmul_bf16, pack_recurrent, recurrent, sgemm, Bf16Cpu, Cpu, PackedBf16};

/// Frames whose input projections are one GEMM: a whole Resemblyzer partial
/// (160 frames). Measured against 16, 32 and 64 in one run: no chunk was
/// faster, so this only bounds the scratch for longer inputs.
const CHUNK: usize = 160;

/// One LSTM layer, gates in ONNX order (input, output, forget, cell).
#[derive(Debug, Clone)]
struct Layer {
    /// Input features per frame.
    n_in: usize,
    /// `W` transposed: `n_in x 4H`, row-major.
    w_t: Vec<f32>,
    /// `R` packed by [`pack_recurrent`].
    r_packed: Vec<f32>,
    /// `Wb + Rb` (`4H`).
    bias: Vec<f32>,
    /// `W` and `R` in bf16 under [`Precision::Bf16`].
    bf16: Option<Bf16Weights>,
}

/// One layer's weights packed for the bf16 products.
#[derive(Debug, Clone)]
struct Bf16Weights {
    /// `W` (input projection).
    w: PackedBf16,
    /// `R` (recurrent product).
    r: PackedBf16,
}

/// The encoder's weights, ready for [`NativeEncoder::run`].
#[derive(Debug, Clone)]
pub(crate) struct NativeEncoder {
    /// The kernels' build for this CPU, detected once at load.
    cpu: Cpu,
    /// The bf16 kernels' build for this CPU, detected once at load.
    bf16_cpu: Bf16Cpu,
    hidden: usize,
    layers: Vec<Layer>,
    /// Linear weight, `H x dim` row-major (input x output).
    linear_w: Vec<f32>,
    linear_b: Vec<f32>,
}

/// Scratch for [`NativeEncoder::run`], grown to the largest batch seen and
/// reused (no allocation once it has seen that size).
#[derive(Debug, Default)]
pub struct NativeScratch {
    /// The features, time-major (`T*B x n_features`).
    input: Vec<f32>,
    /// Gate pre-activations of the frames of one chunk (`CHUNK*B x 4H`).
    gates: Vec<f32>,
    /// Hidden states of every frame (`T*B x H`): a layer's output, read by
    /// the next layer's input product before it is overwritten.
    seq: Vec<f32>,
    /// Cell state (`B x H`).
    c: Vec<f32>,
    /// bf16 copy of the rows a bf16 product reads.
    x_bf16: Vec<u16>,
}

fn ops_match(graph: &pb::GraphProto) -> bool {
    const OPS: [&str; 12] = [
        "Transpose",
        "LSTM",
        "Squeeze",
        "LSTM",
        "Squeeze",
        "LSTM",
        "Squeeze",
        "MatMul",
        "Add",
        "Relu",
        "ReduceL2",
        "Div",
    ];
    graph.node.len() == OPS.len()
        && graph
            .node
            .iter()
            .zip(OPS)
            .all(|(n, op)| n.op_type == op && n.domain.is_empty())
        && graph.node.iter().filter(|n| n.op_type == "LSTM").all(|n| {
            // Default activations, no clip, forward only, no extra state.
            n.attribute.iter().all(|a| match a.name.as_str() {
                "hidden_size" => true,
                "direction" => a.s == b"forward",
                _ => false,
            }) && n.input.len() == 4
        })
}

/// A float initializer's values and dims.
fn initializer(graph: &pb::GraphProto, name: &str) -> Option<(Vec<usize>, Vec<f32>)> {
    let t = graph.initializer.iter().find(|t| t.name == name)?;
    if t.data_type != 1 || !t.external_data.is_empty() {
        return None;
    }
    let dims: Vec<usize> = t.dims.iter().map(|&d| usize::try_from(d).ok()).collect::<Option<_>>()?;
    let n: usize = dims.iter().product();
    let values: Vec<f32> = if t.raw_data.is_empty() {
        t.float_data.clone()
    } else {
        t.raw_data
            .chunks_exact(4)
            .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
            .collect()
    };
    (values.len() == n).then_some((dims, values))
}

/// Transposes a row-major `rows x cols` matrix.
fn transpose(m: &[f32], rows: usize, cols: usize) -> Vec<f32> {
    let mut t = vec![0.0; m.len()];
    for r in 0..rows {
        for c in 0..cols {
            t[c * rows + r] = m[r * cols + c];
        }
    }
    t
}

impl NativeEncoder {
    /// Reads the weights of a GE2E graph written by `convert.py` from the
    /// parsed ONNX model; `None` when the graph has another shape (the
    /// caller keeps tract).
    pub(crate) fn from_proto(proto: &pb::ModelProto, n_features: usize, dim: usize) -> Option<Self> {
        let graph = proto.graph.as_ref()?;
        if !ops_match(graph) {
            return None;
        }
        let mut layers = Vec::new();
        let mut n_in = n_features;
        let mut hidden = 0;
        for l in 0..3 {
            let (Some((wd, w)), Some((rd, r)), Some((bd, b))) = (
                initializer(graph, &format!("lstm{l}.W")),
                initializer(graph, &format!("lstm{l}.R")),
                initializer(graph, &format!("lstm{l}.B")),
            ) else {
                return None;
            };
            let h = rd.get(2).copied().unwrap_or(0);
            if h == 0 || wd != [1, 4 * h, n_in] || rd != [1, 4 * h, h] || bd != [1, 8 * h] {
                return None;
            }
            hidden = h;
            let r_packed = pack_recurrent(&r, h);
            let bias = (0..4 * h).map(|j| b[j] + b[4 * h + j]).collect();
            layers.push(Layer {
                n_in,
                w_t: transpose(&w, 4 * h, n_in),
                r_packed,
                bias,
                bf16: None,
            });
            n_in = h;
        }
        let (Some((lwd, linear_w)), Some((lbd, linear_b))) =
            (initializer(graph, "linear.weight_T"), initializer(graph, "linear.bias"))
        else {
            return None;
        };
        if lwd != [hidden, dim] || lbd != [dim] {
            return None;
        }
        Some(NativeEncoder {
            cpu: Cpu::detect(),
            bf16_cpu: Bf16Cpu::detect(),
            hidden,
            layers,
            linear_w,
            linear_b,
        })
    }

    /// Switches the precision of the LSTM's products, packing the bf16
    /// weights it needs (and dropping those it does not). Without AVX-512
    /// BF16 every precision falls back to [`Precision::F32`]. Returns the
    /// precision in force.
    pub(crate) fn set_precision(&mut self, precision: Precision) -> Precision {
        let precision = if self.bf16_cpu == Bf16Cpu::Avx512Bf16 {
            precision
        } else {
            Precision::F32
        };
        let h = self.hidden;
        let g = 4 * h;
        let panel = voiceguard_kernels::PANEL;
        for layer in &mut self.layers {
            let (n_in, w_t, r) = (layer.n_in, &layer.w_t, &layer.r_packed);
            layer.bf16 = (precision == Precision::Bf16).then(|| Bf16Weights {
                w: PackedBf16::new(g, n_in, |j, i| w_t[i * g + j]),
                r: PackedBf16::new(g, h, |j, i| r[((j / panel) * h + i) * panel + j % panel]),
            });
        }
        self.precision()
    }

    /// The precision in force: `Bf16` when the layers hold bf16 weights
    /// ([`NativeEncoder::set_precision`] packs all of them or none).
    pub(crate) fn precision(&self) -> Precision {
        match self.layers.first().and_then(|l| l.bf16.as_ref()) {
            Some(_) => Precision::Bf16,
            None => Precision::F32,
        }
    }

    /// Runs `batch` feature matrices of `frames x n_features` (`features`,
    /// batch-major) and writes `batch * dim` unit-norm embeddings to `out`.
    /// Lengths are checked by the caller.
    pub(crate) fn run(&self, features: &[f32], batch: usize, frames: usize, s: &mut NativeScratch, out: &mut [f32]) {
        let h = self.hidden;
        let g = 4 * h;
        let rows = batch * frames;
        let n_feat = self.layers.first().map_or(0, |l| l.n_in);
        // Time-major everywhere (row t*batch + b): the gates and states of
        // one step are contiguous, so nothing is copied per step.
        s.input.resize(rows * n_feat, 0.0);
        for (b, partial) in features.chunks_exact(frames * n_feat).enumerate() {
            for (t, frame) in partial.chunks_exact(n_feat).enumerate() {
                s.input[(t * batch + b) * n_feat..(t * batch + b + 1) * n_feat].copy_from_slice(frame);
            }
        }
        s.gates.resize(CHUNK.min(frames) * batch * g, 0.0);
        s.seq.resize(rows * h, 0.0);
        s.c.resize(batch * h, 0.0);
        let (cpu, bcpu) = (self.cpu, self.bf16_cpu);
        let (bh, bg) = (batch * h, batch * g);
        for (l, layer) in self.layers.iter().enumerate() {
            s.c[..bh].fill(0.0);
            for t0 in (0..frames).step_by(CHUNK) {
                let t1 = (t0 + CHUNK).min(frames);
                // Input projection of the chunk's frames (the biases join in
                // the cell update). Layer l > 0 reads layer l-1's output rows
                // of these frames before its steps overwrite them.
                let gates = &mut s.gates[..(t1 - t0) * bg];
                let x: &[f32] = if l == 0 {
                    &s.input[t0 * batch * layer.n_in..t1 * batch * layer.n_in]
                } else {
                    &s.seq[t0 * bh..t1 * bh]
                };
                if let Some(b) = &layer.bf16 {
                    let need = b.w.scratch_len((t1 - t0) * batch).max(b.r.scratch_len(batch));
                    s.x_bf16.resize(s.x_bf16.len().max(need), 0);
                    matmul_bf16(bcpu, x, &mut s.x_bf16, &b.w, gates, false);
                } else {
                    sgemm((t1 - t0) * batch, layer.n_in, g, x, &layer.w_t, gates);
                }
                for t in t0..t1 {
                    let step = &mut gates[(t - t0) * bg..(t - t0 + 1) * bg];
                    let (done, now) = s.seq.split_at_mut(t * bh);
                    if t > 0 {
                        let prev = &done[(t - 1) * bh..];
                        if let Some(b) = &layer.bf16 {
                            matmul_bf16(bcpu, prev, &mut s.x_bf16, &b.r, step, true);
                        } else {
                            recurrent(cpu, prev, &layer.r_packed, h, step);
                        }
                    }
                    cell_update(cpu, step, &layer.bias, &mut s.c[..bh], &mut now[..bh], h);
                }
            }
        }
        let last = &s.seq[(frames - 1) * batch * h..rows * h];
        // Linear, ReLU, L2 norm.
        let dim = self.linear_b.len();
        sgemm(batch, h, dim, last, &self.linear_w, &mut out[..batch * dim]);
        for o in out[..batch * dim].chunks_exact_mut(dim) {
            let mut ss = 0.0f32;
            for (v, b) in o.iter_mut().zip(&self.linear_b) {
                *v = (*v + b).max(0.0);
                ss += *v * *v;
            }
            let norm = ss.sqrt();
            for v in o.iter_mut() {
                *v /= norm;
            }
        }
    }
}
