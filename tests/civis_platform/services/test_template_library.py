"""The template library against a real store: installed at init, upgraded in place,
new entries added by a later upgrade without disturbing users' templates."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest
from sqlalchemy import select

from civis_platform.config import Settings
from civis_platform.services import template_library
from civis_platform.services.bootstrap import initialise, upgrade
from civis_platform.services.template_library import IMPORT_FROM_URL, LIBRARY, LibraryEntry
from civis_platform.store import tables as t
from civis_platform.store.db import Store


@pytest.fixture
def store(tmp_path: Path):
    settings = Settings(home=tmp_path)
    store = Store.from_url(settings.resolved_metadata_url())
    initialise(store, settings)
    yield store
    store.dispose()


def _templates(store: Store) -> dict[str, tuple[int, int, str]]:
    with store.transaction() as conn:
        rows = conn.execute(select(t.templates).where(t.templates.c.library_key.is_not(None)))
        return {r.library_key: (r.id, r.script_id, r.name) for r in rows}


def test_init_installs_every_entry_under_its_fixed_id(store: Store) -> None:
    installed = _templates(store)
    assert {key: row[0] for key, row in installed.items()} == {e.key: e.id for e in LIBRARY}
    assert all(e.id < t.TEMPLATE_USER_IDS_START for e in LIBRARY)


def test_an_upgrade_updates_in_place_and_adds_new_entries(store: Store) -> None:
    before = _templates(store)
    changed = dataclasses.replace(
        IMPORT_FROM_URL,
        name="Import from URL (v2)",
        script={**IMPORT_FROM_URL.script, "docker_command": "echo v2"},
    )
    added = LibraryEntry(
        key="library-test-entry",
        id=99_001,  # not a declared entry's id (the CivisML ones are 11219-11221)
        name="CivisML Training (test)",
        note="n",
        alias="civis-library-test",
        script={"docker_command": "echo train", "required_resources": {}},
    )
    with store.transaction() as conn:
        outcome = template_library.install(conn, (changed, added))
    assert outcome == {"Import from URL (v2)": "updated", "CivisML Training (test)": "added"}
    after = _templates(store)
    # Same template id and backing script: custom scripts made from it keep working.
    assert after[IMPORT_FROM_URL.key] == (
        before[IMPORT_FROM_URL.key][0],
        before[IMPORT_FROM_URL.key][1],
        "Import from URL (v2)",
    )
    with store.transaction() as conn:
        config = conn.execute(
            select(t.jobs.c.config).where(t.jobs.c.id == after[IMPORT_FROM_URL.key][1])
        ).scalar_one()
        alias = conn.execute(
            select(t.aliases.c.object_id).where(t.aliases.c.alias == "civis-library-test")
        ).scalar_one()
    assert json.loads(config)["docker_command"] == "echo v2"
    assert after["library-test-entry"][0] == alias == 99_001
    # A plain upgrade puts the declared library back.
    assert upgrade(store) == {e.name: "updated" for e in LIBRARY}
    assert _templates(store)[IMPORT_FROM_URL.key][2] == IMPORT_FROM_URL.name
