"""8-bit grayscale BMP images as arrays: the TFLite Micro person_detection example's test
images (``person_detection/testdata/*.bmp`` in the fixtures) and any image of that kind."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from edgeq.errors import DataError

PERSON_IMAGES = (("person.bmp", 1), ("no_person.bmp", 0))  # file, label (1: a person)


def read_bmp_gray(path: str | Path) -> np.ndarray:
    """An uncompressed 8-bit BMP's pixel indices as (H, W) uint8, top row first (rows are
    stored bottom-up unless the height is negative, each padded to 4 bytes)."""
    path = Path(path)
    raw = path.read_bytes()
    if len(raw) < 54 or raw[:2] != b"BM":
        raise DataError(f"{path}: not a BMP file")
    offset = int.from_bytes(raw[10:14], "little")
    width = int.from_bytes(raw[18:22], "little", signed=True)
    height = int.from_bytes(raw[22:26], "little", signed=True)
    bits = int.from_bytes(raw[28:30], "little")
    compression = int.from_bytes(raw[30:34], "little")
    if bits != 8 or compression != 0 or width <= 0 or height == 0:
        raise DataError(f"{path}: need an uncompressed 8-bit BMP, got {bits}-bit, compression {compression}")
    stride = (width + 3) // 4 * 4
    rows = abs(height)
    if offset + stride * rows > len(raw):
        raise DataError(f"{path}: truncated ({len(raw)} bytes, the pixels need {offset + stride * rows})")
    px = np.frombuffer(raw, np.uint8, stride * rows, offset).reshape(rows, stride)[:, :width]
    return np.ascontiguousarray(px[::-1] if height > 0 else px)


def person_detection_inputs(testdata: str | Path) -> tuple[np.ndarray, np.ndarray]:
    """The example's two test images as person_detect's int8 input (2, 96, 96, 1) — the
    pixel bytes as the example feeds them — and their labels (1: person, 0: no person)."""
    x = np.stack([read_bmp_gray(Path(testdata) / name).view(np.int8)[..., None] for name, _ in PERSON_IMAGES])
    return x, np.array([label for _, label in PERSON_IMAGES], dtype=np.int64)
