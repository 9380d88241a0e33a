"""Past-tense messages that workers post back to the event loop."""

from __future__ import annotations

from textual.message import Message

from ..core.core import DownloadProgress, SaveProgress
from ..domain.models import RunSummary, SaveSummary, TagMapping


class WorkFailed(Message):
    """A worker met an error; the app's one error handler shows it."""

    def __init__(self, error: BaseException, doing: str = "") -> None:
        super().__init__()
        self.error = error
        self.doing = doing


class DownloadProgressed(Message):
    """The download moved on; a newer one replaces an older one still in the queue."""

    def __init__(self, progress: DownloadProgress) -> None:
        super().__init__()
        self.progress = progress

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, DownloadProgressed)


class ContactsDownloaded(Message):
    def __init__(self, summary: RunSummary) -> None:
        super().__init__()
        self.summary = summary


class DownloadCancelled(Message):
    """The operator cancelled the download; the previous staging is untouched."""


class DownloadFailed(Message):
    def __init__(self, error: BaseException) -> None:
        super().__init__()
        self.error = error


class SaveProgressed(Message):
    def __init__(self, progress: SaveProgress) -> None:
        super().__init__()
        self.progress = progress

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, SaveProgressed)


class ContactsSaved(Message):
    def __init__(self, summary: SaveSummary, kind_label: str) -> None:
        super().__init__()
        self.summary = summary
        self.kind_label = kind_label


class SaveFailed(Message):
    def __init__(self, error: BaseException) -> None:
        super().__init__()
        self.error = error


class TagsLoaded(Message):
    def __init__(self, tags: list[TagMapping]) -> None:
        super().__init__()
        self.tags = tags


class TagMapped(Message):
    def __init__(self, tag: TagMapping) -> None:
        super().__init__()
        self.tag = tag


class SettingsSaved(Message):
    """A setting was saved; `error` is set when the core refused it."""

    def __init__(self, error: BaseException | None = None) -> None:
        super().__init__()
        self.error = error


class RowTypesChanged(Message):
    """Rows of the grid changed type (from a key or a bulk save)."""

    def __init__(self, party_ids: list[int] | None = None) -> None:
        super().__init__()
        self.party_ids = party_ids
