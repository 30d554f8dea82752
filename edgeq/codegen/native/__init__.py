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
    """Write the edgeq-micro sources of a .tflite into ``out_dir``, with a README (files,
    build flags, API, inputs and outputs) and an example ``main.c``; returns the sources
    (the generated files only)."""
    import dataclasses

    from edgeq.codegen.native.emit import header_context
    from edgeq.codegen.templates import render

    sources = generate(model_path, **kw)
    features = kw.get("features")
    ctx = {**header_context(sources.model_name, sources.arena_size, sources.inputs, sources.outputs,
                                 sources.state_bytes),
           "weight_bytes": sources.weight_bytes, "section": kw.get("section") or "",
           "features": sorted(features) if features else [],
           "kernels": "reference (TFLM's algorithms)" if features is None else
           f"fast, for a core with {', '.join(sorted(features))}" if features else "fast, portable C"}
    extra = {"README.md": render("codegen/export_README.md.j2", ctx),
             "example_main.c": render("codegen/example_main.c.j2", ctx)}
    dataclasses.replace(sources, files={**sources.files, **extra}).write(out_dir)
    return sources
