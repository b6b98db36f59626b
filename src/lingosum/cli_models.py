"""`lingosum models` and `lingosum doctor` (being written)."""

import typer


def register(app: typer.Typer) -> None:
    """Add the models group and doctor to ``app``."""
