"""Mixed precision (issue 19): one full-integer model whose chosen ops run int16x8 and the rest
int8, with QUANTIZE ops at the boundaries, built from two conversions of the same Keras model
(``edgeq quantize --mode int8`` and ``--mode int16x8``, the same calibration data).

The two conversions have the same graph: the same ops in the same order, each reading and
writing the same tensors (their indices may differ). :func:`splice` starts from the int8 model
and, for each chosen op, takes the int16x8 model's op with its own tensors (int16 activations
with the int16 conversion's scales, int8 weights, int64 bias): an int8 activation entering it
goes through a QUANTIZE (int8 -> int16, TFLM's requantization) placed just before it, and its
int16 output comes back to int8 (QUANTIZE int16 -> int8, to the int8 model's scale) right after
it when an int8 op reads it. A graph input that only int16 ops read, and a graph output an
int16 op writes, become int16 (with the int16x8 conversion's scale: an audio model's first
convolution then sees its features at 16 bits, a regression head writes 16 bits); the other
inputs and outputs stay int8. TFLM and edgeq-micro run every op of it (both run QUANTIZE
between int8 and int16). With no op chosen the int8 model comes back byte for byte; with
every op chosen, the int16x8 model's graph.

Which ops: :func:`candidates` lists those that have an int16x8 kernel in both runtimes and
hold no state; :func:`choose` ranks them by how much each alone, run in int16, improves the
evaluated quality (ties: the larger int8 error of the op's output against the float model, then
the op whose int16 activations cost fewer bytes), and adds them in that order, passing over
any that would take the arena past the cap, until the quality is within the budget of the
float model's. Ops left between two
int16 ops with nothing int8 reading them join them (no QUANTIZE pair around a RESHAPE).
"""

from __future__ import annotations

import copy
import functools
from dataclasses import dataclass, field
from typing import Callable, Iterable, Sequence

import numpy as np
from tflite_micro.tensorflow.lite.micro.python import schema_py_generated as schema

from edgeq.errors import EdgeqError
from edgeq.model import cost as _cost
from edgeq.model.reader import read_model

_OPS = {v: k for k, v in vars(schema.BuiltinOperator).items() if not k.startswith("_")}
# ops with an int16x8 kernel in TFLM and in edgeq-micro (README "Op support") that hold no state
INT16_OPS = frozenset({
    "CONV_2D", "DEPTHWISE_CONV_2D", "FULLY_CONNECTED", "TRANSPOSE_CONV", "BATCH_MATMUL", "ADD", "SUB", "MUL",
    "MAXIMUM", "MINIMUM", "SQUARED_DIFFERENCE", "AVERAGE_POOL_2D", "MAX_POOL_2D", "MEAN", "SUM", "SOFTMAX",
    "LOGISTIC", "TANH", "RELU", "RELU6", "LEAKY_RELU", "CONCATENATION", "PACK", "UNPACK", "SPLIT", "SPLIT_V", "PAD",
    "PADV2", "TRANSPOSE", "STRIDED_SLICE", "RESIZE_NEAREST_NEIGHBOR", "RESHAPE", "SQUEEZE", "EXPAND_DIMS",
})
MAX_ARENA = 1.25  # the default cap on the mixed model's arena, times the int8 model's


def _load(buf: bytes):
    return schema.ModelT.InitFromPackedBuf(bytearray(buf), 0)


def _pack(model) -> bytes:
    import flatbuffers

    b = flatbuffers.Builder(1024)
    b.Finish(model.Pack(b), file_identifier=b"TFL3")
    return bytes(b.Output())


def _op_name(model, op) -> str:
    code = model.operatorCodes[op.opcodeIndex]
    return _OPS.get(max(code.builtinCode, code.deprecatedBuiltinCode), "CUSTOM")


def _has_data(model, tensor) -> bool:
    buf = model.buffers[tensor.buffer] if 0 <= tensor.buffer < len(model.buffers) else None
    return buf is not None and buf.data is not None and len(buf.data) > 0


def _readers(graph) -> dict[int, set[int]]:
    """Tensor -> the indices of the ops that read it."""
    readers: dict[int, set[int]] = {}
    for k, op in enumerate(graph.operators):
        for t in op.inputs:
            readers.setdefault(t, set()).add(k)
    return readers


def op_names(buf: bytes) -> list[str]:
    m = _load(buf)
    return [_op_name(m, op) for op in m.subgraphs[0].operators]


def check_same_graph(int8: bytes, int16: bytes) -> None:
    """Raise EdgeqError when the two conversions do not have the same ops in the same order."""
    a, b = _load(int8), _load(int16)
    ga, gb = a.subgraphs[0], b.subgraphs[0]
    if len(a.subgraphs) != 1 or len(b.subgraphs) != 1:
        raise EdgeqError("mixed precision needs a model of one subgraph")
    na, nb = [_op_name(a, o) for o in ga.operators], [_op_name(b, o) for o in gb.operators]
    if na != nb or any(len(x.inputs) != len(y.inputs) or len(x.outputs) != len(y.outputs)
                       for x, y in zip(ga.operators, gb.operators)):
        k = next((i for i, (x, y) in enumerate(zip(na, nb)) if x != y), min(len(na), len(nb)))
        raise EdgeqError(f"the int8 and int16x8 conversions differ at op {k} "
                         f"({na[k] if k < len(na) else 'end'} vs {nb[k] if k < len(nb) else 'end'}): "
                         f"mixed precision needs the same graph in both")


def candidates(int8: bytes, int16: bytes) -> list[int]:
    """Ops that may run int16x8: both runtimes have the int16 kernel, no state, and the int16
    conversion's op is int16 (its first activation input and output)."""
    check_same_graph(int8, int16)
    m16 = _load(int16)
    g = m16.subgraphs[0]
    out = []
    for k, op in enumerate(g.operators):
        if _op_name(m16, op) not in INT16_OPS:
            continue
        acts = [g.tensors[t] for t in (*op.inputs, *op.outputs) if t >= 0 and not _has_data(m16, g.tensors[t])]
        if acts and all(t.type == schema.TensorType.INT16 for t in acts) and not any(t.isVariable for t in acts):
            out.append(k)
    return out


def _closure(int8: bytes, chosen: set[int], allowed: set[int]) -> set[int]:
    """``chosen`` plus the allowed ops every activation input of which comes from a chosen op
    and every reader of which is chosen (a view or pooling between two int16 ops)."""
    m = _load(int8)
    g = m.subgraphs[0]
    producer = {t: k for k, op in enumerate(g.operators) for t in op.outputs}
    readers = _readers(g)
    grown = True
    while grown:
        grown = False
        for k, op in enumerate(g.operators):
            if k in chosen or k not in allowed:
                continue
            ins = [t for t in op.inputs if t >= 0 and not _has_data(m, g.tensors[t])]
            if not ins or not all(producer.get(t) in chosen for t in ins):
                continue
            outs_read = [readers.get(t, set()) for t in op.outputs]
            if any(t in g.outputs for t in op.outputs) or not all(r and r <= chosen for r in outs_read):
                continue
            chosen.add(k)
            grown = True
    return chosen


def splice(int8: bytes, int16: bytes, int16_ops: Iterable[int]) -> bytes:
    """The mixed model: ops ``int16_ops`` (indices of both conversions) from the int16x8 model,
    the others from the int8 one (see the module doc)."""
    chosen = set(int(k) for k in int16_ops)
    if not chosen:
        return bytes(int8)
    check_same_graph(int8, int16)
    m8, m16 = _load(int8), _load(int16)
    g8, g16 = m8.subgraphs[0], m16.subgraphs[0]
    if not chosen <= set(range(len(g8.operators))):
        raise EdgeqError(f"op indices {sorted(chosen)} outside the model's {len(g8.operators)} ops")

    def opcode(name: str, version: int) -> int:
        code = getattr(schema.BuiltinOperator, name)
        for i, c in enumerate(m8.operatorCodes):
            if max(c.builtinCode, c.deprecatedBuiltinCode) == code:
                c.version = max(c.version, version)
                return i
        c = schema.OperatorCodeT()
        c.builtinCode, c.deprecatedBuiltinCode, c.version = code, min(code, 127), version
        m8.operatorCodes.append(c)
        return len(m8.operatorCodes) - 1

    def take16(t16: int) -> int:
        """A copy of the int16 model's tensor (and its constant data) in the mixed model."""
        t = copy.deepcopy(g16.tensors[t16])
        if _has_data(m16, g16.tensors[t16]):
            b = schema.BufferT()
            b.data = copy.deepcopy(m16.buffers[g16.tensors[t16].buffer].data)
            m8.buffers.append(b)
            t.buffer = len(m8.buffers) - 1
        else:
            t.buffer = 0
        name = t.name.decode() if isinstance(t.name, bytes) else str(t.name or "")
        t.name = (name + "/int16").encode()
        g8.tensors.append(t)
        return len(g8.tensors) - 1

    def requantize(src: int, dst: int):
        op = schema.OperatorT()
        op.opcodeIndex = opcode("QUANTIZE", 1)
        op.inputs, op.outputs = [src], [dst]
        op.builtinOptionsType = schema.BuiltinOptions.QuantizeOptions
        op.builtinOptions = schema.QuantizeOptionsT()
        return op

    readers = _readers(g8)
    as16: dict[int, int] = {}  # int8 model tensor -> its int16 twin in the mixed model
    io: dict[int, int] = {}  # graph inputs / outputs that become int16 tensors
    ops = []
    for k, op in enumerate(g8.operators):
        if k not in chosen:
            ops.append(op)
            continue
        op16 = copy.deepcopy(g16.operators[k])
        op16.opcodeIndex = opcode(_op_name(m16, g16.operators[k]), m16.operatorCodes[g16.operators[k].opcodeIndex].version)
        ins = []
        for t8, t16 in zip(op.inputs, g16.operators[k].inputs):
            if t8 < 0 or t16 < 0:
                ins.append(-1)
            elif _has_data(m16, g16.tensors[t16]):
                ins.append(take16(t16))
            else:
                if t8 not in as16:
                    as16[t8] = take16(t16)
                    if t8 in g8.inputs and readers.get(t8, set()) <= chosen:
                        io[t8] = as16[t8]  # a graph input only int16 ops read: an int16 input
                    else:  # an int8 activation: requantized
                        ops.append(requantize(t8, as16[t8]))
                ins.append(as16[t8])
        outs = []
        for t8, t16 in zip(op.outputs, g16.operators[k].outputs):
            as16[t8] = take16(t16)
            outs.append(as16[t8])
        op16.inputs, op16.outputs = ins, outs
        op16.intermediates = []
        ops.append(op16)
        for t8 in op.outputs:
            if t8 in g8.outputs:  # a graph output an int16 op writes: an int16 output
                io[t8] = as16[t8]
            if any(r not in chosen for r in readers.get(t8, ())):  # back to int8 for an int8 reader
                ops.append(requantize(as16[t8], t8))
    g8.operators = ops
    g8.inputs = [io.get(t, t) for t in g8.inputs]
    g8.outputs = [io.get(t, t) for t in g8.outputs]
    for sig in m8.signatureDefs or []:
        for tm in (*(sig.inputs or []), *(sig.outputs or [])):
            tm.tensorIndex = io.get(tm.tensorIndex, tm.tensorIndex)
    return _pack(m8)


@dataclass(frozen=True)
class Choice:
    """What :func:`choose` measured: the quality of each single-op trial (op -> quality),
    the order the ops were added in, and the quality after each addition."""

    ops: tuple[int, ...]
    quality: float
    trials: dict = field(default_factory=dict)
    steps: tuple[tuple[int, float], ...] = ()


def choose(pool: Sequence[int], quality: Callable[[tuple[int, ...]], float], target: float,
           cost: Callable[[int], int] | None = None,
           expand: Callable[[set[int]], set[int]] = lambda ops: ops,
           fits: Callable[[tuple[int, ...]], bool] = lambda ops: True,
           error: Callable[[int], float] | None = None) -> Choice:
    """A small set of the ``pool`` ops (greedy) whose int16x8 versions bring ``quality`` (of
    the model with those ops int16; higher is better) to ``target`` or above: the ops ranked by
    the gain each gives alone (between equal gains: the larger measured int8 ``error(op)``
    first, then the smaller ``cost``), then added in that order (``expand``: the set as it is spliced,
    e.g. with the views between two int16 ops) until the target is met, then each added op
    dropped again (last first) where the target holds without it. When no set meets
    it, the best set tried (the caller reports the shortfall). ``cost(op)``: bytes its int16
    activations add; ``fits(ops)``: whether a set is allowed (an arena cap): an op whose
    addition does not fit is passed over."""
    base = quality(())
    if base >= target or not pool:
        return Choice((), base)
    trials = {k: quality(tuple(sorted(expand({k})))) for k in pool}
    order = sorted(pool, key=lambda k: (-(trials[k] - base), -(error(k) if error else 0.0), cost(k) if cost else 0, k))
    chosen: set[int] = set()
    best: tuple[float, tuple[int, ...]] = (base, ())
    steps = []
    for k in order:
        if not fits(tuple(sorted(expand(chosen | {k})))):
            continue
        chosen.add(k)
        full = tuple(sorted(expand(set(chosen))))
        q = quality(full)
        steps.append((k, q))
        if q > best[0]:
            best = (q, full)
        if q >= target:
            # then drop what the target does not need (an op added for a tie, not a gain)
            for j in reversed([j for j, _q in steps]):
                fewer = tuple(sorted(expand(chosen - {j})))
                if j in chosen and fewer != full:
                    qf = quality(fewer)
                    if qf >= target:
                        chosen.discard(j)
                        full, q = fewer, qf
            return Choice(full, q, trials, tuple(steps))
    return Choice(best[1], best[0], trials, tuple(steps))


def quantize_ops_count(buf: bytes) -> int:
    return sum(1 for n in op_names(buf) if n == "QUANTIZE")


def activation_elements(buf: bytes, op: int) -> int:
    """Elements of op ``op``'s activations (inputs and outputs, no constants) in the model."""
    m = _load(buf)
    g = m.subgraphs[0]
    total = 0
    for t in (*g.operators[op].inputs, *g.operators[op].outputs):
        if t >= 0 and not _has_data(m, g.tensors[t]):
            n = int(np.prod(g.tensors[t].shape)) if g.tensors[t].shape is not None else 0
            total += n
    return total


# ---- the driver: two conversions, the choice, the report ----------------------------------

@dataclass(frozen=True)
class ModeFigures:
    """One precision mode on the evaluation data."""

    quality: float | None  # accuracy in % (labels) or SNR in dB (float targets)
    arena_bytes: int | None  # edgeq-micro's arena (reference kernels); None for float
    model_bytes: int | None = None
    instructions: int | None = None  # exact on ``MixedReport.instructions_board``, else estimated


@dataclass(frozen=True)
class MixedReport:
    """What ``quantize --mode mixed`` chose and measured. ``metric``: "accuracy" (% of
    output 0's labels) or "snr_db" (output 0 against its float targets); ``budget`` in its
    units (points or dB); ``modes``: float, int8, mixed, int16x8; ``int16_ops``: (op index in
    the int8 model, op name, layer name, quality with that op alone in int16)."""

    metric: str
    budget: float | None
    samples: int
    modes: dict
    int16_ops: tuple[tuple[int, str, str, float | None], ...]
    met: bool
    quantize_ops: int
    layers_given: tuple[str, ...] = ()
    errors: tuple = ()  # LayerError-like rows of the chosen ops' outputs: int8 vs mixed
    # the board the instructions were measured on (exact, QEMU); None: estimated from the
    # graph by edgeq.model.cost (edgeq-micro's fast kernels on a Cortex-M4)
    instructions_board: str | None = None

    @property
    def int16_layers(self) -> list[str]:
        return [name for _k, _op, name, _q in self.int16_ops]

    def as_json(self) -> dict:
        modes = {}
        for k, v in self.modes.items():
            d = {"accuracy" if self.metric == "accuracy" else "snr_db": v.quality}
            if k != "float":
                d.update(arena_bytes=v.arena_bytes, model_bytes=v.model_bytes, instructions=v.instructions)
            modes[k] = d
        return {"metric": self.metric, "budget": self.budget, "samples": self.samples, "met": self.met,
                "modes": modes, "int16_layers": self.int16_layers,
                "int16_ops": [{"index": k, "op": op, "layer": name, "quality_alone": q}
                              for k, op, name, q in self.int16_ops],
                "instructions_measured": self.instructions_board is not None,
                "instructions_board": self.instructions_board or _cost.board(),
                "quantize_ops": self.quantize_ops, "layers_given": list(self.layers_given),
                "errors": [dict(e) for e in self.errors]}


def _layer_names(model) -> list[str]:
    names = []

    def walk(layer):
        for sub in getattr(layer, "layers", []) or []:
            names.append(sub.name)
            walk(sub)

    walk(model)
    return names


def op_layers(buf: bytes, keras_names: Sequence[str]) -> list[str]:
    """For each op, the Keras layer that made it, read from its output tensor's name: Keras 3
    exports each layer under a name scope of its name plus ``_N`` (layer ``conv2d`` as
    ``functional_1/conv2d_1/Relu``, layer ``conv2d_1`` as ``conv2d_1_2``), so the longest layer
    name that a path component is with such a suffix, else one that a component equals;
    ``#k OP`` when none matches."""
    import re

    m = _load(buf)
    g = m.subgraphs[0]
    out = []
    for k, op in enumerate(g.operators):
        name = g.tensors[op.outputs[0]].name if op.outputs else b""
        name = name.decode() if isinstance(name, bytes) else str(name or "")
        parts = [p for chunk in name.split(";") for p in chunk.split("/")]
        suffixed = [n for n in keras_names if any(re.fullmatch(re.escape(n) + r"_\d+", p) for p in parts)]
        exact = [n for n in keras_names if n in parts]
        hits = suffixed or exact
        out.append(max(hits, key=len) if hits else f"#{k} {_op_name(m, op)}")
    return out


def resolve_layers(buf: bytes, names: Sequence[str], keras_names: Sequence[str], allowed: Sequence[int]) -> list[int]:
    """Op indices for ``--layers``: Keras layer names (every candidate op the layer made) or
    op indices (``3`` or ``#3``). One line naming what does not match."""
    per_op = op_layers(buf, keras_names)
    names_of_ops = op_names(buf)
    chosen: list[int] = []
    for n in names:
        n = n.strip()
        if n.lstrip("#").isdigit():
            k = int(n.lstrip("#"))
            if k not in allowed:
                why = "no such op" if k >= len(per_op) else f"{names_of_ops[k]} has no int16x8 kernel here"
                raise EdgeqError(f"--layers {n}: {why} (candidates: {', '.join(f'#{c}' for c in allowed)})")
            chosen.append(k)
            continue
        ks = [k for k in allowed if per_op[k] == n]
        if not ks:
            known = sorted({per_op[k] for k in allowed})
            raise EdgeqError(f"--layers {n}: no such layer with an int16x8 op (layers: {', '.join(known)})")
        chosen.extend(ks)
    return sorted(set(chosen))


def quantize_mixed(model, calib: Sequence[np.ndarray], eval_xs: Sequence[np.ndarray] | None, target, *,
                   budget: float | None = None, layers: Sequence[str] | None = None, samples: int = 200,
                   board: str | None = None, conversions: tuple[bytes, bytes] | None = None,
                   max_arena: float | None = MAX_ARENA) -> tuple[bytes, MixedReport, tuple]:
    """Quantize ``model`` int8 and int16x8 on the same calibration data and splice them (see
    the module doc): the ops ``layers`` names, or the smallest greedy set that brings output 0's
    quality on ``eval_xs`` (``target``: an :class:`edgeq.harness.metrics.Target` with labels or
    float targets) within ``budget`` of the float model's, among the sets whose edgeq-micro
    arena stays within ``max_arena`` times the int8 model's (None: no cap; a model edgeq-micro
    cannot run: no cap either). Returns the mixed flatbuffer, the
    report, and the int8 and int16x8 quantize reports (None when ``conversions``, the int8 and
    int16x8 flatbuffers of this model made before, are given)."""
    from edgeq import ptq
    from edgeq.harness import metrics
    from edgeq.harness.oracle import TflmReference

    if layers is None and (eval_xs is None or target is None or (target.classes is None and target.values is None)):
        raise EdgeqError("--mode mixed needs --eval data with labels (or float targets) for output 0 to choose "
                         "the int16 layers, or --layers naming them")
    if layers is None and budget is None:
        budget = 1.0
    if budget is not None and budget < 0:
        raise EdgeqError(f"--budget {budget}: give the points (or dB) of quality the mixed model may lose, >= 0")
    keras_names = _layer_names(model) if not isinstance(model, (str, bytes)) else []
    if layers is not None and keras_names:  # a name no layer has: said before converting
        for n in layers:
            if not n.strip().lstrip("#").isdigit() and n.strip() not in keras_names:
                raise EdgeqError(f"--layers {n.strip()}: no such layer in the model (layers: {', '.join(keras_names)})")
    if conversions is not None:
        (fb8, fb16), rep8, rep16 = conversions, None, None
    else:
        fb8, rep8 = ptq.quantize(model, calib, mode="int8", samples=samples)
        fb16, rep16 = ptq.quantize(model, calib, mode="int16x8", samples=samples)
    pool = candidates(fb8, fb16)
    metric = "accuracy" if target is not None and target.classes is not None else "snr_db"

    def points(real: np.ndarray) -> float | None:
        s = metrics.score(0, "out", real, target)
        return s.accuracy * 100 if metric == "accuracy" else s.snr_db

    # a model is spliced and evaluated once: the choice asks for the same sets again (the
    # arena cap, then the quality; the final set, then the report)
    @functools.lru_cache(maxsize=None)
    def spliced(ops: tuple[int, ...]) -> bytes:
        return splice(fb8, fb16, ops)

    @functools.lru_cache(maxsize=None)
    def quality(buf: bytes) -> float | None:
        if eval_xs is None or target is None:
            return None
        ref = TflmReference(buf)
        out = ref.run(*eval_xs)[0]
        scale, zp = ref.output_quant(0)
        return points(metrics.dequantize(out, scale, zp))

    float_q = points(ptq.predict_float_all(model, eval_xs)[0]) if eval_xs is not None and target is not None else None
    trials: dict = {}
    float_fb = None
    if layers is not None:
        chosen = resolve_layers(fb8, layers, keras_names, pool)
        ops = tuple(sorted(_closure(fb8, set(chosen), set(pool))))
        met = True
    else:
        if float_q is None:
            raise EdgeqError("the float model's quality on --eval could not be measured")
        goal = float_q - budget
        cap = None
        if max_arena is not None:
            base_arena = _arena(fb8)
            cap = None if base_arena is None else max_arena * max(base_arena, 1)
        float_fb = float_flatbuffer(model, eval_xs)
        int8_error = {r["op"]: r["rmse_steps_int8"] for r in output_errors(fb8, None, pool, model, eval_xs, float_fb)}
        choice = choose(pool, lambda ops: quality(spliced(ops)), goal,
                        cost=lambda k: activation_elements(fb16, k) * 2,
                        expand=lambda ops: _closure(fb8, ops, set(pool)),
                        fits=lambda ops: cap is None or (_arena(spliced(ops)) or 0) <= cap,
                        error=lambda k: int8_error.get(k, 0.0))
        ops, trials = choice.ops, choice.trials
        met = choice.quality >= goal
    mixed = spliced(tuple(ops))

    def figures(buf: bytes) -> ModeFigures:
        arena = _arena(buf)
        instr = _instructions(buf, board) if board else _cost.estimate_instructions(read_model(buf))
        return ModeFigures(quality(buf), arena, len(buf), instr)

    modes = {"float": ModeFigures(float_q, None), "int8": figures(fb8), "mixed": figures(mixed),
             "int16x8": figures(fb16)}
    per_op = op_layers(fb8, keras_names)
    names = op_names(fb8)
    report = MixedReport(
        metric=metric, budget=budget, samples=int(eval_xs[0].shape[0]) if eval_xs is not None else 0, modes=modes,
        int16_ops=tuple((k, names[k], per_op[k], trials.get(k)) for k in ops), met=met,
        quantize_ops=quantize_ops_count(mixed) - quantize_ops_count(fb8), layers_given=tuple(layers or ()),
        errors=tuple(output_errors(fb8, mixed, ops, model, eval_xs, float_fb)) if eval_xs is not None else (),
        instructions_board=board,
    )
    return mixed, report, (rep8, rep16)


def _arena(buf: bytes) -> int | None:
    """edgeq-micro's arena for a model (reference kernels); None when it cannot run it."""
    from edgeq.codegen.native.emit import generate
    from edgeq.errors import UnsupportedOpError

    try:
        return generate(read_model(buf)).arena_size
    except UnsupportedOpError:
        return None


def _instructions(buf: bytes, board: str) -> int | None:
    """Exact instructions of one inference on ``board`` under QEMU (edgeq-micro, fast kernels)."""
    import tempfile
    from pathlib import Path

    from edgeq.harness import measure

    with tempfile.TemporaryDirectory(prefix="edgeq-mixed-") as tmp:
        path = Path(tmp) / "m.tflite"
        path.write_bytes(buf)
        res = measure.bench(path, board)
        if not res.bit_exact_vs_tflm:  # never report figures of a model that runs wrong
            raise EdgeqError(f"a precision mode's model differs from TFLM on {board}: {res.first_mismatch}")
        return res.instructions_per_inference


def float_flatbuffer(model, eval_xs) -> bytes | None:
    """The float conversion of the model (the reference of :func:`output_errors`), or None."""
    from edgeq import ptq

    try:
        return ptq.float_tflite(model, [tuple(x.shape[1:]) for x in eval_xs])
    except Exception:
        return None


def output_errors(fb8: bytes, mixed: bytes | None, ops: Sequence[int], model, eval_xs,
                  float_fb: bytes | None = None) -> list[dict]:
    """For each op's output, the error against the float model's same tensor in the int8
    model (``rmse_steps_int8``) and, with ``mixed``, in the mixed model (its int16 tensor:
    ``rmse_steps_mixed``), as RMSE in the int8 tensor's quantization steps, over (up to 64 of)
    the evaluation inputs (LiteRT with every tensor preserved; the float reference is the
    float conversion of the same model, ``float_fb`` when given)."""
    try:
        from ai_edge_litert.interpreter import Interpreter, OpResolverType
    except Exception:  # LiteRT missing: no per-op errors (the rest of the report stands)
        return []
    fl = float_fb if float_fb is not None else float_flatbuffer(model, eval_xs)
    if fl is None:
        return []
    xs = [np.asarray(x[:64], np.float32) for x in eval_xs]

    def tensors(buf: bytes) -> tuple[dict, dict]:
        # no XNNPACK: a delegated graph keeps no intermediate tensors
        it = Interpreter(model_content=buf, experimental_preserve_all_tensors=True,
                         experimental_op_resolver_type=OpResolverType.BUILTIN_WITHOUT_DEFAULT_DELEGATES)
        it.allocate_tensors()
        det = {d["name"]: d for d in it.get_tensor_details()}
        vals: dict[str, list] = {}
        for s in range(xs[0].shape[0]):
            for i, d in enumerate(it.get_input_details()):
                x = xs[i][s:s + 1]
                q = d["quantization"]
                if d["dtype"] != np.float32 and q[0]:
                    x = np.clip(np.round(x / q[0]) + q[1], np.iinfo(d["dtype"]).min, np.iinfo(d["dtype"]).max)
                it.set_tensor(d["index"], x.astype(d["dtype"]))
            it.invoke()
            for name, d in det.items():
                try:
                    value = np.array(it.get_tensor(d["index"]))
                except ValueError:  # a tensor with no data (an unused input's slot)
                    continue
                vals.setdefault(name, []).append(value)
        return det, {k: np.stack(v) for k, v in vals.items()}

    import warnings

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            det8, v8 = tensors(fb8)
            detm, vm = tensors(mixed) if mixed is not None else ({}, {})
            _detf, vf = tensors(fl)
    except Exception as exc:
        import logging

        logging.getLogger(__name__).info("per-op errors skipped: %s", exc)
        return []
    m8 = _load(fb8)
    g = m8.subgraphs[0]
    rows = []
    for k in ops:
        t = g.tensors[g.operators[k].outputs[0]]
        name = t.name.decode() if isinstance(t.name, bytes) else str(t.name)
        if name not in v8 or name not in vf:
            continue
        scale, zp = det8[name]["quantization"]
        ref = vf[name].astype(np.float64)
        before = (v8[name].astype(np.float64) - zp) * scale
        if before.shape != ref.shape or not scale:
            continue
        row = {"op": int(k), "tensor": name, "rmse_steps_int8": float(np.sqrt(np.mean((before - ref) ** 2)) / scale)}
        if name + "/int16" in vm:
            s16, z16 = detm[name + "/int16"]["quantization"]
            after = (vm[name + "/int16"].astype(np.float64) - z16) * s16
            if after.shape == ref.shape:
                row["rmse_steps_mixed"] = float(np.sqrt(np.mean((after - ref) ** 2)) / scale)
        if mixed is None or "rmse_steps_mixed" in row:
            rows.append(row)
    return rows
