"""The static instruction estimate (edgeq.model.cost): its table and how it costs a graph.
(Its error against exact counts is printed by scripts/fit_cost_model.py; test_mixed checks
one estimate against the board.)"""

from __future__ import annotations

import dataclasses
import json

from edgeq.model import cost
from edgeq.model.macs import op_macs
from edgeq.model.reader import read_model


def test_the_table_is_complete_and_non_negative():
    doc = json.loads(cost.TABLE.read_text())
    assert doc["board"] == cost.board() == "mps2-an386" and doc["kernels"] == "fast"
    classes = doc["classes"]
    assert {"*:INT8", "*:INT16", "CONV_2D:INT8", "CONV_2D:INT16", "DEPTHWISE_CONV_2D:INT8",
            "FULLY_CONNECTED:INT8", "FULLY_CONNECTED:INT16", "QUANTIZE:INT16", "QUANTIZE:INT8"} <= set(classes)
    for key, coef in classes.items():
        assert len(coef) == 4 and all(c >= 0 for c in coef), key
    # per MAC, the int16 reference convolution costs more than the int8 fast one
    assert classes["CONV_2D:INT16"][0] > classes["CONV_2D:INT8"][0]


def test_estimate_of_a_model(fixtures_dir):
    path = fixtures_dir / "person_detection" / "person_detect.tflite"
    model = read_model(path.read_bytes())
    sg = model.subgraphs[0]
    total = cost.estimate_instructions(model)
    assert total == sum(cost.op_instructions(op, sg) for op in sg.operators) > 0
    conv = next(op for op in sg.operators if op.opcode == "CONV_2D")
    assert cost.op_work(conv, sg)[0] == op_macs(conv, sg) > 0
    assert cost.op_class(conv, sg) == "CONV_2D:INT8"
    # an op class the table does not have costs as the fallback of its output type
    odd = dataclasses.replace(conv, opcode="CUSTOM", custom_code="NOT_IN_TABLE")
    a, t, c, b = json.loads(cost.TABLE.read_text())["classes"]["*:INT8"]
    work, taps, outs = cost.op_work(odd, sg)
    assert cost.op_instructions(odd, sg) == round(a * work + t * taps + c * outs + b)
    # a convolution's taps: its MACs over its input depth
    depth = sg.tensors[conv.inputs[1]].shape[3]
    assert cost.op_work(conv, sg)[1] * depth == op_macs(conv, sg)
