"""Errors a user can act on.

Every EdgeqError carries one line that names what to fix; the CLI prints it and exits 1.
Library code raises these instead of letting TensorFlow/flatbuffer/compiler exceptions escape.
"""


class EdgeqError(Exception):
    """Base class: ``str(err)`` is a one-line message naming what to fix."""

    def __init__(self, message: str):
        # One line, always: the CLI contract promises a single line on stderr.
        super().__init__(" ".join(str(message).split()))


class InputFileError(EdgeqError):
    """A file given by the user is missing, unreadable, or of the wrong kind."""


class MalformedModelError(InputFileError):
    """A .tflite (or Keras model) file that cannot be parsed or fails validation."""


class DataError(InputFileError):
    """An .npz data file is missing arrays or has shapes/types that do not fit the model."""


class NotFullyIntegerError(EdgeqError):
    """Conversion left float ops in a model that was asked to be fully integer."""


class UnsupportedOpError(EdgeqError):
    """The model holds ops the chosen runtime cannot run."""


class MissingToolError(EdgeqError):
    """An external tool (compiler, emulator, data package) is not installed."""


class ModelTooBigError(EdgeqError):
    """The model does not fit the target's flash or RAM."""


class TargetError(EdgeqError):
    """Unknown target, or a run on the target failed (fault, timeout, protocol error)."""


class UsageError(EdgeqError):
    """Options that cannot be used together (the CLI exits 2, as for any usage error)."""
