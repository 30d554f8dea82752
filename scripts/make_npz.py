#!/usr/bin/env python3
"""Write one split of an offline dataset as an .npz for the edgeq CLI (x = inputs, y = labels).

    python scripts/make_npz.py digits -o digits_test.npz
    python scripts/make_npz.py fashion_mnist -o calib.npz --split train --limit 200
    python scripts/make_npz.py kws -o kws_test.npz --option num_coeffs=10

Exit codes: 0 written, 1 a problem to fix (the one-line message says what), 2 usage.
"""

from __future__ import annotations

import argparse
import ast
import logging
import sys


def _parse_option(text: str) -> tuple[str, object]:
    # KEY=VALUE; VALUE read as a Python literal when it is one (10, 0.5, "a", ("yes","no")).
    key, sep, value = text.partition("=")
    if not sep or not key:
        raise argparse.ArgumentTypeError(f"expected KEY=VALUE, got {text!r}")
    try:
        return key, ast.literal_eval(value)
    except (ValueError, SyntaxError):
        return key, value


def main(argv: list[str] | None = None) -> int:
    """Parse arguments, load the dataset, write the npz; returns the exit code."""
    try:
        from edgeq import datasets
        from edgeq.errors import EdgeqError
    except ImportError as err:
        print(f"error: cannot import edgeq.datasets ({err}); run `scripts/setup.sh` first", file=sys.stderr)
        return 1

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dataset", choices=datasets.names(), help="which dataset")
    parser.add_argument("-o", "--output", required=True, help="the .npz file to write")
    parser.add_argument("--split", choices=("test", "train"), default="test", help="which split (default: test)")
    parser.add_argument("--limit", type=int, default=None, metavar="N", help="keep only the first N samples")
    parser.add_argument(
        "--option", action="append", type=_parse_option, default=[], metavar="KEY=VALUE",
        help="a loader option, e.g. seed=1 or words=('yes','no') (repeatable)",
    )  # fmt: skip
    parser.add_argument("-v", "--verbose", action="store_true", help="log progress")
    args = parser.parse_args(argv)
    if args.limit is not None and args.limit < 1:
        parser.error("--limit must be at least 1")
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING, format="%(message)s")

    try:
        ds = datasets.load(args.dataset, **dict(args.option))
        path = datasets.save_npz(ds, args.output, split=args.split, limit=args.limit)
    except EdgeqError as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    except OSError as err:
        print(f"error: cannot write {args.output}: {err.strerror}", file=sys.stderr)
        return 1
    x, y = ds.split(args.split)
    n = len(y) if args.limit is None else min(args.limit, len(y))
    print(f"{path}: {n} samples, x {(n, *x.shape[1:])} float32, y int64 ({len(ds.class_names)} classes)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
