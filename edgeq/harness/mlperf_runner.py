"""``edgeq mlperf-runner``: run the MLCommons MLPerf Tiny runner, unmodified, against a
board that ``edgeq serve`` keeps behind a pty.

The runner (mlcommons/tiny ``benchmark/runner/main.py``) finds its device under test by
USB vendor and product id among pyserial's ``list_ports.comports()``: a pty has none, so it
never sees a served board. This module starts the runner in a child Python whose
``comports()`` also lists the served port, with the USB ids of the ``dut`` entry of the
runner's own device list (``-d/--device_list``, default ``devices.yaml``), and then runs
``main.py`` as ``python main.py ARGS`` would, in the runner's directory. Nothing else
changes: the runner's files are read as they are, and nothing of them is kept here.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

from edgeq.errors import MissingToolError, TargetError, UsageError

# what the runner imports beyond the standard library (its README: plus libusb)
REQUIREMENTS = {"yaml": "pyyaml", "numpy": "numpy", "sklearn": "scikit-learn", "matplotlib": "matplotlib",
                "serial": "pyserial", "usb": "pyusb"}

# Runs in the child: put the served port among the serial ports, then main.py as __main__.
_BOOTSTRAP = r"""
import os, runpy, sys
import serial.tools.list_ports as list_ports
from serial.tools.list_ports_common import ListPortInfo

port, vid, pid = os.environ["EDGEQ_DUT_PORT"], int(os.environ["EDGEQ_DUT_VID"]), int(os.environ["EDGEQ_DUT_PID"])
_comports = list_ports.comports

def comports(include_links=False):
    info = ListPortInfo(port, skip_link_detection=True)
    info.vid, info.pid = vid, pid
    info.description = "edgeq serve (emulated board)"
    info.hwid = "USB VID:PID=%04X:%04X edgeq serve" % (vid, pid)
    return [p for p in _comports(include_links) if p.device != port] + [info]

list_ports.comports = comports
sys.argv = ["main.py"] + sys.argv[1:]
sys.path.insert(0, os.getcwd())
runpy.run_path("main.py", run_name="__main__")
"""


def check_runner(runner_dir: Path) -> Path:
    main = runner_dir / "main.py"
    if not main.is_file():
        raise UsageError(f"{runner_dir}: no main.py here; give the runner's directory, "
                         f"benchmark/runner in a checkout of mlcommons/tiny")
    return main


def missing_packages() -> list[str]:
    import importlib.util

    return [pip for mod, pip in REQUIREMENTS.items() if importlib.util.find_spec(mod) is None]


def check_libusb() -> None:
    """The runner scans USB devices through pyusb: libusb must load."""
    import usb.backend.libusb1

    if usb.backend.libusb1.get_backend() is None:
        raise MissingToolError("the runner needs libusb (it scans USB devices through pyusb): "
                               "sudo apt-get install -y libusb-1.0-0")


def dut_usb_ids(runner_dir: Path, args: list[str]) -> tuple[int, int, str]:
    """The USB vendor and product id of the ``dut`` entry of the device list the runner will
    read (``-d/--device_list`` in ``args``, else ``devices.yaml``), and its name."""
    import yaml

    parser = argparse.ArgumentParser(add_help=False)
    parser.add_argument("-d", "--device_list", default="devices.yaml")
    parser.add_argument("-y", "--device_yaml")
    known, _ = parser.parse_known_args(args)
    if known.device_yaml:
        devices = yaml.safe_load(known.device_yaml)
        where = "--device_yaml"
    else:
        path = runner_dir / known.device_list
        if not path.is_file():
            raise UsageError(f"the runner's device list {path} does not exist (give -d FILE among the runner's arguments)")
        devices = yaml.safe_load(path.read_text())
        where = str(path)
    duts = [d for d in devices or [] if isinstance(d, dict) and d.get("type") == "dut"]
    for d in reversed(duts):  # the runner uses the last dut listed
        for vid, pids in (d.get("usb") or {}).items():
            pid = pids[0] if isinstance(pids, list) else pids
            return int(vid), int(pid), str(d.get("name", "dut"))
    raise UsageError(f"{where} lists no device of type dut with usb ids: the runner would not look for one")


def run(runner_dir: str | Path, args: list[str], *, port: str | Path = "edgeq-dut", timeout: float | None = None) -> int:
    """Run ``main.py ARGS`` in ``runner_dir`` with the served ``port`` listed as the DUT's
    USB serial port; returns the runner's exit code."""
    runner_dir = Path(runner_dir).resolve()
    check_runner(runner_dir)
    port = Path(port).absolute()
    if not port.exists():
        raise UsageError(f"no served board at {port}: start `edgeq serve MODEL --target BOARD --model-id ID` first "
                         f"(or give --port)")
    missing = missing_packages()
    if missing:
        raise MissingToolError(f"the MLPerf Tiny runner needs {', '.join(missing)}: pip install {' '.join(missing)}")
    check_libusb()
    vid, pid, name = dut_usb_ids(runner_dir, args)
    env = {**os.environ, "EDGEQ_DUT_PORT": str(port), "EDGEQ_DUT_VID": str(vid), "EDGEQ_DUT_PID": str(pid)}
    proc = subprocess.Popen([sys.executable, "-c", _BOOTSTRAP, *args], cwd=runner_dir, env=env)
    try:
        return proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
        raise TargetError(f"the runner did not finish within {timeout:g} s") from None
    except KeyboardInterrupt:
        proc.terminate()
        proc.wait()
        raise
