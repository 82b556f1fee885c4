"""Which database and credential a data-plane request may use, and the warehouse pool."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

import support
from civis_platform.config import Settings
from civis_platform.errors import BadRequestError, NotFoundError
from civis_platform.services import _generic as g
from civis_platform.services import files as file_services
from civis_platform.services import warehouses as svc
from civis_platform.services.auth import load_principal
from civis_platform.services.bootstrap import initialise
from civis_platform.services.context import Context
from civis_platform.services.credentials import KIND as CREDENTIAL
from civis_platform.services.databases import register_postgres
from civis_platform.services.platform import Platform
from civis_platform.services.users import insert_user
from civis_platform.store import tables as t
from civis_platform.store.db import Store


@pytest.fixture
def world(tmp_path: Path) -> Iterator[tuple[list[Context], svc.WarehousePool]]:
    """Two users (ann, ben) on a fresh home with the seeded DuckDB database."""
    settings = Settings(home=tmp_path)
    store = Store.from_url(settings.resolved_metadata_url())
    initialise(store, settings)
    with store.transaction() as conn:
        ids = [insert_user(conn, username=name) for name in ("ann", "ben")]
        principals = [load_principal(conn, i) for i in ids]
    platform = Platform.open(settings, store)
    pool = platform.warehouses
    contexts = [Context(user=p, platform=platform) for p in principals if p]
    yield contexts, pool
    pool.close()
    store.dispose()


def _seeded(ctx: Context) -> tuple[int, int]:
    """(database id, remote host id) of the seeded DuckDB database."""
    with ctx.store.transaction() as conn:
        row = conn.execute(select(t.databases).order_by(t.databases.c.id)).first()
    assert row is not None
    return row.id, row.remote_host_id


def _default_credential(ctx: Context) -> int:
    with ctx.store.transaction() as conn:
        found = conn.execute(
            select(t.credentials.c.id).where(
                t.credentials.c.owner_id == ctx.user.id, t.credentials.c.is_default.is_(True)
            )
        ).scalar()
    assert found is not None
    return int(found)


def _credential(ctx: Context, **values: object) -> int:
    with ctx.store.transaction() as conn:
        return g.insert_row(
            conn,
            t.credentials,
            {
                "owner_id": ctx.user.id,
                "name": "extra",
                "type": "Database",
                "username": "u",
                "password": "p",
                "is_default": False,
                "oauth": False,
                "system_credential": False,
                **values,
            },
        )


def test_remote_host_and_own_credential_resolve(
    world: tuple[list[Context], svc.WarehousePool],
) -> None:
    (ann, _), pool = world
    db_id, host_id = _seeded(ann)
    cred = _default_credential(ann)
    target = svc.resolve_target(ann, pool, remote_host_id=host_id, credential_id=cred)
    assert (target.database_id, target.credential_id) == (db_id, cred)
    assert target.warehouse.execute("select 41 + 1").rows == [["42"]]
    # The pool opens each database once and hands the same engine to everyone.
    assert svc.resolve_target(ann, pool, database_id=db_id).warehouse is target.warehouse


def test_no_credential_means_the_default_one(
    world: tuple[list[Context], svc.WarehousePool],
) -> None:
    (ann, _), pool = world
    _, host_id = _seeded(ann)
    target = svc.resolve_target(ann, pool, remote_host_id=host_id)
    assert target.credential_id == _default_credential(ann)


def test_someone_elses_credential_is_not_found(
    world: tuple[list[Context], svc.WarehousePool],
) -> None:
    (ann, ben), pool = world
    _, host_id = _seeded(ann)
    with pytest.raises(BadRequestError, match=r"Credential .* was not found") as raised:
        svc.resolve_target(
            ann, pool, remote_host_id=host_id, credential_id=_default_credential(ben)
        )
    assert raised.value.field == "credentialId"


def test_a_shared_credential_may_be_used(world: tuple[list[Context], svc.WarehousePool]) -> None:
    (ann, ben), pool = world
    _, host_id = _seeded(ann)
    bens = _default_credential(ben)
    with ann.store.transaction() as conn:
        g.grant(conn, CREDENTIAL, bens, "user", ann.user.id, "read")
    assert (
        svc.resolve_target(ann, pool, remote_host_id=host_id, credential_id=bens).credential_id
        == bens
    )


def test_a_credential_of_another_type_is_refused(
    world: tuple[list[Context], svc.WarehousePool],
) -> None:
    (ann, _), pool = world
    _, host_id = _seeded(ann)
    cred = _credential(ann, type="Custom")
    with pytest.raises(BadRequestError, match="not a Database one"):
        svc.resolve_target(ann, pool, remote_host_id=host_id, credential_id=cred)


def test_a_credential_bound_to_another_host_is_refused(
    world: tuple[list[Context], svc.WarehousePool],
) -> None:
    (ann, _), pool = world
    _, host_id = _seeded(ann)
    with ann.store.transaction() as conn:
        other = g.insert_row(
            conn, t.remote_hosts, {"owner_id": ann.user.id, "name": "x", "type": "t", "url": "u"}
        )
    cred = _credential(ann, remote_host_id=other)
    with pytest.raises(BadRequestError, match=f"is for remote host {other}"):
        svc.resolve_target(ann, pool, remote_host_id=host_id, credential_id=cred)


@pytest.mark.parametrize(
    ("kwargs", "error", "field"),
    [
        ({"remote_host_id": 999_999}, BadRequestError, "remoteHostId"),
        ({"remote_host_id": "1"}, BadRequestError, "remoteHostId"),
        ({"remote_host_id": True}, BadRequestError, "remoteHostId"),
        ({"database_id": 999_999}, NotFoundError, None),
        ({"remote_host_id": None}, BadRequestError, "remoteHostId"),
    ],
)
def test_unknown_or_malformed_databases(
    world: tuple[list[Context], svc.WarehousePool],
    kwargs: dict[str, object],
    error: type[Exception],
    field: str | None,
) -> None:
    (ann, _), pool = world
    with pytest.raises(error) as raised:
        svc.resolve_target(ann, pool, **kwargs)  # type: ignore[arg-type]
    if field is not None:
        assert getattr(raised.value, "field", None) == field


def test_credential_ids_must_be_integers(world: tuple[list[Context], svc.WarehousePool]) -> None:
    (ann, _), pool = world
    _, host_id = _seeded(ann)
    with pytest.raises(BadRequestError, match="credentialId must be an integer"):
        svc.resolve_target(ann, pool, remote_host_id=host_id, credential_id="7")


@pytest.mark.postgres
def test_pool_opens_postgres_warehouses_and_closes_them(
    world: tuple[list[Context], svc.WarehousePool],
) -> None:
    (ann, _), pool = world
    with support.temporary_pg_database("civis_pool_test") as url:
        with ann.store.transaction() as conn:
            db_id = register_postgres(conn, name="PG", url=url, owner_id=ann.user.id)
        assert pool.get(db_id).execute("select 'pg'").rows == [["pg"]]
        pool.close()  # the database can be dropped only once its connections are gone


def test_program_side_files(world: tuple[list[Context], svc.WarehousePool]) -> None:
    (ann, ben), _ = world
    info = {"includeHeader": True, "columnDelimiter": "comma"}
    file_id = file_services.store_file(
        ann.platform,
        owner_id=ann.user.id,
        name="out.csv",
        source=io.BytesIO(b"a\n1\n"),
        detected_info=info,
    )
    row = file_services.readable_file(ann, file_id, "fileIds")
    assert file_services.open_contents(ann.blobs, row).read() == b"a\n1\n"
    assert file_services.get_file(ann, id=file_id)["detected_info"] == info
    assert file_services.signed_url(ann.platform, row)
    with pytest.raises(BadRequestError, match=f"File {file_id} was not found"):
        file_services.readable_file(ben, file_id, "fileIds")
    with pytest.raises(BadRequestError, match="must hold file ids"):
        file_services.readable_file(ann, str(file_id), "fileIds")
    pending = file_services.create_file(ann, body={"name": "later.csv"})["id"]
    with pytest.raises(BadRequestError, match="not been uploaded"):
        file_services.readable_file(ann, pending, "fileIds")


def test_a_default_credential_works_on_every_host(
    world: tuple[list[Context], svc.WarehousePool],
) -> None:
    (ann, _), pool = world
    _, host_id = _seeded(ann)
    with ann.store.transaction() as conn:
        other = g.insert_row(
            conn, t.remote_hosts, {"owner_id": ann.user.id, "name": "y", "type": "t", "url": "u"}
        )
    cred = _credential(ann, remote_host_id=other, is_default=True)
    assert (
        svc.resolve_target(ann, pool, remote_host_id=host_id, credential_id=cred).credential_id
        == cred
    )
