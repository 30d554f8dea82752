"""`edgeq export --runtime tflm`: byte-exact aligned arrays, exact resolver, measured arena."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from conftest import FIXTURES, ROOT, need
from edgeq.codegen import tflm
from edgeq.errors import UnsupportedOpError
from edgeq.model.arena import measure_tflm_arena
from edgeq.model.ir import Model, Operator, Subgraph, Tensor
from edgeq.model.reader import read_model

MODELS = sorted(
    [*FIXTURES.glob("*/*.tflite"), *FIXTURES.glob("*/models/*.tflite"), *(ROOT / "tests" / "models").glob("*.tflite")]
)

# Prints the array to stdout and fails if it is not 16-byte aligned.
DUMP_MAIN = r"""
#include <stdio.h>
#include <stdint.h>
#include "{name}_model_data.h"
int main(void) {{
  if (((uintptr_t)g_{name}_model_data) % 16 != 0) return 3;
  return fwrite(g_{name}_model_data, 1, g_{name}_model_data_len, stdout) == g_{name}_model_data_len ? 0 : 4;
}}
"""


@pytest.fixture(scope="module", params=MODELS, ids=lambda p: p.stem)
def exported(request, tmp_path_factory):
    out = tmp_path_factory.mktemp(request.param.stem)
    result = tflm.export_tflm(request.param, out)
    return request.param, out, result


def test_array_round_trips_in_cpp_and_c(exported, tmp_path):
    path, out, result = exported
    name = result.name
    (tmp_path / "dump.c").write_text(DUMP_MAIN.format(name=name))
    for lang, compiler in (("c++", "g++"), ("c", "gcc")):
        need("host-cc", shutil.which(compiler) is not None, f"{compiler} not installed")
        exe = tmp_path / f"dump_{lang.replace('+', 'p')}"
        subprocess.run(
            [compiler, "-x", lang, "-std=" + ("c++17" if lang == "c++" else "c11"), "-Wall", "-Wextra", "-Werror",
             "-I", str(out), str(out / f"{name}_model_data.cc"), "-x", lang, str(tmp_path / "dump.c"), "-o", str(exe)],
            check=True, capture_output=True,
        )
        dumped = subprocess.run([str(exe)], check=True, capture_output=True).stdout
        assert dumped == path.read_bytes()


def test_resolver_has_exactly_the_models_ops(exported):
    path, out, result = exported
    text = (out / f"{result.name}_op_resolver.h").read_text()
    methods = re.findall(r"r\.(Add\w+)\(\)", text)
    model = read_model(path)
    want = {tflm.tflm_add_method(op) for sg in model.subgraphs for op in sg.operators}
    assert sorted(methods) == sorted(want) and len(methods) == len(set(methods))
    n = int(re.search(r"MicroMutableOpResolver<(\d+)>", text).group(1))
    assert n == len(want)


def test_arena_is_measured_total_plus_bounded_margin(exported):
    path, out, result = exported
    measured = measure_tflm_arena(path.read_bytes()).total_bytes
    text = (out / f"{result.name}_arena.h").read_text()
    value = int(re.search(rf"constexpr size_t {result.name}_arena_size = (\d+);", text).group(1))
    assert value == result.arena_size and value % 16 == 0
    assert measured <= value <= 1.5 * measured, (measured, value)
    assert str(measured) in text  # the header says what was measured


def test_section_and_name_options(tmp_path):
    model = FIXTURES / "hello_world" / "models" / "hello_world_int8.tflite"
    result = tflm.export_tflm(model, tmp_path, name="3-sine model", section=".rodata.model")
    assert result.name == "m_3_sine_model"
    cc = (tmp_path / "m_3_sine_model_model_data.cc").read_text()
    assert '__attribute__((section(".rodata.model")))' in cc
    assert "g_m_3_sine_model_model_data[]" in cc
    with pytest.raises(Exception, match="section"):
        tflm.export_tflm(model, tmp_path / "x", section="bad name;")


def test_custom_op_without_tflm_kernel_is_named():
    t = Tensor(index=0, name="t", shape=(1,), dtype="INT8")
    sg = Subgraph("main", (t,), (Operator(0, "CUSTOM", 1, (0,), (0,), custom_code="MyFancyOp"),), (0,), (0,))
    with pytest.raises(UnsupportedOpError, match=r"MyFancyOp \(subgraph 0 op 0\)"):
        tflm.resolver_ops(Model(3, "", (sg,), 0))


@pytest.mark.tflm
def test_generated_files_compile_against_tflm(tmp_path):
    tflm_dir = os.environ.get("EDGEQ_TFLM_DIR")
    need("tflm", bool(tflm_dir) and Path(tflm_dir or "/nonexistent").is_dir(), "EDGEQ_TFLM_DIR is not set to a TFLM source tree")
    model = FIXTURES / "person_detection" / "person_detect.tflite"
    result = tflm.export_tflm(model, tmp_path)
    main = tmp_path / "use.cc"
    main.write_text(
        f'#include "{result.name}_op_resolver.h"\n#include "{result.name}_arena.h"\n'
        f"int main() {{ static {result.name}_op_resolver_t r; return {result.name}_register_ops(r) == kTfLiteOk && {result.name}_arena_size > 0 ? 0 : 1; }}\n"
    )
    incs = [tflm_dir, *[str(p) for p in Path(tflm_dir).glob("tensorflow/lite/micro/tools/make/downloads/*/include")],
            *[str(p) for p in Path(tflm_dir).glob("tensorflow/lite/micro/tools/make/downloads/gemmlowp")]]
    subprocess.run(["g++", "-std=c++17", "-fsyntax-only", *[f"-I{i}" for i in incs], "-I", str(tmp_path), str(main)],
                   check=True, capture_output=True)
