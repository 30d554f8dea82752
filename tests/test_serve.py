"""`edgeq serve`: an emulated board behind a pty, driven the way the MLCommons MLPerf Tiny
runner drives a board (its DUT class's command sequence: name, profile, db load, db in
31-byte chunks, infer N W, results), for each benchmark id with an MLPerf-style model;
every result line equals the host's computation after the reference preprocessing.
Also: timestamp/help, one reply per command for hosts that come and go, and clean exits
(SIGTERM, Ctrl-C, QEMU dying, no host ever opening the port) with no QEMU left behind.

The official runner itself is exercised by tests/test_mlperf_runner.py (opt-in)."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import time
from pathlib import Path

import numpy as np
import pytest

from conftest import EDGEQ, FIXTURES, ROOT
from test_firmware import _tools

pytestmark = pytest.mark.emulator

BOARD = "mps2-an386"
HELLO = FIXTURES / "hello_world" / "models" / "hello_world_int8.tflite"
MODELS = {"kws01": "ds_cnn_kws", "vww01": "mobilenet_v1_vww", "ic01": "resnet8_cifar10", "ad01": "fc_autoencoder"}


class Served:
    """`edgeq serve` in a child process; ``link`` is its port."""

    def __init__(self, model: Path, tmp: Path, *args: str):
        self.link = tmp / "dut"
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        # SIGINT as a terminal leaves it (a suite started in the background inherits it ignored)
        self.proc = subprocess.Popen([EDGEQ, "serve", str(model), "--target", BOARD, "--link", str(self.link), *args],
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
                                     preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
        self.lines = []
        deadline = time.monotonic() + 240
        while time.monotonic() < deadline:
            line = self.proc.stdout.readline()
            if not line:
                pytest.fail(f"edgeq serve ended before serving: {self.proc.stderr.read().strip()}")
            self.lines.append(line.strip())
            if line.startswith("Ctrl-C"):
                break
        self.qemu = [int(p) for p in subprocess.run(["pgrep", "-P", str(self.proc.pid), "qemu-system-arm"],
                                                     capture_output=True, text=True).stdout.split()]
        assert len(self.qemu) == 1, self.qemu

    def stop(self, sig=signal.SIGTERM) -> tuple[int, str, str]:
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        out, err = self.proc.communicate(timeout=30)
        return self.proc.returncode, out, err

    def assert_clean(self) -> None:
        """No QEMU of this serve left, and no link."""
        for _ in range(50):
            if not any(_alive(pid) for pid in self.qemu):
                break
            time.sleep(0.1)
        assert not any(_alive(pid) for pid in self.qemu), "QEMU left running"
        assert not self.link.is_symlink() and not self.link.exists()


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    stat = Path(f"/proc/{pid}/stat")
    return stat.exists() and stat.read_text().split()[2] != "Z"


class RunnerDut:
    """What the MLCommons runner's DUT class does over its SerialDevice: write ``cmd%``, read
    lines until one holds ``m-ready`` (5 s a line)."""

    def __init__(self, link: Path):
        import serial

        self.port = serial.Serial(str(link), 115200, timeout=0.1)
        self.buf = b""

    def close(self) -> None:
        self.port.close()

    def line(self, timeout: float = 5.0) -> str:
        deadline = time.monotonic() + timeout
        while b"\n" not in self.buf:
            if time.monotonic() > deadline:
                raise AssertionError(f"no line within {timeout} s (have {self.buf!r})")
            self.buf += self.port.read(max(1, self.port.in_waiting))  # what is there, as the runner reads
        line, self.buf = self.buf.split(b"\n", 1)
        return line.decode().strip("\r\0")

    def command(self, cmd: str, timeout: float = 5.0) -> list[str]:
        self.port.write(f"{cmd}%".encode())
        lines = []
        while True:
            ln = self.line(timeout)
            if ln:
                lines.append(ln)
            if "m-ready" in ln:
                return lines

    def load(self, data: bytes) -> list[str]:
        out = self.command(f"db load {len(data)}")
        assert out == [f"m-[Expecting {len(data)} bytes]", "m-ready"], out
        for i in range(0, len(data), 31):
            out = self.command(f"db {data[i:i + 31].hex()}")
        return out

    def infer(self, n: int, w: int) -> tuple[list[float], int, str]:
        """The runner's _gather_infer_results: the results vector, elapsed us, the raw line."""
        lines = self.command(f"infer {n} {w}", timeout=60)
        laps = [int(m.group(1)) for ln in lines if (m := re.match(r"^m-lap-us-([0-9]+)$", ln))]
        res = [ln for ln in lines if re.match(r"^m-results-\[([^]]+)\]$", ln)]
        assert lines[:3] == [f"m-warmup-start-{w}", "m-warmup-done", f"m-infer-start-{n}"], lines
        assert len(laps) == 2 and len(res) == 1 and lines[-1] == "m-ready", lines
        values = [float(x) for x in res[0][len("m-results-["):-1].split(",") if x.strip()]
        return values, laps[1] - laps[0], res[0]


def _data(bench, spec_in, rng) -> bytes:
    from edgeq.harness import mlperf

    n = mlperf.db_bytes(bench, spec_in)
    if bench.input == "float32":
        return rng.normal(0.0, 0.6, n // 4).astype("<f4").tobytes()
    return rng.integers(0, 256, n, dtype=np.uint8).tobytes()


@pytest.mark.parametrize("model_id", list(MODELS))
def test_runner_sequence_per_benchmark(model_id, tmp_path):
    """The runner's sequence against a served board: the id, two inputs (the reference's
    preprocessing on the device), infer N W with positive laps, results equal to the host's."""
    _tools()
    from edgeq.codegen.native.emit import io_specs
    from edgeq.harness import hostrun, mlperf
    from edgeq.model.reader import read_model

    model = ROOT / "tests" / "models" / f"{MODELS[model_id]}.tflite"
    bench = mlperf.benchmark(model_id)
    specs_in, specs_out = io_specs(read_model(model))
    rng = np.random.default_rng(7)
    samples = [_data(bench, specs_in[0], rng) for _ in range(2)]
    x = np.stack([mlperf.preprocess(bench, d, specs_in[0]) for d in samples])
    _, outs = hostrun.run_native(model, [x])

    served = Served(model, tmp_path, "--model-id", model_id, "--timing", "emulated")
    try:
        assert f"model id {model_id}" in served.lines
        dut = RunnerDut(served.link)
        assert dut.command("name") == ["m-name-dut-[edgeq-micro]", "m-ready"]
        prof = dut.command("profile")
        assert prof[1:] == [f"m-model-[{model_id}]", "m-ready"] and prof[0].startswith("m-profile-[")
        for i, data in enumerate(samples):
            assert dut.load(data) == ["m-load-done", "m-ready"]
            values, elapsed, line = dut.infer(3 if i == 0 else 1, 1 if i == 0 else 0)
            want = mlperf.result_values(bench, [o[i] for o in outs], data, specs_out)
            assert line == mlperf.format_result(want), (line, want)
            assert elapsed > 0
            assert dut.command("results") == [line, "m-ready"]
        if model_id == "ad01":  # the score itself, to the bit
            score = dut.command("edgeq-score")[0]
            want = mlperf.ad_score(outs[0][1], samples[1], specs_out[0])
            assert score == f"m-edgeq-score-[{int(np.float32(want).view(np.uint32)):08x}]"
        # th_load_tensor's input, as the host made it
        assert dut.command("edgeq-in")[0] == f"m-edgeq-in-[{x[1].tobytes().hex()}]"
        dut.close()
    finally:
        code, out, err = served.stop()
    assert code == 0 and "stopped (SIGTERM)" in out, err
    served.assert_clean()


def test_timestamp_help_and_hosts_that_come_and_go(tmp_path):
    """timestamp% and help% as the reference answers them; the microsecond counter only
    grows (emulated time); a host that leaves without reading its reply, or in the middle of
    a command, does not shift the next host's replies; m-results prints as C's %0.3f."""
    _tools()
    served = Served(HELLO, tmp_path, "--model-id", "ad01", "--timing", "emulated")
    try:
        dut = RunnerDut(served.link)
        t1 = dut.command("timestamp")
        t2 = dut.command("timestamp")
        assert re.fullmatch(r"m-lap-us-\d+", t1[0]) and t1[1] == "m-ready"
        assert int(t2[0][9:]) > int(t1[0][9:])
        helped = dut.command("help")
        assert helped[-1] == "m-ready" and any(ln.startswith("infer N") for ln in helped)
        assert dut.command("infer 0 0") == ["e-[Inference iterations must be >0]", "m-ready"]
        assert dut.command("bogus") == ["e-[Unknown command: bogus]", "m-ready"]
        dut.port.write(b"name%")  # leaves before reading the reply
        time.sleep(0.3)
        dut.close()
        dut = RunnerDut(served.link)
        assert dut.command("profile")[1:] == ["m-model-[ad01]", "m-ready"]
        dut.port.write(b"db lo")  # leaves in the middle of a command
        time.sleep(0.3)
        dut.close()
        dut = RunnerDut(served.link)
        assert dut.command("name") == ["m-name-dut-[edgeq-micro]", "m-ready"]
        _check_fixed3(dut)
        dut.close()
    finally:
        code, _, err = served.stop(signal.SIGINT)
    assert code == 0, err
    served.assert_clean()


def _check_fixed3(dut: RunnerDut) -> None:
    """ad01 on hello_world (1 value in, 1 out): inputs chosen so that the score is an exact
    tie at three decimals (0.0625 -> 0.062, 0.5625 -> 0.562: ties to even, as printf) or large."""
    from edgeq.codegen.native.emit import io_specs
    from edgeq.harness import hostrun, mlperf
    from edgeq.model.reader import read_model

    spec_in, spec_out = (s[0] for s in io_specs(read_model(HELLO)))
    grid = np.arange(-128, 128, dtype=np.int8).reshape(-1, 1)
    _, outs = hostrun.run_native(HELLO, [grid])
    deq = {int(q): np.float32((int(o[0]) - spec_out.zero_point) * np.float32(spec_out.scale)) for q, o in zip(grid[:, 0], outs[0])}
    values = []
    for d in (0.25, 0.75, 1.25):  # squared: 0.0625, 0.5625, 1.5625
        for q, y in deq.items():
            xv = np.float32(y - np.float32(d))
            if int(mlperf.quantize_input(np.array([xv]), spec_in.scale, spec_in.zero_point)[0]) == q:
                values.append(xv)
                break
    values.append(np.float32(3.0e4))  # clamps: a score near 9e8
    assert len(values) >= 3
    for xv in values:
        data = np.array([xv], "<f4").tobytes()
        dut.load(data)
        q = mlperf.quantize_input(np.array([xv]), spec_in.scale, spec_in.zero_point)
        out = outs[0][int(q[0]) + 128]
        want = mlperf.format_result([mlperf.ad_score(out, data, spec_out)])
        _, _, line = dut.infer(1, 0)
        assert line == want


def test_serve_cleans_up_when_qemu_dies(tmp_path):
    _tools()
    served = Served(HELLO, tmp_path, "--timing", "emulated")
    os.kill(served.qemu[0], signal.SIGKILL)
    out, err = served.proc.communicate(timeout=30)  # serve notices by itself
    code = served.proc.returncode
    assert code == 1 and err.startswith("error: ") and len(err.strip().splitlines()) == 1, err
    assert "QEMU" in err
    served.assert_clean()


def test_serve_stops_when_no_host_opens_the_port(tmp_path):
    _tools()
    t0 = time.monotonic()
    served = Served(HELLO, tmp_path, "--idle-timeout", "2")
    assert "not an MLPerf Tiny id" in served.lines[1]
    code, out, err = served.proc.wait(timeout=60), served.proc.stdout.read(), served.proc.stderr.read()
    assert code == 0 and "no host opened the port for 2 s" in out, (out, err)
    assert time.monotonic() - t0 < 60
    served.assert_clean()


def test_serve_refusals(tmp_path):
    """One line each: sww01, a model that cannot take a benchmark's handling, a link path that
    is a file; nothing is started."""
    def run(*args):
        return subprocess.run([EDGEQ, "serve", *map(str, args), "--target", BOARD], capture_output=True, text=True,
                              timeout=120)

    r = run(HELLO, "--model-id", "sww01")
    assert r.returncode == 2 and "I2S" in r.stderr and len(r.stderr.strip().splitlines()) == 1
    (tmp_path / "file").write_text("x")
    r = run(HELLO, "--link", tmp_path / "file")
    assert r.returncode == 2 and "not a symlink" in r.stderr
    _tools()
    r = run(ROOT / "tests" / "models" / "ds_cnn_kws.tflite", "--model-id", "ad01")
    assert r.returncode == 2 and "anomaly score" in r.stderr, r.stderr
