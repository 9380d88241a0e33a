"""Errors the operator can meet, each with a title (what happened) and a hint (what to do)."""

from __future__ import annotations

from pydantic import ValidationError


class AppError(Exception):
    """A failure the UI shows and the CLI prints; never a traceback."""

    def __init__(self, title: str, hint: str = "") -> None:
        super().__init__(f"{title} {hint}".strip())
        self.title = title
        self.hint = hint


class SiteNotFound(AppError):
    def __init__(self, name: str) -> None:
        super().__init__(f"No site named '{name}' is connected.",
                         "List the connected sites with `capsule-tui sites`, or connect it first.")


def describe(exc: BaseException) -> tuple[str, str]:
    """The (title, hint) of any error the app knows; a plain fallback for the rest."""
    if isinstance(exc, ValidationError):  # (first: it has a `title` of its own)
        where = ".".join(str(p) for p in exc.errors()[0]["loc"]) if exc.errors() else ""
        return (f"The database holds a {exc.title} the app cannot read"
                + (f" (at {where})." if where else "."),
                "Undo the hand edit, or restore a backup of the database file.")
    title = getattr(exc, "title", None)
    if isinstance(title, str):
        return title, getattr(exc, "hint", "") or ""
    return (f"Unexpected error: {type(exc).__name__}: {exc}",
            "Nothing was lost; try again, and report this if it keeps happening.")
