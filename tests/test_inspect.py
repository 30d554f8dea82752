"""`edgeq inspect`: the report's content on the fixtures, the TFLM arena figure, the
no-TensorFlow promise, and malformed/mutated files (exit 1 with one line, never a crash)."""

from __future__ import annotations

import json
import os
import random
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

from edgeq.errors import EdgeqError, MalformedModelError
from edgeq.model.arena import measure_tflm_arena
from edgeq.model.macs import op_macs, param_bytes, total_macs
from edgeq.model.reader import read_model
from edgeq.model.support import TFLM_BUILTIN_OPS, tflm_support
from edgeq.report.inspect import build_report, render, to_json

from conftest import EDGEQ, FIXTURES, ROOT

FIXTURE_MODELS = {
    "hello_world": "hello_world/models/hello_world_int8.tflite",
    "person_detect": "person_detection/person_detect.tflite",
    "micro_speech": "micro_speech/micro_speech_quantized.tflite",
    "mnist_lstm": "mnist_lstm/trained_lstm_int8.tflite",
}
# Models another part of the suite generates (MLPerf-Tiny-style); covered once they exist.
EXTRA_MODELS = sorted((ROOT / "tests" / "models").glob("*.tflite"))


def fixture(name: str) -> Path:
    path = FIXTURES / FIXTURE_MODELS[name]
    if not path.is_file():
        pytest.fail(f"fixture model missing: {path} (set EDGEQ_FIXTURES)")
    return path


def run_cli(*args: str, timeout: float = 60) -> subprocess.CompletedProcess:
    return subprocess.run([EDGEQ, *args], capture_output=True, text=True, timeout=timeout)


def tflm_printed_total(path: Path) -> int:
    """TFLM's own figure, independently of edgeq: print_allocations() in a fresh process."""
    code = (
        "import sys\n"
        "from tflite_micro.python.tflite_micro import runtime\n"
        "interp = runtime.Interpreter.from_file(sys.argv[1], arena_size=64 * 1024 * 1024)\n"
        "interp.print_allocations()\n"
    )
    proc = subprocess.run([sys.executable, "-c", code, str(path)], capture_output=True, text=True, timeout=60)
    found = re.findall(r"Arena allocation total (\d+) bytes", proc.stderr)
    assert proc.returncode == 0 and found, proc.stderr[-2000:]
    return int(found[-1])


@pytest.fixture(scope="module")
def cli_reports() -> dict[str, dict]:
    """`edgeq inspect --json` of every fixture and extra model, run once for the module."""
    reports = {}
    for path in [*(fixture(n) for n in FIXTURE_MODELS), *EXTRA_MODELS]:
        proc = run_cli("inspect", str(path), "--json")
        assert proc.returncode == 0, proc.stderr
        reports[str(path)] = json.loads(proc.stdout)  # exactly one JSON document on stdout
    return reports


# ------------------------------------------------------------------ content


def test_fixture_ops_in_order(cli_reports):
    names = {n: [o["name"] for o in cli_reports[str(fixture(n))]["ops"]] for n in FIXTURE_MODELS}
    assert names["hello_world"] == ["FULLY_CONNECTED"] * 3
    assert names["micro_speech"] == ["RESHAPE", "DEPTHWISE_CONV_2D", "FULLY_CONNECTED", "SOFTMAX"]
    assert names["mnist_lstm"] == ["UNIDIRECTIONAL_SEQUENCE_LSTM", "RESHAPE", "FULLY_CONNECTED", "SOFTMAX"]
    pd = names["person_detect"]
    assert len(pd) == 31
    assert pd[:3] == ["DEPTHWISE_CONV_2D", "DEPTHWISE_CONV_2D", "CONV_2D"]
    assert pd[-3:] == ["CONV_2D", "RESHAPE", "SOFTMAX"]
    assert set(pd) == {"CONV_2D", "DEPTHWISE_CONV_2D", "AVERAGE_POOL_2D", "RESHAPE", "SOFTMAX"}


def test_report_keys_and_shapes(cli_reports):
    r = cli_reports[str(fixture("person_detect"))]
    for key in ("subgraphs", "ops", "tensors", "macs_total", "param_bytes", "tflm_arena_bytes", "unsupported"):
        assert key in r
    assert set(r["unsupported"]) == {"tflm", "native"}
    op0 = r["ops"][0]
    assert {"index", "name", "inputs", "outputs", "macs", "input_shapes", "output_shapes"} <= set(op0)
    assert op0["input_shapes"][0] == [1, 96, 96, 1] and op0["output_shapes"] == [[1, 48, 48, 8]]
    t_in = r["tensors"][r["subgraphs"][0]["inputs"][0]]
    assert t_in["shape"] == [1, 96, 96, 1] and t_in["type"] == "INT8"
    assert isinstance(t_in["scale"], list) and isinstance(t_in["zero_point"], list)


def test_per_channel_quantization(cli_reports):
    r = cli_reports[str(fixture("person_detect"))]
    op0 = r["ops"][0]  # DEPTHWISE_CONV_2D 1x3x3x8 filter, per-channel on axis 3
    w = r["tensors"][op0["inputs"][1]]
    assert w["shape"] == [1, 3, 3, 8] and w["constant"]
    assert w["per_channel"] and w["quantized_dimension"] == 3 and w["channels"] == 8
    assert len(w["scale"]) == len(w["zero_point"]) == 8
    act = r["tensors"][op0["outputs"][0]]
    assert not act["per_channel"] and act["channels"] == 1 and len(act["scale"]) == 1


def test_macs_person_detect_hand_checked(cli_reports):
    r = cli_reports[str(fixture("person_detect"))]
    ops = r["ops"]
    # op 2: CONV_2D 1x1, 8 -> 16 channels at 48x48: 48*48*16 outputs x 1*1*8 = 294,912
    assert ops[2]["name"] == "CONV_2D" and ops[2]["output_shapes"] == [[1, 48, 48, 16]]
    assert ops[2]["macs"] == 48 * 48 * 16 * 1 * 1 * 8
    # op 0: depthwise 3x3, depth multiplier 8 at 48x48: 48*48*8 outputs x 3*3 = 165,888
    assert ops[0]["macs"] == 48 * 48 * 8 * 3 * 3
    assert all(o["macs"] == 0 for o in ops if o["name"] in ("RESHAPE", "SOFTMAX", "AVERAGE_POOL_2D"))
    assert r["macs_total"] == sum(o["macs"] for o in ops)


def test_macs_and_params_small_models(cli_reports):
    hw = cli_reports[str(fixture("hello_world"))]
    assert [o["macs"] for o in hw["ops"]] == [16, 16 * 16, 16]
    # weights 16 + 256 + 16 int8 bytes, biases (16 + 16 + 1) int32
    assert hw["param_bytes"] == 16 + 256 + 16 + 4 * (16 + 16 + 1)
    ms = cli_reports[str(fixture("micro_speech"))]
    assert [o["macs"] for o in ms["ops"]] == [0, 25 * 20 * 8 * 10 * 8, 4 * 4000, 0]


def test_lstm_model_readable(cli_reports):
    r = cli_reports[str(fixture("mnist_lstm"))]
    lstm = r["ops"][0]
    assert lstm["name"] == "UNIDIRECTIONAL_SEQUENCE_LSTM"
    # 4 gates x (20x28 input + 20x20 recurrent weights) per step, 28 time steps, batch 1
    assert lstm["macs"] == 28 * 4 * (20 * 28 + 20 * 20)
    assert r["ops"][2]["macs"] == 10 * 560
    assert r["unsupported"]["tflm"] == [] and r["unsupported"]["native"] == []


def test_param_bytes_counts_shared_buffers_once():
    import flatbuffers
    from tflite_micro.tensorflow.lite.micro.python import schema_py_generated as schema

    data = fixture("hello_world").read_bytes()
    base = read_model(data)
    assert param_bytes(base) == 420
    # Point the second [16] int32 bias (tensor 5) at the first one's buffer (tensor 3's).
    raw = schema.ModelT.InitFromPackedBuf(data, 0)
    tensors = raw.subgraphs[0].tensors
    assert list(tensors[3].shape) == list(tensors[5].shape) == [16]
    tensors[5].buffer = tensors[3].buffer
    b = flatbuffers.Builder(1024)
    b.Finish(raw.Pack(b), file_identifier=b"TFL3")
    shared = read_model(bytes(b.Output()))
    assert shared.main.tensors[5].data is shared.main.tensors[3].data
    assert param_bytes(shared) == 420 - 16 * 4
    assert total_macs(base) == sum(op_macs(op, base.main) for op in base.main.operators) == 288


def test_tflm_support_table():
    model = read_model(fixture("mnist_lstm"))
    assert all(tflm_support(op, model.main) is None for op in model.main.operators)
    assert "CONV_2D" in TFLM_BUILTIN_OPS and "UNIDIRECTIONAL_SEQUENCE_LSTM" in TFLM_BUILTIN_OPS
    assert "BIDIRECTIONAL_SEQUENCE_LSTM" not in TFLM_BUILTIN_OPS


def test_human_rendering():
    proc = run_cli("inspect", str(fixture("micro_speech")))
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    for text in ("DEPTHWISE_CONV_2D", "1x25x20x8", "320,000", "MACs per inference: 336,000", "TFLM arena"):
        assert text in out
    from rich.console import Console

    console = Console(width=120, record=True, file=open("/dev/null", "w"))
    console.print(render(build_report(read_model(fixture("mnist_lstm")))))
    assert "UNIDIRECTIONAL_SEQUENCE_LSTM" in console.export_text()


# ------------------------------------------------------------------ arena


@pytest.mark.parametrize("path", [*(FIXTURES / p for p in FIXTURE_MODELS.values()), *EXTRA_MODELS],
                         ids=lambda p: p.name)
def test_arena_equals_tflm_print_allocations(path, cli_reports):
    report = cli_reports[str(path)]
    assert report["tflm_arena_error"] is None
    assert report["tflm_arena_bytes"] == tflm_printed_total(path)


def test_arena_grows_past_the_default_and_reports_failures():
    data = fixture("person_detect").read_bytes()
    ok = measure_tflm_arena(data)
    assert ok.total_bytes == ok.head_bytes + ok.tail_bytes
    grown = measure_tflm_arena(data, initial_arena_bytes=20_000)  # too small: must retry larger
    assert grown.total_bytes == ok.total_bytes, grown.reason
    capped = measure_tflm_arena(data, max_arena_bytes=70_000)  # needs 85 KB
    assert capped.total_bytes is None and "cap" in capped.reason
    assert measure_tflm_arena(data, timeout=0.001).total_bytes is None


# ------------------------------------------------------------------ no TensorFlow


def test_inspect_does_not_import_tensorflow():
    code = (
        "import sys\n"
        "from edgeq.cli import app\n"
        "try:\n"
        "    app(['inspect', sys.argv[1], '--json'])\n"
        "except SystemExit as e:\n"
        "    assert not e.code, e.code\n"
        "heavy = sorted(m for m in sys.modules if m.split('.')[0] in ('tensorflow', 'keras', 'tf_keras', 'ai_edge_litert'))\n"
        "sys.stderr.write('HEAVY=' + ','.join(heavy) + '\\n')\n"
    )
    proc = subprocess.run([sys.executable, "-c", code, str(fixture("hello_world"))],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    json.loads(proc.stdout)
    assert "HEAVY=\n" in proc.stderr, proc.stderr


# ------------------------------------------------------------------ malformed files


def _malformed_files(tmp: Path) -> dict[str, Path]:
    good = fixture("hello_world").read_bytes()
    files = {
        "empty": b"",
        "truncated_3": good[:3],
        "truncated_12": good[:12],
        "truncated_100": good[:100],
        "truncated_half": good[: len(good) // 2],
        "truncated_last_byte": good[:-1],
        "random": random.Random(7).randbytes(4096),
        "text": b"this is not a model\nsecond line\n",
        "zip": b"PK\x03\x04" + bytes(200),  # what a .keras file starts with
        "hdf5": b"\x89HDF\r\n\x1a\n" + bytes(200),
    }
    out = {}
    for name, data in files.items():
        path = tmp / f"{name}.tflite"
        path.write_bytes(data)
        out[name] = path
    out["missing"] = tmp / "missing.tflite"
    out["directory"] = tmp
    return out


def assert_one_line_error(proc: subprocess.CompletedProcess) -> None:
    assert proc.returncode == 1, (proc.returncode, proc.stdout[-500:], proc.stderr[-2000:])
    lines = proc.stderr.strip("\n").split("\n")
    assert len(lines) == 1 and lines[0].startswith("error: "), proc.stderr
    assert "Traceback" not in proc.stderr
    assert proc.stdout == ""


def test_malformed_files_exit_1_one_line(tmp_path):
    for name, path in _malformed_files(tmp_path).items():
        proc = run_cli("inspect", str(path), "--json")
        assert_one_line_error(proc)
        with pytest.raises(EdgeqError):
            read_model(path)


def test_keras_zip_message_names_the_fix(tmp_path):
    path = tmp_path / "model.tflite"
    path.write_bytes(b"PK\x03\x04" + bytes(64))
    with pytest.raises(MalformedModelError, match="zip"):
        read_model(path)


def test_shared_offsets_bomb_rejected_fast():
    """A file whose subgraph vector points 300 times at one subgraph must not unpack 300 copies."""
    import flatbuffers
    from tflite_micro.tensorflow.lite.micro.python import schema_py_generated as schema

    src = schema.ModelT.InitFromPackedBuf(fixture("person_detect").read_bytes(), 0)
    b = flatbuffers.Builder(1024)
    sg = src.subgraphs[0].Pack(b)
    schema.ModelStartSubgraphsVector(b, 300)
    for _ in range(300):
        b.PrependUOffsetTRelative(sg)
    subgraphs = b.EndVector()
    buffers = [x.Pack(b) for x in src.buffers]
    schema.ModelStartBuffersVector(b, len(buffers))
    for x in reversed(buffers):
        b.PrependUOffsetTRelative(x)
    buffers_vec = b.EndVector()
    codes = [c.Pack(b) for c in src.operatorCodes]
    schema.ModelStartOperatorCodesVector(b, len(codes))
    for c in reversed(codes):
        b.PrependUOffsetTRelative(c)
    codes_vec = b.EndVector()
    schema.ModelStart(b)
    schema.ModelAddVersion(b, 3)
    schema.ModelAddSubgraphs(b, subgraphs)
    schema.ModelAddBuffers(b, buffers_vec)
    schema.ModelAddOperatorCodes(b, codes_vec)
    b.Finish(schema.ModelEnd(b), file_identifier=b"TFL3")
    start = time.monotonic()
    with pytest.raises(MalformedModelError, match="shared or looping offsets"):
        read_model(bytes(b.Output()))
    assert time.monotonic() - start < 1.0


# ------------------------------------------------------------------ fuzzing

FUZZ_SEED = 20240611
FUZZ_CASES = 300
FUZZ_CASE_LIMIT_S = 2.0  # one model parses in milliseconds; anything near this is a hang


def mutate(data: bytes, rng: random.Random) -> bytes:
    """One deterministic mutation: bit flips, truncation, inserted/deleted/overwritten bytes."""
    b = bytearray(data)
    kind = rng.randrange(6)
    if kind == 0:
        for _ in range(rng.randint(1, 8)):
            i = rng.randrange(len(b))
            b[i] ^= 1 << rng.randrange(8)
    elif kind == 1:
        b = b[: rng.randrange(len(b))]
    elif kind == 2:
        i = rng.randrange(len(b))
        b[i:i] = rng.randbytes(rng.randint(1, 16))
    elif kind == 3:  # a 32-bit field (offset, length, index) set to an extreme
        for _ in range(rng.randint(1, 4)):
            i = rng.randrange(len(b) - 4) & ~3
            b[i : i + 4] = rng.choice([b"\xff\xff\xff\x7f", b"\x00\x00\x00\x80", b"\xff\xff\xff\xff",
                                       b"\x00\x00\x00\x00", b"\x01\x00\x00\x00", rng.randbytes(4)])
    elif kind == 4:
        i = rng.randrange(len(b))
        del b[i : i + rng.randint(1, 64)]
    else:
        for _ in range(rng.randint(1, 32)):
            b[rng.randrange(len(b))] = rng.randrange(256)
    return bytes(b)


def mutants(n: int, seed: int) -> list[bytes]:
    rng = random.Random(seed)
    sources = [fixture(name).read_bytes() for name in FIXTURE_MODELS]
    return [mutate(sources[rng.randrange(len(sources))], rng) for _ in range(n)]


def test_fuzz_reader_and_report_in_process():
    outcomes = {"ok": 0, "error": 0}
    for i, data in enumerate(mutants(FUZZ_CASES, FUZZ_SEED)):
        start = time.monotonic()
        try:
            report = build_report(read_model(data))  # arena: the CLI spot-checks below run TFLM
            json.loads(to_json(report))
            outcomes["ok"] += 1
        except EdgeqError as exc:
            assert "\n" not in str(exc)
            outcomes["error"] += 1
        # any other exception fails the test here, with its traceback
        elapsed = time.monotonic() - start
        assert elapsed < FUZZ_CASE_LIMIT_S, f"mutant {i} took {elapsed:.1f} s"
    # Both paths must be exercised, or the mutations are too weak/strong to mean anything.
    assert outcomes["ok"] > 20 and outcomes["error"] > 20, outcomes


def test_fuzz_cli_spot_checks(tmp_path):
    """~10 mutants through the real CLI (TFLM arena child included): 0 + JSON, or 1 + one line."""
    accepted, rejected = [], []
    for data in mutants(200, FUZZ_SEED + 1):
        try:
            read_model(data)
            accepted.append(data)
        except EdgeqError:
            rejected.append(data)
    chosen = accepted[:6] + rejected[:4]
    assert len(chosen) == 10
    for i, data in enumerate(chosen):
        path = tmp_path / f"mutant_{i}.tflite"
        path.write_bytes(data)
        proc = run_cli("inspect", str(path), "--json")
        if proc.returncode == 0:
            report = json.loads(proc.stdout)
            assert "ops" in report and ("tflm_arena_bytes" in report)
            assert i < 6
        else:
            assert_one_line_error(proc)
            assert i >= 6


def _structure_mutant(data: bytes, rng: random.Random) -> bytes | None:
    """Re-pack a model with nonsense in well-formed fields: shapes, option ints, op inputs,
    quantization, tensor types. Reaches the semantic checks (MACs, op support) that byte
    mutations rarely get past the parser to."""
    import flatbuffers
    import numpy as np
    from tflite_micro.tensorflow.lite.micro.python import schema_py_generated as schema

    raw = schema.ModelT.InitFromPackedBuf(data, 0)
    sg = raw.subgraphs[0]
    values = [0, 1, 2, 3, -1, 7, 255, 2**31 - 1, 1000]
    for _ in range(rng.randint(1, 3)):
        kind = rng.randrange(5)
        if kind == 0:
            t = rng.choice(sg.tensors)
            shape = [] if t.shape is None else list(t.shape)
            how = rng.randrange(3)
            if how == 0 and shape:
                shape[rng.randrange(len(shape))] = rng.choice([0, 1, 2, 3, 1000])
            elif how == 1 and shape:
                shape.pop(rng.randrange(len(shape)))
            else:
                shape.insert(rng.randrange(len(shape) + 1), rng.choice([1, 2, 3]))
            t.shape = np.array(shape, dtype=np.int32)
        elif kind == 1:
            options = rng.choice(sg.operators).builtinOptions
            if options is not None:
                ints = [k for k, v in vars(options).items() if isinstance(v, int) and not isinstance(v, bool)]
                if ints:
                    setattr(options, rng.choice(ints), rng.choice(values))
        elif kind == 2:
            op = rng.choice(sg.operators)
            ins = list(op.inputs)
            if ins:
                ins[rng.randrange(len(ins))] = rng.choice([-1, rng.randrange(len(sg.tensors))])
                if rng.random() < 0.3:
                    ins = ins[: rng.randrange(len(ins) + 1)]
            op.inputs = np.array(ins, dtype=np.int32)
        elif kind == 3:
            q = rng.choice(sg.tensors).quantization
            if q is not None and q.scale is not None:
                q.quantizedDimension = rng.choice([0, 1, 3, 5, -1])
                if rng.random() < 0.5:
                    q.zeroPoint = np.array([rng.choice([0, 127, -128, 300])] * len(q.scale), dtype=np.int64)
                if rng.random() < 0.3:
                    q.scale = np.array([rng.choice([0.0, -1.0, 1e-30, 1e30])] * len(q.scale), dtype=np.float32)
        else:
            rng.choice(sg.tensors).type = rng.choice([0, 1, 2, 3, 7, 9, 17])
    builder = flatbuffers.Builder(1024)
    try:
        builder.Finish(raw.Pack(builder), file_identifier=b"TFL3")
    except TypeError:  # a value the field's type cannot hold: not a file anyone can write
        return None
    return bytes(builder.Output())


def test_fuzz_structure_in_process():
    rng = random.Random(FUZZ_SEED + 2)
    sources = [fixture(name).read_bytes() for name in FIXTURE_MODELS]
    outcomes = {"ok": 0, "error": 0}
    for i in range(150):
        data = _structure_mutant(sources[rng.randrange(len(sources))], rng)
        if data is None:
            continue
        start = time.monotonic()
        try:
            json.loads(to_json(build_report(read_model(data))))
            outcomes["ok"] += 1
        except EdgeqError:
            outcomes["error"] += 1
        assert time.monotonic() - start < FUZZ_CASE_LIMIT_S, f"mutant {i} too slow"
    assert outcomes["ok"] > 20 and outcomes["error"] > 20, outcomes


def test_plan_is_shown_on_request(edgeq_cmd):
    """`--plan` adds edgeq-micro's arena plan; the default stays fast (no planning)."""
    model = FIXTURES / "person_detection" / "person_detect.tflite"
    plain = json.loads(subprocess.run([edgeq_cmd, "inspect", str(model), "--json"], capture_output=True,
                                      text=True, check=True, timeout=120).stdout)
    assert plain["arena_plan"] is None
    doc = json.loads(subprocess.run([edgeq_cmd, "inspect", str(model), "--json", "--plan"], capture_output=True,
                                    text=True, check=True, timeout=120).stdout)
    plan = doc["arena_plan"]
    assert plan["inplace_bound_bytes"] <= plan["peak_bytes"] <= plan["arena_bytes"]
    assert plan["inplace_bound_bytes"] <= plan["lower_bound_bytes"]
    assert len(plan["timeline"]) == len([op for op in doc["ops"] if op["name"] != "RESHAPE"])
    assert max(step["live_bytes"] for step in plan["timeline"]) == plan["peak_bytes"]
    human = subprocess.run([edgeq_cmd, "inspect", str(model), "--plan"], capture_output=True, text=True,
                           check=True, timeout=120).stdout
    assert "in-place" in human.lower() or "inplace" in human.lower()


def test_plan_shows_placed_concatenations(edgeq_cmd):
    """Concatenations whose inputs are written straight into their slices are named, with
    whether the kernel still copies some inputs."""
    golden = ROOT / "tests" / "golden" / "models"
    doc = json.loads(subprocess.run([edgeq_cmd, "inspect", str(golden / "concat_dense_branches.tflite"), "--json",
                                     "--plan"], capture_output=True, text=True, check=True, timeout=120).stdout)
    plan = doc["arena_plan"]
    assert [(c["op"], c["copy"], len(c["inputs"])) for c in plan["placed"]] == [(2, False, 2)]
    assert [e["no_kernel"] for e in plan["timeline"]] == [False, False, True, False]
    assert plan["inplace_bound_bytes"] <= plan["peak_bytes"] <= plan["arena_bytes"] < plan["lower_bound_bytes"]
    human = subprocess.run([edgeq_cmd, "inspect", str(golden / "concat_dense_branches.tflite"), "--plan"],
                           capture_output=True, text=True, check=True, timeout=120, env={**os.environ, "COLUMNS": "200"}).stdout
    assert "CONCATENATION #2: inputs placed in their slices, no copy" in human
    human = subprocess.run([edgeq_cmd, "inspect", str(golden / "i16_concat_fire_module.tflite"), "--plan"],
                           capture_output=True, text=True, check=True, timeout=120, env={**os.environ, "COLUMNS": "200"}).stdout
    assert "CONCATENATION #5: 1 of 2 inputs placed in their slices, the rest copied" in human


def test_inspect_lists_ops_neither_runtime_runs(tmp_path):
    """An op TFLM has no kernel for and edgeq-micro does not implement is listed as run by
    neither runtime (JSON and text); a model both run says so."""
    import numpy as np

    sys.path.insert(0, str(ROOT / "tests" / "golden"))
    from tflite_builder import OneOp, T, build

    from edgeq.ops import REGISTRY

    op = next(o for o in ("UNIQUE", "RANK", "WHERE", "TOPK_V2") if o not in TFLM_BUILTIN_OPS and o not in REGISTRY)
    m = OneOp("ARG_MAX", [T((1, 6), "INT8", (0.1,), (0,)), T((1,), "INT32", data=np.array([1], np.int32)),
                          T((1,), "INT32")], [0, 1], [2], [0], [2], {"output_type": "INT32"})
    path = tmp_path / "argmax.tflite"
    path.write_bytes(build(m))
    r = build_report(read_model(path))
    assert r["unsupported_by_both"] == []
    assert "every op runs on at least one runtime" in _text(r)
    bad = OneOp(op, [T((4,), "INT8", (0.1,), (0,)), T((4,), "INT8", (0.1,), (0,))], [0], [1], [0], [1])
    path = tmp_path / "bad.tflite"
    path.write_bytes(build(bad))
    r = build_report(read_model(path))
    assert [(m["index"], m["name"]) for m in r["unsupported_by_both"]] == [(0, op)]
    assert set(r["unsupported_by_both"][0]["reasons"]) == {"tflm", "native"}
    assert f"neither runtime runs: #0 {op}" in _text(r)


def _text(report) -> str:
    from rich.console import Console

    console = Console(width=200, record=True)
    console.print(render(report))
    return console.export_text()
