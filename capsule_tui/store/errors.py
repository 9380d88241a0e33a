"""Errors the store raises, each with a one-sentence title and a one-sentence hint."""

from __future__ import annotations

import errno
from pathlib import Path


class StoreError(Exception):
    """Base class: `title` says what happened, `hint` says what to do."""

    def __init__(self, title: str, hint: str) -> None:
        super().__init__(title, hint)
        self.title = title
        self.hint = hint

    def __str__(self) -> str:
        return f"{self.title} {self.hint}"


class DatabaseLockedError(StoreError):
    """Another Store (in this or another process) holds the database's lock file."""

    def __init__(self, path: Path, holder_pid: int | None = None) -> None:
        self.path = Path(path)
        self.holder_pid = holder_pid
        who = f" (process {holder_pid})" if holder_pid else ""
        super().__init__(
            f"The database {self.path} is in use by another capsule-tui{who}.",
            "Close the other capsule-tui, or use --db to open a different database file.",
        )


class DamagedDatabaseError(StoreError):
    """The file is not a readable capsule-tui database; it was left in place and copied."""

    def __init__(self, path: Path, copy_path: Path | None, reason: str) -> None:
        self.path = Path(path)
        self.copy_path = copy_path
        self.reason = reason
        kept = f" A copy was saved as {copy_path}." if copy_path else ""
        super().__init__(
            f"The database {self.path} is damaged and was not changed ({reason}).{kept}",
            f"Restore {self.path} from a backup, or move it away to start with a new database.",
        )


class NewerSchemaError(StoreError):
    """The file was written by a newer capsule-tui than this one."""

    def __init__(self, path: Path, found: object, supported: int) -> None:
        self.path = Path(path)
        self.found = found
        self.supported = supported
        super().__init__(
            f"The database {self.path} was made by a newer capsule-tui "
            f"(schema {found}; this version reads up to {supported}).",
            "Upgrade capsule-tui, or use --db to open a different database file.",
        )


class StoreAccessError(StoreError):
    """The database file, its folder or its lock file could not be opened or created."""

    def __init__(self, path: Path, error: OSError) -> None:
        self.path = Path(path)
        self.error = error
        reason = error.strerror or str(error)
        super().__init__(
            f"Could not open the database {self.path}: {reason}.",
            "Check the folder exists and is writable by you, or use --db for another file.",
        )


class StoreWriteError(StoreError):
    """Saving the database file failed; the data is still in memory and the file unchanged."""

    def __init__(self, path: Path, error: BaseException) -> None:
        self.path = Path(path)
        self.error = error
        code = getattr(error, "errno", None)
        if code == errno.ENOSPC or code == errno.EDQUOT:
            hint = ("The disk is full: free some space; changes are kept in memory and "
                    "saved again with the next change.")
        elif code in (errno.EACCES, errno.EPERM, errno.EROFS):
            hint = ("Make the folder writable by you; changes are kept in memory and "
                    "saved again with the next change.")
        else:
            hint = "Changes are kept in memory and saved again with the next change."
        reason = getattr(error, "strerror", None) or str(error) or type(error).__name__
        super().__init__(f"Could not save the database {self.path}: {reason}.", hint)


class StoreClosedError(StoreError):
    """The store was closed; nothing more can be saved through it."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        super().__init__(
            f"The database {self.path} is closed.",
            "Open it again before making changes.",
        )
