"""`lingosum batch` (being written)."""

import typer


def register(app: typer.Typer) -> None:
    """Add the batch command to ``app``."""
