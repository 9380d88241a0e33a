"""SiteScreen: one site's Setup and Contacts tabs, and its long jobs (download, bulk save)."""

from __future__ import annotations

import threading

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import Footer, TabbedContent, TabPane

from ...capsule.errors import DownloadCancelled as CapsuleDownloadCancelled
from ...domain.models import ContactType, RunSummary
from ..dialogs.confirm import ConfirmModal
from ..messages import (
    ContactsDownloaded,
    ContactsSaved,
    DownloadCancelled,
    DownloadFailed,
    DownloadProgressed,
    SaveFailed,
    SaveProgressed,
)
from ..text import number
from ..widgets.contacts_grid import ContactsGrid
from ..widgets.contacts_pane import ContactsPane
from ..widgets.progress_panel import ProgressPanel
from ..widgets.setup_pane import SetupPane
from ..widgets.title_bar import TitleBar

KEEP_NOTE = "esc cancels · the previous staged contacts are kept"
PLURAL = {ContactType.CUSTOMER: "Customers", ContactType.SUPPLIER: "Suppliers"}


def summary_text(summary: RunSummary) -> str:
    skipped = sum(summary.skipped.values())
    return (f"{number(summary.staged)} staged · {number(summary.created)} created · "
            f"{number(summary.updated)} updated · {number(summary.not_defined)} not defined · "
            f"{number(skipped)} skipped")


class SiteScreen(Screen):
    """Tabs Setup (1) and Contacts (2); d downloads, r refreshes, escape goes back."""

    DEFAULT_CSS = """
    SiteScreen TabbedContent { height: 1fr; }
    SiteScreen TabbedContent > ContentSwitcher { height: 1fr; }
    SiteScreen TabPane { padding: 0; height: 1fr; }
    """

    BINDINGS = [
        Binding("1", "show_tab('setup')", "Setup", id="site.setup", show=False),
        Binding("2", "show_tab('contacts')", "Contacts", id="site.contacts", show=False),
        Binding("d", "download", "Download", id="site.download",
                tooltip="Download contacts from Capsule"),
        Binding("r", "refresh", "Refresh", id="site.refresh", show=False,
                tooltip="Reload the grid (no Capsule call)"),
        Binding("escape", "cancel_work", "Cancel", id="site.cancel",
                tooltip="Cancel the download"),
        Binding("escape", "back", "Back", id="site.back", tooltip="Back to the sites"),
    ]

    def __init__(self, site: str) -> None:
        super().__init__()
        self.site = site
        self._cancel: threading.Event | None = None
        self._job = ""  # "", "download" or "save"

    def compose(self) -> ComposeResult:
        site = self.app.core.site(self.site)
        crumbs = [site.name] + ([site.display_name] if site.display_name not in ("", site.name)
                                else [])
        yield TitleBar(" · ".join(crumbs), note=self.app.demo_note or "")
        initial = "contacts" if self.app.core.rows(self.site) else "setup"
        with TabbedContent(initial=initial):
            with TabPane("1 Setup", id="setup"):
                yield SetupPane(self.site)
            with TabPane("2 Contacts", id="contacts"):
                yield ContactsPane(self.site)
        yield ProgressPanel()
        yield Footer(compact=True, show_command_palette=False)

    def on_mount(self) -> None:
        self._focus_tab(self.query_one(TabbedContent).active)

    @property
    def contacts(self) -> ContactsPane:
        return self.query_one(ContactsPane)

    @property
    def progress(self) -> ProgressPanel:
        return self.query_one(ProgressPanel)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "cancel_work":
            return self._job == "download"
        if action == "back":
            return not self._job
        if action in ("download", "refresh"):
            return True if not self._job else None
        return True

    # ------------------------------------------------------------- tabs

    def action_show_tab(self, tab: str) -> None:
        self.query_one(TabbedContent).active = tab
        self._focus_tab(tab)

    @on(TabbedContent.TabActivated)
    def _tab_activated(self, event: TabbedContent.TabActivated) -> None:
        self._focus_tab(event.pane.id or "")

    def _focus_tab(self, tab: str) -> None:
        if tab == "contacts":
            self.query_one(ContactsGrid).focus()
        elif tab == "setup":
            self.query_one("#setup-pane Switch").focus()

    def action_back(self) -> None:
        if self.query_one(TabbedContent).active == "contacts" and self.contacts.clear_filter():
            return
        self.dismiss()

    def action_refresh(self) -> None:
        self.contacts.reload()
        self.notify("The grid shows the staged contacts again.", markup=False, timeout=3)

    # ------------------------------------------------------------- download

    def action_download(self) -> None:
        if self._job:
            self.notify("Wait for the current job to finish.", markup=False, severity="warning")
            return
        self._job = "download"
        self._cancel = threading.Event()
        self.progress.start("Downloading contacts from Capsule…", KEEP_NOTE)
        self.refresh_bindings()
        self._download(self._cancel)

    @work(thread=True, exclusive=True, exit_on_error=False, group="download")
    def _download(self, cancel: threading.Event) -> None:
        try:
            summary = self.app.core.download(
                self.site, progress=lambda p: self.post_message(DownloadProgressed(p)),
                cancel=cancel)
        except CapsuleDownloadCancelled:
            self.post_message(DownloadCancelled())
        except Exception as exc:
            self.post_message(DownloadFailed(exc))
        else:
            self.post_message(ContactsDownloaded(summary))

    @on(DownloadProgressed)
    def _download_progressed(self, event: DownloadProgressed) -> None:
        if self._job != "download":
            return
        p = event.progress
        panel = self.progress
        if p.phase == "saving":
            panel.set_label(f"Saving {number(p.total)} staged contacts…")
            panel.set_progress(None, None)
            panel.set_note("almost done")
            return
        panel.set_label(f"Downloading from Capsule · page {number(p.pages)} · "
                        f"{number(p.parties)} parties")
        if p.phase == "waiting":
            panel.wait(p.wait_seconds)
        elif p.phase == "retrying":
            panel.wait(p.wait_seconds, (p.message.split(";")[0] or "Retrying")
                       + ": retrying in {s} s")
        elif not self._cancel or not self._cancel.is_set():
            panel.set_note(KEEP_NOTE)

    def action_cancel_work(self) -> None:
        if self._job == "download" and self._cancel is not None:
            self._cancel.set()
            self.progress.set_label("Cancelling the download…")
            self.progress.set_note("the previous staged contacts are kept")

    def _job_done(self) -> None:
        self._job = ""
        self._cancel = None
        self.progress.stop()
        self.refresh_bindings()

    @on(ContactsDownloaded)
    def _downloaded(self, event: ContactsDownloaded) -> None:
        self._job_done()
        self.contacts.reload()
        self.action_show_tab("contacts")
        self.notify(summary_text(event.summary), title="Download finished", markup=False,
                    timeout=8)

    @on(DownloadCancelled)
    def _download_cancelled(self, event: DownloadCancelled) -> None:
        self._job_done()
        self.notify("Nothing changed: the previous staged contacts are kept.",
                    title="Download cancelled", severity="warning", markup=False)

    @on(DownloadFailed)
    def _download_failed(self, event: DownloadFailed) -> None:
        self._job_done()
        self.app.report_error(event.error, "The previous staged contacts are kept.")

    # ------------------------------------------------------------- bulk save

    def ask_bulk_save(self, kind: ContactType) -> None:
        if self._job:
            self.notify("Wait for the current job to finish.", markup=False, severity="warning")
            return
        count = self.app.core.count_waiting(self.site)
        plural = PLURAL[kind]
        if count == 0:
            self.notify(f"No Not defined row is waiting: nothing to save as {plural}.",
                        markup=False)
            return

        def answered(yes: bool | None) -> None:
            if yes:
                self._job = "save"
                self.progress.start(f"Saving {number(count)} contacts as {plural}…",
                                    "saving in the background; the grid updates at the end")
                self.progress.set_progress(0, count)
                self.refresh_bindings()
                self._save_all(kind)

        self.app.push_screen(ConfirmModal(
            f"Save {number(count)} contact{'s' if count != 1 else ''} as {plural}?",
            f"Every Not defined row (and the people under it) becomes a {kind.label}: "
            "matching records are updated, the others are created."), answered)

    @work(thread=True, exclusive=True, exit_on_error=False, group="save")
    def _save_all(self, kind: ContactType) -> None:
        try:
            summary = self.app.core.save_not_defined(
                self.site, kind, progress=lambda p: self.post_message(SaveProgressed(p)))
        except Exception as exc:
            self.post_message(SaveFailed(exc))
        else:
            self.post_message(ContactsSaved(summary, PLURAL[kind]))

    @on(SaveProgressed)
    def _save_progressed(self, event: SaveProgressed) -> None:
        if self._job == "save":
            self.progress.set_progress(event.progress.done, event.progress.total)

    @on(ContactsSaved)
    def _saved(self, event: ContactsSaved) -> None:
        self._job_done()
        self.contacts.reload()
        s = event.summary
        self.notify(f"{number(s.saved)} saved as {event.kind_label}: {number(s.created)} "
                    f"created, {number(s.updated)} updated.", title="Saved", markup=False)

    @on(SaveFailed)
    def _save_failed(self, event: SaveFailed) -> None:
        self._job_done()
        self.contacts.reload()
        self.app.report_error(event.error)
