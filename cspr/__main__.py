"""``python -m cspr``: the same as the ``cspr`` command."""

from cspr.cli.entry import main

if __name__ == "__main__":
    main()
