"""The `capsule-tui` command: the TUI by default, headless sub-commands over the same core."""

from __future__ import annotations

import argparse
import getpass
import json
import os
import re
import sys
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from .core.errors import describe
from .domain.models import DEFAULT_API_URL, ContactType

TYPE_CHOICES = ("customer", "supplier", "ignore")
EXIT_ERROR, EXIT_USAGE, EXIT_INTERRUPTED = 1, 2, 130


class CliError(Exception):
    def __init__(self, title: str, hint: str = "", code: int = EXIT_ERROR) -> None:
        super().__init__(title)
        self.title, self.hint, self.code = title, hint, code


def _on_off(value: str) -> bool:
    if value.lower() in ("on", "yes", "true", "1"):
        return True
    if value.lower() in ("off", "no", "false", "0"):
        return False
    raise argparse.ArgumentTypeError("use on or off")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="capsule-tui",
        description="Bring Capsule CRM contacts into Customers and Suppliers. "
                    "Without a command, opens the terminal UI.")
    parser.add_argument("--db", type=Path, help="database file (default: $CAPSULE_TUI_DB, "
                                                "else the user data directory)")
    parser.add_argument("--demo", action="store_true",
                        help="open the UI on a built-in Capsule stand-in with demo data")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    p = sub.add_parser("sites", help="list connected sites")
    p.add_argument("--json", action="store_true")

    p = sub.add_parser("connect", help="connect a Capsule site (token from $CAPSULE_TOKEN or asked)")
    p.add_argument("site", help="the Capsule subdomain, e.g. acme for acme.capsulecrm.com")
    p.add_argument("--api-url", default=DEFAULT_API_URL, help=f"default {DEFAULT_API_URL}")

    p = sub.add_parser("disconnect", help="disconnect a site (Customers and Suppliers stay)")
    p.add_argument("site")
    p.add_argument("--yes", action="store_true", help="do not ask")

    p = sub.add_parser("tags", help="list the site's tags and their mapping")
    p.add_argument("site")
    p.add_argument("--load", action="store_true", help="load the tag list from Capsule first")
    p.add_argument("--json", action="store_true")

    p = sub.add_parser("map-tag", help="map a tag to customer, supplier, ignore or none")
    p.add_argument("site")
    p.add_argument("tag")
    p.add_argument("type", choices=(*TYPE_CHOICES, "none"))

    p = sub.add_parser("settings", help="show or change the site's settings")
    p.add_argument("site")
    p.add_argument("--ignore-without-org", type=_on_off, metavar="on|off")
    p.add_argument("--only-tagged", type=_on_off, metavar="on|off")
    p.add_argument("--customer-tax-rule", metavar="NAME")
    p.add_argument("--supplier-tax-rule", metavar="NAME")
    p.add_argument("--map-address", nargs="+", metavar="CAPSULE=INVENTORY",
                   help="e.g. Home=Shipping none=Business")
    p.add_argument("--json", action="store_true")

    p = sub.add_parser("download", help="download contacts, stage them, save typed ones")
    p.add_argument("site")
    p.add_argument("--json", action="store_true")

    p = sub.add_parser("contacts", help="list staged contacts")
    p.add_argument("site")
    p.add_argument("--type", choices=(*TYPE_CHOICES, "not-defined"))
    p.add_argument("--json", action="store_true")

    p = sub.add_parser("set-type", help="set one staged contact's type (saved at once)")
    p.add_argument("site")
    p.add_argument("party_id", type=int)
    p.add_argument("type", choices=TYPE_CHOICES)

    p = sub.add_parser("save-not-defined", help="save every Not defined contact as one kind")
    p.add_argument("site")
    p.add_argument("--as", dest="as_type", required=True, choices=("customer", "supplier"))
    p.add_argument("--yes", action="store_true", help="do not ask")

    for name in ("customers", "suppliers"):
        p = sub.add_parser(name, help=f"list the {name} made")
        p.add_argument("--json", action="store_true")

    p = sub.add_parser("sandbox", help="serve a local Capsule stand-in with demo data")
    p.add_argument("--port", type=int, default=8765)
    p.add_argument("--parties", type=int, default=500)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--token", default="demo-token")
    return parser


def _db_path(args: argparse.Namespace) -> Path:
    if args.db is not None:
        return args.db
    from .locations import default_db_path

    return default_db_path()


_UNSAFE_IN_JSON = re.compile("[\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def _print_json(data: Any) -> None:
    """JSON as UTF-8 text, with every character that could steer a terminal escaped."""
    text = json.dumps(data, ensure_ascii=False, indent=2, default=str)
    print(_UNSAFE_IN_JSON.sub(lambda m: f"\\u{ord(m.group()):04x}", text))


def _printable(value: Any) -> str:
    """Text without control characters (line breaks aside): CRM data never drives the
    terminal."""
    text = "" if value is None else str(value)
    return "".join(ch if ch.isprintable() or ch == "\n" else "�" for ch in text)


def _table(rows: Sequence[Sequence[Any]], headers: Sequence[str]) -> None:
    cells = [[str(c) for c in headers]] + [[_printable(c) for c in r] for r in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]
    for row in cells:
        print("  ".join(c.ljust(w) for c, w in zip(row, widths)).rstrip())


def _confirm(question: str) -> bool:
    if not sys.stdin.isatty():
        raise CliError("Cannot ask for confirmation: no terminal.", "Add --yes to confirm.",
                       EXIT_USAGE)
    return input(f"{question} [y/N] ").strip().lower() in ("y", "yes")


def _token() -> str:
    token = os.environ.get("CAPSULE_TOKEN", "")
    if token:
        return token
    if not sys.stdin.isatty():
        raise CliError("No access token given.",
                       "Set CAPSULE_TOKEN, or run the command in a terminal to be asked.",
                       EXIT_USAGE)
    return getpass.getpass("Capsule personal access token: ")


def _progress_printer() -> Callable[[Any], None]:
    tty = sys.stderr.isatty()
    last = {"pages": -1}

    def show(p: Any) -> None:
        if p.phase == "fetching":
            text = f"page {p.pages} · {p.parties:,} parties"
            if tty:
                print(f"\r{text}   ", end="", file=sys.stderr, flush=True)
            elif p.pages - last["pages"] >= 10 or p.pages == 1:
                print(text, file=sys.stderr)
                last["pages"] = p.pages
        elif p.phase in ("waiting", "retrying"):
            print(("\n" if tty else "") + p.message, file=sys.stderr)
        elif p.phase == "saving":
            print(("\r" if tty else "") + f"{p.parties:,} parties fetched; staging {p.total:,} "
                  "rows and saving…", file=sys.stderr)
    return show


def _run(args: argparse.Namespace, core: Any) -> int:
    cmd = args.command
    if cmd == "sites":
        sites = core.list_sites()
        if args.json:
            _print_json([{**vars(s), "last_download_at": s.last_download_at} for s in sites])
        elif not sites:
            print("No site connected. Connect one with: capsule-tui connect SITE --api-url URL")
        else:
            _table([(s.name, s.display_name, s.last_download_at or "never", s.staged, s.customers,
                     s.suppliers, s.not_defined) for s in sites],
                   ("SITE", "NAME", "LAST DOWNLOAD", "STAGED", "CUSTOMERS", "SUPPLIERS",
                    "NOT DEFINED"))
    elif cmd == "connect":
        again = core.is_connected(args.site)
        site = core.connect_site(args.site, _token(), args.api_url)
        print(_printable(f"Token and API URL of {site.name} replaced; settings and links kept."
                         if again else f"Connected {site.name} ({site.display_name})."))
    elif cmd == "disconnect":
        core.site(args.site)
        if not args.yes and not _confirm(
                f"Disconnect {args.site}? Its Customers and Suppliers are kept."):
            print("Nothing changed.")
            return 0
        links = core.disconnect_site(args.site)
        print(f"Disconnected {args.site}; {links} links removed, Customers and Suppliers kept.")
    elif cmd == "tags":
        tags = core.load_tags(args.site) if args.load else core.tags(args.site)
        if args.json:
            _print_json([t.model_dump(mode="json") for t in tags])
        elif not tags:
            print("No tags yet. Load them from Capsule with --load.")
        else:
            _table([(t.name, t.type.label if t.type else "—") for t in tags], ("TAG", "TYPE"))
    elif cmd == "map-tag":
        mapping = core.map_tag(args.site, args.tag, None if args.type == "none" else args.type)
        print(_printable(f"{mapping.name} → "
                         f"{mapping.type.label if mapping.type else 'unmapped'}"))
    elif cmd == "settings":
        changes: dict[str, Any] = {}
        if args.ignore_without_org is not None:
            changes["ignore_without_organisation"] = args.ignore_without_org
        if args.only_tagged is not None:
            changes["only_tagged"] = args.only_tagged
        if args.customer_tax_rule is not None:
            changes["customer_tax_rule"] = args.customer_tax_rule
        if args.supplier_tax_rule is not None:
            changes["supplier_tax_rule"] = args.supplier_tax_rule
        if args.map_address:
            mapping = {}
            for item in args.map_address:
                capsule_type, sep, inventory_type = item.partition("=")
                if not sep:
                    raise CliError(f"'{item}' is not CAPSULE=INVENTORY.",
                                   "Write it like Home=Shipping.", EXIT_USAGE)
                mapping[capsule_type] = inventory_type
            changes["address_mapping"] = mapping
        settings = core.update_settings(args.site, **changes) if changes else core.settings(args.site)
        if args.json:
            _print_json(settings.model_dump(mode="json"))
        else:
            for key, value in settings.model_dump().items():
                if key == "address_mapping":
                    value = ", ".join(f"{k or '(none)'}→{v}" for k, v in value.items())
                print(_printable(f"{key}: {value}"))
    elif cmd == "download":
        cancel = threading.Event()
        summary = core.download(args.site, progress=_progress_printer(), cancel=cancel)
        if args.json:
            _print_json(summary.model_dump(mode="json"))
        else:
            skipped = ", ".join(f"{n} {why}" for why, n in sorted(summary.skipped.items())) or "none"
            pages = "page" if summary.pages == 1 else "pages"
            print(f"Fetched {summary.fetched:,} parties in {summary.pages} {pages}; staged "
                  f"{summary.staged:,}.\nCreated {summary.created:,}, updated {summary.updated:,}; "
                  f"{summary.not_defined:,} not defined, {summary.ignored:,} ignored.\n"
                  f"Skipped: {skipped}.")
    elif cmd == "contacts":
        rows = core.rows(args.site)
        if args.type:
            wanted = args.type.replace("-", "_")
            rows = [r for r in rows if r["type"] == wanted]
        if args.json:
            keys = ("party_id", "name", "kind", "organisation_id", "organisation_name", "tags",
                    "type", "reason", "action", "record_id")
            _print_json([{**{k: r.get(k) for k in keys}, "tags": r.get("tags", []),
                          "record_kind": r["type"] if r.get("record_id") else None}
                         for r in rows])
        else:
            _table([(r["party_id"], ("  " if r.get("organisation_id") else "") + r["name"],
                     r["kind"], ",".join(r.get("tags", ())), ContactType(r["type"]).label, r["action"],
                     r["reason"]) for r in rows],
                   ("ID", "NAME", "KIND", "TAGS", "TYPE", "ACTION", "REASON"))
    elif cmd == "set-type":
        changed = core.set_type(args.site, args.party_id, args.type)
        top = changed[0]
        people = len(changed) - 1
        extra = f" and {people} contact{'s' if people != 1 else ''}" if people else ""
        print(f"{_printable(top['name'])}: {ContactType(top['type']).label} ({top['action']}){extra}.")
    elif cmd == "save-not-defined":
        count = core.count_waiting(args.site)
        label = "Customers" if args.as_type == "customer" else "Suppliers"
        if count == 0:
            print("No Not defined contacts to save.")
            return 0
        if not args.yes and not _confirm(f"Save {count:,} contacts as {label}?"):
            print("Nothing changed.")
            return 0
        summary = core.save_not_defined(args.site, args.as_type)
        print(f"Saved {summary.saved:,} as {label}: {summary.created:,} created, "
              f"{summary.updated:,} updated.")
    elif cmd in ("customers", "suppliers"):
        records = core.records(cmd[:-1])
        if args.json:
            _print_json(records)
        elif not records:
            print(f"No {cmd} yet.")
        else:
            _table([(r["Name"], r["Currency"], r["TaxRule"], len(r["Addresses"]),
                      len(r["Contacts"])) for r in records],
                   ("NAME", "CURRENCY", "TAX RULE", "ADDRESSES", "CONTACTS"))
    return 0


def _fail(title: str, hint: str, code: int) -> int:
    print(_printable(title), file=sys.stderr)
    if hint:
        print(_printable(hint), file=sys.stderr)
    return code


def main(argv: Sequence[str] | None = None) -> int:
    try:
        args = build_parser().parse_args(argv)
    except SystemExit as exc:  # usage errors and --help: argparse has printed what to do
        return int(exc.code or 0)
    try:
        if args.command == "sandbox":
            from .capsule.sandbox.server import serve_forever

            serve_forever(port=args.port, parties=args.parties, seed=args.seed, token=args.token)
            return 0
        if args.command is None:
            from .tui.launch import run_demo, run_tui

            return run_demo(args.db, 500) if args.demo else run_tui(_db_path(args))
        from .core.core import Core

        core = Core.open(_db_path(args))
        try:
            return _run(args, core)
        finally:
            core.close()
    except KeyboardInterrupt:
        return _fail("Interrupted.", "A change that had not finished was undone; what was saved "
                     "before is intact.", EXIT_INTERRUPTED)
    except BrokenPipeError:  # e.g. `capsule-tui contacts demo | head`: the reader has gone
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except CliError as exc:
        return _fail(exc.title, exc.hint, exc.code)
    except Exception as exc:  # every failure gets two plain sentences, never a traceback
        if os.environ.get("CAPSULE_TUI_DEBUG"):
            raise
        title, hint = describe(exc)
        return _fail(title, hint, EXIT_ERROR)


if __name__ == "__main__":
    sys.exit(main())
