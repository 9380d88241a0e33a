"""The whole main job from the command line against the stand-in over loopback HTTP."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from capsule_tui.capsule.sandbox.server import SandboxServer
from capsule_tui.cli import main


@pytest.fixture(scope="module")
def sandbox():
    with SandboxServer(parties=300, seed=1, token="t0ken-secret", subdomain="demo") as server:
        yield server


@pytest.fixture
def cli(tmp_path, monkeypatch, capsys):
    db = tmp_path / "db.json"
    monkeypatch.setenv("CAPSULE_TOKEN", "t0ken-secret")

    def run(*args: str) -> tuple[int, str, str]:
        code = main(["--db", str(db), *args])
        out, err = capsys.readouterr()
        return code, out, err
    run.db = db
    return run


def jrun(cli, *args):
    code, out, err = cli(*args, "--json")
    assert code == 0, err
    return json.loads(out)


def test_the_whole_main_job(cli, sandbox):
    code, out, err = cli("connect", "demo", "--api-url", sandbox.url)
    assert code == 0, err
    assert "t0ken-secret" not in out + err
    tags = jrun(cli, "tags", "demo", "--load")
    names = {t["name"] for t in tags}
    assert {"Customer", "Supplier"} <= names and all(t["type"] is None for t in tags)
    assert cli("map-tag", "demo", "Customer", "customer")[0] == 0
    assert cli("map-tag", "demo", "Supplier", "supplier")[0] == 0
    assert cli("settings", "demo", "--ignore-without-org", "off", "--map-address",
               "Home=Billing")[0] == 0

    summary = jrun(cli, "download", "demo")
    assert summary["fetched"] == 300
    assert summary["staged"] > 0 and summary["created"] > 0 and summary["not_defined"] > 0
    assert sum(summary["skipped"].values()) > 0  # the stand-in's quirks
    rows = jrun(cli, "contacts", "demo")
    assert len(rows) == summary["staged"]
    assert {r["type"] for r in rows} >= {"customer", "supplier", "not_defined"}
    assert all({"party_id", "name", "kind", "organisation_id", "tags", "type", "reason",
                "action"} <= set(r) for r in rows)
    customers = jrun(cli, "customers")
    suppliers = jrun(cli, "suppliers")
    assert customers and suppliers
    assert all("Name" in c and "Addresses" in c and "AccountReceivable" in c for c in customers)

    undefined = [r for r in rows if r["type"] == "not_defined" and r["organisation_id"] is None]
    target = undefined[0]
    code, out, err = cli("set-type", "demo", str(target["party_id"]), "supplier")
    assert code == 0, err
    assert len(jrun(cli, "contacts", "demo", "--type", "not-defined")) < summary["not_defined"]

    code, out, err = cli("save-not-defined", "demo", "--as", "customer", "--yes")
    assert code == 0, err and "Saved" in out
    assert jrun(cli, "contacts", "demo", "--type", "not-defined") == []

    made = (len(jrun(cli, "customers")), len(jrun(cli, "suppliers")))
    again = jrun(cli, "download", "demo")
    assert again["created"] == 0  # a second download creates no duplicates
    assert (len(jrun(cli, "customers")), len(jrun(cli, "suppliers"))) == made

    code, out, err = cli("disconnect", "demo", "--yes")
    assert code == 0, err
    assert (len(jrun(cli, "customers")), len(jrun(cli, "suppliers"))) == made
    assert jrun(cli, "sites") == []


def test_errors_are_two_plain_sentences_and_a_nonzero_exit(cli, sandbox, monkeypatch):
    code, out, err = cli("download", "nowhere")
    assert code == 1 and "No site named 'nowhere'" in err and "Traceback" not in err
    monkeypatch.setenv("CAPSULE_TOKEN", "wrong")
    code, out, err = cli("connect", "demo", "--api-url", sandbox.url)
    assert code == 1 and "refused" in err and "wrong" not in err
    monkeypatch.setenv("CAPSULE_TOKEN", "t0ken-secret")
    code, out, err = cli("connect", "other", "--api-url", sandbox.url)
    assert code == 1 and "belongs to the site 'demo'" in err
    code, out, err = cli("settings", "x", "--only-tagged", "maybe")
    assert code == 2


def test_no_token_without_a_terminal_says_what_to_do(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "CAPSULE_TOKEN"}
    proc = subprocess.run([sys.executable, "-m", "capsule_tui", "--db", str(tmp_path / "d.json"),
                           "connect", "demo", "--api-url", "http://127.0.0.1:9"],
                          capture_output=True, text=True, env=env, stdin=subprocess.DEVNULL)
    assert proc.returncode == 2
    assert "CAPSULE_TOKEN" in proc.stderr and "Traceback" not in proc.stderr


def test_a_second_process_on_the_same_database_is_refused(cli, sandbox, tmp_path):
    assert cli("connect", "demo", "--api-url", sandbox.url)[0] == 0
    from capsule_tui.store.store import Store

    holder = Store.open(cli.db)
    try:
        proc = subprocess.run([sys.executable, "-m", "capsule_tui", "--db", str(cli.db), "sites"],
                              capture_output=True, text=True)
        assert proc.returncode == 1
        assert str(cli.db) in proc.stderr and "Traceback" not in proc.stderr
    finally:
        holder.close()


def test_a_damaged_database_is_refused_and_kept(tmp_path):
    db = tmp_path / "db.json"
    db.write_text('{"sites": {"1": {"name": "demo"', encoding="utf-8")
    proc = subprocess.run([sys.executable, "-m", "capsule_tui", "--db", str(db), "sites"],
                          capture_output=True, text=True)
    assert proc.returncode == 1 and str(db) in proc.stderr and "Traceback" not in proc.stderr
    assert db.read_text(encoding="utf-8") == '{"sites": {"1": {"name": "demo"'


def test_control_characters_never_reach_the_terminal(cli, sandbox, monkeypatch):
    assert cli("connect", "demo", "--api-url", sandbox.url)[0] == 0
    assert cli("settings", "demo", "--ignore-without-org", "off")[0] == 0
    assert cli("download", "demo")[0] == 0
    from capsule_tui.core.core import Core

    core = Core.open(cli.db)
    row = next(r for r in core.rows("demo") if r["kind"] == "organisation")
    core.store.put("staged_contacts", f"demo:{row['party_id']}",
                   {**row, "name": "A\x00B\x1b[31mred"})
    core.close()
    code, out, err = cli("contacts", "demo")
    assert code == 0 and "\x1b" not in out and "\x00" not in out and "A�B�[31mred" in out


def test_a_hand_edited_database_gets_a_readable_message(tmp_path):
    db = tmp_path / "db.json"
    db.write_text('{"sites": {"demo": {"name": 5}}}', encoding="utf-8")
    proc = subprocess.run([sys.executable, "-m", "capsule_tui", "--db", str(db), "sites"],
                          capture_output=True, text=True)
    assert proc.returncode == 1 and "Traceback" not in proc.stderr
    assert "cannot read" in proc.stderr and "backup" in proc.stderr


def test_output_into_a_closed_pipe_is_quiet(tmp_path, sandbox):
    db = tmp_path / "db.json"
    env = {**os.environ, "CAPSULE_TOKEN": "t0ken-secret"}
    run = [sys.executable, "-m", "capsule_tui", "--db", str(db)]
    subprocess.run([*run, "connect", "demo", "--api-url", sandbox.url], env=env, check=True,
                   capture_output=True)
    subprocess.run([*run, "settings", "demo", "--ignore-without-org", "off"], check=True,
                   capture_output=True)
    subprocess.run([*run, "download", "demo"], check=True, capture_output=True)
    proc = subprocess.run(f"{' '.join(run)} contacts demo --json | head -1", shell=True,
                          capture_output=True, text=True)
    assert proc.returncode == 0 and proc.stderr == ""


def test_names_from_capsule_never_steer_the_terminal(cli, sandbox):
    assert cli("connect", "demo", "--api-url", sandbox.url)[0] == 0
    assert cli("tags", "demo", "--load")[0] == 0
    from capsule_tui.core.core import Core

    core = Core.open(cli.db)
    evil = "Cust\x1b]0;pwned\x07omer"
    core.store.put("tags", f"demo:{evil.casefold()}", {"site": "demo", "name": evil,
                                                       "tag_id": 1, "type": None})
    row_name = "Bidi\u202eevil C\u009b31m"
    core.store.put("customers", "x1", {"ID": "x1", "Name": row_name, "Currency": "GBP",
                                       "TaxRule": "No VAT", "Addresses": [], "Contacts": []})
    core.close()
    code, out, err = cli("map-tag", "demo", evil, "customer")
    assert code == 0 and "\x1b" not in out and "\x07" not in out
    code, out, err = cli("map-tag", "demo", "No\x1b[2Jsuch", "customer")
    assert code == 1 and "\x1b" not in err
    code, out, err = cli("customers", "--json")
    assert code == 0 and "\u202e" not in out and "\u009b" not in out
    assert json.loads(out)[0]["Name"] == row_name  # escaped, not lost


def test_a_customer_without_a_name_in_a_hand_edited_file_is_no_crash(tmp_path):
    db = tmp_path / "db.json"
    db.write_text('{"customers": {"1": {"ID": "1", "Name": null}}}', encoding="utf-8")
    proc = subprocess.run([sys.executable, "-m", "capsule_tui", "--db", str(db), "customers",
                           "--json"], capture_output=True, text=True)
    assert proc.returncode == 0 and "Traceback" not in proc.stderr
