"""The native runtime's code generator: ``planner`` (static memory plan) and ``emit``
(C sources). Entry points: :func:`export` and :func:`generate`."""

from __future__ import annotations

from pathlib import Path


def generate(model_path: str | Path, **kw):
    """Read a .tflite and generate its edgeq-micro sources (:class:`emit.NativeSources`)."""
    from edgeq.codegen.native.emit import generate as _generate
    from edgeq.model.reader import read_model

    return _generate(read_model(model_path), **kw)


def export(model_path: str | Path, out_dir: str | Path, **kw):
    """Write the edgeq-micro sources of a .tflite into ``out_dir``; returns the sources."""
    sources = generate(model_path, **kw)
    sources.write(out_dir)
    return sources
