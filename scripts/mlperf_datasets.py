"""Write small synthetic datasets in the MLCommons MLPerf Tiny runner's layout, to exercise
the runner against `edgeq serve` without the EEMBC datasets:

    DIR/<id>/y_labels.csv   file,classes,class[,bytes_to_send,stride]
    DIR/<id>/<file>.bin     what the runner sends: kws01 int8 features (490 B), vww01 uint8
                            RGB 96x96 (27648 B), ic01 uint8 RGB 32x32 (3072 B), ad01 float32
                            feature frames (128 values each) sent as 640-value windows

The inputs are random (seeded) and the labels cycle through the classes (every class present,
which the runner's ROC AUC needs; at least 6 files each, as performance mode loads 5): accuracy figures on them mean nothing; they test the
protocol, the data handling and the results. ad01's "anomalous" files have extra noise so
that both labels occur.

    python scripts/mlperf_datasets.py DIR [--per-class K] [--ad-files N] [--ad-frames F]
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

SHAPES = {"kws01": (12, 490, np.int8), "vww01": (2, 96 * 96 * 3, np.uint8), "ic01": (10, 32 * 32 * 3, np.uint8)}
AD_FRAME = 128  # float32 values a frame
AD_WINDOW = 5  # frames an input window
MIN_FILES = 6  # performance mode loads 5 files


def write(out: Path, per_class: int = 2, ad_files: int = 6, ad_frames: int = 8, seed: int = 0) -> None:
    rng = np.random.default_rng(seed)
    for mid, (classes, nbytes, dtype) in SHAPES.items():
        d = out / mid
        d.mkdir(parents=True, exist_ok=True)
        rows = []
        for i in range(max(classes * per_class, MIN_FILES)):
            name = f"{mid}_{i:03d}.bin"
            info = np.iinfo(dtype)
            (d / name).write_bytes(rng.integers(info.min, info.max + 1, nbytes, dtype=dtype).tobytes())
            rows.append(f"{name},{classes},{i % classes}")
        (d / "y_labels.csv").write_text("\n".join(rows) + "\n")
    d = out / "ad01"
    d.mkdir(parents=True, exist_ok=True)
    rows = []
    for i in range(max(ad_files, MIN_FILES)):
        label = i % 2
        frames = rng.normal(-20.0, 4.0, (ad_frames, AD_FRAME)).astype("<f4")
        if label:
            frames += rng.normal(0.0, 15.0, frames.shape).astype("<f4")
        name = f"{'anomaly' if label else 'normal'}_id_01_{i:08d}_hist.bin"
        (d / name).write_bytes(frames.tobytes())
        rows.append(f"{name},2,{label},{AD_WINDOW * AD_FRAME * 4},{AD_FRAME * 4}")
    (d / "y_labels.csv").write_text("\n".join(rows) + "\n")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out", type=Path)
    ap.add_argument("--per-class", type=int, default=2)
    ap.add_argument("--ad-files", type=int, default=6)
    ap.add_argument("--ad-frames", type=int, default=8)
    args = ap.parse_args()
    write(args.out, args.per_class, args.ad_files, args.ad_frames)
    print(f"wrote {args.out}/{{kws01,vww01,ic01,ad01}}")


if __name__ == "__main__":
    main()
