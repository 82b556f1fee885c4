"""SQLAlchemy Core tables of the metadata store.

Every change here needs an Alembic revision in ``store/migrations/versions``; a test
checks that the migrated schema equals this metadata on SQLite and PostgreSQL.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

# Explicit constraint names keep migrations identical on SQLite and PostgreSQL.
# Strings a client supplies are Text: the API sets no length limit, and a VARCHAR(n)
# would turn long input into a database error on PostgreSQL instead of a stored value.
metadata = MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)


def _timestamps() -> list[Column]:
    return [
        Column("created_at", DateTime(timezone=True), nullable=False),
        Column("updated_at", DateTime(timezone=True), nullable=False),
    ]


users = Table(
    "users",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("username", Text, nullable=False, unique=True),
    Column("name", Text, nullable=False),
    Column("email", Text, nullable=True),
    Column("initials", Text, nullable=True),
    Column("is_admin", Boolean, nullable=False, default=False),
    Column("active", Boolean, nullable=False, default=True),
    Column("primary_group_id", Integer, nullable=True),
    Column("city", Text, nullable=True),
    Column("state", Text, nullable=True),
    Column("time_zone", Text, nullable=True),
    Column("department", Text, nullable=True),
    Column("title", Text, nullable=True),
    Column("phone", Text, nullable=True),
    Column("robot", Boolean, nullable=False, default=False),
    Column("preferences", Text, nullable=False, default="{}"),
    Column("last_checked_announcements", DateTime(timezone=True), nullable=True),
    Column("created_by_id", Integer, nullable=True),
    Column("last_updated_by_id", Integer, nullable=True),
    *_timestamps(),
)

groups = Table(
    "groups",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", Text, nullable=False),
    Column("slug", Text, nullable=False, unique=True),
    Column("description", Text, nullable=True),
    Column("default_time_zone", Text, nullable=True),
    Column("default_jobs_label", Text, nullable=True),
    Column("default_notebooks_label", Text, nullable=True),
    Column("default_services_label", Text, nullable=True),
    Column("default_otp_required_for_login", Boolean, nullable=False, default=False),
    Column("created_by_id", Integer, nullable=True),
    Column("last_updated_by_id", Integer, nullable=True),
    *_timestamps(),
)

group_members = Table(
    "group_members",
    metadata,
    Column("group_id", Integer, ForeignKey("groups.id", ondelete="CASCADE"), primary_key=True),
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
)

api_keys = Table(
    "api_keys",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("name", Text, nullable=False),
    # The public lookup prefix lets verification touch exactly one row.
    Column("prefix", String(32), nullable=False, unique=True),
    Column("salt", String(64), nullable=False),
    Column("digest", String(128), nullable=False),
    Column("expires_at", DateTime(timezone=True), nullable=True),
    Column("revoked_at", DateTime(timezone=True), nullable=True),
    Column("last_used_at", DateTime(timezone=True), nullable=True),
    Column("use_count", Integer, nullable=False, default=0),
    Column("created_at", DateTime(timezone=True), nullable=False),
    # Keys minted for one run (its CIVIS_API_KEY): revoked when the run ends.
    Column(
        "run_id",
        Integer,
        ForeignKey("runs.id", ondelete="CASCADE"),
        nullable=True,
        index=True,
    ),
)

remote_hosts = Table(
    "remote_hosts",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("owner_id", Integer, ForeignKey("users.id"), nullable=False),
    Column("name", Text, nullable=False),
    Column("type", Text, nullable=False),
    Column("url", Text, nullable=False),
    Column("description", Text, nullable=True),
    *_timestamps(),
)

databases = Table(
    "databases",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", Text, nullable=False, unique=True),
    Column("adapter", Text, nullable=False),
    Column("cluster_identifier", Text, nullable=True),
    Column("host", Text, nullable=True),
    Column("port", Integer, nullable=True),
    Column("database_name", Text, nullable=True),
    Column("managed", Boolean, nullable=False, default=True),
    # Where the warehouse lives (a DuckDB file path or a connection URL); never served.
    Column("location", Text, nullable=False),
    Column("remote_host_id", Integer, ForeignKey("remote_hosts.id"), nullable=True),
    *_timestamps(),
)

credentials = Table(
    "credentials",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("owner_id", Integer, ForeignKey("users.id"), nullable=False),
    Column("name", Text, nullable=True),
    Column("type", Text, nullable=False),
    Column("username", Text, nullable=False),
    # Kept for later use by data-plane programs; never returned by the API.
    Column("password", Text, nullable=False),
    Column("description", Text, nullable=True),
    Column("remote_host_id", Integer, ForeignKey("remote_hosts.id"), nullable=True),
    Column("state", Text, nullable=True),
    Column("is_default", Boolean, nullable=False, default=False),
    Column("oauth", Boolean, nullable=False, default=False),
    Column("system_credential", Boolean, nullable=False, default=False),
    *_timestamps(),
)

aliases = Table(
    "aliases",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("owner_id", Integer, ForeignKey("users.id"), nullable=False),
    Column("object_id", Integer, nullable=False),
    Column("object_type", Text, nullable=False),
    Column("alias", Text, nullable=False),
    Column("display_name", Text, nullable=True),
    *_timestamps(),
    UniqueConstraint("object_type", "alias", name="uq_aliases_object_type_alias"),
)

# One table holds every share of every shareable object (object_type names the table).
shares = Table(
    "shares",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("object_type", String(64), nullable=False),
    Column("object_id", Integer, nullable=False),
    Column("grantee_type", String(8), nullable=False),  # "user" or "group"
    Column("grantee_id", Integer, nullable=False),
    Column("level", String(8), nullable=False),  # "read", "write" or "manage"
    UniqueConstraint(
        "object_type", "object_id", "grantee_type", "grantee_id", name="uq_shares_grant"
    ),
    Index("ix_shares_object", "object_type", "object_id"),
)

projects = Table(
    "projects",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("owner_id", Integer, ForeignKey("users.id"), nullable=False),
    Column("name", Text, nullable=False),
    Column("description", Text, nullable=True),
    Column("note", Text, nullable=True),
    Column("auto_share", Boolean, nullable=False, default=False),
    Column("hidden", Boolean, nullable=False, default=False),
    Column("archived", Boolean, nullable=False, default=False),
    *_timestamps(),
)

# Which objects sit in which projects (object_type is a Kind name, e.g. "credential").
project_objects = Table(
    "project_objects",
    metadata,
    Column("project_id", Integer, ForeignKey("projects.id", ondelete="CASCADE"), primary_key=True),
    Column("object_type", String(64), primary_key=True),
    Column("object_id", Integer, primary_key=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Index("ix_project_objects_object", "object_type", "object_id"),
)

# Uploaded files: metadata here, contents in the blob store under ``blob_key``.
# ``state`` is "pending" until the contents are stored, then "complete" (never back).
# Deleting a user (testing reset) takes their files with them.
files = Table(
    "files",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("owner_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("name", Text, nullable=False),
    Column("description", Text, nullable=True),
    Column("expires_at", DateTime(timezone=True), nullable=True),  # NULL: never expires
    Column("upload_kind", String(16), nullable=False),  # "single" or "multipart"
    Column("state", String(16), nullable=False),
    Column("num_parts", Integer, nullable=True),
    Column("multipart_upload_id", String(64), nullable=True),
    Column("blob_key", Text, nullable=True),
    Column("size", BigInteger, nullable=True),
    Column("md5", String(32), nullable=True),
    Column("completed_at", DateTime(timezone=True), nullable=True),
    # JSON ``detectedInfo`` (set by CSV preprocessing and by SQL exports), else NULL.
    Column("detected_info", Text, nullable=True),
    *_timestamps(),
    Index("ix_files_owner", "owner_id"),
)

# Jobs: anything that runs. ``type`` is a key of the job-type table (``runner.jobtypes``);
# ``config`` is the program's JSON configuration. Deleting the owner takes their jobs and
# runs along.
jobs = Table(
    "jobs",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("owner_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("name", Text, nullable=False),
    Column("type", String(64), nullable=False),
    Column("config", Text, nullable=False, default="{}"),
    Column("hidden", Boolean, nullable=False, default=False),
    Column("archived", Boolean, nullable=False, default=False),
    *_timestamps(),
    Index("ix_jobs_owner", "owner_id"),
)

# Runs of jobs; ``state`` changes only through ``runner.runs.transition`` (and the
# claim in ``runner.queue``). ``worker_id``/``heartbeat_at`` say who runs it and when it
# last proved alive; stalled runs are found by query.
runs = Table(
    "runs",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("job_id", Integer, ForeignKey("jobs.id", ondelete="CASCADE"), nullable=False),
    Column("state", String(16), nullable=False),
    Column("error", Text, nullable=True),
    Column("is_cancel_requested", Boolean, nullable=False, default=False),
    # How many times a worker claimed the run (a lost worker's run may be retried).
    Column("attempts", Integer, nullable=False, default=0, server_default="0"),
    Column("worker_id", String(64), nullable=True),
    Column("heartbeat_at", DateTime(timezone=True), nullable=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("started_at", DateTime(timezone=True), nullable=True),
    Column("finished_at", DateTime(timezone=True), nullable=True),
    Index("ix_runs_job", "job_id", "id"),
    Index("ix_runs_state", "state", "id"),
)

run_logs = Table(
    "run_logs",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("run_id", Integer, ForeignKey("runs.id", ondelete="CASCADE"), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("message", Text, nullable=False),
    Column("level", String(16), nullable=False),
    Index("ix_run_logs_run", "run_id", "id"),
)

# What a run produced: files, tables, JSON values (``value`` holds JSON text).
run_outputs = Table(
    "run_outputs",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("run_id", Integer, ForeignKey("runs.id", ondelete="CASCADE"), nullable=False),
    Column("object_type", String(32), nullable=False),
    Column("object_id", Integer, nullable=True),
    Column("name", Text, nullable=True),
    Column("value", Text, nullable=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Index("ix_run_outputs_run", "run_id", "id"),
)

# Warehouse tables the API has seen, so that each keeps one id for as long as it exists
# (Civis table ids are stable; the warehouse itself knows only names). Rows are added
# when a table is first listed or created and removed when it is found gone.
warehouse_tables = Table(
    "warehouse_tables",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("database_id", Integer, ForeignKey("databases.id", ondelete="CASCADE"), nullable=False),
    Column("schema_name", Text, nullable=False),
    Column("table_name", Text, nullable=False),
    Column("refreshed_at", DateTime(timezone=True), nullable=True),
    # What users say about the table (PATCH /tables/{id}); the lists are JSON text.
    Column("description", Text, nullable=True),
    Column("primary_keys", Text, nullable=True),
    Column("last_modified_keys", Text, nullable=True),
    Column("ontology_mapping", Text, nullable=True),
    *_timestamps(),
    UniqueConstraint("database_id", "schema_name", "table_name", name="uq_warehouse_tables_name"),
    # Rows come and go with tables: an id must never be handed out twice, or a client
    # still holding a dropped table's id would read another table (SQLite otherwise
    # reuses the highest id after a delete; PostgreSQL sequences never do).
    sqlite_autoincrement=True,
)

# Script templates: a published script (``script_id``, a job) that others run as custom
# scripts. Built-in library entries carry their ``library_key`` and a fixed id below
# `TEMPLATE_USER_IDS_START`; ids of users' templates start there (the migration sets
# the sequence), so a library entry added by a later upgrade never meets a taken id.
TEMPLATE_USER_IDS_START = 100_000
templates = Table(
    "templates",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("owner_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("script_id", Integer, ForeignKey("jobs.id", ondelete="CASCADE"), nullable=False),
    Column("name", Text, nullable=False),
    Column("note", Text, nullable=True),
    Column("category", Text, nullable=True),
    Column("ui_report_id", Integer, nullable=True),
    Column("library_key", String(64), nullable=True, unique=True),
    Column("hidden", Boolean, nullable=False, default=False),
    Column("archived", Boolean, nullable=False, default=False),
    *_timestamps(),
    sqlite_autoincrement=True,
)

# JSON values (run outputs of type JSONValue, ``/json_values``); ``value`` is JSON text.
json_values = Table(
    "json_values",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("owner_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("name", Text, nullable=False),
    Column("value", Text, nullable=False),
    *_timestamps(),
    Index("ix_json_values_owner", "owner_id"),
)

# Notebook records (``/notebooks``): metadata only, nothing is deployed here.
# ``config`` holds the remaining JSON fields (image, resources, requirements...).
notebooks = Table(
    "notebooks",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("owner_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("name", Text, nullable=False),
    Column("language", String(16), nullable=False),
    Column("description", Text, nullable=True),
    Column("config", Text, nullable=False, default="{}"),
    Column("hidden", Boolean, nullable=False, default=False),
    Column("archived", Boolean, nullable=False, default=False),
    *_timestamps(),
    Index("ix_notebooks_owner", "owner_id"),
)
