"""C sources and Jinja templates that run on the MCU (runtime kernels, board support, apps).

A data package: edgeq reads these files with importlib.resources; nothing here is imported.
"""
