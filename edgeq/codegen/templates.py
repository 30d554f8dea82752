"""The firmware template tree and one Jinja2 environment for every code generator.

Templates are whole files under ``firmware_templates/`` (shipped in the wheel as
``edgeq.firmware_templates``), rendered with ``StrictUndefined`` so a missing value is an
error, never an empty string in generated C.
"""

from __future__ import annotations

import functools
from importlib import resources
from pathlib import Path
from typing import Any, Mapping


def templates_dir() -> Path:
    """The ``firmware_templates`` folder (a checkout, an editable or a wheel install)."""
    return Path(str(resources.files("edgeq.firmware_templates")))


@functools.lru_cache(maxsize=1)
def environment():
    """The shared Jinja2 environment rooted at :func:`templates_dir`."""
    from jinja2 import Environment, FileSystemLoader, StrictUndefined

    return Environment(
        loader=FileSystemLoader(str(templates_dir())),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        autoescape=False,
    )


def render(template: str, context: Mapping[str, Any]) -> str:
    """Render ``template`` (a path relative to ``firmware_templates/``) with ``context``."""
    return environment().get_template(template).render(**context)
