"""The ``cspr`` command's entry point (``[project.scripts]``, ``python -m cspr``, ``python cli.py``).

The application is :mod:`cspr.cli.app`; its help, ``cspr --help`` included, is
click's, made from each command's own docstring.
"""

from __future__ import annotations


def main() -> None:
    from cspr.cli.app import main as run

    run()


if __name__ == "__main__":  # pragma: no cover
    main()
