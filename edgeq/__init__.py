"""edgeq: Keras model -> measured int8 model on an Arm Cortex-M target.

Public API (heavy modules are imported lazily so that `edgeq inspect` never loads TensorFlow):
``quantize()``, ``export()``, ``build()``, ``bench()`` and the ``edgeq.qat`` module.
"""

__version__ = "0.1.0"

__all__ = ["quantize", "build", "bench", "qat", "read_model", "__version__"]


def __getattr__(name):
    if name == "quantize":
        from edgeq.ptq import quantize

        return quantize
    if name in ("build", "bench"):
        from edgeq.harness import measure

        return getattr(measure, name)
    if name == "qat":
        import importlib

        return importlib.import_module("edgeq.qat")
    if name == "read_model":
        from edgeq.model.reader import read_model

        return read_model
    raise AttributeError(f"module 'edgeq' has no attribute {name!r}")
