"""Run the ``cspr`` command from a checkout: ``python cli.py ARGS`` (the same as ``cspr ARGS``).

The command itself lives in ``cspr_cli/`` (installed as ``cspr.cli``).
"""

from cspr.cli.entry import main

if __name__ == "__main__":
    main()
