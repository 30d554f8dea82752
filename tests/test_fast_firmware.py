"""Firmware with the fast kernels on every emulated board: outputs under QEMU byte-identical
with the TFLM interpreter. The M3 (mps2-an385) gets the portable C loops, the cores with
the DSP extension (M4, M7, M33) the SIMD ones, the M55 (mps3-an547) the Helium ones where
they apply (the SIMD ones elsewhere), compiled for the real instructions."""

from __future__ import annotations

import sys

import numpy as np
import pytest

from conftest import FIXTURES, ROOT, need

sys.path.insert(0, str(ROOT / "tests" / "golden"))
# every firmware here really compiled and linked: a fresh build cache for the module
from golden_helpers import private_build_cache  # noqa: E402

__all__ = ["private_build_cache"]  # the autouse fixture, imported

pytestmark = pytest.mark.emulator

BOARDS = ("mps2-an385", "mps2-an386", "mps2-an500", "mps2-an505", "mps3-an547")
MODELS = ("ds_cnn_kws", "mobilenet_v1_vww", "resnet8_cifar10", "fc_autoencoder")
PERSON = FIXTURES / "person_detection"
# borders, odd channel counts, row strides into concatenations, residual adds, a depth
# multiplier above 1, a max pool
GOLDEN = ("conv_same_s2_odd_relu6", "conv_dilation_valid_3x2", "dw_same_s1_relu", "fc_nobias_odd",
          "concat_fire_module", "pt_mobilenetv2_style", "dw_mult2_same", "maxpool_conv_relu")
FAST_FILES = ("conv_2d_fast.h", "depthwise_conv_2d_fast.h", "fully_connected_fast.h", "add_fast.h",
              "max_pool_2d_fast.h", "average_pool_2d_fast.h", "conv_2d_mve.h", "depthwise_conv_2d_mve.h",
              "fully_connected_mve.h", "add_mve.h", "max_pool_2d_mve.h", "average_pool_2d_mve.h")
MVE_FILES = tuple(f for f in FAST_FILES if f.endswith("_mve.h"))


def _tools() -> None:
    from edgeq.harness.runners import qemu
    from edgeq.toolchain import arm

    reason = arm.missing_reason()
    need("arm-gcc", reason is None, reason or "")
    reason = qemu.available()
    need("qemu", reason is None, reason or "")


def _fast_firmware(model_path, board: str, require_fast: bool = True):
    """The fast-kernel sources for the board (checked to hold fast kernels and the board's
    DSP choice) and the firmware; a skip only when the model does not fit the board."""
    from edgeq import targets
    from edgeq.errors import ModelTooBigError
    from edgeq.harness.measure import firmware_sources
    from edgeq.toolchain import arm

    target = targets.get(board)
    sources = firmware_sources(model_path, "native", target)
    dsp = int("dsp" in target.features)
    assert f"#define EDGEQ_DSP {dsp}" in sources.files["edgeq_config.h"], board
    mve = int("mve" in target.features)
    assert f"#define EDGEQ_MVE {mve}" in sources.files["edgeq_config.h"], board
    if require_fast:
        assert any(f in sources.files for f in FAST_FILES), sorted(sources.files)
    try:
        fw = arm.build_firmware(sources, target)
    except ModelTooBigError as exc:
        pytest.skip(f"{model_path.name} does not fit {board} (ModelTooBigError: {exc})")
    return target, sources, fw


def _assert_like_tflm(model_path, board: str, inputs, context: str = "", require_fast: bool = True):
    from edgeq.harness.oracle import TflmReference
    from edgeq.harness.runners import qemu

    target, sources, fw = _fast_firmware(model_path, board, require_fast)
    got = qemu.run(fw, target, inputs, count_instructions=False).outputs
    want = TflmReference(model_path.read_bytes()).run(*inputs)
    assert len(got) == len(want) == len(sources.outputs)
    n = len(inputs[0])
    for k, (g, w) in enumerate(zip(got, want)):
        g, w = np.asarray(g), np.asarray(w)
        assert g.dtype == w.dtype and g.size == w.size, (k, g.dtype, g.shape, w.dtype, w.shape)
        bad = np.any(g.reshape(n, -1).view(np.uint8) != w.reshape(n, -1).view(np.uint8), axis=1)
        assert not bad.any(), (f"{model_path.name} on {board}: output {k} differs from TFLM on samples "
                               f"{np.flatnonzero(bad).tolist()} {context}")
    return got


def _random(model_path, n: int, seed: int):
    from edgeq.codegen.native.emit import io_specs
    from edgeq.harness.measure import random_inputs
    from edgeq.model.reader import read_model

    specs_in, _ = io_specs(read_model(model_path))
    return random_inputs(specs_in, n=n, seed=seed)


@pytest.mark.parametrize("board", BOARDS)
@pytest.mark.parametrize("model", MODELS)
def test_third_party_model_fast_firmware_bit_exact(board, model):
    _tools()
    path = ROOT / "tests" / "models" / f"{model}.tflite"
    seed = 300 + BOARDS.index(board) * 10 + MODELS.index(model)
    _assert_like_tflm(path, board, _random(path, 3, seed), f"(inputs: edgeq.harness.measure.random_inputs n=3 seed={seed})")


def _bmp(name: str) -> np.ndarray:
    from edgeq.datasets.images import read_bmp_gray

    return read_bmp_gray(PERSON / "testdata" / name).view(np.int8)[..., None]


@pytest.mark.parametrize("board", ("mps2-an386", "mps2-an385"))
def test_person_detect_fast_firmware_both_images(board):
    _tools()
    x = np.stack([_bmp("person.bmp"), _bmp("no_person.bmp")])
    got = _assert_like_tflm(PERSON / "person_detect.tflite", board, [x])
    assert got[0].reshape(2, 2).tolist() == [[-113, 113], [57, -57]]


@pytest.mark.parametrize("board", ("mps2-an386", "mps2-an500"))
@pytest.mark.parametrize("name", GOLDEN)
def test_golden_model_fast_firmware_bit_exact(board, name):
    _tools()
    path = ROOT / "tests" / "golden" / "models" / f"{name}.tflite"
    seed = 500 + GOLDEN.index(name)
    _assert_like_tflm(path, board, _random(path, 4, seed), f"(inputs: random_inputs n=4 seed={seed})")


@pytest.mark.parametrize("board", ("mps2-an386", "mps2-an500", "mps3-an547"))
@pytest.mark.parametrize("op", ("MAX_POOL_2D", "AVERAGE_POOL_2D"))
def test_pools_fast_firmware_bit_exact(board, op, tmp_path):
    """The pools' 4-channel SIMD paths (SSUB8/SEL maxima, SXTAB16 sums) and their Helium forms
    (VMAX.S8, 16-bit sums; mps3-an547) as the core runs them: fuzz pool models with 7 and 8
    channels (groups of 4 and a tail, a predicated vector), every clamp."""
    _tools()
    from test_fast_kernels import pool_fast_case
    from tflite_builder import build

    done = 0
    for seed in range(400):
        m = pool_fast_case(np.random.default_rng(880000 + seed), op)
        if m.tensors[0].shape[3] < 7 or m.options["filter_h"] * m.options["filter_w"] > 256:
            continue
        path = tmp_path / f"{op.lower()}{seed}.tflite"
        path.write_bytes(build(m))
        _assert_like_tflm(path, board, _random(path, 4, seed), f"(seed {seed}, {m.options})")
        done += 1
        if done == 3:
            break
    assert done == 3


@pytest.mark.parametrize("board", ("mps2-an386", "mps2-an500", "mps3-an547"))
@pytest.mark.parametrize("kind", ("conv", "dwconv", "dwconv_mve", "fc", "add"))
def test_fuzz_cases_fast_firmware_bit_exact(board, kind, tmp_path):
    """Host fuzz cases of each kind (tests/golden/test_fast_kernels.py) as the core runs them,
    until 4 took the fast variant: the assembly inner products with odd group counts, single
    blocks, channel and row tails, which the host tests see only through their C form (the
    fallbacks met on the way run too). On mps3-an547 the count is of Helium variants: their
    assembly loops, predicated tails and folded offsets."""
    _tools()
    from edgeq.codegen.native.emit import io_specs
    from edgeq.model.reader import read_model
    from test_fast_kernels import _fuzz_model

    want = MVE_FILES if board == "mps3-an547" else FAST_FILES
    fast = 0
    for i in range(120):
        path = tmp_path / f"{kind}{i}.tflite"
        path.write_bytes(_fuzz_model(kind, i))
        if any(spec.shape[0] != 1 for spec in io_specs(read_model(path))[0]):
            continue  # the firmware app takes samples of batch 1 (a leading dimension of 1)
        _assert_like_tflm(path, board, _random(path, 4, i), f"(fuzz {kind}{i})", require_fast=False)
        fast += any(f in _fast_firmware(path, board, False)[1].files for f in want)
        if fast == 4:
            break
    assert fast == 4


# ops added for models users deploy (issue 18): their golden models and fuzz cases on the
# board, 100 random inputs each, byte for byte with TFLM
OP_GOLDEN = ("resize_nearest", "reduce_max_min", "rnn_unpack_pack", "transpose_conv", "depth_space", "arg_max_min",
             "gather", "norm_ops", "sum", "attention", "resize_bilinear", "svdf", "lstm_int16")
OP_FUZZ = ("pack", "unpack", "resize_nearest", "reduce_max", "transpose_conv", "depth_to_space", "space_to_depth",
           "arg_max", "arg_min", "gather", "squared_difference", "squared_difference16", "sum", "sum16",
           "batch_matmul", "batch_matmul_const", "batch_matmul16", "resize_bilinear",
           "transpose_conv16")


@pytest.mark.parametrize("name", OP_GOLDEN)
def test_op_golden_model_on_mps2_an386(name):
    _tools()
    path = ROOT / "tests" / "golden" / "models" / f"{name}.tflite"
    _assert_like_tflm(path, "mps2-an386", _random(path, 100, 700 + OP_GOLDEN.index(name)), require_fast=False)


def test_op_fuzz_cases_on_mps2_an386(tmp_path):
    """Two fuzz cases of each kind (tests/golden/test_fuzz_ops.py) with batch 1."""
    _tools()
    from edgeq.codegen.native.emit import io_specs
    from edgeq.model.reader import read_model
    from test_fuzz_ops import MAKERS, build

    for kind in OP_FUZZ:
        done = 0
        for i in range(40):
            path = tmp_path / f"{kind}{i}.tflite"
            path.write_bytes(build(MAKERS[kind](np.random.default_rng(1000 * list(MAKERS).index(kind) + i))))
            specs = [s for group in io_specs(read_model(path)) for s in group]
            if any(len(spec.shape) < 2 or spec.shape[0] != 1 for spec in specs):
                continue  # samples of batch 1 (a leading dimension of 1), in and out
            _assert_like_tflm(path, "mps2-an386", _random(path, 100, i), f"(fuzz {kind}{i})", require_fast=False)
            done += 1
            if done == 2:
                break
        assert done == 2, kind
