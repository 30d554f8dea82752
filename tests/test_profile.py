"""Per-op profile (``edgeq bench --profile``): the accounting of marker segments, the
reports, the plugin's segment counts under QEMU on M3/M4/M7 (per-op + overhead rows =
the whole inference of the profile build, exactly), TFLM beside edgeq-micro, and errors."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from conftest import EDGEQ, FIXTURES, ROOT, need

MODELS = ROOT / "tests" / "models"
GOLDEN = ROOT / "tests" / "golden" / "models"
sys.path.insert(0, str(ROOT / "tests" / "golden"))


def _tools() -> None:
    from edgeq.harness.runners import qemu
    from edgeq.toolchain import arm

    reason = arm.missing_reason()
    need("arm-gcc", reason is None, reason or "")
    reason = qemu.available()
    need("qemu", reason is None, reason or "")
    reason = qemu.plugin_missing_reason()
    need("qemu-plugin", reason is None, reason or "")


def _copies_model(path: Path) -> Path:
    """RELU, then a RESHAPE of its output; both are graph outputs, so edgeq-micro copies the
    RESHAPE's bytes (a view of the first output) after its last kernel."""
    from tflite_builder import Op, T, build_graph

    q = dict(scale=(0.05,), zero_point=(-3,))
    tensors = [T((1, 4, 2), **q), T((1, 4, 2), **q), T((2,), "INT32", data=np.array([1, 8], np.int32)),
               T((1, 8), **q)]
    ops = [Op("RELU", [0], [1]), Op("RESHAPE", [1, 2], [3])]
    path.write_bytes(build_graph(tensors, ops, [0], [1, 3]))
    return path


# ---- accounting (no emulator) ---------------------------------------------------------------


def _model():
    from edgeq.model.reader import read_model

    return read_model(GOLDEN / "concat_flatten_conv.tflite")


def test_account_sums_and_rows():
    """Segments -> rows: each op segment less one marker, fused ops without figures, the
    overhead rows, and everything summing to span - c0."""
    from edgeq.harness.profile import account

    model = _model()
    ops = model.main.operators
    fused = ((1, "view"), (3, "view"), (4, "placed"))
    kernels = [op.index for op in ops if op.index not in dict(fused)]
    roles = tuple(("op", i) for i in kernels)
    inf = [30] + [1000 + 10 * k for k in range(len(kernels))] + [7]
    cal = [2, 2]
    seg_cyc = [50] + [1500 + k for k in range(len(kernels))] + [11]
    p = account(model, roles, fused, [cal, inf], seg_cyc, [6, 6], runtime="native", target="mps2-an386",
                cycle_model="cortex-m4-trm")
    assert p.instructions == sum(inf) - 2
    assert p.cycles_estimate == sum(seg_cyc) - 6
    by = {r.index: r for r in p.ops}
    assert [r.index for r in p.ops] == [op.index for op in ops]
    for k, i in enumerate(kernels):
        assert by[i].instructions == 1000 + 10 * k - 2
        assert by[i].cycles_estimate == 1500 + k - 6
        assert by[i].how == "kernel"
    for i, how in fused:
        assert by[i].how == how and by[i].instructions is None and by[i].cycles_estimate is None
    over = {o.name: o for o in p.overhead}
    assert over["invoke entry and exit"].instructions == 30 + 7 - 2 - 2
    assert over[f"markers ({len(kernels) + 1} x 2)"].instructions == 2 * (len(kernels) + 1)
    total = sum(r.instructions or 0 for r in p.ops) + sum(o.instructions for o in p.overhead)
    assert total == p.instructions


def test_account_refuses_a_marker_count_that_does_not_match():
    from edgeq.errors import TargetError
    from edgeq.harness.profile import account

    model = _model()
    with pytest.raises(TargetError, match="markers"):
        account(model, (("op", 0), ("op", 2)), (), [[2, 2], [10, 20, 30]], None, None, runtime="native",
                target="x", cycle_model=None)
    with pytest.raises(TargetError, match="calibration"):
        account(model, (("op", 0),), (), [[4], [10, 20, 30]], None, None, runtime="native", target="x",
                cycle_model=None)


def test_between_rows_for_an_interpreter():
    """TFLM's segments alternate op / interpreter work; the latter is one overhead row."""
    from edgeq.harness.profile import account

    model = _model()
    ops = [op.index for op in model.main.operators]
    roles = []
    for i in ops:
        if roles:
            roles.append(("between", -1))
        roles.append(("op", i))
    inf = [40] + [100 + k for k in range(len(roles))] + [9]
    p = account(model, tuple(roles), (), [[2, 2], inf], None, None, runtime="tflm", target="x", cycle_model=None)
    over = {o.name: o.instructions for o in p.overhead}
    assert over["interpreter between ops"] == sum(100 + k - 2 for k, (r, _) in enumerate(roles) if r == "between")
    assert all(r.how == "kernel" for r in p.ops)
    assert p.cycles_estimate is None and all(r.cycles_estimate is None for r in p.ops)


def _fake_result(compared: bool):
    from edgeq.harness import profile as prof

    model = _model()
    n = len(model.main.operators)
    roles = tuple(("op", i) for i in range(n))
    mine = prof.account(model, roles, (), [[2, 2], [20] + [500 * (k + 1) for k in range(n)] + [5]],
                        [30] + [900 * (k + 1) for k in range(n)] + [8], [6, 6], runtime="native",
                        target="mps2-an386", cycle_model="cortex-m4-trm")
    theirs = None
    if compared:
        troles = []
        for i in range(n):
            if troles:
                troles.append(("between", -1))
            troles.append(("op", i))
        theirs = prof.account(model, tuple(troles), (), [[2, 2], [90] + [300] * len(troles) + [40]],
                              [120] + [400] * len(troles) + [60], [6, 6], runtime="tflm-cmsis_nn",
                              target="mps2-an386", cycle_model="cortex-m4-trm")

    class R:
        model = "concat_flatten_conv.tflite"
        target = "mps2-an386"
        ops = prof.as_json(mine, theirs)
        profile = prof.summary_json(mine)
        tflm_profile = prof.summary_json(theirs) if theirs else None

    return R


@pytest.mark.parametrize("compared", [False, True])
def test_reports(compared, tmp_path):
    from edgeq.report import profile as rep

    r = _fake_result(compared)
    keys = {"index", "op", "macs", "instructions", "cycles_estimate"}
    if compared:
        keys |= {"tflm_instructions", "tflm_cycles_estimate"}
    assert all(keys <= set(o) for o in r.ops)
    md = rep.render_markdown(r, plot="p.png")
    assert "## Per-op profile" in md and "![per-op profile](p.png)" in md
    assert ("TFLM instructions" in md) == compared
    assert len([ln for ln in md.splitlines() if ln.startswith("| ")]) == 1 + len(r.ops) + len(
        {o["name"] for o in r.profile["overhead"]} | ({o["name"] for o in r.tflm_profile["overhead"]} if compared else set())) + 1
    if compared:
        w = rep.worst(r)
        ratios = [o["instructions_ratio"] for o in r.ops]
        assert len(w) == 3 and [o["instructions_ratio"] for o in w] == sorted(ratios, reverse=True)[:3]
        assert "Where edgeq does worst against TFLM" in md
    png = rep.write_plot(r, tmp_path / "sub" / "p.png")
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    from rich.console import Console

    Console(width=200, file=open(os.devnull, "w")).print(rep.table(r))


# ---- under QEMU -------------------------------------------------------------------------------

BOARDS = ("mps2-an386", "mps2-an385", "mps2-an500")
CASES = [(MODELS / "ds_cnn_kws.tflite", "mps2-an386"), (MODELS / "fc_autoencoder.tflite", "mps2-an385"),
         (MODELS / "resnet8_cifar10.tflite", "mps2-an500"), (GOLDEN / "concat_flatten_conv.tflite", "mps2-an386"),
         (GOLDEN / "concat_second_consumer.tflite", "mps2-an500"), (GOLDEN / "reshape_flatten_fc.tflite", "mps2-an385"),
         (FIXTURES / "micro_speech" / "micro_speech_quantized.tflite", "mps2-an386"),
         (GOLDEN / "i16_cnn.tflite", "mps2-an500")]


def _inputs(model: Path, seed: int = 0):
    from edgeq.codegen.native.emit import io_specs
    from edgeq.harness import measure
    from edgeq.model.reader import read_model

    return measure.random_inputs(io_specs(read_model(model))[0], n=1, seed=seed)


def _run_profile_build(model: Path, board: str):
    """The native profile build of ``model`` run once under QEMU: (sources, RunResult)."""
    from edgeq import targets
    from edgeq.harness.measure import firmware_sources
    from edgeq.harness.runners import qemu
    from edgeq.toolchain import arm

    target = targets.get(board)
    sources = firmware_sources(model, "native", target, profile=True)
    fw = arm.build_firmware(sources, target)
    return sources, qemu.run(fw, target, _inputs(model), profile=True)


@pytest.mark.emulator
@pytest.mark.parametrize("model, board", CASES, ids=[f"{m.stem}-{b}" for m, b in CASES])
def test_profile_sums_exactly(model, board):
    """Per-op rows + overhead rows = the profile build's whole inference (instructions and
    estimated cycles); the plugin's segment counts agree with the blocks it saw in each
    segment; every kernel call has a row, every view or placed concatenation says so."""
    _tools()
    from edgeq import targets
    from edgeq.harness import profile as prof
    from edgeq.model.reader import read_model

    sources, res = _run_profile_build(model, board)
    cal, inf = res.segments
    assert cal == (2, 2), "a marker is one BL and one BX LR"
    assert sum(inf) - res.instructions[0] == sum(cal), "the bench subtracts the whole calibration span"
    # the counts per segment from the executed blocks equal the plugin's direct counts
    assert res.segment_block_instructions == inf
    p = prof.account(read_model(model), sources.segments, sources.fused, res.segments, res.segment_cycles,
                     res.calibration_segment_cycles, runtime="native", target=board,
                     cycle_model=res.cycle_model)
    assert sum(r.instructions or 0 for r in p.ops) + sum(o.instructions for o in p.overhead) == p.instructions
    assert p.instructions == sum(inf) - cal[0]
    assert sum(r.cycles_estimate or 0 for r in p.ops) + sum(o.cycles_estimate for o in p.overhead) == p.cycles_estimate
    assert p.cycle_model is not None and targets.get(board).cycle_model in p.cycle_model
    kernels = {i for role, i in sources.segments if role == "op"}
    for r in p.ops:
        if r.index in kernels:
            assert r.how == "kernel" and r.instructions > 0 and r.cycles_estimate > 0
        else:
            assert r.how in ("view", "placed") and r.instructions is None
    # the whole-run cycle estimate of the same run costs the same blocks (begin's one-instruction
    # block in, end's two-instruction block out on the segment side): within a few cycles
    if board != "mps2-an500":  # M7: mispredicts are estimated per block over the span, not per segment
        assert abs(sum(res.segment_cycles) - res.cycles_estimate) <= 8


@pytest.mark.emulator
def test_profile_with_output_copies(tmp_path):
    """A model whose second output is a view of its first: the copy edgeq-micro makes after
    its last kernel is its own row, and the sums still hold."""
    _tools()
    from edgeq.harness import profile as prof
    from edgeq.model.reader import read_model

    model = _copies_model(tmp_path / "copies.tflite")
    sources, res = _run_profile_build(model, "mps2-an386")
    assert ("copies", -1) in sources.segments
    p = prof.account(read_model(model), sources.segments, sources.fused, res.segments, res.segment_cycles,
                     res.calibration_segment_cycles, runtime="native", target="mps2-an386",
                     cycle_model=res.cycle_model)
    over = {o.name: o.instructions for o in p.overhead}
    assert over["output copies"] > 0
    assert [r.how for r in p.ops] == ["kernel", "view"]


@pytest.mark.emulator
def test_profile_build_is_close_to_the_bench_build():
    """The profile build adds its markers and little else: its whole inference is the plain
    build's plus the markers, give or take what the compiler schedules differently around
    them (the fast kernels are inlined into edgeq_invoke_n, so a marker between two of them
    changes their register allocation a little): within 0.5 % (0.18 % measured)."""
    _tools()
    from edgeq import targets
    from edgeq.harness import profile as prof
    from edgeq.harness.measure import firmware_sources
    from edgeq.harness.runners import qemu
    from edgeq.toolchain import arm

    model = MODELS / "ds_cnn_kws.tflite"
    target = targets.get("mps2-an386")
    x = _inputs(model)
    plain = qemu.run(arm.build_firmware(firmware_sources(model, "native", target), target), target, x).instructions[0]
    p = prof.profile(model, target, x)
    markers = next(o.instructions for o in p.overhead if o.name.startswith("markers"))
    assert abs(p.instructions - markers - plain) <= plain // 200


@pytest.mark.emulator
def test_cli_profile_json_markdown_plot(tmp_path):
    _tools()
    out = tmp_path / "r.json"
    png = tmp_path / "p.png"
    proc = subprocess.run([EDGEQ, "bench", str(GOLDEN / "concat_flatten_conv.tflite"), "--target", "mps2-an386",
                           "--profile", "--plot", str(png), "--json", str(out)], capture_output=True, text=True,
                          timeout=300)
    assert proc.returncode == 0, proc.stderr
    r = json.loads(out.read_text())
    assert r["instructions_per_inference"] is not None  # the plain build's figure, as without --profile
    assert len(r["ops"]) == 6 and {"index", "op", "macs", "instructions", "cycles_estimate"} <= set(r["ops"][0])
    assert [o["how"] for o in r["ops"]] == ["kernel", "view", "kernel", "view", "placed", "kernel"]
    prof = r["profile"]
    assert (sum(o["instructions"] or 0 for o in r["ops"]) + sum(o["instructions"] for o in prof["overhead"])
            == prof["instructions_per_inference"])
    assert png.read_bytes()[:4] == b"\x89PNG"
    md = out.with_suffix(".md").read_text()
    assert "## Per-op profile" in md and "(p.png)" in md
    assert "per-op profile" in proc.stdout and "view of its input" in proc.stdout


@pytest.mark.emulator
def test_profile_on_a_board_without_cycle_model(monkeypatch, caplog):
    """A core without a cycle model (every emulated board has one now; a board added for a
    new core may not): exact instructions per op, no cycles, and one warning saying so. The
    an505 board with its model taken away stands in for it."""
    _tools()
    import dataclasses
    import logging

    from edgeq import targets
    from edgeq.harness import measure

    real_get = targets.get
    monkeypatch.setattr(targets, "get", lambda name: dataclasses.replace(real_get(name), cycle_model=None))
    with caplog.at_level(logging.WARNING):
        r = measure.bench(MODELS / "fc_autoencoder.tflite", "mps2-an505", profile=True)
    assert r.cycle_model is None and r.cycles_per_inference_estimate is None
    assert [m for m in caplog.messages if "has no cycle model" in m]
    assert all(o["cycles_estimate"] is None and o["instructions"] > 0 for o in r.ops)


def _cli(*args, env=None):
    return subprocess.run([EDGEQ, "bench", *args], capture_output=True, text=True, timeout=300,
                          env={**os.environ, **(env or {})})


@pytest.mark.emulator
def test_cli_profile_errors(tmp_path):
    """One line naming what to do; usage errors exit 2, missing tools 1; nothing is built."""
    _tools()
    m = str(MODELS / "fc_autoencoder.tflite")
    env = {k: v for k, v in os.environ.items() if k != "EDGEQ_TFLM_DIR"}
    p = subprocess.run([EDGEQ, "bench", m, "--target", "mps2-an386", "--profile", "--compare", "tflm"],
                       capture_output=True, text=True, timeout=300, env=env)
    assert p.returncode == 1 and "EDGEQ_TFLM_DIR" in p.stderr and len(p.stderr.strip().splitlines()) == 1
    p = _cli(m, "--target", "mps2-an386", "--compare", "tflm")
    assert p.returncode == 2 and "--compare needs --profile" in p.stderr
    p = _cli(m, "--target", "mps2-an386", "--plot", str(tmp_path / "p.png"))
    assert p.returncode == 2 and "--plot needs --profile" in p.stderr
    p = _cli(m, "--target", "mps2-an386", "--profile", "--compare", "xnnpack")
    assert p.returncode == 2 and "--compare must be one of tflm" in p.stderr
    p = _cli(m, "--target", "mps2-an386", "--profile", "--runtime", "tflm", "--compare", "tflm")
    assert p.returncode == 2 and "--runtime native" in p.stderr
    p = _cli(m, "--target", "mps2-an386", "--profile", "--plot", str(tmp_path))
    assert p.returncode == 1 and "is a directory" in p.stderr
    p = _cli(m, "--target", "mps2-an386", "--profile", env={"EDGEQ_QEMU_PLUGIN": str(tmp_path / "none.so")})
    assert p.returncode == 1 and "scripts/setup.sh" in p.stderr and len(p.stderr.strip().splitlines()) == 1


# ---- TFLM beside edgeq-micro (needs EDGEQ_TFLM_DIR) ---------------------------------------------


@pytest.mark.tflm
@pytest.mark.parametrize("model, board", [(MODELS / "ds_cnn_kws.tflite", "mps2-an386"),
                                          (GOLDEN / "concat_flatten_conv.tflite", "mps2-an386")])
def test_compare_tflm(model, board, tmp_path):
    """Both runtimes profiled on the same input: every op of the model has a TFLM row (TFLM
    runs views and concatenations too), and both profiles sum exactly."""
    _tools()
    from edgeq.toolchain import tflm_lib

    try:
        tflm_lib.tree()
    except Exception as exc:  # noqa: BLE001 - the reason is the skip message
        need("tflm", False, str(exc))
    out = tmp_path / "r.json"
    proc = subprocess.run([EDGEQ, "bench", str(model), "--target", board, "--profile", "--compare", "tflm",
                           "--json", str(out), "--plot", str(tmp_path / "p.png")], capture_output=True, text=True,
                          timeout=3600)
    assert proc.returncode == 0, proc.stderr
    r = json.loads(out.read_text())
    for key, prof in (("instructions", r["profile"]), ("tflm_instructions", r["tflm_profile"])):
        assert sum(o[key] or 0 for o in r["ops"]) + sum(o["instructions"] for o in prof["overhead"]) == \
            prof["instructions_per_inference"]
    assert all(o["tflm_instructions"] > 0 and o["tflm_cycles_estimate"] > 0 for o in r["ops"])
    assert any(o["name"] == "interpreter between ops" for o in r["tflm_profile"]["overhead"])
