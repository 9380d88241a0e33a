"""Store.batch(): several changes together, or none of them, in their original order."""

from __future__ import annotations

import pytest

from capsule_tui.store.store import Store


def test_a_failed_batch_is_undone_and_keeps_the_order(tmp_path):
    store = Store.open(tmp_path / "db.json")
    store.put_many("rows", [(f"s:{i}", {"n": i}) for i in range(6)])
    store.put("other", "x", {"v": 1})
    before = {t: list(store.docs(t).items()) for t in ("rows", "other")}
    with pytest.raises(KeyboardInterrupt):
        with store.batch():
            store.delete_many("rows", ["s:1", "s:3"])
            store.put_many("rows", [("s:1", {"n": "new"}), ("s:9", {"n": 9})])
            store.put("rows", "s:4", {"n": "changed"})
            store.put("other", "x", {"v": 2})
            store.put("other", "y", {"v": 3})
            raise KeyboardInterrupt
    assert {t: list(store.docs(t).items()) for t in ("rows", "other")} == before
    store.close()
    again = Store.open(tmp_path / "db.json")
    assert {t: list(again.docs(t).items()) for t in ("rows", "other")} == before
    again.close()


def test_a_successful_batch_keeps_its_changes(tmp_path):
    store = Store.open(tmp_path / "db.json")
    with store.batch():
        store.put("rows", "a", {"n": 1})
        with store.batch():  # nested batches belong to the outer one
            store.put("rows", "b", {"n": 2})
    assert list(store.docs("rows")) == ["a", "b"]
    store.close()
