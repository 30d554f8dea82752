"""Mixed precision (issue 19): int8 and int16x8 conversions of one Keras model spliced into a
model whose chosen ops run int16x8, with QUANTIZE ops at the boundaries; TFLM and edgeq-micro
run it bit-exact, on the host and on mps2-an386; `quantize --mode mixed` chooses the ops to a
budget, or takes them by name, and reports every mode.

The model: a classifier whose hidden layer carries, beside the 4 units that decide the class,
one unit 300 times wider (an outlier channel). Per-tensor int8 gives the hidden tensor a scale
so coarse that the 4 useful units keep about 3 levels each and int8 loses tens of points; the
hidden layer and its reader in int16 bring the float accuracy back."""

from __future__ import annotations

import json
import subprocess

import numpy as np
import pytest

from conftest import EDGEQ, need

N = 200


def _wide_model(folder):
    import keras

    rng = np.random.default_rng(0)
    w_true = rng.normal(size=(8, 4)).astype(np.float32)
    x = rng.uniform(-1, 1, (N, 8)).astype(np.float32)
    y = (x @ w_true).argmax(axis=1)
    i = keras.Input((8,), name="x")
    hidden = keras.layers.Dense(5, name="hidden")
    head = keras.layers.Dense(4, activation="softmax", name="head")
    model = keras.Model(i, head(hidden(i)))
    wide = np.zeros((8, 5), np.float32)
    wide[:, :4] = w_true
    wide[0, 4] = 300.0  # the outlier unit
    hidden.set_weights([wide, np.zeros(5, np.float32)])
    pick = np.zeros((5, 4), np.float32)
    pick[:4, :4] = np.eye(4) * 4
    head.set_weights([pick, np.zeros(4, np.float32)])
    model.save(folder / "wide.keras")
    np.savez(folder / "wide.npz", x=x, y=y)
    return model, x, y


@pytest.fixture(scope="module")
def converted(tmp_path_factory):
    """The model, its data, and its int8 and int16x8 conversions (one each)."""
    from edgeq import ptq

    folder = tmp_path_factory.mktemp("mixed")
    model, x, y = _wide_model(folder)
    fb8, _ = ptq.quantize(model, x, mode="int8")
    fb16, _ = ptq.quantize(model, x, mode="int16x8")
    return folder, x, y, fb8, fb16


def _exact_on_host(path, x):
    from edgeq.codegen.native.emit import generate
    from edgeq.harness.hostrun import run_tflm
    from edgeq.harness.oracle import quantize_input
    from edgeq.harness.runners import host
    from edgeq.model.reader import read_model

    sources = generate(read_model(path))
    spec = sources.inputs[0]
    xq = quantize_input(x, spec.numpy_dtype, spec.scale, spec.zero_point)
    got = host.run(sources, [xq])[0]
    want = run_tflm(path, sources.inputs, sources.outputs, [xq])[0]
    assert np.array_equal(got, want)
    return want


def _accuracy(out, y):
    return float(np.mean(out.reshape(len(y), -1).argmax(axis=1) == y))


def test_splice_any_subset_runs_bit_exact(converted, tmp_path):
    from edgeq import mixed

    folder, x, y, fb8, fb16 = converted
    assert mixed.op_names(fb8) == mixed.op_names(fb16) == ["FULLY_CONNECTED", "FULLY_CONNECTED", "SOFTMAX"]
    pool = mixed.candidates(fb8, fb16)
    assert pool == [0, 1, 2]
    assert mixed.splice(fb8, fb16, []) == fb8  # nothing chosen: the int8 model, byte for byte
    acc = {}
    for subset in ([0], [1], [2], [0, 1], [1, 2], [0, 1, 2]):
        buf = mixed.splice(fb8, fb16, subset)
        names = mixed.op_names(buf)
        # a QUANTIZE into each int16 run that does not start at the graph input, one out of each
        # that does not end at the graph output
        runs = [k for k in range(3) if k in subset and k - 1 not in subset]
        ends = [k for k in range(3) if k in subset and k + 1 not in subset]
        assert names.count("QUANTIZE") == sum(k > 0 for k in runs) + sum(k < 2 for k in ends)
        from edgeq.model.reader import read_model

        sg = read_model(buf).main
        assert sg.tensors[sg.inputs[0]].dtype == ("INT16" if 0 in subset else "INT8")
        assert sg.tensors[sg.outputs[0]].dtype == ("INT16" if 2 in subset else "INT8")
        path = tmp_path / f"m{''.join(map(str, subset))}.tflite"
        path.write_bytes(buf)
        acc[tuple(subset)] = _accuracy(_exact_on_host(path, x), y)
    int8 = _accuracy(_exact_on_host(_write(tmp_path / "i8.tflite", fb8), x), y)
    assert int8 < 0.8 and acc[(0, 1)] > int8 + 0.15  # the wide tensor in int16 is what helps
    assert acc[(0,)] < int8 + 0.05 and acc[(1,)] < int8 + 0.05  # one side alone goes back through int8


def _write(path, buf):
    path.write_bytes(buf)
    return path


def test_choose_adds_ops_until_the_target():
    """The greedy choice: the best single gain first, then the next, until the target."""
    from edgeq import mixed

    table = {(): 50.0, (0,): 55.0, (1,): 70.0, (2,): 51.0, (0, 1): 90.0}
    choice = mixed.choose([0, 1, 2], lambda ops: table.get(ops, 60.0), 85.0)
    assert choice.ops == (0, 1) and choice.quality == 90.0
    assert [k for k, _q in choice.steps] == [1, 0]  # op 1's gain (20) first, then op 0's (5)
    assert choice.trials == {0: 55.0, 1: 70.0, 2: 51.0}
    # out of reach: the best set tried; already met: nothing
    assert mixed.choose([0, 1, 2], lambda ops: table.get(ops, 60.0), 99.0).ops == (0, 1)
    assert mixed.choose([0, 1, 2], lambda ops: table.get(ops, 60.0), 40.0).ops == ()
    # equal gains: the cheaper op first
    flat = mixed.choose([0, 1], lambda ops: 10.0 * len(ops), 10.0, cost=lambda k: 100 - k)
    assert flat.ops == (1,)
    # equal gains: the larger measured int8 error first (before the cost)
    by_error = mixed.choose([0, 1], lambda ops: 10.0 * len(ops), 10.0, cost=lambda k: k, error=lambda k: k)
    assert by_error.ops == (1,)
    # an op whose addition breaks the cap (an arena limit) is passed over
    capped = mixed.choose([0, 1, 2], lambda ops: table.get(ops, 60.0), 85.0, fits=lambda ops: 0 not in ops)
    assert capped.ops == (1,) and capped.quality == 70.0
    # an op added on a tie that the target does not need is dropped again
    pair = {(): 0.0, (0,): 0.0, (1,): 0.0, (2,): 0.0, (0, 1): 0.0, (0, 1, 2): 100.0, (1, 2): 100.0}
    assert mixed.choose([0, 1, 2], lambda ops: pair.get(ops, 0.0), 100.0).ops == (1, 2)


def _cli(*args, cwd, timeout=900):
    return subprocess.run([EDGEQ, *map(str, args)], capture_output=True, text=True, timeout=timeout, cwd=cwd)


def test_quantize_mixed_cli_chooses_reports_and_runs_on_the_board(converted, tmp_path):
    folder, x, y, fb8, fb16 = converted
    r = _cli("quantize", folder / "wide.keras", "--calib", folder / "wide.npz", "--mode", "mixed", "--eval",
             folder / "wide.npz", "--budget", "2", "--max-arena", "4", "--report", "r.json", "--plot", "p.png",
             "-o", "mixed.tflite", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    rep = json.loads((tmp_path / "r.json").read_text())
    modes = rep["modes"]
    assert set(modes) == {"float", "int8", "mixed", "int16x8"}
    assert modes["float"]["accuracy"] == 100.0 and modes["int8"]["accuracy"] < 80
    assert modes["mixed"]["accuracy"] >= 98.0 and rep["met"]
    assert rep["int16_layers"] == ["hidden", "head"]
    assert modes["mixed"]["arena_bytes"] <= modes["int16x8"]["arena_bytes"]
    assert all(modes[m]["arena_bytes"] > 0 for m in ("int8", "mixed", "int16x8"))
    # no --target: instructions estimated from the graph (checked against the board below)
    assert not rep["instructions_measured"] and rep["instructions_board"] == "mps2-an386"
    assert all(modes[m]["instructions"] > 0 for m in ("int8", "mixed", "int16x8"))
    assert "estimated" in r.stdout
    assert "int16x8 ops: #0 FULLY_CONNECTED (hidden), #1 FULLY_CONNECTED (head)" in r.stdout
    assert (tmp_path / "p.png").read_bytes()[:4] == b"\x89PNG"
    errors = {e["op"]: e for e in rep["errors"]}
    assert errors and errors[0]["rmse_steps_mixed"] < errors[0]["rmse_steps_int8"]
    _exact_on_host(tmp_path / "mixed.tflite", x)

    from edgeq.harness.runners import qemu
    from edgeq.toolchain import arm

    reason = arm.missing_reason() or qemu.available()
    need("qemu", reason is None, reason or "")
    b = _cli("bench", "mixed.tflite", "--target", "mps2-an386", "--data", folder / "wide.npz", "--json", "b.json",
             cwd=tmp_path)
    assert b.returncode == 0, b.stderr
    bench = json.loads((tmp_path / "b.json").read_text())
    assert bench["bit_exact_vs_tflm"] and bench["accuracy"] == modes["mixed"]["accuracy"] / 100
    # the estimate against the exact count of the same model on the board it was fitted on
    ratio = modes["mixed"]["instructions"] / bench["instructions_per_inference"]
    assert 0.7 < ratio < 1.3, ratio


def test_layers_by_name_and_a_model_that_needs_no_int16(converted, tmp_path):
    from edgeq.harness.metrics import Target

    folder, x, y, fb8, fb16 = converted
    import keras

    from edgeq import mixed

    model = keras.models.load_model(folder / "wide.keras")
    buf, rep, _ = mixed.quantize_mixed(model, [x], None, None, layers=["hidden"], conversions=(fb8, fb16))
    assert rep.int16_layers == ["hidden"] and buf == mixed.splice(fb8, fb16, [0])
    buf, rep, _ = mixed.quantize_mixed(model, [x], None, None, layers=["#1", "hidden"], conversions=(fb8, fb16))
    assert rep.int16_layers == ["hidden", "head"]
    from edgeq.errors import EdgeqError

    with pytest.raises(EdgeqError, match="--layers #7: no such op"):
        mixed.quantize_mixed(model, [x], None, None, layers=["#7"], conversions=(fb8, fb16))
    # a budget the int8 model already meets: no op changes, the int8 model byte for byte
    buf, rep, _ = mixed.quantize_mixed(model, [x], [x], Target(classes=y), budget=100.0, conversions=(fb8, fb16))
    assert buf == fb8 and rep.int16_ops == () and rep.met


def test_mixed_mode_errors_are_one_line(converted, tmp_path):
    folder = converted[0]
    cases = [
        (["--mode", "mixed"], "needs --eval"),
        (["--mode", "mixed", "--layers", "nosuch"], "--layers nosuch: no such layer in the model"),
        (["--mode", "int8", "--budget", "1"], "go with --mode mixed"),
        (["--mode", "int8", "--max-arena", "2"], "go with --mode mixed"),
        (["--mode", "mixed", "--eval", folder / "wide.npz", "--budget", "1", "--layers", "hidden"], "give one"),
    ]
    for extra, words in cases:
        r = _cli("quantize", folder / "wide.keras", "--calib", folder / "wide.npz", *extra, "-o", "o.tflite",
                 cwd=tmp_path)
        lines = r.stderr.strip().splitlines()
        assert r.returncode == 1 and len(lines) == 1 and words in lines[0], (extra, r.stderr)
        assert not (tmp_path / "o.tflite").exists()
