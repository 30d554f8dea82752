"""More boards under QEMU (Cortex-M3/M7/M33/M55) and part budgets: person_detect's two
test images bit-exact with TFLM and classified right on every board; the device protocol
on the TrustZone images (UART RX IRQ past 31); --part fits, ms at the part's clock, and a
refusal before anything runs."""

from __future__ import annotations

import json
import time

import numpy as np
import pytest

from test_firmware import HELLO, PERSON, _bmp, _cli, _tools

pytestmark = pytest.mark.emulator

MODEL = PERSON / "person_detect.tflite"
CYCLE_MODELS = {"mps2-an385": "cortex-m3-trm", "mps2-an500": "cortex-m7-llvm", "mps2-an505": "cortex-m33-m4rules",
                "mps3-an547": "cortex-m55-llvm"}


@pytest.fixture(scope="module")
def person_npz(tmp_path_factory):
    d = tmp_path_factory.mktemp("pd")
    x = np.stack([_bmp(PERSON / "testdata" / "person.bmp"), _bmp(PERSON / "testdata" / "no_person.bmp")])
    np.savez(d / "pd.npz", x=x, y=np.array([1, 0]))
    return d / "pd.npz"


@pytest.mark.parametrize("board", sorted(CYCLE_MODELS))
def test_person_detect_bit_exact_on_board(board, person_npz):
    _tools(plugin=True)
    from edgeq.harness import measure

    r = measure.bench(MODEL, board, data=person_npz)
    assert r.bit_exact_vs_tflm, r.first_mismatch
    assert r.accuracy == 1.0 and r.host_accuracy == 1.0 and r.samples == 2
    # the fast kernels: ~17-28 M instructions (the reference kernels run ~96 M); the Helium
    # ones on the M55 ~4 M
    low = 2_000_000 if board == "mps3-an547" else 10_000_000
    assert r.instruction_method == "plugin" and low < r.instructions_per_inference < 40_000_000
    assert r.cycle_model == CYCLE_MODELS[board]
    if r.cycle_model is None:
        assert r.cycles_per_inference_estimate is None and r.latency_ms_estimate is None
    elif board == "mps2-an500":  # dual issue: at most two instructions a cycle
        assert r.instructions_per_inference / 2 <= r.cycles_per_inference_estimate
    else:
        assert r.cycles_per_inference_estimate > r.instructions_per_inference
    assert 0 < r.stack_used_bytes < r.stack_bytes


@pytest.mark.parametrize("board", ["mps2-an505", "mps3-an547"])
def test_protocol_on_trustzone_boards(board, tmp_path):
    _tools()
    from edgeq import targets
    from edgeq.codegen import native
    from edgeq.harness.oracle import TflmReference
    from edgeq.harness.runners import qemu
    from edgeq.toolchain import arm

    t = targets.get(board)
    fw = arm.build_firmware(native.generate(HELLO), t, tmp_path, diag=True)
    x = np.array([[17]], np.int8)
    ref = TflmReference(HELLO.read_bytes()).run(x)[0]
    with qemu.session(fw, t, timeout=20, count_instructions=False) as s:
        assert s.device.name() == "edgeq-micro"
        assert s.device.info()["timer_hz"] == str(t.timer_hz)
        s.device.load(x.tobytes())
        rep = s.device.infer(3, 1)
        assert rep.count == 3 and rep.lap_us[1] >= rep.lap_us[0]
        assert s.device.raw_output() == ref.astype(np.int8).tobytes()


def test_part_budget_fits_and_ms_at_part_clock(edgeq_cmd, tmp_path, person_npz):
    _tools(plugin=True)
    r = _cli(edgeq_cmd, "bench", MODEL, "--part", "stm32l4r5zi", "--data", person_npz, "--json", tmp_path / "r.json")
    assert r.returncode == 0, r.stderr
    rep = json.loads((tmp_path / "r.json").read_text())
    assert rep["target"] == "mps2-an386" and rep["part"] == "STM32L4R5ZI" and rep["clock_hz"] == 120_000_000
    assert rep["flash_limit_bytes"] == 2048 * 1024 and rep["ram_limit_bytes"] == 640 * 1024
    assert rep["flash_bytes"] <= rep["flash_limit_bytes"] and rep["ram_bytes"] <= rep["ram_limit_bytes"]
    assert rep["bit_exact_vs_tflm"] is True and rep["accuracy"] == 1.0
    assert rep["latency_ms_estimate"] == pytest.approx(rep["cycles_per_inference_estimate"] / 120e3, abs=1e-3)
    assert "fits STM32L4R5ZI" in r.stdout


def test_too_big_for_part_is_refused_before_running(edgeq_cmd, tmp_path, person_npz):
    _tools()
    t0 = time.monotonic()
    r = _cli(edgeq_cmd, "bench", MODEL, "--part", "nrf52840", "--ram-kb", "48", "--data", person_npz)
    assert r.returncode == 1
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1, r.stderr
    assert "nRF52840" in lines[0] and ("does not fit" in lines[0] or "more than" in lines[0])
    assert "49152" in lines[0]  # the limit, in bytes
    r = _cli(edgeq_cmd, "build", MODEL, "-o", tmp_path / "fw", "--part", "stm32f446re", "--flash-kb", "200")
    assert r.returncode == 1 and "STM32F446RE" in r.stderr and "204800" in r.stderr, r.stderr
    assert not (tmp_path / "fw" / "firmware.elf").exists()
    assert time.monotonic() - t0 < 120


def test_tflm_target_arch_names():
    """The TARGET_ARCH edgeq asks TFLM's Makefile for, a board each: names its
    cortex_m_generic_makefile.inc accepts (M33 and M55 are hard-float without "+fp")."""
    from edgeq import targets
    from edgeq.toolchain.tflm_lib import target_arch

    want = {"mps2-an385": "cortex-m3", "mps2-an386": "cortex-m4+fp", "mps2-an500": "cortex-m7+fp",
            "mps2-an505": "cortex-m33", "mps3-an547": "cortex-m55", "netduinoplus2": "cortex-m4+fp",
            "stm32f4-discovery": "cortex-m4+fp", "nucleo-f446re": "cortex-m4+fp"}
    want |= {"nrf52840dk": "cortex-m4+fp", "arduino-nano-33-ble": "cortex-m4+fp"}
    want |= {"stm32f746g-disco": "cortex-m7+fp", "nucleo-h753zi": "cortex-m7+fp", "nucleo-l4r5zi": "cortex-m4+fp"}
    assert {name: target_arch(t) for name, t in targets.all_targets().items()} == want
