"""Host-side quantization maths shared by the native op modules.

Each function reproduces what TensorFlow Lite Micro computes in an op's ``Prepare()``
(``QuantizeMultiplier``, ``CalculateActivationRangeQuantized``, padding), with the same
float/double precision at each step, so the constants baked into the generated C are the
ones TFLM would compute at run time. The kernel structs they feed are declared in
``firmware_templates/runtime/edgeq_micro.h``.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass, field

import numpy as np

from edgeq.model.ir import Operator, Subgraph, Tensor

SUPPORTED_ACTIVATIONS = ("NONE", "RELU", "RELU6", "RELU_N1_TO_1")
INT8_MIN, INT8_MAX = -128, 127


@dataclass(frozen=True)
class Arg:
    """One pointer argument of a kernel call: a tensor (index) or NULL (tensor = -1)."""

    tensor: int
    ctype: str  # element type, e.g. "int8_t"
    writable: bool = False
    # the name of one of the call's ``consts`` (weights re-laid-out for a fast kernel) instead
    # of a tensor; ``tensor`` is then -1
    const: str | None = None


@dataclass(frozen=True)
class KernelCall:
    """The render context of one op: a const parameter struct and one kernel call.

    ``fields`` are C initializers in struct order; a value ``"@name"`` refers to the
    per-op constant array ``arrays[name]`` (emitted by the code generator as
    ``static const <ctype> op<N>_<name>[]``).
    """

    source: str  # runtime file that defines ``function``, e.g. "conv_2d.c"
    function: str
    struct_type: str
    fields: tuple[tuple[str, str], ...]
    args: tuple[Arg, ...]
    arrays: tuple[tuple[str, str, tuple[int, ...]], ...] = field(default=())
    # the first ``packed_inputs`` args are passed as one C array (ops with N inputs)
    packed_inputs: int = 0
    # the kernel returns int: nonzero ends the inference with that status (an input TFLM's
    # kernel refuses at run time, e.g. RSQRT of a negative value)
    checked: bool = False
    # the last ``packed_outputs`` args are passed as one C array (ops with N outputs)
    packed_outputs: int = 0
    # positions in ``args`` of inputs the (single) output may be written over in place: the
    # kernel reads element i of each input before it writes element i of the output and
    # never reads an element after that (pure elementwise, no lookahead). The code generator
    # uses this only where the input has as many elements as the output and elements at
    # least as wide, so that every output byte written lies in already consumed input.
    inplace: tuple[int, ...] = ()
    # None: ``inplace`` inputs are elementwise (same start address). An int: the kernel is a
    # row-major window walk (convolutions) and the output may overlap the input when it
    # starts this many bytes below it (see :func:`window_inplace_gap`); no other condition.
    inplace_gap: int | None = None
    # where inputs lie in the (single) output, for concatenation by placement: the memory
    # planner may have an input's producer write straight into its slice; the kernel then
    # gets NULL for that input and leaves its slice untouched
    slices: tuple[OutputSlice, ...] = ()
    # ``(field, n)``: the kernel writes its output as rows of ``n`` elements whose starts are
    # the parameter struct's ``field`` elements apart (``n`` as prepared), so the output can
    # be a slice interleaved with others (a concatenation on channels); None: it cannot
    row_stride: tuple[str, int] | None = None
    # constants made for this call at generation time (a fast variant's re-laid-out weights):
    # ``(name, ctype, values)``, emitted with the weights (flash) as ``op<N>_<name>`` and
    # passed where an ``Arg(const=name)`` stands
    consts: tuple[tuple[str, str, np.ndarray], ...] = ()
    # bytes of scratch memory the kernel needs while it runs (an im2col buffer): the memory
    # planner reserves them in the arena for this op only and passes them as a last argument
    scratch: int = 0


@dataclass(frozen=True)
class OutputSlice:
    """Where input ``args[arg]`` of a concatenation lies in its output: ``rows`` runs of
    ``row_bytes`` bytes, the first ``offset`` bytes into the output, the next ones ``stride``
    bytes further each. One row: a contiguous sub-buffer any producer can write; more rows:
    only a producer that writes rows at a stride (``KernelCall.row_stride``)."""

    arg: int
    offset: int
    row_bytes: int
    rows: int = 1
    stride: int = 0

    @property
    def span(self) -> int:
        """Bytes from the slice's first byte to its last byte + 1."""
        return (self.rows - 1) * self.stride + self.row_bytes


@dataclass(frozen=True)
class Alias:
    """The op is a view: its output shares its input's bytes (RESHAPE, SQUEEZE, ...)."""

    output: int
    input: int


def round_half_away(x: float) -> int:
    """``std::round``: to nearest, ties away from zero."""
    return int(math.copysign(math.floor(abs(x) + 0.5), x))


def quantize_multiplier(real: float) -> tuple[int, int]:
    """TFLite's QuantizeMultiplier: ``real ~= m * 2^(shift - 31)``, ``m`` a Q0.31 int32."""
    if real == 0.0:
        return 0, 0
    q, shift = math.frexp(real)
    q_fixed = round_half_away(q * (1 << 31))
    if q_fixed == (1 << 31):
        q_fixed //= 2
        shift += 1
    if shift < -31:
        shift, q_fixed = 0, 0
    return int(q_fixed), int(shift)


def f32(x) -> np.float32:
    return np.float32(x)


def activation_range(activation: str, out: Tensor) -> tuple[int, int]:
    """CalculateActivationRangeQuantized for an int8 (or int16) output."""
    scale, zp = out.quant.scale[0], out.quant.zero_point[0]

    def q(v: float) -> int:
        # float division then std::round of a float, as TFLM's lambda does
        return zp + round_half_away(float(f32(v) / f32(scale)))

    lo, hi = INT_LIMITS.get(out.dtype, (INT8_MIN, INT8_MAX))
    if activation == "RELU":
        lo = max(lo, q(0.0))
    elif activation == "RELU6":
        lo, hi = max(lo, q(0.0)), min(hi, q(6.0))
    elif activation == "RELU_N1_TO_1":
        lo, hi = max(lo, q(-1.0)), min(hi, q(1.0))
    return lo, hi


def out_size(padding: str, size: int, k: int, stride: int, dilation: int = 1) -> int:
    eff = (k - 1) * dilation + 1
    if padding == "SAME":
        return (size + stride - 1) // stride
    return (size + stride - eff) // stride


def pad_before(stride: int, dilation: int, size: int, k: int, out: int) -> int:
    """ComputePaddingWithOffset: the padding before the first row/column."""
    eff = (k - 1) * dilation + 1
    total = max((out - 1) * stride + eff - size, 0)
    return total // 2


def tensor(sg: Subgraph, index: int) -> Tensor | None:
    return sg.tensor(index)


def per_tensor_int8(t: Tensor | None) -> bool:
    return t is not None and t.dtype == "INT8" and t.quant is not None and len(t.quant.scale) == 1


def check_io_int8(op: Operator, sg: Subgraph, inputs: tuple[int, ...] = (0,)) -> str | None:
    """A reason when the listed inputs and output 0 are not per-tensor int8 activations."""
    for slot in inputs:
        if slot >= len(op.inputs):
            return f"input {slot} missing"
        t = sg.tensor(op.inputs[slot])
        if t is None or t.dtype != "INT8":
            return f"input {slot} is {t.dtype if t else 'missing'}; edgeq-micro runs int8 only"
        if not per_tensor_int8(t):
            return f"input {slot} is not per-tensor quantized int8"
    if not op.outputs:
        return "no output"
    o = sg.tensor(op.outputs[0])
    if o is None or o.dtype != "INT8":
        return f"output is {o.dtype if o else 'missing'}; edgeq-micro runs int8 only"
    if not per_tensor_int8(o):
        return "output is not per-tensor quantized int8"
    return None


INT_LIMITS = {"INT8": (-128, 127), "INT16": (-32768, 32767)}


def check_io(op: Operator, sg: Subgraph, inputs: tuple[int, ...] = (0,),
             dtypes: tuple[str, ...] = ("INT8", "INT16")) -> str | None:
    """:func:`check_io_int8` for ops that also run with int16 activations (int16x8): the
    listed inputs and output 0 are per-tensor quantized, all of one of ``dtypes``; int16
    tensors have zero point 0, as TFLM requires."""
    first = sg.tensor(op.inputs[0]) if op.inputs else None
    dtype = first.dtype if first is not None else None
    if dtype not in dtypes or dtype == "INT8":
        return check_io_int8(op, sg, inputs)
    for slot in inputs:
        t = sg.tensor(op.inputs[slot]) if slot < len(op.inputs) else None
        if t is None or t.dtype != dtype or t.quant is None or len(t.quant.scale) != 1:
            return f"input {slot} is not per-tensor quantized {dtype}"
        if any(z != 0 for z in t.quant.zero_point):
            return f"{dtype} input {slot} has a non-zero zero point (TFLM requires 0)"
    o = sg.tensor(op.outputs[0]) if op.outputs else None
    if o is None or o.dtype != dtype or o.quant is None or len(o.quant.scale) != 1:
        return f"output is not per-tensor quantized {dtype} like the input"
    if any(z != 0 for z in o.quant.zero_point):
        return f"{dtype} output has a non-zero zero point (TFLM requires 0)"
    return None


def check_activation(op: Operator) -> str | None:
    act = op.options.get("fused_activation_function", "NONE")
    if act not in SUPPORTED_ACTIVATIONS:
        return f"fused activation {act} is not supported"
    return None


def fields(**kw) -> tuple[tuple[str, str], ...]:
    """Keyword arguments -> ordered C initializers (ints rendered as decimal)."""
    out = []
    for k, v in kw.items():
        if isinstance(v, bool):
            v = int(v)
        if isinstance(v, (int, np.integer)):
            out.append((k, str(int(v))))
        elif isinstance(v, (float, np.floating)):
            out.append((k, c_float(v)))
        else:
            out.append((k, str(v)))
    return tuple(out)


def c_float(v) -> str:
    """A float32 value as a C literal that round-trips exactly."""
    v = float(np.float32(v))
    if math.isinf(v) or math.isnan(v):
        raise ValueError("non-finite float constant")
    return f"{v:.9g}f" if ("e" in f"{v:.9g}" or "." in f"{v:.9g}") else f"{v:.9g}.0f"


def channel_multipliers(input_scale: float, filter_scales, output_scale: float, channels: int):
    """Per-channel (multiplier, shift) as PopulateConvolutionQuantizationParams computes them:
    double(input_scale) * double(filter_scale) / double(output_scale); a per-tensor filter
    scale is used for every channel."""
    mults, shifts = [], []
    for c in range(channels):
        fs = filter_scales[c] if len(filter_scales) > 1 else filter_scales[0]
        eff = float(f32(input_scale)) * float(f32(fs)) / float(f32(output_scale))
        m, s = quantize_multiplier(eff)
        mults.append(m)
        shifts.append(s)
    return tuple(mults), tuple(shifts)


# ---- shared by the elementwise and shape ops ------------------------------------------------

MAX_DIMS = 6  # EDGEQ_MAX_DIMS in edgeq_micro.h


def c_array(values, length: int = MAX_DIMS) -> str:
    """A fixed-length C int array initializer, zero-filled."""
    v = [int(x) for x in values] + [0] * (length - len(values))
    return "{" + ", ".join(str(x) for x in v) + "}"


def row_major_strides(shape) -> list[int]:
    """Element strides of a dense row-major tensor."""
    strides, acc = [0] * len(shape), 1
    for d in range(len(shape) - 1, -1, -1):
        strides[d] = acc
        acc *= int(shape[d])
    return strides


def broadcast_shape(a, b) -> tuple[int, ...] | None:
    """NumPy/TFLite broadcasting of two shapes; None when they do not broadcast."""
    n = max(len(a), len(b))
    a, b = (1,) * (n - len(a)) + tuple(a), (1,) * (n - len(b)) + tuple(b)
    out = []
    for x, y in zip(a, b):
        if x != y and x != 1 and y != 1:
            return None
        out.append(max(x, y))
    return tuple(out)


def broadcast_iteration(a, b):
    """``(size, broadcast, shape, strides1, strides2)`` for inputs of shapes ``a`` and ``b``:
    the output walk with unit dimensions dropped, each input's element strides (0 where it
    is broadcast). ``broadcast`` is False (and the rest empty) for equal shapes."""
    shape = broadcast_shape(a, b)
    size = 1
    for d in shape:
        size *= d
    if tuple(a) == tuple(b):
        return size, False, (), (), ()

    def strides(s):
        s = (1,) * (len(shape) - len(s)) + tuple(s)
        st, acc = [0] * len(shape), 1
        for d in range(len(shape) - 1, -1, -1):
            st[d] = 0 if (s[d] == 1 and shape[d] != 1) else acc
            acc *= s[d]
        return st

    st1, st2 = strides(a), strides(b)
    keep = [i for i, d in enumerate(shape) if d != 1] or [len(shape) - 1]
    return (size, True, tuple(shape[i] for i in keep), tuple(st1[i] for i in keep),
            tuple(st2[i] for i in keep))


def broadcast_fields(a, b) -> str:
    """The ``edgeq_broadcast_t`` initializer for inputs of shapes ``a`` and ``b``."""
    size, bc, shape, st1, st2 = broadcast_iteration(a, b)
    return ("{" + f".size = {size}, .broadcast = {int(bc)}, .dims = {len(shape)}, "
            f".out_shape = {c_array(shape)}, .in1_strides = {c_array(st1)}, "
            f".in2_strides = {c_array(st2)}" + "}")


def check_broadcast(op: Operator, sg: Subgraph, max_rank: int) -> str | None:
    """A reason when the two inputs do not broadcast to the output as TFLM allows."""
    a, b, y = sg.tensor(op.inputs[0]), sg.tensor(op.inputs[1]), sg.tensor(op.outputs[0])
    shape = broadcast_shape(a.shape, b.shape)
    if shape is None:
        return f"shapes {list(a.shape)} and {list(b.shape)} do not broadcast"
    n = 1
    for d in shape:
        n *= d
    if n != y.num_elements:
        return "output size differs from the broadcast shape"
    if tuple(a.shape) != tuple(b.shape) and max(len(a.shape), len(b.shape)) > max_rank:
        return f"broadcasting over more than {max_rank} dimensions"
    return None


def same_quant(a: Tensor, b: Tensor) -> bool:
    """Same per-tensor scale (as float32) and zero point."""
    return (f32(a.quant.scale[0]) == f32(b.quant.scale[0])
            and int(a.quant.zero_point[0]) == int(b.quant.zero_point[0]))


def const_ints(sg: Subgraph, index: int) -> list[int] | None:
    """The values of a constant integer tensor (axes, paddings, perms), or None."""
    t = sg.tensor(index)
    if t is None or not t.is_constant or t.dtype not in ("INT32", "INT64"):
        return None
    return [int(v) for v in t.numpy().reshape(-1)]


def register(module_name: str, ops) -> None:
    """Put an op module into the registry under each of its op names."""
    import sys

    from edgeq.ops import REGISTRY

    for name in ops:
        REGISTRY[name] = sys.modules[module_name]


def io_types(x: Tensor, op: Operator | None = None, b: Tensor | None = None) -> tuple[str, str, str]:
    """(activation C type, bias C type, kernel suffix) for a conv/FC input: int8 with int32
    bias; int16x8 with int64 bias and accumulator, or (an int32 bias, or none with
    quantized_bias_type INT32) TFLM's int32-accumulator variant."""
    if x.dtype == "INT16":
        if _int32_accumulator(op, b):
            return "int16_t", "int32_t", "s16_acc32"
        return "int16_t", "int64_t", "s16"
    return "int8_t", "int32_t", "s8"


def _int32_accumulator(op: Operator | None, b: Tensor | None) -> bool:
    if b is not None:
        return b.dtype == "INT32"
    return op is not None and op.options.get("quantized_bias_type", 0) in (2, "INT32")


def check_bias(op: Operator, x: Tensor, b: Tensor | None) -> str | None:
    """A reason when a conv/FC bias is not what edgeq-micro's kernels read: constant int32 for
    int8; constant int64 for int16x8, or int32 where TFLM accumulates in 32 bits (CONV_2D and
    FULLY_CONNECTED only: TFLM's int16 DEPTHWISE_CONV_2D reads any bias as int64)."""
    if x.dtype == "INT16":
        acc32 = _int32_accumulator(op, b)
        if acc32 and op.name == "DEPTHWISE_CONV_2D":
            return "int16x8 DEPTHWISE_CONV_2D needs an int64 bias (TFLM reads it as int64)"
        want = "INT32" if acc32 else "INT64"
    else:
        want = "INT32"
    if b is not None and (b.dtype != want or not b.is_constant):
        return f"bias must be constant {want.lower()}, not {b.dtype}"
    return None


@functools.lru_cache(maxsize=None)
def libm_f32(name: str):
    """A float32 function of the C library (``expf``, ``logf``): what TFLM's ``std::exp`` /
    ``std::log`` of a float call, so host-side tables match to the last bit (numpy's float32
    transcendental functions are not always the same). Falls back to numpy."""
    import ctypes
    import ctypes.util

    lib = ctypes.util.find_library("m")
    if lib:
        try:
            fn = getattr(ctypes.CDLL(lib), name)
            fn.restype, fn.argtypes = ctypes.c_float, [ctypes.c_float]
            return lambda v: f32(fn(float(v)))
        except (OSError, AttributeError):
            pass
    np_fn = {"expf": np.exp, "logf": np.log}[name]
    return lambda v: f32(np_fn(f32(v)))


def checked_log2(x) -> tuple[bool, int]:
    """TFLM's CheckedLog2 in float: (is a power of two within 1e-3, rounded log2)."""
    logf = libm_f32("logf")
    x_log2 = logf(x) * (f32(1.0) / logf(f32(2.0)))
    rounded = f32(round_half_away(float(x_log2)))
    return bool(abs(x_log2 - rounded) < f32(1e-3)), int(rounded)


def act_type(t: Tensor) -> tuple[str, str]:
    """(C element type, kernel suffix) of an int8 or int16 activation tensor."""
    return ("int16_t", "s16") if t.dtype == "INT16" else ("int8_t", "s8")


def _windows(op: Operator, x: Tensor, w: Tensor):
    """(input size, kernel size, stride, dilation) along H and W of a conv-like op
    (NHWC input; kernel spatial dims at 1 and 2 of the weights)."""
    o = op.options
    return ((x.shape[1], w.shape[1], o.get("stride_h", 1), o.get("dilation_h_factor", 1)),
            (x.shape[2], w.shape[2], o.get("stride_w", 1), o.get("dilation_w_factor", 1)))


def window_mismatch(op: Operator, x: Tensor, w: Tensor, y: Tensor) -> str | None:
    """Why the output's H/W disagree with the padding, stride and dilation (None if they agree)."""
    padding = op.options.get("padding", "SAME")
    for axis, (n, k, s, d) in enumerate(_windows(op, x, w)):
        if out_size(padding, n, k, s, d) != y.shape[1 + axis]:
            return "output shape does not match padding/stride"
    return None


def window_fields(op: Operator, x: Tensor, w: Tensor, y: Tensor) -> dict:
    """Strides, dilations and leading padding of a conv-like op, as kernel struct fields."""
    (nh, kh, sh, dh), (nw, kw, sw, dw) = _windows(op, x, w)
    return {"stride_h": sh, "stride_w": sw, "dilation_h": dh, "dilation_w": dw,
            "pad_h": pad_before(sh, dh, nh, kh, y.shape[1]), "pad_w": pad_before(sw, dw, nw, kw, y.shape[2])}


def window_inplace_gap(op: Operator, x: Tensor, w: Tensor, y: Tensor) -> int | None:
    """Bytes by which a windowed kernel's output must start below its input to run in place.

    The conv-like kernels (CONV_2D, DEPTHWISE_CONV_2D, int8 and int16) walk the output in
    row-major order (batch, row, column, then channels) and write each output pixel's channels
    while reading that pixel's window, rows and columns clipped at 0, the lowest at
    ``(max(0, oy*stride_h - pad_h), max(0, ox*stride_w - pad_w))``. Later pixels of the row
    start further right, later rows from the next row's lowest input row, column 0; input
    bytes below all of these are never read again. With the output ``gap`` bytes below the
    input, output pixel ``p`` (and all before it) lies below the lowest input byte still to
    be read when ``(p + 1) * out_pixel <= gap + lowest(p)`` for every ``p``. One batch only
    (NHWC, 4-D); None otherwise.
    """
    items = {"INT8": 1, "INT16": 2}
    if (len(x.shape) != 4 or len(y.shape) != 4 or x.shape[0] != 1 or y.shape[0] != 1
            or x.dtype not in items or y.dtype not in items):
        return None
    _, in_h, in_w, in_c = x.shape
    _, out_h, out_w, out_c = y.shape
    in_px, out_px = in_c * items[x.dtype], out_c * items[y.dtype]
    win = window_fields(op, x, w, y)

    def row0(oy: int) -> int:
        return min(max(0, oy * win["stride_h"] - win["pad_h"]), in_h)

    gap = 0
    for oy in range(out_h):
        r, below_next = row0(oy), row0(oy + 1) * in_w * in_px if oy + 1 < out_h else x.num_elements * items[x.dtype]
        for ox in range(out_w):
            col = min(max(0, ox * win["stride_w"] - win["pad_w"]), in_w - 1)
            lowest = min((r * in_w + col) * in_px, below_next)
            gap = max(gap, (oy * out_w + ox + 1) * out_px - lowest)
    return gap


# ---- fast-kernel specialization (generation time) -------------------------------------------

FAST_ACC_LIMIT = 1 << 30  # edgeq_requant_small (edgeq_simd.h): |acc| * 2^left below this


def fast_rows(w: np.ndarray, multiple: int = 4) -> tuple[np.ndarray, int]:
    """Weights as the fast kernels read them: one row per output channel (``w`` reshaped to
    ``(rows, depth)``), zero-padded to a multiple of ``multiple``; and the padded depth."""
    rows = np.asarray(w).reshape(w.shape[0], -1)
    depth = rows.shape[1]
    pad = -depth % multiple
    if pad:
        rows = np.concatenate([rows, np.zeros((rows.shape[0], pad), rows.dtype)], axis=1)
    return np.ascontiguousarray(rows), depth + pad


def interleave_rows(rows: np.ndarray, block: int) -> np.ndarray:
    """Rows (``(n, depth_pad)``, depth_pad a multiple of 4) in blocks of ``block``: within a
    block, the first group of 4 of each row in turn, then the second, ... (what
    ``edgeq_gemm.h`` walks with one pointer); the last ``n % block`` rows as they are."""
    n, depth = rows.shape
    full = n - n % block
    head = rows[:full].reshape(full // block, block, depth // 4, 4).transpose(0, 2, 1, 3).reshape(-1)
    return np.concatenate([head, rows[full:].reshape(-1)])


def gemm_operands(call: KernelCall, rows: np.ndarray, block: int):
    """The args and constants of a fast GEMM kernel (``edgeq_gemm.h``) for a conv/FC ``call``
    (input, filter, bias, output): the filter ``rows`` interleaved in blocks of ``block``, and
    the bias tensor or, without one, zeros (those kernels always read a bias)."""
    consts = [("filter", "int8_t", interleave_rows(rows, block))]
    bias = call.args[2]
    if bias.tensor < 0:
        consts.append(("bias", "int32_t", np.zeros(rows.shape[0], np.int32)))
        bias = Arg(-1, "int32_t", const="bias")
    return (call.args[0], Arg(-1, "int8_t", const="filter"), bias, *call.args[3:]), tuple(consts)


def mve_gemm_operands(call: KernelCall, rows: np.ndarray, bias, input_offset: int, rq):
    """The args, constants and requantization arrays of a Helium GEMM kernel
    (``edgeq_mve_gemm.h``) for a conv/FC ``call`` (input, filter, bias, output) whose
    weights are ``rows`` (one per output, unpadded) and requantization ``rq``
    (:func:`fast_requant`): the rows zero-padded to 16-byte chunks and to blocks of 4, each
    block stored chunk by chunk; the bias with ``input_offset`` times each row's sum folded
    in (int32, wrapping as the kernel's sums do), and multipliers and negated right shifts,
    all padded to 4 a block. Also the chunk count and the tail (bytes of the partial
    chunk)."""
    n, depth = rows.shape
    chunks, tail = divmod(depth, 16)
    k16, n4 = depth + (-depth % 16), n + (-n % 4)
    padded = np.zeros((n4, k16), np.int8)
    padded[:n, :depth] = rows
    blocked = padded.reshape(n4 // 4, 4, k16 // 16, 16).transpose(0, 2, 1, 3).reshape(-1)
    b = np.zeros(n4, np.int64)
    if bias is not None:
        b[:n] = np.asarray(bias, np.int64)
    b[:n] += int(input_offset) * rows.astype(np.int64).sum(axis=1)
    folded = ((b + (1 << 31)) % (1 << 32) - (1 << 31)).astype(np.int32)
    values = dict((name, v) for name, _t, v in rq)
    pad = (0,) * (n4 - n)
    arrays = (("mult", "int32_t", tuple(values["mult"]) + pad),
              ("neg_right", "int32_t", tuple(-r for r in values["right"]) + (-1,) * (n4 - n)))
    consts = (("filter", "int8_t", np.ascontiguousarray(blocked)), ("bias", "int32_t", folded))
    args = (call.args[0], Arg(-1, "int8_t", const="filter"), Arg(-1, "int32_t", const="bias"), *call.args[3:])
    return args, consts, arrays, chunks, tail


def small_accumulators(rows: np.ndarray, bias, input_offset: int) -> bool:
    """True when every accumulator of these rows (one row of weights per output) stays
    within what ``edgeq_requant`` computes exactly: ``|bias| + sum |w| * max |x +
    input_offset|`` below 2^30 for any int8 input x."""
    xmax = max(abs(-128 + input_offset), abs(127 + input_offset))
    w = np.abs(np.asarray(rows, dtype=np.int64)).sum(axis=1)
    b = np.abs(np.asarray(bias, dtype=np.int64)) if bias is not None else np.zeros_like(w)
    return bool(np.all(b + w * xmax < FAST_ACC_LIMIT))


def fast_requant(multipliers, shifts, n: int):
    """``edgeq_requant``'s per-output arrays (``(name, ctype, values)`` for KernelCall.arrays:
    multiplier, right, round), one entry per output (a per-tensor pair repeated), or None
    when a shift is not a right shift of 1..31 (a multiplier of 1 or more: the reference)."""
    m = list(multipliers) * n if len(multipliers) == 1 else list(multipliers)
    sh = list(shifts) * n if len(shifts) == 1 else list(shifts)
    if any(not -31 <= int(v) <= -1 for v in sh):
        return None
    right = [-int(v) for v in sh]
    return (("mult", "int32_t", tuple(int(v) for v in m)), ("right", "int32_t", tuple(right)),
            ("round", "int32_t", tuple(1 << (r - 1) for r in right)))
