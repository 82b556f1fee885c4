"""PostgreSQL roles for the platform's users: made, checked and described through the
warehouse's registered (admin) connection.

On a PostgreSQL warehouse each user's SQL runs as a role of their own, so that
PostgreSQL's grants and ownership decide what they reach. The platform makes, per
registered database:

- one **group role** (``NOLOGIN``), which holds what every user of the database may do:
  ``CONNECT``, ``TEMPORARY`` and ``CREATE`` on the database (a user may make schemas,
  which are then theirs), ``USAGE`` and ``CREATE`` on the ``public`` schema, and
  ``SELECT`` on the tables the admin login makes there, present and future (the shared
  demo tables; ``ALTER DEFAULT PRIVILEGES`` for the admin login). A user's own tables in
  ``public`` are theirs alone, like their tables anywhere else;
- **shared schemas**: a schema that a user's load (a CSV import, a Dbsync) needs and
  that does not exist is made by the admin login with ``USAGE`` and ``CREATE`` for the
  group (`PostgresRoles.ensure_shared_schema`), so a team shares ``scratch``-like
  schemas as on Civis while each table in them stays its creator's. A schema a user
  makes in their own SQL (``CREATE SCHEMA``) is theirs alone;
- one **login role per user**, a member of the group, made ``NOSUPERUSER NOCREATEDB
  NOCREATEROLE NOREPLICATION NOBYPASSRLS`` and never a member of
  ``pg_read_server_files``, ``pg_write_server_files`` or ``pg_execute_server_program``
  (checked after every change). A table such a role creates is its own: nobody else
  reads it unless it grants them.

Passwords are random, kept server-side, and sent to PostgreSQL only as a SCRAM-SHA-256
verifier (`scram_verifier`), so the clear text never appears in a statement, the server
log or ``pg_stat_activity``. `PostgresRoles.set_login` turns a role's login off
(``NOLOGIN``) or on again.

Every role carries the comment ``civis-platform role on database "<name>"``, so an
operator (or a test) can find and drop them all.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import hmac
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import psycopg
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from ._sqltext import quote_ident, quote_literal
from .base import WarehouseError

__all__ = [
    "FORBIDDEN_ROLES",
    "PostgresRoles",
    "Privileges",
    "RoleLogin",
    "new_password",
    "role_comment",
    "scram_verifier",
]

FORBIDDEN_ROLES = ("pg_read_server_files", "pg_write_server_files", "pg_execute_server_program")
SCRAM_ITERATIONS = 4096
_USER_ATTRIBUTES = "LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS INHERIT"

# aclitem privilege letters, as PostgreSQL names them in GRANT.
_TABLE_PRIVILEGES = (
    "SELECT",
    "INSERT",
    "UPDATE",
    "DELETE",
    "TRUNCATE",
    "REFERENCES",
    "TRIGGER",
)
_SCHEMA_PRIVILEGES = ("USAGE", "CREATE")


def scram_verifier(
    password: str, *, salt: bytes | None = None, iterations: int = SCRAM_ITERATIONS
) -> str:
    """The SCRAM-SHA-256 verifier PostgreSQL stores for ``password`` (RFC 5802/7677).

    Sent as the role's password, PostgreSQL keeps it as it is: the clear text never
    reaches the server.

    Examples:
        >>> v = scram_verifier("secret", salt=b"0123456789abcdef")
        >>> v.split("$")[0], v.split("$")[1].split(":")[0]
        ('SCRAM-SHA-256', '4096')
    """
    salt = salt if salt is not None else secrets.token_bytes(16)
    salted = hashlib.pbkdf2_hmac("sha256", password.encode(), salt, iterations)
    client_key = hmac.new(salted, b"Client Key", hashlib.sha256).digest()
    stored_key = hashlib.sha256(client_key).digest()
    server_key = hmac.new(salted, b"Server Key", hashlib.sha256).digest()

    def b64(data: bytes) -> str:
        return base64.b64encode(data).decode()

    return f"SCRAM-SHA-256${iterations}:{b64(salt)}${b64(stored_key)}:{b64(server_key)}"


def new_password() -> str:
    """A random role password (ASCII, so SASLprep leaves it alone).

    Examples:
        >>> len(new_password())
        43
    """
    return secrets.token_urlsafe(32)


def role_comment(database_name: str) -> str:
    """The comment every platform role carries (to find them all).

    Examples:
        >>> role_comment("wh")
        'civis-platform role on database "wh"'
    """
    return f'civis-platform role on database "{database_name}"'


@dataclass(frozen=True)
class RoleLogin:
    """A role and its password: what a user's connections log in with."""

    role: str
    password: str | None

    def conninfo(self, admin_conninfo: str) -> str:
        """The admin connection string with this role's user and password instead.

        Examples:
            >>> RoleLogin("u1", "pw").conninfo("postgresql://postgres@h:5432/wh")
            'user=u1 dbname=wh host=h port=5432 password=pw'
        """
        params: dict[str, Any] = conninfo_to_dict(
            admin_conninfo.replace("postgresql+psycopg://", "postgresql://", 1)
        )
        params.pop("password", None)
        params["user"] = self.role
        if self.password is not None:
            params["password"] = self.password
        return make_conninfo(**params)


@dataclass(frozen=True)
class Privileges:
    """What one grantee holds on a schema or table: privilege names, and those of them it
    may grant on (``WITH GRANT OPTION``; an owner may grant everything)."""

    grantee: str
    grantee_type: str  # "user" (a login role) or "group"
    privileges: list[str]
    grantable: list[str]


class PostgresRoles:
    """Role management on one PostgreSQL database, through its admin connection.

    Examples:
        >>> roles = PostgresRoles("postgresql://postgres@127.0.0.1:5432/wh")
        >>> roles.ensure_group("civis_ab12")  # doctest: +SKIP
    """

    def __init__(self, admin_conninfo: str) -> None:
        self.conninfo = admin_conninfo.replace("postgresql+psycopg://", "postgresql://", 1)

    @contextlib.contextmanager
    def _cursor(self) -> Iterator[psycopg.Cursor[Any]]:
        try:
            conn = psycopg.connect(self.conninfo, autocommit=True)
        except psycopg.Error as exc:
            raise WarehouseError(f"cannot connect to PostgreSQL: {exc}") from exc
        try:
            with conn.cursor() as cur:
                yield cur
        except psycopg.Error as exc:
            raise WarehouseError(f"managing PostgreSQL roles failed: {exc}".strip()) from exc
        finally:
            conn.close()

    @staticmethod
    def _exists(cur: psycopg.Cursor[Any], role: str) -> bool:
        cur.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (role,))
        return cur.fetchone() is not None

    @staticmethod
    def _comment(cur: psycopg.Cursor[Any], role: str) -> None:
        cur.execute("SELECT current_database()")
        database = str(cur.fetchone()[0])  # type: ignore[index]
        cur.execute(
            f"COMMENT ON ROLE {quote_ident(role)} IS {quote_literal(role_comment(database))}"
        )

    def ensure_group(self, group: str) -> None:
        """Make the group role (if missing) and give it what every user may do."""
        with self._cursor() as cur:
            if not self._exists(cur, group):
                # Another process may make it meanwhile.
                with contextlib.suppress(psycopg.errors.DuplicateObject):
                    cur.execute(f"CREATE ROLE {quote_ident(group)} NOLOGIN")
            self._comment(cur, group)
            cur.execute("SELECT current_database()")
            database = quote_ident(str(cur.fetchone()[0]))  # type: ignore[index]
            g = quote_ident(group)
            cur.execute(f"GRANT CONNECT, TEMPORARY, CREATE ON DATABASE {database} TO {g}")
            cur.execute(f"GRANT USAGE, CREATE ON SCHEMA public TO {g}")
            cur.execute(f"GRANT SELECT ON ALL TABLES IN SCHEMA public TO {g}")
            cur.execute(f"ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT ON TABLES TO {g}")

    def ensure_shared_schema(self, schema: str, group: str) -> None:
        """Make ``schema`` as the admin login, with ``USAGE`` and ``CREATE`` for ``group``,
        if no schema of that name exists. One that exists is left exactly as it is (a
        user's private schema stays private)."""
        with self._cursor() as cur:
            cur.execute("SELECT 1 FROM pg_namespace WHERE nspname = %s", (schema,))
            if cur.fetchone() is not None:
                return
            try:
                with cur.connection.transaction():
                    cur.execute(f"CREATE SCHEMA {quote_ident(schema)}")
                    cur.execute(
                        f"GRANT USAGE, CREATE ON SCHEMA {quote_ident(schema)}"
                        f" TO {quote_ident(group)}"
                    )
            except psycopg.errors.DuplicateSchema:
                return  # made meanwhile by someone else: theirs

    def ensure_user(self, login: RoleLogin, group: str) -> None:
        """Make (or reset) a user's login role, a member of ``group``, and check it.

        Raises `WarehouseError` when the admin connection may not make roles, or when the
        role turns out to hold more than a user may (`check_user`).
        """
        if login.password is None:
            raise WarehouseError("a user role needs a password")
        verifier = quote_literal(scram_verifier(login.password))
        role = quote_ident(login.role)
        with self._cursor() as cur:
            if self._exists(cur, login.role):
                cur.execute(f"ALTER ROLE {role} {_USER_ATTRIBUTES} PASSWORD {verifier}")
            else:
                cur.execute(f"CREATE ROLE {role} {_USER_ATTRIBUTES} PASSWORD {verifier}")
            cur.execute(f"GRANT {quote_ident(group)} TO {role}")
            self._comment(cur, login.role)
        self.check_user(login.role)

    def check_user(self, role: str) -> None:
        """Raise `WarehouseError` unless ``role`` is a plain user: not a superuser, no
        role-making, replication or RLS bypass, and no way to the server's files or
        programs (membership, direct or not, in `FORBIDDEN_ROLES`)."""
        with self._cursor() as cur:
            cur.execute(
                "SELECT rolsuper, rolcreaterole, rolcreatedb, rolreplication, rolbypassrls"
                " FROM pg_roles WHERE rolname = %s",
                (role,),
            )
            row = cur.fetchone()
            if row is None:
                raise WarehouseError(f"role {role} does not exist")
            if any(row):
                raise WarehouseError(f"role {role} holds administrative attributes")
            for forbidden in FORBIDDEN_ROLES:
                cur.execute("SELECT pg_has_role(%s, %s, 'MEMBER')", (role, forbidden))
                if cur.fetchone()[0]:  # type: ignore[index]
                    raise WarehouseError(f"role {role} is a member of {forbidden}")

    def set_login(self, role: str, active: bool) -> None:
        """Let the role log in again, or not (``NOLOGIN``, e.g. for a user who left)."""
        with self._cursor() as cur:
            cur.execute(f"ALTER ROLE {quote_ident(role)} {'LOGIN' if active else 'NOLOGIN'}")

    # -- what the warehouse says about its roles -------------------------------------

    def current_role(self) -> str:
        """The role the admin connection logs in as."""
        with self._cursor() as cur:
            cur.execute("SELECT current_user")
            return str(cur.fetchone()[0])  # type: ignore[index]

    def logins(self, roles: list[str]) -> dict[str, bool]:
        """Whether each of ``roles`` that exists may log in."""
        with self._cursor() as cur:
            cur.execute(
                "SELECT rolname, rolcanlogin FROM pg_roles WHERE rolname = ANY(%s)", (roles,)
            )
            return {str(name): bool(login) for name, login in cur.fetchall()}

    def groups(self, roles: list[str]) -> list[tuple[str, list[str]]]:
        """Every role that one of ``roles`` belongs to, with those of ``roles`` in it."""
        with self._cursor() as cur:
            cur.execute(
                "SELECT g.rolname, array_agg(m.rolname ORDER BY m.rolname)"
                " FROM pg_auth_members a JOIN pg_roles g ON g.oid = a.roleid"
                " JOIN pg_roles m ON m.oid = a.member"
                " WHERE m.rolname = ANY(%s) GROUP BY g.rolname ORDER BY g.rolname",
                (roles,),
            )
            return [(str(name), list(members)) for name, members in cur.fetchall()]

    def schema_privileges(self, schema: str, role: str) -> Privileges | None:
        """What ``role`` holds on a schema (its own grants, its groups' and PUBLIC's), or
        ``None`` when the schema does not exist."""
        with self._cursor() as cur:
            cur.execute("SELECT oid FROM pg_namespace WHERE nspname = %s", (schema,))
            if cur.fetchone() is None:
                return None
            return self._privileges(
                cur,
                role,
                _SCHEMA_PRIVILEGES,
                "has_schema_privilege(%s, %s, %s)",
                (schema,),
            )

    def table_privileges(self, schema: str, table: str, role: str) -> Privileges | None:
        """What ``role`` holds on a table, or ``None`` when the table does not exist."""
        qualified = f"{quote_ident(schema)}.{quote_ident(table)}"
        with self._cursor() as cur:
            cur.execute(
                "SELECT c.oid FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
                " WHERE n.nspname = %s AND c.relname = %s",
                (schema, table),
            )
            if cur.fetchone() is None:
                return None
            return self._privileges(
                cur,
                role,
                _TABLE_PRIVILEGES,
                "has_table_privilege(%s, %s, %s)",
                (qualified,),
            )

    @staticmethod
    def _privileges(
        cur: psycopg.Cursor[Any],
        role: str,
        names: tuple[str, ...],
        check: str,
        target: tuple[str, ...],
    ) -> Privileges:
        held, grantable = [], []
        for name in names:
            cur.execute(f"SELECT {check}", (role, *target, name))
            if cur.fetchone()[0]:  # type: ignore[index]
                held.append(name)
            cur.execute(f"SELECT {check}", (role, *target, f"{name} WITH GRANT OPTION"))
            if cur.fetchone()[0]:  # type: ignore[index]
                grantable.append(name)
        cur.execute("SELECT rolcanlogin FROM pg_roles WHERE rolname = %s", (role,))
        row = cur.fetchone()
        kind = "user" if row is not None and row[0] else "group"
        return Privileges(role, kind, held, grantable)
