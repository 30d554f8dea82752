"""Fuzz: single-op models with random parameters, built without TensorFlow, bit-exact vs TFLM.

Covers parameter corners the Keras converter rarely produces: requantization multipliers
above 1 (left shifts), extreme zero points, large strides and dilations together, tiny
inputs, multi-input ADD with broadcasting, softmax with various betas and input scales.
Each case is compiled once and run on seeded random inputs in one process.
"""

from __future__ import annotations

import numpy as np
import pytest

from edgeq.codegen.native.emit import generate
from edgeq.harness.hostrun import run_tflm
from edgeq.harness.runners import host
from edgeq.model.reader import read_model
from edgeq.ops._common import out_size
from golden_helpers import assert_bit_exact, private_build_cache, random_inputs
from tflite_builder import OneOp, T, build

__all__ = ["private_build_cache"]  # the autouse fixture, imported

ACTS = ["NONE", "RELU", "RELU6", "RELU_N1_TO_1"]
SAMPLES = 100  # issue: every op variant byte-identical on at least 100 random inputs


def _scale(rng, lo, hi) -> float:
    return float(np.float32(10 ** rng.uniform(lo, hi)))


def _geometry(rng, h, w, kh, kw, sh, sw, dh=1, dw=1):
    pad = str(rng.choice(["SAME", "VALID"]))
    oh, ow = out_size(pad, h, kh, sh, dh), out_size(pad, w, kw, sw, dw)
    if oh < 1 or ow < 1:
        pad = "SAME"
        oh, ow = out_size(pad, h, kh, sh, dh), out_size(pad, w, kw, sw, dw)
    return pad, oh, ow


def _act_in(rng):
    return _scale(rng, -2.5, -0.5), int(rng.integers(-128, 128))


def conv_case(rng, depthwise: bool) -> OneOp:
    h, w = (int(v) for v in rng.integers(1, 11, 2))
    kh, kw = (int(v) for v in rng.integers(1, 5, 2))
    sh, sw = (int(v) for v in rng.integers(1, 4, 2))
    dh, dw = (int(v) for v in rng.integers(1, 3, 2))
    pad, oh, ow = _geometry(rng, h, w, kh, kw, sh, sw, dh, dw)
    cin = int(rng.integers(1, 6))
    mult = int(rng.integers(1, 4)) if depthwise else 1
    cout = cin * mult if depthwise else int(rng.integers(1, 7))
    s_in, zp_in = _act_in(rng)
    per_channel = bool(rng.integers(0, 2))
    n_scales = cout if per_channel else 1
    w_scales = tuple(_scale(rng, -3, -1.3) for _ in range(n_scales))
    # output scale spans effective multipliers from ~0.001 to ~3 (left shifts included)
    s_out = float(np.float32(s_in * np.mean(w_scales) * 10 ** rng.uniform(-0.5, 2.8)))
    wshape = (1, kh, kw, cout) if depthwise else (cout, kh, kw, cin)
    weights = rng.integers(-127, 128, wshape, dtype=np.int8)
    tensors = [
        T((1, h, w, cin), "INT8", (s_in,), (zp_in,)),
        T(wshape, "INT8", w_scales, (0,) * n_scales, 3 if depthwise else 0, weights),
        T((1, oh, ow, cout), "INT8", (s_out,), (int(rng.integers(-128, 128)),)),
    ]
    inputs = [0, 1, -1]
    # TFLM's DEPTHWISE_CONV_2D crashes the interpreter (segfault in Prepare) without a bias
    # tensor, so the oracle cannot check that case: depthwise cases always carry one
    if depthwise or rng.random() < 0.8:
        bias = rng.integers(-30000, 30000, cout, dtype=np.int32)
        tensors.append(T((cout,), "INT32", tuple(s_in * s for s in w_scales), (0,) * n_scales, 0, bias))
        inputs[2] = 3
    opts = {"padding": pad, "stride_h": sh, "stride_w": sw, "dilation_h": dh, "dilation_w": dw,
            "act": str(rng.choice(ACTS)), "depth_multiplier": mult}
    return OneOp("DEPTHWISE_CONV_2D" if depthwise else "CONV_2D", tensors, inputs, [2], [0], [2], opts)


def fc_case(rng) -> OneOp:
    b, n, units = int(rng.integers(1, 4)), int(rng.integers(1, 41)), int(rng.integers(1, 13))
    s_in, zp_in = _act_in(rng)
    per_channel = bool(rng.integers(0, 2))
    k = units if per_channel else 1
    w_scales = tuple(_scale(rng, -3, -1.3) for _ in range(k))
    s_out = float(np.float32(s_in * np.mean(w_scales) * 10 ** rng.uniform(-0.5, 2.5)))
    tensors = [
        T((b, n), "INT8", (s_in,), (zp_in,)),
        T((units, n), "INT8", w_scales, (0,) * k, 0, rng.integers(-127, 128, (units, n), dtype=np.int8)),
        T((b, units), "INT8", (s_out,), (int(rng.integers(-128, 128)),)),
    ]
    inputs = [0, 1, -1]
    if rng.random() < 0.7:
        tensors.append(T((units,), "INT32", tuple(s_in * s for s in w_scales), (0,) * k, 0,
                         rng.integers(-20000, 20000, units, dtype=np.int32)))
        inputs[2] = 3
    return OneOp("FULLY_CONNECTED", tensors, inputs, [2], [0], [2], {"act": str(rng.choice(ACTS))})


def pool_case(rng, op: str) -> OneOp:
    h, w, c = int(rng.integers(1, 11)), int(rng.integers(1, 11)), int(rng.integers(1, 6))
    fh, fw = (int(v) for v in rng.integers(1, 5, 2))
    sh, sw = (int(v) for v in rng.integers(1, 4, 2))
    pad, oh, ow = _geometry(rng, h, w, fh, fw, sh, sw)
    s, zp = _act_in(rng)
    tensors = [T((1, h, w, c), "INT8", (s,), (zp,)), T((1, oh, ow, c), "INT8", (s,), (zp,))]
    opts = {"padding": pad, "stride_h": sh, "stride_w": sw, "filter_h": fh, "filter_w": fw,
            "act": str(rng.choice(ACTS))}
    return OneOp(op, tensors, [0], [1], [0], [1], opts)


def add_case(rng) -> OneOp:
    rank = int(rng.integers(1, 5))
    a = tuple(int(v) for v in rng.integers(1, 6, rank))
    b = tuple(d if rng.random() < 0.5 else 1 for d in a)
    if rng.random() < 0.3:
        b = b[int(rng.integers(0, rank)):] or (1,)
    if rng.random() < 0.5:
        a, b = b, a
    out = tuple(np.broadcast_shapes(a, b))
    (s1, z1), (s2, z2), (so, zo) = _act_in(rng), _act_in(rng), _act_in(rng)
    tensors = [T(a, "INT8", (s1,), (z1,)), T(b, "INT8", (s2,), (z2,)), T(out, "INT8", (so,), (zo,))]
    return OneOp("ADD", tensors, [0, 1], [2], [0, 1], [2], {"act": str(rng.choice(ACTS))})


def softmax_case(rng) -> OneOp:
    shape = (int(rng.integers(1, 4)), int(rng.integers(1, 5)), int(rng.integers(1, 21)))
    s, zp = _scale(rng, -2, -0.3), int(rng.integers(-128, 128))
    tensors = [T(shape, "INT8", (s,), (zp,)), T(shape, "INT8", (1 / 256,), (-128,))]
    return OneOp("SOFTMAX", tensors, [0], [1], [0], [1], {"beta": float(rng.uniform(0.3, 2.0))})


def quantize_case(rng) -> OneOp:
    shape = (1, int(rng.integers(1, 30)))
    s1, z1 = _act_in(rng)
    s2 = float(np.float32(s1 * 10 ** rng.uniform(-1.5, 1.5)))
    z2 = int(rng.integers(-128, 128))
    if rng.random() < 0.5:
        tensors = [T(shape, "INT8", (s1,), (z1,)), T(shape, "INT8", (s2,), (z2,))]
        return OneOp("QUANTIZE", tensors, [0], [1], [0], [1])
    if rng.random() < 0.5:
        tensors = [T(shape, "FLOAT32"), T(shape, "INT8", (s2,), (z2,))]
        return OneOp("QUANTIZE", tensors, [0], [1], [0], [1])
    tensors = [T(shape, "INT8", (s1,), (z1,)), T(shape, "FLOAT32")]
    return OneOp("DEQUANTIZE", tensors, [0], [1], [0], [1])


def concat_case(rng) -> OneOp:
    rank = int(rng.integers(1, 5))
    base = [int(v) for v in rng.integers(1, 5, rank)]
    axis = int(rng.integers(0, rank))
    n = int(rng.integers(2, 4))
    s, zp = _act_in(rng)
    tensors = []
    total = 0
    for _ in range(n):
        shp = list(base)
        shp[axis] = int(rng.integers(1, 4))
        total += shp[axis]
        tensors.append(T(tuple(shp), "INT8", (s,), (zp,)))
    out = list(base)
    out[axis] = total
    tensors.append(T(tuple(out), "INT8", (s,), (zp,)))
    axis_opt = axis - rank if rng.random() < 0.3 else axis
    return OneOp("CONCATENATION", tensors, list(range(n)), [n], list(range(n)), [n], {"axis": axis_opt})


def _bcast_pair(rng, max_rank=4):
    rank = int(rng.integers(1, max_rank + 1))
    a = tuple(int(v) for v in rng.integers(1, 6, rank))
    b = tuple(d if rng.random() < 0.5 else 1 for d in a)
    if rng.random() < 0.3:
        b = b[int(rng.integers(0, rank)):] or (1,)
    if rng.random() < 0.5:
        a, b = b, a
    return a, b, tuple(np.broadcast_shapes(a, b))


def binary_case(rng, op: str) -> OneOp:
    """MUL / SUB / MAXIMUM / MINIMUM with broadcasting; MUL multipliers above 1 included."""
    a, b, out = _bcast_pair(rng)
    if op in ("MAXIMUM", "MINIMUM"):
        q = _act_in(rng)
        (s1, z1), (s2, z2), (so, zo) = q, q, q
    else:
        (s1, z1), (s2, z2), (so, zo) = _act_in(rng), _act_in(rng), _act_in(rng)
    if op == "MUL":
        so = float(np.float32(s1 * s2 * 10 ** rng.uniform(-1.5, 1.5)))
    tensors = [T(a, "INT8", (s1,), (z1,)), T(b, "INT8", (s2,), (z2,)), T(out, "INT8", (so,), (zo,))]
    opts = {"act": str(rng.choice(ACTS))} if op in ("MUL", "SUB") else {}
    return OneOp(op, tensors, [0, 1], [2], [0, 1], [2], opts)


def mean_case(rng, op: str = "MEAN") -> OneOp:
    """MEAN (its own output quantization) or REDUCE_MAX/REDUCE_MIN (the input's, as TFLM
    requires) over a random set of axes."""
    rank = int(rng.integers(1, 5))
    shape = tuple(int(v) for v in rng.integers(1, 7, rank))
    axes = [a for a in range(rank) if rng.random() < 0.5] or [rank - 1]
    keep = bool(rng.integers(0, 2))
    out = tuple(1 if a in axes else d for a, d in enumerate(shape)) if keep else \
        tuple(d for a, d in enumerate(shape) if a not in axes)
    axes_opt = [a - rank if rng.random() < 0.3 else a for a in axes]
    s, zp = _act_in(rng)
    so = float(np.float32(s * 10 ** rng.uniform(-1, 1)))
    if op == "SUM":  # a sum grows with the count: an output scale that keeps it in range
        count = int(np.prod([shape[a] for a in axes]))
        so = float(np.float32(s * count * 10 ** rng.uniform(-1.2, 0.3)))
    out_q = ((so,), (int(rng.integers(-128, 128)),)) if op in ("MEAN", "SUM") else ((s,), (zp,))
    tensors = [T(shape, "INT8", (s,), (zp,)), T((len(axes),), "INT32", data=np.array(axes_opt, np.int32)),
               T(out, "INT8", *out_q)]
    return OneOp(op, tensors, [0, 1], [2], [0], [2], {"keep_dims": keep})


def unary_case(rng, op: str) -> OneOp:
    """LOGISTIC / TANH / HARD_SWISH / RELU / RELU6 / LEAKY_RELU over a wide range of scales."""
    shape = (1, int(rng.integers(1, 40)))
    s, zp = _scale(rng, -3, 0), int(rng.integers(-128, 128))
    if op == "LOGISTIC":
        so, zo = 1 / 256, -128
    elif op == "TANH":
        so, zo = 1 / 128, 0
    elif op == "RELU6" and rng.random() < 0.7:
        so, zo = s, zp
    else:
        so, zo = float(np.float32(s * 10 ** rng.uniform(-1, 1))), int(rng.integers(-128, 128))
    tensors = [T(shape, "INT8", (s,), (zp,)), T(shape, "INT8", (so,), (zo,))]
    opts = {"alpha": float(rng.uniform(-0.5, 0.9))} if op == "LEAKY_RELU" else {}
    return OneOp(op, tensors, [0], [1], [0], [1], opts)


def pad_case(rng) -> OneOp:
    rank = int(rng.integers(1, 6))
    shape = tuple(int(v) for v in rng.integers(1, 5, rank))
    pads = rng.integers(0, 3, (rank, 2)).astype(np.int32)
    out = tuple(int(d + p[0] + p[1]) for d, p in zip(shape, pads))
    s, zp = _act_in(rng)
    tensors = [T(shape, "INT8", (s,), (zp,)), T((rank, 2), "INT32", data=pads), T(out, "INT8", (s,), (zp,))]
    if rng.random() < 0.5:
        tensors.append(T((1,), "INT8", (s,), (zp,), data=np.array([rng.integers(-128, 128)], np.int8)))
        return OneOp("PADV2", tensors, [0, 1, 3], [2], [0], [2])
    return OneOp("PAD", tensors, [0, 1], [2], [0], [2])


def transpose_case(rng) -> OneOp:
    rank = int(rng.integers(2, 6))
    shape = tuple(int(v) for v in rng.integers(1, 5, rank))
    perm = rng.permutation(rank).astype(np.int32)
    s, zp = _act_in(rng)
    tensors = [T(shape, "INT8", (s,), (zp,)), T((rank,), "INT32", data=perm),
               T(tuple(shape[p] for p in perm), "INT8", (s,), (zp,))]
    return OneOp("TRANSPOSE", tensors, [0, 1], [2], [0], [2])


def strided_slice_case(rng) -> OneOp:
    """Random begin/end/strides (negative ones too) and masks; the expected shape comes from
    numpy's slicing (TFLM checks it in Prepare)."""
    rank = int(rng.integers(1, 5))
    shape = tuple(int(v) for v in rng.integers(1, 8, rank))
    while True:
        begin, end, strides, slices = [], [], [], []
        bmask = emask = smask = 0
        for a, d in enumerate(shape):
            st = int(rng.choice([1, 1, 2, 3, -1, -2]))
            b, e = int(rng.integers(-d - 1, d + 2)), int(rng.integers(-d - 1, d + 2))
            if rng.random() < 0.15:
                smask |= 1 << a
                b, st = int(rng.integers(-d, d)), 1
                e = b + 1
                slices.append(b)
            else:
                sb, se = b, e
                if rng.random() < 0.25:
                    bmask |= 1 << a
                    sb = None
                if rng.random() < 0.25:
                    emask |= 1 << a
                    se = None
                slices.append(slice(sb, se, st))
            begin.append(b)
            end.append(e)
            strides.append(st)
        out = np.empty(shape)[tuple(slices)].shape
        if int(np.prod(out)) > 0:
            break
    s, zp = _act_in(rng)
    tensors = [T(shape, "INT8", (s,), (zp,))] + [T((rank,), "INT32", data=np.array(v, np.int32))
                                                  for v in (begin, end, strides)]
    tensors.append(T(out or (1,), "INT8", (s,), (zp,)))
    if not out:  # every axis shrunk: a scalar
        tensors[-1].shape = ()
    opts = {"begin_mask": bmask, "end_mask": emask, "shrink_axis_mask": smask}
    return OneOp("STRIDED_SLICE", tensors, [0, 1, 2, 3], [4], [0], [4], opts)


def split_case(rng) -> OneOp:
    rank = int(rng.integers(1, 5))
    shape = [int(v) for v in rng.integers(1, 5, rank)]
    axis = int(rng.integers(0, rank))
    n = int(rng.integers(1, 4))
    s, zp = _act_in(rng)
    if rng.random() < 0.5:
        shape[axis] *= n
        sizes = [shape[axis] // n] * n
    else:
        sizes = [int(v) for v in rng.integers(1, 4, n)]
        shape[axis] = sum(sizes)
    outs = []
    for k in sizes:
        o = list(shape)
        o[axis] = k
        outs.append(T(tuple(o), "INT8", (s,), (zp,)))
    axis_t = T((1,), "INT32", data=np.array([axis - rank if rng.random() < 0.3 else axis], np.int32))
    x = T(tuple(shape), "INT8", (s,), (zp,))
    if len(set(sizes)) == 1 and rng.random() < 0.6:
        out_idx = list(range(2, 2 + n))
        return OneOp("SPLIT", [axis_t, x] + outs, [0, 1], out_idx, [1], out_idx, {"num_splits": n})
    out_idx = list(range(3, 3 + n))
    tensors = [x, T((n,), "INT32", data=np.array(sizes, np.int32)), axis_t] + outs
    return OneOp("SPLIT_V", tensors, [0, 1, 2], out_idx, [0], out_idx, {"num_splits": n})


def transpose_conv_case(rng) -> OneOp:
    """Conv2DTranspose as the converter writes it: SAME (out = in x stride) or VALID (out =
    (in - 1) x stride + k), per-channel or per-tensor weights, with or without a bias."""
    h, w = (int(v) for v in rng.integers(1, 7, 2))
    kh, kw = (int(v) for v in rng.integers(1, 5, 2))
    sh, sw = (int(v) for v in rng.integers(1, 4, 2))
    pad = str(rng.choice(["SAME", "VALID"]))
    oh, ow = (h * sh, w * sw) if pad == "SAME" else ((h - 1) * sh + kh, (w - 1) * sw + kw)
    cin, cout = int(rng.integers(1, 6)), int(rng.integers(1, 7))
    s_in, zp_in = _act_in(rng)
    n_scales = cout if rng.random() < 0.7 else 1
    w_scales = tuple(_scale(rng, -3, -1.3) for _ in range(n_scales))
    s_out = float(np.float32(s_in * np.mean(w_scales) * 10 ** rng.uniform(-0.5, 2.8)))
    tensors = [T((4,), "INT32", data=np.array([1, oh, ow, cout], np.int32)),
               T((cout, kh, kw, cin), "INT8", w_scales, (0,) * n_scales, 0,
                 rng.integers(-127, 128, (cout, kh, kw, cin), dtype=np.int8)),
               T((1, h, w, cin), "INT8", (s_in,), (zp_in,)),
               T((1, oh, ow, cout), "INT8", (s_out,), (int(rng.integers(-128, 128)),))]
    inputs = [0, 1, 2]
    if rng.random() < 0.7:
        tensors.append(T((cout,), "INT32", tuple(s_in * s for s in w_scales), (0,) * n_scales, 0,
                         rng.integers(-30000, 30000, cout, dtype=np.int32)))
        inputs.append(4)
    opts = {"padding": pad, "stride_h": sh, "stride_w": sw, "act": str(rng.choice(ACTS))}
    return OneOp("TRANSPOSE_CONV", tensors, inputs, [3], [2], [3], opts)


def transpose_conv16_case(rng) -> OneOp:
    """transpose_conv_case with int16 activations (zero point 0), an int64 bias (or int16) and
    an output scale that keeps the accumulators in the int16 range."""
    m = transpose_conv_case(rng)
    x, w, y = m.tensors[2], m.tensors[1], m.tensors[3]
    for t in (x, y):
        t.dtype, t.zero_point = "INT16", (0,)
    k = w.data[0].size
    acc = np.sqrt(k) * 32768 / np.sqrt(3) * 127 / np.sqrt(3)
    y.scale = (float(np.float32(x.scale[0] * np.mean(w.scale) * acc / 6000 * 10 ** rng.uniform(-0.7, 0.7))),)
    if len(m.inputs) > 3:
        bias = m.tensors[4]
        if rng.random() < 0.3:
            bias.dtype, bias.data = "INT16", (bias.data // 4).astype(np.int16)
        else:
            bias.dtype, bias.data = "INT64", bias.data.astype(np.int64) * 64
    return m


def pack_case(rng, op: str) -> OneOp:
    """PACK (N inputs stacked on a new axis) or UNPACK (the reverse), negative axes too."""
    rank = int(rng.integers(1, 4))
    part = tuple(int(v) for v in rng.integers(1, 5, rank))
    n = int(rng.integers(1, 6))
    axis = int(rng.integers(0, rank + 1))
    packed = part[:axis] + (n,) + part[axis:]
    s, zp = _act_in(rng)
    a = axis - (rank + 1) if rng.random() < 0.3 else axis
    parts = [T(part, "INT8", (s,), (zp,)) for _ in range(n)]
    if op == "PACK":
        ins = list(range(n))
        return OneOp("PACK", parts + [T(packed, "INT8", (s,), (zp,))], ins, [n], ins, [n],
                     {"values_count": n, "axis": a})
    outs = list(range(1, n + 1))
    return OneOp("UNPACK", [T(packed, "INT8", (s,), (zp,))] + parts, [0], outs, [0], outs, {"num": n, "axis": a})


def resize_case(rng, op: str = "RESIZE_NEAREST_NEIGHBOR") -> OneOp:
    """Up- and downscaling by integer and fractional factors, every corner/centre mode."""
    n, h, w, c = int(rng.integers(1, 3)), *(int(v) for v in rng.integers(1, 7, 3))
    oh, ow = (int(v) for v in rng.integers(1, 13, 2))
    ac = bool(rng.random() < 0.4)
    hp = (not ac) and bool(rng.random() < 0.6)
    s, zp = _act_in(rng)
    tensors = [T((n, h, w, c), "INT8", (s,), (zp,)), T((2,), "INT32", data=np.array([oh, ow], np.int32)),
               T((n, oh, ow, c), "INT8", (s,), (zp,))]
    return OneOp(op, tensors, [0, 1], [2], [0], [2], {"align_corners": ac, "half_pixel_centers": hp})


def space_depth_case(rng, op: str) -> OneOp:
    """DEPTH_TO_SPACE / SPACE_TO_DEPTH with block sizes 1 to 3 and batches up to 2."""
    bs = int(rng.integers(1, 4))
    n, h, w, c = int(rng.integers(1, 3)), *(int(v) for v in rng.integers(1, 5, 3))
    s, zp = _act_in(rng)
    small, big = (n, h, w, c * bs * bs), (n, h * bs, w * bs, c)
    x, y = (small, big) if op == "DEPTH_TO_SPACE" else (big, small)
    return OneOp(op, [T(x, "INT8", (s,), (zp,)), T(y, "INT8", (s,), (zp,))], [0], [1], [0], [1],
                 {"block_size": bs})


def arg_case(rng, op: str) -> OneOp:
    """ARG_MAX / ARG_MIN over a random axis (negative too) of a 1-D to 4-D int8 tensor."""
    rank = int(rng.integers(1, 5))
    shape = tuple(int(v) for v in rng.integers(1, 6, rank))
    axis = int(rng.integers(0, rank))
    a = axis - rank if rng.random() < 0.3 else axis
    s, zp = _act_in(rng)
    out = tuple(d for k, d in enumerate(shape) if k != axis)
    tensors = [T(shape, "INT8", (s,), (zp,)), T((1,), "INT32", data=np.array([a], np.int32)), T(out, "INT32")]
    return OneOp(op, tensors, [0, 1], [2], [0], [2], {"output_type": "INT32"})


def sqdiff_case(rng) -> OneOp:
    """SQUARED_DIFFERENCE with broadcasting; the output scale near the squares' range (so
    outputs vary) or far off (saturation, tiny multipliers)."""
    a, b, out = _bcast_pair(rng)
    (s1, z1), (s2, z2), (_, zo) = _act_in(rng), _act_in(rng), _act_in(rng)
    span = (max(s1, s2) * 200.0) ** 2
    so = float(np.float32(span / 255.0 * 10 ** rng.uniform(-1.0, 0.7)))
    tensors = [T(a, "INT8", (s1,), (z1,)), T(b, "INT8", (s2,), (z2,)), T(out, "INT8", (so,), (zo,))]
    return OneOp("SQUARED_DIFFERENCE", tensors, [0, 1], [2], [0, 1], [2])


def batch_matmul_case(rng, both_inputs: bool = True) -> OneOp:
    """BATCH_MATMUL of ranks 2 to 4 with broadcast batch dimensions and adj_x / adj_y; the rhs
    an input (attention) or a constant (weights)."""
    rank_a, rank_b = int(rng.integers(2, 5)), int(rng.integers(2, 5))
    batch = tuple(int(v) for v in rng.integers(1, 4, 3))
    ba = tuple(d if rng.random() < 0.6 else 1 for d in batch)[3 - (rank_a - 2):]
    bb = tuple(d if rng.random() < 0.6 else 1 for d in batch)[3 - (rank_b - 2):]
    rows, depth, cols = (int(v) for v in rng.integers(1, 9, 3))
    adj_x, adj_y = bool(rng.random() < 0.4), bool(rng.random() < 0.4)
    a = ba + ((depth, rows) if adj_x else (rows, depth))
    b = bb + ((cols, depth) if adj_y else (depth, cols))
    n = max(rank_a, rank_b)
    ea, eb = (1,) * (n - rank_a) + ba, (1,) * (n - rank_b) + bb
    out = tuple(max(x, z) for x, z in zip(ea, eb)) + (rows, cols)
    (s1, z1), (s2, z2), (_, zo) = _act_in(rng), _act_in(rng), _act_in(rng)
    so = float(np.float32(s1 * s2 * 128 * np.sqrt(depth) * 10 ** rng.uniform(-1.0, 0.5)))
    data = None if both_inputs else rng.integers(-127, 128, b, dtype=np.int8)
    tensors = [T(a, "INT8", (s1,), (z1,)), T(b, "INT8", (s2,), (z2 if both_inputs else 0,), data=data),
               T(out, "INT8", (so,), (zo,))]
    ins = [0, 1] if both_inputs else [0]
    return OneOp("BATCH_MATMUL", tensors, [0, 1], [2], ins, [2], {"adj_x": adj_x, "adj_y": adj_y})


def gather_case(rng) -> OneOp:
    """GATHER with constant coordinates (repeats, any order; 0-D to 2-D), any axis (negative
    too), batch_dims 0 or 1."""
    rank = int(rng.integers(1, 5))
    shape = tuple(int(v) for v in rng.integers(1, 6, rank))
    axis = int(rng.integers(0, rank))
    bd = int(rng.integers(0, 2)) if axis >= 1 else 0
    cshape = tuple(shape[:bd]) + tuple(int(v) for v in rng.integers(1, 5, int(rng.integers(0, 3))))
    coords = rng.integers(0, shape[axis], cshape).astype(np.int32)
    out = tuple(shape[:axis]) + cshape[bd:] + tuple(shape[axis + 1:])
    s, zp = _act_in(rng)
    a = axis - rank if rng.random() < 0.3 else axis
    tensors = [T(shape, "INT8", (s,), (zp,)), T(cshape, "INT32", data=coords), T(out, "INT8", (s,), (zp,))]
    return OneOp("GATHER", tensors, [0, 1], [2], [0], [2], {"axis": a, "batch_dims": bd})


def to_int16x8(m: OneOp, acc32: bool = False) -> OneOp:
    """The same op with int16 activations (zero point 0, as TFLM requires) and an int64 bias:
    what `edgeq quantize --mode int16x8` produces. ``acc32``: keep an int32 bias (or, without
    one, set quantized_bias_type INT32): TFLM's int32-accumulator variant."""
    for idx in (*m.graph_inputs, *m.graph_outputs):
        m.tensors[idx].dtype = "INT16"
        m.tensors[idx].zero_point = (0,)
    if m.op == "PADV2":  # the pad value: an int16 constant quantized like the output
        c = m.tensors[m.inputs[2]]
        c.dtype, c.zero_point, c.data = "INT16", (0,), (c.data.astype(np.int16) * 200)
    if m.op == "MUL":  # products of int16 values: an output scale that keeps them in range
        a, b, out = (m.tensors[i] for i in (*m.inputs, *m.outputs))
        spread = 10 ** np.random.default_rng(len(out.shape)).uniform(-1, 0.5)
        out.scale = (float(np.float32(a.scale[0] * b.scale[0] * 32768 * spread)),)
    if m.op in ("CONV_2D", "DEPTHWISE_CONV_2D", "FULLY_CONNECTED"):
        # an output scale that puts typical accumulators in the int16 range (random int8-style
        # scales would mostly saturate or round to nothing), and mostly unclamped activations
        rng = np.random.default_rng(len(m.tensors[1].data.reshape(-1)))
        x, w, out = m.tensors[0], m.tensors[1], m.tensors[m.graph_outputs[0]]
        k = w.data.size // (w.shape[-1] if m.op == "DEPTHWISE_CONV_2D" else w.shape[0])
        acc = np.sqrt(k) * 32768 / np.sqrt(3) * 127 / np.sqrt(3)
        out.scale = (float(np.float32(x.scale[0] * np.mean(w.scale) * acc / 6000 * 10 ** rng.uniform(-0.7, 0.7))),)
        m.options["act"] = str(rng.choice(["NONE", "NONE", "RELU", "RELU6"]))
    for t in m.tensors:
        if acc32:
            m.options["bias_type"] = "INT32"
            break
        if t.dtype == "INT32" and t.data is not None and m.op in ("CONV_2D", "DEPTHWISE_CONV_2D", "FULLY_CONNECTED"):
            t.dtype, t.data = "INT64", t.data.astype(np.int64) * 64
    return m


def softmax16_case(rng) -> OneOp:
    """int16 -> int16 (TFLM's lookup tables) or int8 -> int16."""
    shape = (int(rng.integers(1, 4)), int(rng.integers(1, 21)))
    beta = float(rng.uniform(0.3, 2.0))
    if rng.random() < 0.6:
        s = _scale(rng, -4.5, -2.5)
        tensors = [T(shape, "INT16", (s,), (0,)), T(shape, "INT16", (1 / 32768,), (0,))]
    else:
        s, zp = _scale(rng, -2, -0.3), int(rng.integers(-128, 128))
        tensors = [T(shape, "INT8", (s,), (zp,)), T(shape, "INT16", (1 / 65536,), (-32768,))]
    return OneOp("SOFTMAX", tensors, [0], [1], [0], [1], {"beta": beta})


def quantize16_case(rng) -> OneOp:
    """QUANTIZE between int8 and int16 (mixed models), float <-> int16."""
    shape = (1, int(rng.integers(1, 30)))
    kind = int(rng.integers(0, 5))
    s8, z8 = _act_in(rng)
    s16 = float(np.float32(s8 * 10 ** rng.uniform(-3, -1)))
    if kind == 0:
        tensors = [T(shape, "INT8", (s8,), (z8,)), T(shape, "INT16", (s16,), (0,))]
    elif kind == 1:
        tensors = [T(shape, "INT16", (s16,), (0,)), T(shape, "INT8", (s8,), (z8,))]
    elif kind == 2:
        tensors = [T(shape, "INT16", (s16,), (0,)), T(shape, "INT16", (float(np.float32(s16 * 1.7)),), (0,))]
    elif kind == 3:
        tensors = [T(shape, "FLOAT32"), T(shape, "INT16", (s16,), (0,))]
    else:
        return OneOp("DEQUANTIZE", [T(shape, "INT16", (s16,), (0,)), T(shape, "FLOAT32")], [0], [1], [0], [1])
    return OneOp("QUANTIZE", tensors, [0], [1], [0], [1])


def sigmoid16_case(rng, op: str) -> OneOp:
    """int16 LOGISTIC / TANH: general and power-of-two input scales (TFLM's two paths)."""
    shape = (1, int(rng.integers(1, 60)))
    s = float(2.0 ** -int(rng.choice([12, 12, 11, 13]))) if rng.random() < 0.5 else _scale(rng, -5, -2.5)
    tensors = [T(shape, "INT16", (s,), (0,)), T(shape, "INT16", (2.0 ** -15,), (0,))]
    return OneOp(op, tensors, [0], [1], [0], [1])


CASES = (
    [("conv", i) for i in range(10)] + [("dwconv", i) for i in range(8)] + [("fc", i) for i in range(8)]
    + [("avgpool", i) for i in range(6)] + [("maxpool", i) for i in range(5)] + [("add", i) for i in range(8)]
    + [("softmax", i) for i in range(6)] + [("quantize", i) for i in range(6)] + [("concat", i) for i in range(3)]
    + [("mul", i) for i in range(5)] + [("sub", i) for i in range(4)] + [("maximum", i) for i in range(2)]
    + [("minimum", i) for i in range(2)] + [("mean", i) for i in range(6)] + [("logistic", i) for i in range(4)]
    + [("tanh", i) for i in range(4)] + [("hard_swish", i) for i in range(6)] + [("relu", i) for i in range(2)]
    + [("relu6", i) for i in range(2)] + [("leaky_relu", i) for i in range(3)] + [("pad", i) for i in range(4)]
    + [("transpose", i) for i in range(3)] + [("strided_slice", i) for i in range(6)] + [("split", i) for i in range(4)]
    + [("conv16acc32", i) for i in range(3)] + [("fc16acc32", i) for i in range(3)]
    + [("conv16", i) for i in range(5)] + [("dwconv16", i) for i in range(4)] + [("fc16", i) for i in range(4)]
    + [("add16", i) for i in range(3)] + [("maxpool16", i) for i in range(2)] + [("avgpool16", i) for i in range(2)]
    + [("softmax16", i) for i in range(5)] + [("quantize16", i) for i in range(5)]
    + [("logistic16", i) for i in range(5)] + [("tanh16", i) for i in range(5)]
    + [("mul16", i) for i in range(3)] + [("sub16", i) for i in range(3)] + [("maximum16", i) for i in range(2)]
    + [("mean16", i) for i in range(3)] + [("relu16", i) for i in range(2)] + [("relu616", i) for i in range(2)]
    + [("leaky_relu16", i) for i in range(2)] + [("pad16", i) for i in range(3)]
    + [("transpose16", i) for i in range(2)] + [("strided_slice16", i) for i in range(2)]
    + [("split16", i) for i in range(2)] + [("concat16", i) for i in range(2)]
    + [("pack", i) for i in range(4)] + [("unpack", i) for i in range(4)] + [("resize_nearest", i) for i in range(6)]
    + [("unpack16", i) for i in range(2)] + [("resize_nearest16", i) for i in range(2)]
    + [("reduce_max", i) for i in range(4)] + [("reduce_min", i) for i in range(2)]
    + [("transpose_conv", i) for i in range(8)]
    + [("depth_to_space", i) for i in range(4)] + [("space_to_depth", i) for i in range(4)]
    + [("arg_max", i) for i in range(4)] + [("arg_min", i) for i in range(3)] + [("gather", i) for i in range(8)]
    + [("squared_difference", i) for i in range(8)] + [("squared_difference16", i) for i in range(4)]
    + [("sum", i) for i in range(6)] + [("sum16", i) for i in range(3)]
    + [("batch_matmul", i) for i in range(10)] + [("batch_matmul_const", i) for i in range(4)]
    + [("batch_matmul16", i) for i in range(4)] + [("resize_bilinear", i) for i in range(14)]
    + [("transpose_conv16", i) for i in range(8)]
)
MAKERS = {
    "conv": lambda r: conv_case(r, False), "dwconv": lambda r: conv_case(r, True), "fc": fc_case,
    "avgpool": lambda r: pool_case(r, "AVERAGE_POOL_2D"), "maxpool": lambda r: pool_case(r, "MAX_POOL_2D"),
    "add": add_case, "softmax": softmax_case, "quantize": quantize_case, "concat": concat_case,
    "mul": lambda r: binary_case(r, "MUL"), "sub": lambda r: binary_case(r, "SUB"),
    "maximum": lambda r: binary_case(r, "MAXIMUM"), "minimum": lambda r: binary_case(r, "MINIMUM"),
    "mean": mean_case, "logistic": lambda r: unary_case(r, "LOGISTIC"), "tanh": lambda r: unary_case(r, "TANH"),
    "hard_swish": lambda r: unary_case(r, "HARD_SWISH"), "relu": lambda r: unary_case(r, "RELU"),
    "relu6": lambda r: unary_case(r, "RELU6"), "leaky_relu": lambda r: unary_case(r, "LEAKY_RELU"),
    "pad": pad_case, "transpose": transpose_case, "strided_slice": strided_slice_case, "split": split_case,
    "conv16acc32": lambda r: to_int16x8(conv_case(r, False), acc32=True),
    "fc16acc32": lambda r: to_int16x8(fc_case(r), acc32=True),
    "conv16": lambda r: to_int16x8(conv_case(r, False)), "dwconv16": lambda r: to_int16x8(conv_case(r, True)),
    "fc16": lambda r: to_int16x8(fc_case(r)), "add16": lambda r: to_int16x8(add_case(r)),
    "maxpool16": lambda r: to_int16x8(pool_case(r, "MAX_POOL_2D")),
    "avgpool16": lambda r: to_int16x8(pool_case(r, "AVERAGE_POOL_2D")),
    "softmax16": softmax16_case, "quantize16": quantize16_case,
    "logistic16": lambda r: sigmoid16_case(r, "LOGISTIC"), "tanh16": lambda r: sigmoid16_case(r, "TANH"),
    "mul16": lambda r: to_int16x8(binary_case(r, "MUL")), "sub16": lambda r: to_int16x8(binary_case(r, "SUB")),
    "maximum16": lambda r: to_int16x8(binary_case(r, "MAXIMUM")), "mean16": lambda r: to_int16x8(mean_case(r)),
    "relu16": lambda r: to_int16x8(unary_case(r, "RELU")), "relu616": lambda r: to_int16x8(unary_case(r, "RELU6")),
    "leaky_relu16": lambda r: to_int16x8(unary_case(r, "LEAKY_RELU")), "pad16": lambda r: to_int16x8(pad_case(r)),
    "transpose16": lambda r: to_int16x8(transpose_case(r)),
    "strided_slice16": lambda r: to_int16x8(strided_slice_case(r)), "split16": lambda r: to_int16x8(split_case(r)),
    "concat16": lambda r: to_int16x8(concat_case(r)),
    "pack": lambda r: pack_case(r, "PACK"), "unpack": lambda r: pack_case(r, "UNPACK"), "resize_nearest": resize_case,
    "unpack16": lambda r: to_int16x8(pack_case(r, "UNPACK")), "resize_nearest16": lambda r: to_int16x8(resize_case(r)),
    "reduce_max": lambda r: mean_case(r, "REDUCE_MAX"), "reduce_min": lambda r: mean_case(r, "REDUCE_MIN"),
    "transpose_conv": transpose_conv_case,
    "depth_to_space": lambda r: space_depth_case(r, "DEPTH_TO_SPACE"),
    "space_to_depth": lambda r: space_depth_case(r, "SPACE_TO_DEPTH"),
    "arg_max": lambda r: arg_case(r, "ARG_MAX"), "arg_min": lambda r: arg_case(r, "ARG_MIN"),
    "gather": gather_case,
    "squared_difference": sqdiff_case, "squared_difference16": lambda r: to_int16x8(sqdiff_case(r)),
    "sum": lambda r: mean_case(r, "SUM"), "sum16": lambda r: to_int16x8(mean_case(r, "SUM")),
    "batch_matmul": batch_matmul_case, "batch_matmul_const": lambda r: batch_matmul_case(r, False),
    "batch_matmul16": lambda r: to_int16x8(batch_matmul_case(r)),
    "resize_bilinear": lambda r: resize_case(r, "RESIZE_BILINEAR"),
    "transpose_conv16": transpose_conv16_case,
}


@pytest.mark.parametrize("kind, i", CASES, ids=[f"{k}{i}" for k, i in CASES])
def test_random_single_op_model_is_bit_exact(kind, i, tmp_path):
    rng = np.random.default_rng(1000 * list(MAKERS).index(kind) + i)
    data = build(MAKERS[kind](rng))
    path = tmp_path / f"{kind}{i}.tflite"
    path.write_bytes(data)
    assert_bit_exact(path, generate(read_model(path)), seed=i)


def test_depthwise_without_bias(tmp_path):
    """TFLM segfaults on a bias-less DEPTHWISE_CONV_2D; edgeq-micro runs it, and it equals TFLM
    on the same model with an explicit zero bias. `edgeq run --runtime tflm` fails cleanly."""
    import subprocess
    import sys

    rng = np.random.default_rng(7)
    m = conv_case(rng, True)
    zero_bias = build(m)
    m.tensors[3].data = np.zeros_like(m.tensors[3].data)
    zero_bias = build(m)
    m.inputs[2] = -1
    no_bias = build(m)
    (tmp_path / "zb.tflite").write_bytes(zero_bias)
    (tmp_path / "nb.tflite").write_bytes(no_bias)
    sources = generate(read_model(tmp_path / "nb.tflite"))
    inputs = random_inputs(sources.inputs, SAMPLES, seed=7)
    got = host.run(sources, inputs)[0]
    want = run_tflm(tmp_path / "zb.tflite", sources.inputs, sources.outputs, inputs)[0]
    assert np.array_equal(got, want)
    np.savez(tmp_path / "x.npz", x=inputs[0])
    exe = [sys.executable, "-m", "edgeq.cli"]
    r = subprocess.run([*exe, "run", str(tmp_path / "nb.tflite"), "--target", "host", "--runtime", "tflm",
                        "--input", str(tmp_path / "x.npz"), "-o", str(tmp_path / "o.npz")],
                       capture_output=True, text=True)
    assert r.returncode == 1 and "Traceback" not in r.stderr and len(r.stderr.strip().splitlines()) == 1


def test_mixed_int8_int16x8_model(tmp_path):
    """Some layers int8, some int16x8, joined by QUANTIZE int8 <-> int16 (as a per-layer
    mixed-precision model holds them): bit-exact with TFLM on 100 inputs."""
    from tflite_builder import Op, build_graph

    rng = np.random.default_rng(16)
    s8 = lambda: float(np.float32(10 ** rng.uniform(-2, -1)))  # noqa: E731
    w1 = rng.integers(-127, 128, (4, 3, 3, 3), dtype=np.int8)
    w2 = rng.integers(-127, 128, (1, 3, 3, 4), dtype=np.int8)
    w3 = rng.integers(-127, 128, (5, 4), dtype=np.int8)
    sx, sc, s16, sd, sa, so = s8(), 0.05, 0.05 / 4096, 0.05 / 1024, 0.05 / 512, 0.08
    tensors = [
        T((1, 6, 6, 3), "INT8", (sx,), (7,)),                                             # 0 input
        T(w1.shape, "INT8", tuple(float(np.float32(10 ** rng.uniform(-2.5, -1.5))) for _ in range(4)),
          (0,) * 4, 0, w1),                                                               # 1
        T((4,), "INT32", None, None, 0, rng.integers(-300, 300, 4, dtype=np.int32)),      # 2
        T((1, 6, 6, 4), "INT8", (sc,), (-3,)),                                            # 3 conv int8
        T((1, 6, 6, 4), "INT16", (s16,), (0,)),                                           # 4 -> int16
        T(w2.shape, "INT8", tuple(float(np.float32(10 ** rng.uniform(-2.5, -1.5))) for _ in range(4)),
          (0,) * 4, 3, w2),                                                               # 5
        T((4,), "INT64", None, None, 0, rng.integers(-30000, 30000, 4).astype(np.int64)),  # 6
        T((1, 6, 6, 4), "INT16", (sd,), (0,)),                                            # 7 dw int16
        T((1, 6, 6, 4), "INT16", (sa,), (0,)),                                            # 8 add int16
        T((1, 6, 6, 4), "INT8", (so,), (5,)),                                             # 9 -> int8
        T(w3.shape, "INT8", (0.02,), (0,), 0, w3),                                        # 10
        T((36, 5), "INT8", (0.3,), (-10,)),                                               # 11 fc int8
    ]
    for t, s_in, s_w in ((2, sx, tensors[1].scale), (6, s16, tensors[5].scale)):
        tensors[t].scale = tuple(float(np.float32(s_in * w)) for w in s_w)
        tensors[t].zero_point = (0,) * len(s_w)
    conv = {"padding": "SAME", "stride_h": 1, "stride_w": 1, "dilation_h": 1, "dilation_w": 1, "act": "RELU",
            "depth_multiplier": 1}
    ops = [
        Op("CONV_2D", [0, 1, 2], [3], conv),
        Op("QUANTIZE", [3], [4]),
        Op("DEPTHWISE_CONV_2D", [4, 5, 6], [7], {**conv, "act": "NONE"}),
        Op("ADD", [7, 4], [8], {"act": "NONE"}),
        Op("QUANTIZE", [8], [9]),
        Op("FULLY_CONNECTED", [9, 10, -1], [11], {"act": "NONE"}),
    ]
    path = tmp_path / "mixed.tflite"
    path.write_bytes(build_graph(tensors, ops, [0], [11, 8]))
    sources = generate(read_model(path))
    inputs = random_inputs(sources.inputs, 100, seed=16)
    got = host.run(sources, inputs)
    want = run_tflm(path, sources.inputs, sources.outputs, inputs)
    for g, w in zip(got, want):
        assert g.dtype == w.dtype and np.array_equal(g, w)
        assert len(np.unique(w)) > 20
    assert want[1].dtype == np.int16 and want[0].dtype == np.int8


@pytest.mark.parametrize("axis, batch_dims", [(0, 0), (1, 0), (1, 1), (2, 1)])
def test_gather_with_coordinates_as_graph_input(axis, batch_dims, tmp_path):
    """GATHER whose coordinates are an int32 graph input (an embedding lookup of token ids):
    100 samples of valid coordinates, bit-exact with TFLM; an out-of-range coordinate gives
    zeros (TFLM reads out of bounds there)."""
    shape = (3, 5, 4)
    cshape = (3, 6)[:batch_dims] + (6,) if batch_dims else (2, 3)
    out = tuple(shape[:axis]) + tuple(cshape[batch_dims:]) + tuple(shape[axis + 1:])
    m = OneOp("GATHER", [T(shape, "INT8", (0.05,), (3,)), T(cshape, "INT32"), T(out, "INT8", (0.05,), (3,))],
              [0, 1], [2], [0, 1], [2], {"axis": axis, "batch_dims": batch_dims})
    path = tmp_path / "gather_in.tflite"
    path.write_bytes(build(m))
    sources = generate(read_model(path))
    rng = np.random.default_rng(axis * 10 + batch_dims)
    n = 100
    x = rng.integers(-128, 128, (n, *shape), dtype=np.int8)
    c = rng.integers(0, shape[axis], (n, *cshape), dtype=np.int32)
    got = host.run(sources, [x, c])
    want = run_tflm(path, sources.inputs, sources.outputs, [x, c])
    assert got[0].shape == want[0].shape and np.array_equal(got[0], want[0])
    c_bad = c[:1].copy()
    c_bad.reshape(-1)[0] = shape[axis] + 7
    out_bad = host.run(sources, [x[:1], c_bad])[0][0]
    assert np.array_equal(out_bad, _np_gather(x[0], c_bad[0], axis, batch_dims))


def _np_gather(x, c, axis, bd):
    """numpy's take with TFLite's batch_dims; a coordinate out of range gives a zero block."""
    if bd:
        return np.stack([_np_gather(x[b], c[b], axis - 1, bd - 1) for b in range(x.shape[0])])
    bad = (c < 0) | (c >= x.shape[axis])
    out = np.take(x, np.where(bad, 0, c), axis=axis)
    mask = bad.reshape((1,) * axis + c.shape + (1,) * (x.ndim - axis - 1))
    return np.where(mask, np.int8(0), out).astype(x.dtype)


@pytest.mark.parametrize("seed", range(6))
def test_rsqrt_bit_exact(seed, tmp_path):
    """RSQRT (int8) with random scales and zero points, 100 samples of values at or above the
    zero point (TFLM refuses negative values): bit-exact with TFLM; a negative value fails
    the inference on both sides."""
    rng = np.random.default_rng(4242 + seed)
    shape = tuple(int(v) for v in rng.integers(1, 7, int(rng.integers(1, 4))))
    zp = int(rng.integers(-128, 60))
    s_in = float(np.float32(10 ** rng.uniform(-4, -0.5)))
    s_out = float(np.float32(10 ** rng.uniform(-2.5, 0.5) / np.sqrt(s_in * 128)))
    m = OneOp("RSQRT", [T(shape, "INT8", (s_in,), (zp,)), T(shape, "INT8", (s_out,), (int(rng.integers(-128, 0)),))],
              [0], [1], [0], [1])
    path = tmp_path / f"rsqrt{seed}.tflite"
    path.write_bytes(build(m))
    sources = generate(read_model(path))
    x = rng.integers(zp, 128, (100, *shape), dtype=np.int8)
    x.reshape(100, -1)[:, 0] = np.linspace(zp, 127, 100).astype(np.int8)  # every value, the zero point too
    got = host.run(sources, [x])
    want = run_tflm(path, sources.inputs, sources.outputs, [x])
    assert np.array_equal(got[0], want[0]) and len(np.unique(want[0])) > 1
    neg = np.full((1, *shape), zp - 1 if zp > -128 else zp, np.int8)
    if zp > -128:
        with pytest.raises(Exception):
            run_tflm(path, sources.inputs, sources.outputs, [neg])
        with pytest.raises(Exception, match="edgeq_invoke_n|failed|returned"):
            host.run(sources, [neg])
