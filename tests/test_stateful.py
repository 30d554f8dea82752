"""Stateful models (issue 18): an LSTM's hidden and cell state (variable tensors) carry from
one inference to the next in edgeq-micro as in TFLM, on the host and on mps2-an386, through
`run` and `bench`; `--reset-state` and the firmware's `edgeq-reset%` clear them. A streaming
model (one frame an inference) gives, frame after frame, the outputs of the same LSTM run
over the whole sequence at once."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

from conftest import FIXTURES, ROOT, need

sys.path.insert(0, str(ROOT / "tests" / "golden"))
from golden_helpers import private_build_cache  # noqa: E402
from test_fuzz_lstm import lstm_case  # noqa: E402
from tflite_builder import build  # noqa: E402

__all__ = ["private_build_cache"]  # the autouse fixture, imported

BOARD = "mps2-an386"
T, SEED = 12, 31  # frames of the streaming model; its weights' seed


def _streaming_pair(tmp_path):
    """The same LSTM (same weights and scales) as a streaming model (one frame, batch 1) and
    over T frames at once."""
    paths = []
    for steps in (1, T):
        m = lstm_case(np.random.default_rng(SEED), b=1, steps=steps, n_in=5, units=7, major=False)
        paths.append(tmp_path / f"lstm_{steps}.tflite")
        paths[-1].write_bytes(build(m))
    return paths


def _frames(n: int, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).integers(-128, 128, size=(n, 1, 5), dtype=np.int8)


def _cli(edgeq_cmd, *args, timeout=600):
    return subprocess.run([edgeq_cmd, *map(str, args)], capture_output=True, text=True, timeout=timeout)


def test_streaming_frames_equal_the_whole_sequence(tmp_path):
    """T inferences of the streaming model carry the state exactly as the sequence model's T
    steps do, in edgeq-micro and in TFLM."""
    from edgeq.codegen.native.emit import generate
    from edgeq.harness.hostrun import run_tflm
    from edgeq.harness.runners import host
    from edgeq.model.reader import read_model

    stream, whole = _streaming_pair(tmp_path)
    x = _frames(T)
    src_s, src_w = generate(read_model(stream)), generate(read_model(whole))
    frames = host.run(src_s, [x])[0].reshape(T, 7)
    at_once = host.run(src_w, [x.reshape(1, T, 5)])[0].reshape(T, 7)
    assert np.array_equal(frames, at_once)
    assert np.array_equal(frames, run_tflm(stream, src_s.inputs, src_s.outputs, [x])[0].reshape(T, 7))
    assert len(np.unique(frames, axis=0)) > 1


def test_run_carries_state_and_reset_state_clears_it(edgeq_cmd, tmp_path):
    stream, _ = _streaming_pair(tmp_path)
    np.savez(tmp_path / "x.npz", x=_frames(T))
    outs = {}
    for runtime in ("native", "tflm"):
        for reset in (False, True):
            out = tmp_path / f"{runtime}{reset}.npz"
            r = _cli(edgeq_cmd, "run", stream, "--target", "host", "--runtime", runtime, "--input", tmp_path / "x.npz",
                     "-o", out, *(["--reset-state"] if reset else []))
            assert r.returncode == 0, r.stderr
            assert "stateful model (2 variable tensors" in r.stderr
            assert ("cleared before each sample" if reset else "carried from sample to sample") in r.stderr
            outs[runtime, reset] = np.load(out)["out"]
    assert np.array_equal(outs["native", False], outs["tflm", False])
    assert np.array_equal(outs["native", True], outs["tflm", True])
    assert not np.array_equal(outs["native", False], outs["native", True])
    # a stateless model gets no note
    hello = FIXTURES / "hello_world" / "models" / "hello_world_int8.tflite"
    np.savez(tmp_path / "h.npz", x=np.zeros((2, 1), np.float32))
    r = _cli(edgeq_cmd, "run", hello, "--target", "host", "--input", tmp_path / "h.npz", "-o", tmp_path / "h_out.npz")
    assert r.returncode == 0 and "stateful" not in r.stderr


def _tools():
    from edgeq.harness.runners import qemu
    from edgeq.toolchain import arm

    reason = arm.missing_reason()
    need("arm-gcc", reason is None, reason or "")
    reason = qemu.available()
    need("qemu", reason is None, reason or "")


@pytest.mark.emulator
def test_bench_and_run_on_the_board_carry_state_like_tflm(edgeq_cmd, tmp_path):
    _tools()
    stream, _ = _streaming_pair(tmp_path)
    np.savez(tmp_path / "x.npz", x=_frames(T), y=np.zeros(T, np.int64))
    for reset in (False, True):
        flag = ["--reset-state"] if reset else []
        r = _cli(edgeq_cmd, "bench", stream, "--target", BOARD, "--data", tmp_path / "x.npz", "--json",
                 tmp_path / f"b{reset}.json", *flag)
        assert r.returncode == 0, r.stderr
        rep = json.loads((tmp_path / f"b{reset}.json").read_text())
        assert rep["bit_exact_vs_tflm"] and rep["samples"] == T
        assert rep["state_bytes"] == 32 and rep["state"] == ("reset each sample" if reset else "carried")
        assert "state" in r.stdout
        r = _cli(edgeq_cmd, "run", stream, "--target", BOARD, "--input", tmp_path / "x.npz", "-o",
                 tmp_path / f"board{reset}.npz", *flag)
        assert r.returncode == 0, r.stderr
        r = _cli(edgeq_cmd, "run", stream, "--target", "host", "--runtime", "tflm", "--input", tmp_path / "x.npz",
                 "-o", tmp_path / f"tflm{reset}.npz", *flag)
        assert r.returncode == 0, r.stderr
        assert np.array_equal(np.load(tmp_path / f"board{reset}.npz")["out"], np.load(tmp_path / f"tflm{reset}.npz")["out"])


@pytest.mark.emulator
def test_protocol_reset_command(tmp_path):
    """Over the device protocol: each `infer 1 0` advances the state; `edgeq-reset%` clears it,
    so the first output comes back."""
    _tools()
    from edgeq import targets
    from edgeq.codegen import native
    from edgeq.harness.runners import qemu
    from edgeq.toolchain import arm

    stream, _ = _streaming_pair(tmp_path)
    fw = arm.build_firmware(native.generate(stream), targets.get(BOARD), tmp_path / "fw")
    x = _frames(1)[0]
    with qemu.session(fw, targets.get(BOARD), timeout=30) as s:
        dev = s.device
        outs = []
        for _ in range(3):
            dev.load(x.tobytes())
            dev.infer(1, 0)
            outs.append(dev.raw_output())
        assert outs[0] != outs[1]
        assert dev.command("edgeq-reset") == ["m-edgeq-reset-done"]
        dev.infer(1, 0)
        assert dev.raw_output() == outs[0]


@pytest.mark.emulator
def test_mnist_lstm_on_the_board(edgeq_cmd, tmp_path):
    """TFLM's example LSTM over its 10 digit samples, each from a cleared state as its
    evaluate.py runs them, and over 100 random images with the state carried: bit-exact."""
    _tools()
    from PIL import Image

    model = FIXTURES / "mnist_lstm" / "trained_lstm_int8.tflite"
    pixels = np.stack([np.asarray(Image.open(FIXTURES / "mnist_lstm" / "samples" / f"sample{i}.png"), np.float32)
                       for i in range(10)])
    np.savez(tmp_path / "digits.npz", x=pixels / 255.0, y=np.arange(10))
    r = _cli(edgeq_cmd, "bench", model, "--target", BOARD, "--data", tmp_path / "digits.npz", "--reset-state",
             "--json", tmp_path / "d.json")
    assert r.returncode == 0, r.stderr
    rep = json.loads((tmp_path / "d.json").read_text())
    assert rep["bit_exact_vs_tflm"] and rep["accuracy"] >= 0.9 and rep["state"] == "reset each sample"
    np.savez(tmp_path / "rand.npz", x=np.random.default_rng(5).integers(-128, 128, (100, 28, 28), dtype=np.int8))
    r = _cli(edgeq_cmd, "bench", model, "--target", BOARD, "--data", tmp_path / "rand.npz", "--json", tmp_path / "r.json")
    assert r.returncode == 0, r.stderr
    assert json.loads((tmp_path / "r.json").read_text())["bit_exact_vs_tflm"]


@pytest.mark.emulator
@pytest.mark.parametrize("kind", ["lstm_int8", "lstm_int16", "svdf_int16", "svdf_int8"])
def test_fuzz_cases_on_the_board(kind, tmp_path):
    """Random LSTM and SVDF models (tests/golden/test_fuzz_{lstm,svdf}.py) with batch 1 on
    mps2-an386: 100 inferences in a row, the state carried, byte for byte with TFLM."""
    _tools()
    from edgeq import targets
    from edgeq.codegen import native
    from edgeq.harness.measure import random_inputs
    from edgeq.harness.oracle import TflmReference
    from edgeq.harness.runners import qemu
    from edgeq.toolchain import arm
    from test_fuzz_svdf import svdf_case

    rng = np.random.default_rng(900 + len(kind))
    if kind.startswith("lstm"):
        m = lstm_case(rng, int16=kind.endswith("16"), b=1)
    else:
        m = svdf_case(rng, time_dtype=kind[-5:].upper())
        while m.tensors[0].shape[0] != 1:  # batch 1: the board runs samples of one
            m = svdf_case(rng, time_dtype=kind[-5:].upper())
    path = tmp_path / f"{kind}.tflite"
    path.write_bytes(build(m))
    sources = native.generate(path, features=targets.get(BOARD).features)
    assert sources.state_bytes > 0
    fw = arm.build_firmware(sources, targets.get(BOARD), tmp_path / "fw")
    xs = random_inputs(sources.inputs, n=100, seed=3)
    got = qemu.run(fw, targets.get(BOARD), xs, count_instructions=False).outputs[0]
    want = TflmReference(path.read_bytes()).run(*xs)[0]
    assert np.array_equal(np.asarray(got).reshape(want.shape), want)
    assert len(np.unique(want.reshape(100, -1), axis=0)) > 1


@pytest.mark.emulator
@pytest.mark.parametrize("board", ["mps2-an385", "mps2-an386", "mps2-an500", "mps2-an505", "mps3-an547"])
def test_fast_lstm_on_every_core(board, tmp_path):
    """mnist_lstm with the fast LSTM kernel (portable C on the M3, DSP SIMD on the others),
    20 random images in a row with the state carried: byte for byte with TFLM."""
    _tools()
    from edgeq import targets
    from edgeq.codegen import native
    from edgeq.harness.measure import random_inputs
    from edgeq.harness.oracle import TflmReference
    from edgeq.harness.runners import qemu
    from edgeq.toolchain import arm

    model = FIXTURES / "mnist_lstm" / "trained_lstm_int8.tflite"
    target = targets.get(board)
    sources = native.generate(model, features=target.features)
    assert "lstm_fast.h" in sources.files
    fw = arm.build_firmware(sources, target, tmp_path / "fw")
    xs = random_inputs(sources.inputs, n=20, seed=4)
    got = qemu.run(fw, target, xs, count_instructions=False).outputs[0]
    want = TflmReference(model.read_bytes()).run(*xs)[0]
    assert np.array_equal(np.asarray(got).reshape(want.shape), want)
