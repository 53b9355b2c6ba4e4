"""The `tipnet` command: Typer command groups that build core objects and render their results.

`commands.py` assembles the groups; `common.py` holds what every group shares (opening the store, the operator
principal, error exits); `render.py` is the only place that writes to the terminal. Importing one group (say
`tipnet.cli.release`) does not import the others.
"""

from __future__ import annotations

from typing import Any


def main() -> None:
    from tipnet.cli.commands import main as run

    run()


def __getattr__(name: str) -> Any:
    if name == "app":
        from tipnet.cli.commands import app

        return app
    raise AttributeError(name)
