"""Package list for setuptools (everything else is in pyproject.toml).

``firmware_templates/`` and ``datasets/`` sit at the top of the repository (DESIGN.md layout)
but ship as ``edgeq.firmware_templates`` and ``edgeq.datasets``; setuptools' automatic
discovery cannot see packages whose directory name differs from their import name, so
the list is built here.
"""

from setuptools import find_packages, setup

packages = find_packages(include=["edgeq", "edgeq.*"])
packages += ["edgeq.datasets"] + [f"edgeq.datasets.{p}" for p in find_packages("datasets")]
packages += ["edgeq.firmware_templates"]

setup(packages=packages)
