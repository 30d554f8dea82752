"""The serial runner (edgeq.harness.runners.serial) against QEMU's pty as the device:
outputs equal to TFLM / the stand-in's, a hang times out and is retried after a reset,
a reset between samples is noticed and the sample redone, flashing by a user command,
and a one-line error without pyOCD. Everything but flashing a real board."""

from __future__ import annotations

import importlib.util
import sys
import time

import numpy as np
import pytest

from test_firmware import BOARD, HELLO, _firmware, _no_qemu_left, _stand_in, _tools

pytestmark = pytest.mark.emulator


def test_serial_run_matches_tflm_over_pty(tmp_path):
    _tools()
    from edgeq import targets
    from edgeq.harness.oracle import TflmReference
    from edgeq.harness.runners import qemu, serial

    fw = _firmware(HELLO, tmp_path)
    x = np.array([[-90], [-3], [17], [100]], np.int8)
    ref = TflmReference(HELLO.read_bytes()).run(x)[0]
    board = targets.get(BOARD)
    with qemu.pty_board(fw, board) as dev:
        r = serial.run(fw, board, [x], port=dev.pty, timeout=10)
    assert r.outputs[0].tolist() == ref.tolist() and r.resyncs == 0
    assert len(r.latency_us) == 4 and all(t >= 0 for t in r.latency_us)
    _no_qemu_left(str(tmp_path))


def test_serial_reset_between_samples_is_redone(tmp_path):
    _tools()
    from edgeq import targets
    from edgeq.harness.runners import qemu, serial

    fw = _stand_in(tmp_path)
    board = targets.get(BOARD)
    x = np.array([[5, 6, 7, 8], [-3, 0, 3, 9], [10, 20, 30, 40]], np.int8)
    with qemu.pty_board(fw, board) as dev:
        resets = []

        def progress(done, total):  # the board's reset button, pressed after the first sample
            if done == 1:
                dev.reset()
                resets.append(done)

        r = serial.run(fw, board, [x], port=dev.pty, timeout=3, progress=progress)
    assert resets == [1] and r.resyncs >= 1
    assert r.outputs[0].tolist() == (x + 1).tolist()


def test_serial_hang_times_out_resets_and_names_the_sample(tmp_path):
    _tools()
    from edgeq import targets
    from edgeq.errors import TargetError
    from edgeq.harness.runners import qemu, serial

    fw = _stand_in(tmp_path)
    board = targets.get(BOARD)
    with qemu.pty_board(fw, board) as dev:
        resets = []
        t0 = time.monotonic()
        with pytest.raises(TargetError, match=r"mps2-an386 on /dev/pts/\d+: sample 1: infer 1 0%: no reply within 2 s"):
            serial.run(fw, board, [np.array([[0, 0, 0, 0], [1, 0, 0, 0]], np.int8)], port=dev.pty, timeout=2,
                       reset=lambda: (resets.append(1), dev.reset()))
        assert resets == [1] and time.monotonic() - t0 < 30
    _no_qemu_left(str(tmp_path))


def test_serial_port_missing_is_one_line():
    from edgeq.errors import TargetError
    from edgeq.harness.runners import serial

    with pytest.raises(TargetError, match=r"serial port /dev/edgeq-no-such-port not found"):
        with serial.connect("/dev/edgeq-no-such-port"):
            pass


def test_flash_with_user_command(tmp_path):
    from edgeq.errors import TargetError
    from edgeq.harness.runners import serial

    elf = tmp_path / "firmware.elf"
    elf.write_bytes(b"\x7fELF")
    dest = tmp_path / "flashed.bin"
    copy = f"{sys.executable} -c 'import shutil,sys; shutil.copy(sys.argv[1], sys.argv[2])' {{elf}} {dest}"
    serial.flash(elf, command=copy)
    assert dest.read_bytes() == b"\x7fELF"
    with pytest.raises(TargetError, match=r"flash command failed \(exit 3\): no probe"):
        serial.flash(elf, command=f"{sys.executable} -c 'import sys; sys.exit(\"no probe\" and sys.stderr.write(\"no probe\\\\n\") and 3)'")


@pytest.mark.skipif(importlib.util.find_spec("pyocd") is not None, reason="pyOCD is installed")
def test_flash_without_pyocd_names_the_install():
    from edgeq.errors import MissingToolError
    from edgeq.harness.runners import serial

    with pytest.raises(MissingToolError, match=r"pip install pyocd"):
        serial.flash("firmware.elf", probe="0001", pyocd_target="stm32l4r5zitx")


def test_bench_on_a_serial_board_cli(edgeq_cmd, tmp_path):
    _tools()
    import json

    from edgeq import targets
    from edgeq.harness.runners import qemu
    from test_firmware import _cli

    fw = _firmware(HELLO, tmp_path / "fw")  # the firmware bench builds (same sources, same build)
    np.savez(tmp_path / "d.npz", x=np.linspace(-1.0, 6.0, 5, dtype=np.float32).reshape(5, 1))
    with qemu.pty_board(fw, targets.get(BOARD)) as dev:
        r = _cli(edgeq_cmd, "bench", HELLO, "--target", BOARD, "--port", dev.pty, "--flash-cmd", "true",
                 "--data", tmp_path / "d.npz", "--json", tmp_path / "r.json")
    assert r.returncode == 0, r.stderr
    rep = json.loads((tmp_path / "r.json").read_text())
    assert rep["bit_exact_vs_tflm"] is True and rep["samples"] == 5 and rep["port"] == dev.pty
    assert rep["emulator"] is None and rep["latency_ms_measured"] is not None and rep["latency_ms_measured"] >= 0
    # the board counts nothing itself: the same code's exact instructions and cycle estimate
    # come from QEMU (the core's mps2 board); mps2's firmware reports no DWT cycles
    assert rep["instruction_method"] == "qemu-twin" and rep["instructions_per_inference"] > 1000
    assert rep["cycles_per_inference_estimate"] > 0 and "mps2-an386" in rep["cycle_model"]
    assert rep["cycles_measured"] is None
    r = _cli(edgeq_cmd, "bench", HELLO, "--target", BOARD, "--probe", "0001")
    assert r.returncode == 1 and "--port" in r.stderr


def test_serial_refuses_a_board_running_another_model(tmp_path):
    _tools()
    from edgeq import targets
    from edgeq.errors import TargetError
    from edgeq.harness.runners import qemu, serial

    fw = _stand_in(tmp_path)
    board = targets.get(BOARD)
    with qemu.pty_board(fw, board) as dev:
        with pytest.raises(TargetError, match=r"runs stand_in.tflite, not person_detect.tflite: flash it"):
            serial.run(fw, board, [np.zeros((1, 4), np.int8)], port=dev.pty, timeout=5, model_name="person_detect.tflite")


@pytest.mark.hardware
def test_real_board_on_serial_port(edgeq_cmd, tmp_path):
    """Opt-in: EDGEQ_SERIAL_PORT (and EDGEQ_SERIAL_BOARD, default mps2-an386) name a board that
    runs or can be flashed with the firmware (EDGEQ_FLASH_CMD, or EDGEQ_PROBE for pyOCD)."""
    import json
    import os

    port = os.environ.get("EDGEQ_SERIAL_PORT")
    if not port:
        pytest.skip("set EDGEQ_SERIAL_PORT to a board's serial port")
    args = ["--port", port]
    if os.environ.get("EDGEQ_FLASH_CMD"):
        args += ["--flash-cmd", os.environ["EDGEQ_FLASH_CMD"]]
    if os.environ.get("EDGEQ_PROBE"):
        args += ["--probe", os.environ["EDGEQ_PROBE"]]
    from test_firmware import _cli

    np.savez(tmp_path / "d.npz", x=np.linspace(-1.0, 6.0, 3, dtype=np.float32).reshape(3, 1))
    r = _cli(edgeq_cmd, "bench", HELLO, "--target", os.environ.get("EDGEQ_SERIAL_BOARD", BOARD), *args,
             "--data", tmp_path / "d.npz", "--json", tmp_path / "r.json")
    assert r.returncode == 0, r.stderr
    assert json.loads((tmp_path / "r.json").read_text())["bit_exact_vs_tflm"] is True


def test_port_with_a_part_without_board_support_is_refused(tmp_path):
    """--part only holds an emulated build to the part's memory: the firmware is the mps2
    board's, which would not run on the part, so --port with --part is refused up front."""
    from edgeq.errors import TargetError
    from edgeq.harness import measure
    from edgeq.harness.runners.serial import SerialDevice

    dev = SerialDevice(port=str(tmp_path / "no-such-port"), no_flash=True)
    with pytest.raises(TargetError, match=r"built for mps2-an386 .*use --port with --target nucleo-l4r5zi"):
        measure.bench(HELLO, None, part="stm32l4r5zi", device=dev)


def test_port_on_a_real_board_flashes_its_part_through_pyocd(tmp_path, monkeypatch):
    """bench --port on nucleo-l4r5zi with no flashing option flashes the board's own part
    (stm32l4r5zitx) through pyOCD."""
    _tools()
    from edgeq.harness import measure
    from edgeq.harness.runners import serial
    from edgeq.harness.runners.serial import SerialDevice

    seen = {}

    def fake_flash(elf, *, probe=None, pyocd_target=None, command=None):
        seen.update(elf=elf, pyocd_target=pyocd_target, command=command)
        raise serial.TargetError("stop after flashing")

    monkeypatch.setattr(serial, "flash", fake_flash)
    with pytest.raises(serial.TargetError, match="stop after flashing"):
        measure.bench(HELLO, "nucleo-l4r5zi", device=SerialDevice(port=str(tmp_path / "tty")))
    assert seen["pyocd_target"] == "stm32l4r5zitx" and seen["command"] is None
    assert str(seen["elf"]).endswith(".elf")
