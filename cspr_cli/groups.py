"""Command groups: subcommands imported on first use, listed in help by their own summaries.

A command's summary is the first paragraph of its docstring, written once
there: a full sentence, listed whole (wrapped to the terminal, never cut with
"..."). Command modules import only click and the standard library at the top
(the engine inside each function), so ``cspr --help`` can import them all to
read their summaries and still answer at once.
"""

from __future__ import annotations

import importlib
from typing import Any

import click


def summary(command: click.Command) -> str:
    """The command's one-line help: its ``short_help``, else the first paragraph of its help, whole."""
    text = command.short_help or (command.help or "").split("\n\n")[0]
    return " ".join(text.split())


class LazyGroup(click.Group):
    """A group whose subcommands named in ``lazy`` ("module:attribute") are imported only when needed."""

    def __init__(self, *args: Any, lazy: dict[str, str] | None = None, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.lazy = dict(lazy or {})

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(set(super().list_commands(ctx)) | set(self.lazy))

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name in self.lazy:
            module, _, attribute = self.lazy[name].partition(":")
            command: click.Command = getattr(importlib.import_module(module), attribute)
            return command
        return super().get_command(ctx, name)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """Each command with its whole summary (click's own list cuts them to fit one line)."""
        rows = []
        for name in self.list_commands(ctx):
            command = self.get_command(ctx, name)
            if command is not None and not command.hidden:
                rows.append((name, summary(command)))
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)
