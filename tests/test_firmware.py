"""Firmware on mps2-an386 under QEMU: bench bit-exact with TFLM, exact and repeatable
instruction counts, the device protocol over a pty, and clean failure (HardFault, lockup,
hang, Ctrl-C) with no QEMU process left behind."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from conftest import FIXTURES, ROOT, need

pytestmark = pytest.mark.emulator

PERSON = FIXTURES / "person_detection"
HELLO = FIXTURES / "hello_world" / "models" / "hello_world_int8.tflite"
MODELS = sorted((ROOT / "tests" / "models").glob("*.tflite"))
BOARD = "mps2-an386"


def _tools(plugin: bool = False) -> None:
    from edgeq.harness.runners import qemu
    from edgeq.toolchain import arm

    reason = arm.missing_reason()
    need("arm-gcc", reason is None, reason or "")
    reason = qemu.available()
    need("qemu", reason is None, reason or "")
    if plugin:
        reason = qemu.plugin_missing_reason()
        need("qemu-plugin", reason is None, reason or "")


def _no_qemu_left(pattern: str) -> None:
    """No qemu-system-arm process is running the firmware at ``pattern`` (a unique path)."""
    for _ in range(50):
        found = subprocess.run(["pgrep", "-f", f"qemu-system-arm.*{pattern}"], capture_output=True, text=True).stdout
        if not found.strip():
            return
        time.sleep(0.1)
    pytest.fail(f"qemu-system-arm left running: {found}")


def _bmp(path: Path) -> np.ndarray:
    """One of the person_detection test images as person_detect's int8 input (96, 96, 1)."""
    from edgeq.datasets.images import read_bmp_gray

    return read_bmp_gray(path).view(np.int8)[..., None]


def _firmware(model: Path, out_dir: Path, diag: bool = False):
    from edgeq import targets
    from edgeq.codegen import native
    from edgeq.toolchain import arm

    return arm.build_firmware(native.generate(model), targets.get(BOARD), out_dir, diag=diag)


def _cli(edgeq_cmd, *args, timeout=300):
    return subprocess.run([edgeq_cmd, *map(str, args)], capture_output=True, text=True, timeout=timeout)


# ---- bench ------------------------------------------------------------------------------


def test_person_detect_bench_bit_exact_right_classes(edgeq_cmd, tmp_path):
    _tools(plugin=True)
    x = np.stack([_bmp(PERSON / "testdata" / "person.bmp"), _bmp(PERSON / "testdata" / "no_person.bmp")])
    np.savez(tmp_path / "pd.npz", x=x, y=np.array([1, 0]))
    r = _cli(edgeq_cmd, "bench", PERSON / "person_detect.tflite", "--target", BOARD,
             "--data", tmp_path / "pd.npz", "--json", tmp_path / "r.json")
    assert r.returncode == 0, r.stderr
    rep = json.loads((tmp_path / "r.json").read_text())
    from edgeq.harness.measure import JSON_KEYS

    assert set(JSON_KEYS) <= set(rep)
    assert rep["bit_exact_vs_tflm"] is True and rep["mismatched_outputs"] == 0
    assert rep["accuracy"] == 1.0 and rep["host_accuracy"] == 1.0 and rep["samples"] == 2
    assert rep["instruction_method"] == "plugin" and rep["instructions_per_inference"] > 1_000_000
    assert rep["flash_bytes"] > rep["model_bytes"] > 200_000 and rep["ram_bytes"] > rep["arena_bytes"] > 0
    assert 0 < rep["stack_used_bytes"] < rep["stack_bytes"]
    assert rep["cycle_model"] == "cortex-m4-trm" and rep["cycles_per_inference_estimate"] > rep["instructions_per_inference"]
    assert rep["latency_ms_estimate"] == pytest.approx(rep["cycles_per_inference_estimate"] / 25e3, abs=1e-3)
    assert (tmp_path / "r.md").read_text().startswith("# edgeq bench: person_detect.tflite on mps2-an386")


@pytest.mark.parametrize("model", MODELS, ids=[m.stem for m in MODELS])
def test_third_party_models_bit_exact_and_repeatable(edgeq_cmd, tmp_path, model):
    _tools(plugin=True)
    from edgeq.codegen.native.emit import io_specs
    from edgeq.harness.measure import random_inputs
    from edgeq.model.reader import read_model

    specs_in, _ = io_specs(read_model(model))
    np.savez(tmp_path / "d.npz", x=random_inputs(specs_in, n=3, seed=7)[0])
    counts = []
    for i in range(2):
        r = _cli(edgeq_cmd, "bench", model, "--target", BOARD, "--data", tmp_path / "d.npz", "--json", tmp_path / f"r{i}.json")
        assert r.returncode == 0, r.stderr
        rep = json.loads((tmp_path / f"r{i}.json").read_text())
        assert rep["bit_exact_vs_tflm"] is True, rep["first_mismatch"]
        counts.append(rep["instructions_per_inference"])
    assert counts[0] == counts[1] > 0


def test_icount_fallback_agrees_with_plugin(tmp_path, monkeypatch):
    _tools(plugin=True)
    from edgeq import targets
    from edgeq.harness.runners import qemu

    fw = _firmware(PERSON / "person_detect.tflite", tmp_path)
    x = _bmp(PERSON / "testdata" / "person.bmp")[None]
    exact = qemu.run(fw, targets.get(BOARD), [x])
    monkeypatch.setenv("EDGEQ_QEMU_PLUGIN", str(tmp_path / "absent.so"))
    timer = qemu.run(fw, targets.get(BOARD), [x])
    assert exact.instruction_method == "plugin" and timer.instruction_method == "icount-timer"
    assert timer.instruction_resolution == 40
    assert abs(timer.instructions[0] - exact.instructions[0]) <= 2 * 40 + 50
    assert timer.outputs[0].tolist() == exact.outputs[0].tolist() == [[-113, 113]]


# ---- the device protocol over a pty -----------------------------------------------------


def test_protocol_session_matches_tflm(tmp_path):
    _tools()
    from edgeq import targets
    from edgeq.harness.oracle import TflmReference
    from edgeq.harness.runners import qemu

    fw = _firmware(PERSON / "person_detect.tflite", tmp_path, diag=True)
    x = _bmp(PERSON / "testdata" / "no_person.bmp")
    ref = TflmReference((PERSON / "person_detect.tflite").read_bytes()).run(x[None])[0][0]
    with qemu.session(fw, targets.get(BOARD), timeout=30) as s:
        dev = s.device
        assert dev.name() == "edgeq-micro"
        prof = dev.command("profile")
        assert prof == ["m-profile-[edgeq-micro " + __import__("edgeq").__version__ + "]", "m-model-[person_detect.tflite]"]
        dev.load(x.tobytes())
        rep = dev.infer(2, 1)
        assert rep.count == 2 and rep.lap_us[1] >= rep.lap_us[0]
        assert dev.raw_output() == ref.astype(np.int8).tobytes() == np.array([57, -57], np.int8).tobytes()
        assert list(rep.results) == [round(0.00390625 * (q + 128), 3) for q in ref.tolist()]
        assert dev.results() == list(rep.results)
        with pytest.raises(Exception, match=r"Unknown command: bogus"):
            dev.command("bogus")
        info = dev.info()
        assert info["in"] == "9216" and info["out"] == "2" and int(info["stack_used"]) > 0
        if s.spans_file is not None:
            spans = s.spans()
            assert len(spans) == 3 and spans[1] == spans[2] > 1_000_000
    _no_qemu_left(str(tmp_path))


@pytest.mark.parametrize("command,expect", [
    ("edgeq-fault", r"faulted on mps2-an386: HardFault CFSR=0x[0-9a-f]{8} HFSR=0x[0-9a-f]{8} PC=0x[0-9a-f]{8} in \w+\+0x"),
    ("edgeq-lockup", r"locked up on mps2-an386 at PC=0x[0-9a-f]{8}"),
    ("edgeq-hang", r"no reply within 2 s"),
])
def test_fault_lockup_hang_end_cleanly(tmp_path, command, expect):
    _tools()
    from edgeq import targets
    from edgeq.errors import TargetError
    from edgeq.harness.runners import qemu

    fw = _firmware(HELLO, tmp_path, diag=True)
    t0 = time.monotonic()
    with pytest.raises(TargetError, match=expect):
        with qemu.session(fw, targets.get(BOARD), timeout=2, count_instructions=False) as s:
            s.device.command(command)
    assert time.monotonic() - t0 < 15
    _no_qemu_left(str(tmp_path))


# ---- batch mode failures, with a stand-in model ---------------------------------------------

STAND_IN = r"""
#include <stdint.h>
#include "edgeq_model.h"
/* A stand-in model: out = in + 1; in[0] == 1 hangs, in[0] == 2 reads an unmapped address. */
int edgeq_invoke_n(const void *const in[], void *const out[])
{
    const int8_t *x = (const int8_t *)in[0];
    int8_t *y = (int8_t *)out[0];
    if (x[0] == 1) {
        for (;;) {
            __asm__ volatile("" ::: "memory");
        }
    }
    if (x[0] == 2) {
        return (int)*(volatile uint32_t *)0xFFFFFFF0u;
    }
    for (int i = 0; i < 4; ++i) {
        y[i] = (int8_t)(x[i] + 1);
    }
    return 0;
}

void edgeq_reset(void)
{
}
"""
STAND_IN_H = """
#include <stdint.h>
#define EDGEQ_ARENA_SIZE 0
int edgeq_invoke_n(const void *const in[], void *const out[]);
void edgeq_reset(void);
"""


def _stand_in(out_dir: Path):
    from edgeq import targets
    from edgeq.codegen.native.emit import IOSpec, NativeSources
    from edgeq.toolchain import arm

    spec_in = IOSpec("input", 0, 0, "INT8", (1, 4), 0.5, 0)
    spec_out = IOSpec("output", 0, 1, "INT8", (1, 4), 0.5, 0)
    src = NativeSources(files={"edgeq_model.c": STAND_IN, "edgeq_model.h": STAND_IN_H}, arena_size=0,
                        weight_bytes=0, inputs=(spec_in,), outputs=(spec_out,), model_name="stand_in.tflite")
    return arm.build_firmware(src, targets.get(BOARD), out_dir)


def test_batch_outputs_hang_and_fault(tmp_path):
    _tools()
    from edgeq import targets
    from edgeq.errors import TargetError
    from edgeq.harness.runners import qemu

    fw = _stand_in(tmp_path)
    board = targets.get(BOARD)
    ok = qemu.run(fw, board, [np.array([[5, 6, 7, 8], [-3, 0, 3, 9]], np.int8)])
    assert ok.outputs[0].tolist() == [[6, 7, 8, 9], [-2, 1, 4, 10]]
    t0 = time.monotonic()
    with pytest.raises(TargetError, match=r"no sample finished within 2 s \(1 of 2 done\)"):
        qemu.run(fw, board, [np.array([[0, 0, 0, 0], [1, 0, 0, 0]], np.int8)], sample_timeout=2)
    assert time.monotonic() - t0 < 15
    _no_qemu_left(str(tmp_path))
    with pytest.raises(TargetError, match=r"faulted on mps2-an386: HardFault CFSR=0x[0-9a-f]+ HFSR=0x[0-9a-f]+ PC=0x[0-9a-f]+ in edgeq_invoke_n"):
        qemu.run(fw, board, [np.array([[2, 0, 0, 0]], np.int8)])
    _no_qemu_left(str(tmp_path))


def test_ctrl_c_stops_qemu(tmp_path):
    _tools()
    fw = _stand_in(tmp_path)
    script = (
        # a terminal's Ctrl-C: SIGINT as an interactive shell leaves it (a job started with &
        # from a script, as a CI runner may start the suite, inherits it ignored)
        "import signal\n"
        "signal.signal(signal.SIGINT, signal.default_int_handler)\n"
        "import numpy as np, sys\n"
        "from pathlib import Path\n"
        "from edgeq import targets\n"
        "from edgeq.toolchain import arm\n"
        "from edgeq.harness.runners import qemu\n"
        f"fw = arm.Firmware(elf=Path({str(fw.elf)!r}), map_file=Path({str(fw.map_file)!r}), target='{BOARD}',\n"
        "    size=None, symbols=arm.read_symbols(Path(" + repr(str(fw.elf)) + ")), inputs=" + "None, outputs=None)\n"
        "from edgeq.codegen.native.emit import IOSpec\n"
        "s = IOSpec('input', 0, 0, 'INT8', (1, 4), 0.5, 0)\n"
        "fw = arm.Firmware(**{**fw.__dict__, 'inputs': (s,), 'outputs': (s,)})\n"
        "try:\n"
        "    qemu.run(fw, targets.get('" + BOARD + "'), [np.array([[1, 0, 0, 0]], np.int8)], sample_timeout=120)\n"
        "except KeyboardInterrupt:\n"
        "    sys.exit(130)\n"
    )
    proc = subprocess.Popen([sys.executable, "-c", script], cwd=ROOT)
    try:
        for _ in range(200):  # wait until QEMU runs the firmware
            if subprocess.run(["pgrep", "-f", f"qemu-system-arm.*{tmp_path}"], capture_output=True).returncode == 0:
                break
            time.sleep(0.05)
        else:
            pytest.fail("QEMU did not start")
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=20) == 130
    finally:
        if proc.poll() is None:
            proc.kill()
    _no_qemu_left(str(tmp_path))


# ---- the other commands -------------------------------------------------------------------


def test_build_reports_sizes_and_refuses_what_does_not_fit(edgeq_cmd, tmp_path):
    _tools()
    model = PERSON / "person_detect.tflite"
    r = _cli(edgeq_cmd, "build", model, "-o", tmp_path / "fw", "--target", BOARD)
    assert r.returncode == 0, r.stderr
    assert (tmp_path / "fw" / "firmware.elf").is_file() and (tmp_path / "fw" / "firmware.map").is_file()
    assert "flash" in r.stdout and "arena" in r.stdout
    # both limits below what person_detect needs (weights ~243 KB; arena alone ~37 KB)
    for flag in (["--flash-kb", "128"], ["--ram-kb", "32"]):
        r = _cli(edgeq_cmd, "build", model, "-o", tmp_path / "small", "--target", BOARD, *flag)
        assert r.returncode == 1
        lines = r.stderr.strip().splitlines()
        assert len(lines) == 1 and ("does not fit" in lines[0] or "more than" in lines[0]), r.stderr


def test_run_on_board_matches_host(edgeq_cmd, tmp_path):
    _tools()
    np.savez(tmp_path / "in.npz", x=np.linspace(-1.5, 6.0, 9, dtype=np.float32).reshape(9, 1))
    for target in (BOARD, "host"):
        r = _cli(edgeq_cmd, "run", HELLO, "--target", target, "--input", tmp_path / "in.npz", "-o", tmp_path / f"{target}.npz")
        assert r.returncode == 0, r.stderr
    board, host = np.load(tmp_path / f"{BOARD}.npz")["out"], np.load(tmp_path / "host.npz")["out"]
    assert board.dtype == np.int8 and board.shape == (9, 1)
    assert board.tolist() == host.tolist()


def test_targets_lists_boards(edgeq_cmd):
    r = _cli(edgeq_cmd, "targets")
    assert r.returncode == 0 and "mps2-an386" in r.stdout and "cortex-m4" in r.stdout
    # every board's full name (what --target takes), even at 80 columns; build-only boards say so
    assert all(name in r.stdout for name in ("stm32f4-discovery", "arduino-nano-33-ble", "nucleo-l4r5zi"))
    assert "Renode" in r.stdout and "no: build" in r.stdout
