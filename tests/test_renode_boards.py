"""edgeq bench on real parts under Renode (stm32f4-discovery, nrf52840dk, stm32f746g-disco,
nucleo-h753zi): bit-exact with TFLM, exact instructions, the cycle estimate from the QEMU
twin of the same core, the emulator named in the JSON; and one line when Renode is missing."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from conftest import need

pytestmark = pytest.mark.renode

ROOT = Path(__file__).resolve().parents[1]
EDGEQ = str(ROOT / ".venv" / "bin" / "edgeq")
RENODE_BOARDS = ("stm32f4-discovery", "nrf52840dk", "stm32f746g-disco", "nucleo-h753zi")


def _need_renode():
    from edgeq.harness.runners import renode
    from edgeq.toolchain import arm

    reason = renode.available()
    need("renode", reason is None, reason or "")
    reason = arm.missing_reason()
    need("arm-gcc", reason is None, reason or "")


@pytest.mark.parametrize("board", RENODE_BOARDS)
def test_bench_under_renode_is_bit_exact_with_exact_instructions(board, fixtures_dir):
    from edgeq import targets
    from edgeq.harness import measure
    from edgeq.harness.runners import qemu

    _need_renode()
    target = targets.get(board)
    assert measure.emulator_of(target) == "renode" and target.qemu_machine is None
    r = measure.bench(fixtures_dir / "hello_world" / "models" / "hello_world_int8.tflite", board)
    assert r.bit_exact_vs_tflm and r.samples == 4
    assert r.instruction_method == "renode" and r.instruction_resolution == 1
    assert r.emulator == f"renode {target.renode_platform}"
    assert 1000 < r.instructions_per_inference < 2000
    assert r.flash_bytes <= target.flash.size and r.ram_bytes <= target.ram.size
    if qemu.plugin_missing_reason() is None:
        # the same inference code under QEMU on the core's mps2 board counted the same
        # instructions, so its executed blocks give the cycle estimate
        twin = measure.QEMU_TWINS[target.cycle_model]
        assert r.cycle_model and twin in r.cycle_model and r.cycles_per_inference_estimate > 0
        assert r.latency_ms_estimate == round(r.cycles_per_inference_estimate / target.clock_hz * 1e3, 3)


def test_cli_bench_kws_on_a_renode_board(tmp_path):
    _need_renode()
    proc = subprocess.run([EDGEQ, "bench", str(ROOT / "tests" / "models" / "ds_cnn_kws.tflite"), "--target",
                           "stm32f4-discovery", "--json", "b.json"], cwd=tmp_path, capture_output=True, text=True,
                          timeout=600)
    assert proc.returncode == 0, proc.stderr
    rep = json.loads((tmp_path / "b.json").read_text())
    assert rep["bit_exact_vs_tflm"] and rep["emulator"].startswith("renode platforms/boards/stm32f4_discovery")
    assert rep["instructions_per_inference"] > 1_000_000 and rep["clock_hz"] == 168_000_000


def test_renode_missing_is_one_line(tmp_path):
    env = dict(os.environ, EDGEQ_RENODE=str(tmp_path / "no-renode"))
    proc = subprocess.run([EDGEQ, "bench", str(ROOT / "tests" / "models" / "ds_cnn_kws.tflite"), "--target",
                           "nrf52840dk"], cwd=tmp_path, capture_output=True, text=True, env=env, timeout=120)
    assert proc.returncode == 1
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "Renode not found at EDGEQ_RENODE" in lines[0] and "mono-complete" in lines[0]


def test_a_board_without_an_emulator_is_one_line(tmp_path):
    proc = subprocess.run([EDGEQ, "bench", str(ROOT / "tests" / "models" / "ds_cnn_kws.tflite"), "--target",
                           "nucleo-f446re"], cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 1
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "nucleo-f446re has no emulator" in lines[0] and "--port" in lines[0]
