"""cspr: statutory case reviews run from a versioned, declarative process definition.

Installed, everything lives under this one package name; in the repository the
parts sit at the top level and ``pyproject.toml`` maps them here:

* ``cspr.engine`` (``engine/``): the generic engine, in layers (see ARCHITECTURE.md);
* ``cspr.cli`` (``cspr_cli/``): the ``cspr`` command, a thin click layer;
* ``cspr.schemas``, ``cspr.processes``, ``cspr.scenarios``: the shipped data.

``python -m cspr`` runs the command.
"""
