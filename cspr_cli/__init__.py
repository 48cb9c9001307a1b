"""The commands of ``cspr``, one module per area; ``cli.py`` loads them lazily."""
