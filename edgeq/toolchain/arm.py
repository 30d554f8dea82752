"""The Arm GNU toolchain: discovery, firmware compile + link, and size breakdown.

A firmware is the generated model (``edgeq_model.*`` and its kernels), the app
(``firmware_templates/app/main.c.j2``: the device protocol) and the board support
(``firmware_templates/boards/<family>/``), compiled with the board's flags in one
``arm-none-eabi-gcc`` call and linked with ``--gc-sections`` and a map file. Builds are
cached under ``$EDGEQ_CACHE/arm/<hash>/`` (hash of every source byte, the flags and the
compiler), so the same model never compiles twice.

Size figures come from ``arm-none-eabi-size -A`` (one line a section) and the map file
(bytes of code per object, for the breakdown): flash = code + weights + rodata (+ the
.data initializers), RAM = arena + stack + other data/bss.
"""

from __future__ import annotations

import logging
import re
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Mapping

from edgeq.errors import MissingToolError, ModelTooBigError, TargetError
from edgeq.toolchain.buildcache import cached_build, content_key

log = logging.getLogger(__name__)

APT_HINT = "sudo apt-get install -y gcc-arm-none-eabi libnewlib-arm-none-eabi"
CFLAGS = ("-std=gnu11", "-O2", "-g", "-Wall", "-Wextra", "-ffunction-sections", "-fdata-sections",
          "-fno-common")
LDFLAGS = ("-nostartfiles", "--specs=nano.specs", "--specs=nosys.specs", "-Wl,--gc-sections")
LIBS = ("-lm",)
# C++ sources (the TFLM application): the flags TFLite Micro itself is built with.
CXXFLAGS = ("-std=c++17", "-O2", "-g", "-fno-rtti", "-fno-exceptions", "-fno-threadsafe-statics",
            "-fno-use-cxa-atexit", "-ffunction-sections", "-fdata-sections")
BUILD_SCHEME = "2"  # bump when the build steps change: invalidates cached firmware

# Output sections by role (the board linker scripts name them so).
FLASH_CODE = (".isr_vector", ".text", ".ARM.extab", ".ARM.exidx")
FLASH_WEIGHTS = (".weights",)
FLASH_RODATA = (".rodata",)
RAM_ARENA = (".arena",)
RAM_STACK = (".stack",)
RAM_OTHER = (".data", ".bss", ".noinit")


def find_tool(name: str) -> str | None:
    """Path of ``arm-none-eabi-<name>`` on PATH, or None."""
    return shutil.which(f"arm-none-eabi-{name}")


def missing_reason() -> str | None:
    """None when the Arm toolchain (gcc with newlib, size, nm) is usable, else why not."""
    for tool in ("gcc", "size", "nm"):
        if find_tool(tool) is None:
            return f"arm-none-eabi-{tool} not found: {APT_HINT}"
    gcc = find_tool("gcc")
    try:
        libc = subprocess.run([gcc, "-mthumb", "-mcpu=cortex-m4", "--specs=nano.specs",
                               "-print-file-name=libc_nano.a"], capture_output=True, text=True,
                              check=True, timeout=30).stdout.strip()
    except (subprocess.SubprocessError, OSError) as exc:
        return f"arm-none-eabi-gcc does not run ({type(exc).__name__}): {APT_HINT}"
    if not Path(libc).is_file():
        return f"newlib for arm-none-eabi not found: {APT_HINT}"
    return None


def require() -> None:
    """Raise MissingToolError (one line with the apt command) when the toolchain is missing."""
    reason = missing_reason()
    if reason:
        raise MissingToolError(reason)


# ---- size parsing ---------------------------------------------------------------------


@dataclass(frozen=True)
class Section:
    name: str
    size: int
    addr: int


def parse_size_a(text: str) -> list[Section]:
    """Parse ``arm-none-eabi-size -A`` output: a header, ``name size addr`` lines, a Total."""
    out = []
    for line in text.splitlines():
        parts = line.split()
        if len(parts) != 3 or parts[0] in ("section", "Total"):
            continue
        name, size, addr = parts
        if not (size.isdigit() and addr.isdigit()):
            continue
        out.append(Section(name, int(size), int(addr)))
    return out


_MAP_INPUT = re.compile(r"^ (\.\S+)?\s*(0x[0-9a-f]+)\s+(0x[0-9a-f]+)\s+(\S.*)$")
_MAP_OUTPUT = re.compile(r"^(\.\S+)\s+(0x[0-9a-f]+)\s+(0x[0-9a-f]+)")


def parse_map(text: str) -> dict[str, dict[str, int]]:
    """Bytes each input object contributes to each output section, from a GNU ld map file:
    ``{output section: {object (archive members as lib.a(member.o)): bytes}}``."""
    result: dict[str, dict[str, int]] = {}
    lines = text.splitlines()
    try:
        start = next(i for i, ln in enumerate(lines) if ln.startswith("Linker script and memory map"))
    except StopIteration:
        return result
    current = None
    pending_name = None
    for line in lines[start + 1:]:
        if line.startswith("OUTPUT(") or line.startswith("Cross Reference"):
            break
        m = _MAP_OUTPUT.match(line)
        if m:
            current = m.group(1)
            continue
        if not line.startswith(" ") or current is None:
            if line and not line.startswith(" "):
                # an output section name alone on its line (long names wrap)
                name = line.split()[0]
                current = name if name.startswith(".") else current
            continue
        stripped = line.strip()
        if stripped.startswith(".") and len(stripped.split()) == 1:
            pending_name = stripped  # input section name wrapped onto its own line
            continue
        m = _MAP_INPUT.match(line)
        if m and (m.group(1) or pending_name):
            size = int(m.group(3), 16)
            obj = m.group(4).strip()
            if size and not obj.startswith("*") and "=" not in obj:
                obj = Path(obj.split("(")[0]).name + ("(" + obj.split("(", 1)[1] if "(" in obj else "")
                result.setdefault(current, {})
                result[current][obj] = result[current].get(obj, 0) + size
        pending_name = None
    return result


@dataclass(frozen=True)
class SizeReport:
    """Where the firmware's bytes go. flash = code + weights + rodata + data initializers;
    RAM = arena + stack + other (data, bss, noinit)."""

    flash_bytes: int
    ram_bytes: int
    code_bytes: int
    model_bytes: int  # weights and the kernels' constant parameters
    rodata_bytes: int
    data_bytes: int
    arena_bytes: int
    stack_bytes: int
    other_ram_bytes: int
    sections: tuple[Section, ...] = ()
    code_by_object: Mapping[str, int] = field(default_factory=dict)

    def as_dict(self) -> dict:
        return {k: getattr(self, k) for k in ("flash_bytes", "ram_bytes", "code_bytes", "model_bytes",
                                              "rodata_bytes", "data_bytes", "arena_bytes", "stack_bytes",
                                              "other_ram_bytes")}


def size_report(sections: list[Section], map_sections: Mapping[str, Mapping[str, int]] | None = None) -> SizeReport:
    """Classify the allocated sections of a linked firmware (see the module doc)."""
    by = {s.name: s.size for s in sections}

    def total(names) -> int:
        return sum(by.get(n, 0) for n in names)

    code = total(FLASH_CODE)
    weights = total(FLASH_WEIGHTS)
    rodata = total(FLASH_RODATA)
    data = total((".data",))
    arena = total(RAM_ARENA)
    stack = total(RAM_STACK)
    other = total(RAM_OTHER)
    known = set(FLASH_CODE + FLASH_WEIGHTS + FLASH_RODATA + RAM_ARENA + RAM_STACK + RAM_OTHER)
    extra = [s for s in sections if s.name not in known and s.addr != 0 and not s.name.startswith((".debug", ".comment"))]
    for s in extra:  # sections a newer board script adds: count them by address
        log.debug("unclassified section %s (%d B at 0x%x)", s.name, s.size, s.addr)
    by_obj: dict[str, int] = {}
    for sec in (".text",):
        for obj, n in (map_sections or {}).get(sec, {}).items():
            by_obj[obj] = by_obj.get(obj, 0) + n
    return SizeReport(
        flash_bytes=code + weights + rodata + data,
        ram_bytes=arena + stack + other,
        code_bytes=code,
        model_bytes=weights,
        rodata_bytes=rodata,
        data_bytes=data,
        arena_bytes=arena,
        stack_bytes=stack,
        other_ram_bytes=other,
        sections=tuple(sections),
        code_by_object=dict(sorted(by_obj.items(), key=lambda kv: -kv[1])),
    )


def read_symbols(elf: Path) -> dict[str, int]:
    """Global and local symbol addresses of an ELF (``arm-none-eabi-nm``), Thumb bit kept."""
    nm = find_tool("nm")
    if nm is None:
        raise MissingToolError(f"arm-none-eabi-nm not found: {APT_HINT}")
    text = subprocess.run([nm, str(elf)], capture_output=True, text=True, check=True).stdout
    syms: dict[str, int] = {}
    for line in text.splitlines():
        parts = line.split()
        if len(parts) == 3:
            syms.setdefault(parts[2], int(parts[0], 16))
    return syms


def disassemble(elf: Path, arch: str = "armv8.1-m.main") -> dict[int, tuple[str, str]]:
    """Every instruction of an ELF's code as binutils reads it (``arm-none-eabi-objdump -d``
    for ``arch``): address -> (mnemonic, operands), lower case, the width qualifier kept.
    The cycle model of an MVE core takes its instructions from here: the capstone inside
    QEMU 7.2, which the plugin's disassembly comes from, does not decode MVE."""
    objdump = find_tool("objdump")
    if objdump is None:
        raise MissingToolError(f"arm-none-eabi-objdump not found: {APT_HINT}")
    text = subprocess.run([objdump, "-d", "-m", arch, str(elf)], capture_output=True, text=True,
                          check=True).stdout
    out: dict[int, tuple[str, str]] = {}
    for line in text.splitlines():
        m = _OBJDUMP_LINE.match(line)
        if m:
            ops = m.group(4).split("@")[0].split(";")[0].strip()
            out[int(m.group(1), 16)] = (m.group(3).lower(), ops.lower())
    return out


_OBJDUMP_LINE = re.compile(r"^\s*([0-9a-f]+):\s+((?:[0-9a-f]{4}\s)+)\s*([a-z][\w.]*)\s*(.*)$")


# ---- firmware build -------------------------------------------------------------------


@dataclass(frozen=True)
class Firmware:
    """A linked firmware and what the runners and reports need from it."""

    elf: Path
    map_file: Path
    target: str
    size: SizeReport
    symbols: Mapping[str, int] = field(repr=False)
    arena_size: int = 0
    inputs: tuple = ()  # IOSpec of each input / output (edgeq.codegen.native.emit)
    outputs: tuple = ()
    diag: bool = False


def io_layout(specs) -> tuple[tuple[int, int], ...]:
    """``(offset, nbytes)`` of each input (or output) in the firmware's one I/O buffer: in
    order, each 16-byte aligned (one tensor: offset 0, no padding). The protocol's ``db``
    bytes, ``edgeq-out`` and the batch files use this layout."""
    out, off = [], 0
    for s in specs:
        off = (off + 15) // 16 * 16
        out.append((off, s.nbytes))
        off += s.nbytes
    return tuple(out)


def layout_bytes(layout) -> int:
    """Bytes of an I/O buffer laid out by :func:`io_layout` (at least 1)."""
    return max((o + n for o, n in layout), default=1) or 1


def firmware_sources(sources, target, *, diag: bool = False, model_id: str | None = None) -> dict[str, str]:
    """Every file of the firmware for ``sources`` (:class:`NativeSources`) on ``target``:
    the generated model, the rendered app and linker script, the board support.
    ``model_id``: what ``m-model-[...]`` answers (default: the model's file name); an MLPerf
    Tiny id also brings that benchmark's input and result handling (:mod:`edgeq.harness.mlperf`)."""
    from edgeq.harness import mlperf
    from edgeq import __version__ as version
    from edgeq.codegen.templates import render

    from edgeq.codegen.native.emit import CTYPES
    from edgeq.ops._common import c_float

    def io(specs):
        out = []
        for (off, nbytes), s in zip(io_layout(specs), specs):
            out.append({"offset": off, "size": nbytes // s.numpy_dtype.itemsize, "nbytes": nbytes,
                        "ctype": CTYPES[s.dtype], "quantized": s.scale is not None,
                        "scale": c_float(s.scale) if s.scale is not None else "",
                        "zero_point": s.zero_point if s.zero_point is not None else 0})
        return out

    ins, outs = io(sources.inputs), io(sources.outputs)
    ctx = {"version": version, "board": target.name, "model_name": sources.model_name,
           "inputs": ins, "outputs": outs, "in_bytes": layout_bytes(io_layout(sources.inputs)),
           "out_bytes": layout_bytes(io_layout(sources.outputs)), "diag": diag,
           "runtime_name": sources.runtime_name, "has_init": sources.has_init,
           "profile": sources.profile, "model_id": sources.model_name,
           "dut": {"input": "raw", "result": "outputs"}}
    if model_id is not None:
        ctx["dut"] = mlperf.dut_profile(model_id, sources.inputs, sources.outputs)
        ctx["model_id"] = model_id
    files = dict(sources.files)
    files["main.c"] = render("app/main.c.j2", ctx)
    files.update(board_files(target))
    return files


def board_files(target) -> dict[str, str]:
    """The board support of ``target``'s family (with ``boards/common/``) and its rendered linker script: with a
    ``main.c`` (``int main(void)``, its return value the exit code) a complete program."""
    from edgeq.codegen.templates import render, templates_dir

    tdir = templates_dir()
    board_dir = tdir / "boards" / target.family
    if not board_dir.is_dir():
        raise TargetError(f"no board support for family {target.family!r} in {tdir / 'boards'}")
    files = {"board.ld": render(f"boards/{target.family}/{target.family}.ld.j2", {
        "board": target.name, "flash_origin": target.flash.origin, "flash_size": target.flash.size,
        "ram_origin": target.ram.origin, "ram_size": target.ram.size, "stack_size": target.stack_size})}
    for p in [*sorted((tdir / "boards" / "common").iterdir()), *sorted(board_dir.iterdir())]:
        if p.suffix in (".c", ".h"):  # what every family shares (semihosting), then its own
            files[p.name] = p.read_text()
    return files


def _overflow_message(stderr: str) -> str | None:
    m = re.search(r"region [`']?(\w+)'? overflowed by (\d+) bytes", stderr)
    return f"{m.group(1)} by {m.group(2)} bytes" if m else None


def _compile_link(files: Mapping[str, str], target, name: str, *, include_dirs=(), defines=(),
                  libraries=()) -> tuple[Path, Path, SizeReport]:
    """Compile and link ``files`` (C, C++, the linker script ``board.ld``) for ``target``,
    cached by content: the ELF, its map file and the size report."""
    gcc = find_tool("gcc")
    board_defs = [f"-D{k}={v}" for k, v in sorted(target.defines().items())]
    extra = [*(f"-I{d}" for d in include_dirs), *(f"-D{d}" for d in defines)]
    cmd_flags = [*target.cpu_flags, *CFLAGS, *board_defs]
    cxx_flags = [*target.cpu_flags, *CXXFLAGS, *board_defs]
    libs = [*libraries, *LIBS]
    # a rebuilt library must relink: its size and time are part of the key
    lib_stamps = [f"L{lib}:{Path(lib).stat().st_size}:{Path(lib).stat().st_mtime_ns}" for lib in libraries]
    key = content_key([BUILD_SCHEME, gcc, *cmd_flags, *cxx_flags, *extra, *LDFLAGS, *libs, *lib_stamps], files)

    def build(work: Path) -> None:
        cfiles = sorted(n for n in files if n.endswith(".c"))
        ccfiles = sorted(n for n in files if n.endswith(".cc"))
        log.info("compiling %d C and %d C++ files for %s", len(cfiles), len(ccfiles), target.name)
        # compile (one call a language, objects named after their sources for the map), then link
        proc = subprocess.run([gcc, *cmd_flags, "-I.", *extra, "-c", *cfiles], cwd=work, capture_output=True, text=True)
        if proc.returncode == 0 and ccfiles:
            gxx = find_tool("g++") or gcc
            proc = subprocess.run([gxx, *cxx_flags, "-I.", *extra, "-c", *ccfiles], cwd=work,
                                  capture_output=True, text=True)
        if proc.returncode == 0:
            warnings = proc.stderr
            linker = (find_tool("g++") or gcc) if ccfiles else gcc
            objects = [c.rsplit(".", 1)[0] + ".o" for c in (*cfiles, *ccfiles)]
            proc = subprocess.run([linker, *target.cpu_flags, *LDFLAGS, "-T", "board.ld", "-Wl,-Map=firmware.map",
                                   "-o", "firmware.elf", *objects, *libs],
                                  cwd=work, capture_output=True, text=True)
            proc.stderr = warnings + proc.stderr
        if proc.returncode != 0:
            over = _overflow_message(proc.stderr)
            if over:
                raise ModelTooBigError(f"{name} does not fit {target.name}: {over} "
                                       f"(flash {target.flash.size} B, RAM {target.ram.size} B)")
            log.debug("firmware build output:\n%s", proc.stderr)
            lines = proc.stderr.splitlines()
            first = next((ln for ln in lines if "error" in ln and not ln.startswith("collect2")),
                         next((ln for ln in lines if "undefined reference" in ln), proc.stderr.strip()[-300:]))
            raise TargetError(f"firmware build for {target.name} failed: {first}")
        if proc.stderr.strip():
            log.debug("arm-none-eabi-gcc warnings:\n%s", proc.stderr)

    final = cached_build("arm", key, files, "firmware.elf", build)
    elf, map_file = final / "firmware.elf", final / "firmware.map"
    size_text = subprocess.run([find_tool("size"), "-A", "-d", str(elf)], capture_output=True, text=True,
                               check=True).stdout
    report = size_report(parse_size_a(size_text), parse_map(map_file.read_text()))
    return elf, map_file, report


def build_program(files: Mapping[str, str], target, name: str) -> Firmware:
    """A bare program for ``target``: ``files`` (at least a ``main.c``) with the board
    support, compiled with the firmware's flags (cached). Used for microbenchmarks."""
    require()
    all_files = {**board_files(target), **files}
    elf, map_file, report = _compile_link(all_files, target, name)
    return Firmware(elf=elf, map_file=map_file, target=target.name, size=report, symbols=read_symbols(elf))


def build_firmware(sources, target, out_dir: str | Path | None = None, *, diag: bool = False,
                   flash_limit: int | None = None, ram_limit: int | None = None,
                   limit_name: str | None = None, model_id: str | None = None) -> Firmware:
    """Compile and link the firmware (cached); copy ``firmware.elf``/``.map`` and the
    sources into ``out_dir`` when given. ``flash_limit``/``ram_limit`` (bytes; default the
    board's) make a model that does not fit a ModelTooBigError before anything runs;
    ``limit_name`` (a part, e.g. "STM32L4R5ZI") is what the refusal names; ``model_id``: see
    :func:`firmware_sources`."""
    require()
    flash_limit = flash_limit or target.flash.size
    ram_limit = ram_limit or target.ram.size
    where = limit_name or target.name
    if sources.weight_bytes > flash_limit:
        raise ModelTooBigError(f"{sources.model_name}: weights alone take {sources.weight_bytes} B, "
                               f"more than the {flash_limit} B of flash on {where}")
    if sources.arena_size > ram_limit:
        raise ModelTooBigError(f"{sources.model_name}: the arena takes {sources.arena_size} B, "
                               f"more than the {ram_limit} B of RAM on {where}")
    files = firmware_sources(sources, target, diag=diag, model_id=model_id)
    elf, map_file, report = _compile_link(files, target, sources.model_name, include_dirs=sources.include_dirs,
                                          defines=sources.defines, libraries=sources.libraries)
    if report.flash_bytes > flash_limit or report.ram_bytes > ram_limit:
        raise ModelTooBigError(
            f"{sources.model_name} does not fit {where}: needs {report.flash_bytes} B flash "
            f"(limit {flash_limit}) and {report.ram_bytes} B RAM (limit {ram_limit})")
    if out_dir is not None:
        out = Path(out_dir)
        out.mkdir(parents=True, exist_ok=True)
        for name, text in files.items():
            (out / name).write_text(text)
        shutil.copyfile(elf, out / "firmware.elf")
        shutil.copyfile(map_file, out / "firmware.map")
        elf, map_file = out / "firmware.elf", out / "firmware.map"
    return Firmware(elf=elf, map_file=map_file, target=target.name, size=report,
                    symbols=read_symbols(elf), arena_size=sources.arena_size,
                    inputs=tuple(sources.inputs), outputs=tuple(sources.outputs), diag=diag)
