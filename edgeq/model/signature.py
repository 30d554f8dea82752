"""A model's input and output names, from its signature (``SignatureDef``), and the order of
its inputs and outputs.

The TFLite converter keeps the SavedModel's signature keys as names, but orders the main
graph's inputs and outputs its own way (two-output Keras models came out as [reg, cls]).
``edgeq quantize`` names the signature after the Keras inputs and outputs and then puts the
graph's inputs and outputs back in Keras' order with :func:`reorder_io`, a permutation of two
int32 vectors written in place: no other byte of the flatbuffer moves.
"""

from __future__ import annotations

import struct
from typing import Sequence

from tflite_micro.tensorflow.lite.micro.python import schema_py_generated as schema

_SG_INPUTS, _SG_OUTPUTS = 6, 8  # vtable offsets of SubGraph.inputs / SubGraph.outputs


def _signature_maps(model) -> tuple[dict[int, str], dict[int, str]]:
    """tensor index -> signature key, for the main graph's inputs and outputs."""
    for i in range(model.SignatureDefsLength()):
        sig = model.SignatureDefs(i)
        if sig is None or sig.SubgraphIndex() != 0:
            continue
        ins = {sig.Inputs(k).TensorIndex(): sig.Inputs(k).Name().decode() for k in range(sig.InputsLength())}
        outs = {sig.Outputs(k).TensorIndex(): sig.Outputs(k).Name().decode() for k in range(sig.OutputsLength())}
        return ins, outs
    return {}, {}


def io_names(buf: bytes) -> tuple[list[str], list[str]]:
    """The main graph's input and output names in graph order ("" where the signature has none)."""
    model = schema.Model.GetRootAs(buf, 0)
    sg = model.Subgraphs(0)
    ins, outs = _signature_maps(model)
    return ([ins.get(sg.Inputs(k), "") for k in range(sg.InputsLength())],
            [outs.get(sg.Outputs(k), "") for k in range(sg.OutputsLength())])


def reorder_io(buf: bytes, inputs: Sequence[str], outputs: Sequence[str]) -> bytes:
    """``buf`` with the main graph's inputs and outputs in the order of the given signature
    names; unchanged where the names do not all match the signature's."""
    data = bytearray(buf)
    model = schema.Model.GetRootAs(data, 0)
    sg = model.Subgraphs(0)
    ins, outs = _signature_maps(model)
    for field, length, names, keys in ((_SG_INPUTS, sg.InputsLength(), inputs, ins),
                                       (_SG_OUTPUTS, sg.OutputsLength(), outputs, outs)):
        by_name = {v: k for k, v in keys.items()}
        if length != len(names) or set(names) != set(by_name) or len(by_name) != length:
            continue
        start = sg._tab.Vector(sg._tab.Offset(field))
        current = [struct.unpack_from("<i", data, start + 4 * k)[0] for k in range(length)]
        if sorted(current) != sorted(by_name[n] for n in names):
            continue
        for k, n in enumerate(names):
            struct.pack_into("<i", data, start + 4 * k, by_name[n])
    return bytes(data)
