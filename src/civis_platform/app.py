"""The app factory: everything an instance needs is built here and kept on the app.

Importing this module opens nothing; ``create_app(settings)`` builds the store,
verifier and rate limiter, migrates the schema on start-up, and installs routes.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI

from civis_platform.api import _generic
from civis_platform.api.aliases import aliases
from civis_platform.api.credentials import credentials
from civis_platform.api.databases import databases
from civis_platform.api.endpoints import endpoints
from civis_platform.api.errors import install_error_handlers
from civis_platform.api.files import StorageRoutes, files
from civis_platform.api.files_preprocess import files_preprocess
from civis_platform.api.groups import groups
from civis_platform.api.imports import imports
from civis_platform.api.imports_csv import imports_csv
from civis_platform.api.jobs import jobs
from civis_platform.api.middleware import CivisMiddleware
from civis_platform.api.projects import projects
from civis_platform.api.queries import queries
from civis_platform.api.remote_hosts import remote_hosts
from civis_platform.api.scripts import scripts
from civis_platform.api.scripts_containers import scripts_containers
from civis_platform.api.scripts_sql import scripts_sql
from civis_platform.api.tables import tables
from civis_platform.api.testing import testing_routes
from civis_platform.api.users import users
from civis_platform.config import Settings
from civis_platform.janitor import Janitor
from civis_platform.programs import containers as _container_program  # noqa: F401 (registers)
from civis_platform.programs import imports as _import_programs  # noqa: F401 (registers)
from civis_platform.programs import sql as _sql_programs  # noqa: F401 (registers)
from civis_platform.runner.dispatcher import Dispatcher
from civis_platform.services import files as file_services
from civis_platform.services.auth import KeyVerifier, RateLimiter
from civis_platform.services.warehouses import WarehousePool
from civis_platform.spec import build_spec
from civis_platform.store.db import Store
from civis_platform.store.migrate import upgrade_to_head

RESOURCES = [
    users,
    groups,
    credentials,
    databases,
    remote_hosts,
    aliases,
    projects,
    files,
    files_preprocess,
    imports,
    imports_csv,
    jobs,
    scripts,
    scripts_containers,
    scripts_sql,
    queries,
    tables,
    endpoints,
]


def create_app(settings: Settings) -> FastAPI:
    """Build a server app for ``settings`` (the schema is migrated at start-up).

    Examples:
        >>> app = create_app(Settings(home="/tmp/civis-platform-doc"))
        >>> sorted(app.state.spec["paths"])[:2]
        ['/aliases/', '/aliases/{id}']
    """
    store = Store.from_url(settings.resolved_metadata_url())
    verifier = KeyVerifier(store, settings.key_cache_seconds)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        upgrade_to_head(store.engine)
        # File contents and the URL signing secret (both under home by default).
        file_services.blob_store(settings)
        file_services.signing_secret(settings)
        janitor = Janitor(
            [lambda: file_services.housekeeping(settings, store)], settings.housekeeping_seconds
        ).start()
        # The run engine: recovers runs of dead workers, then claims queued runs.
        app.state.dispatcher = Dispatcher(store, settings, services=app.state).start()
        yield
        app.state.dispatcher.stop()
        janitor.stop()
        app.state.warehouses.close()
        store.dispose()

    # FastAPI's own docs/OpenAPI routes are off: /endpoints is the spec of record.
    app = FastAPI(lifespan=lifespan, openapi_url=None, docs_url=None, redoc_url=None)
    app.state.settings = settings
    app.state.store = store
    app.state.verifier = verifier
    app.state.warehouses = WarehousePool(store)
    app.state.resources = list(RESOURCES)
    app.state.limiter = RateLimiter(settings.rate_limit, settings.rate_limit_window_seconds)
    install_error_handlers(app)
    routes: list[Any] = app.router.routes
    _generic.install(routes, app.state.resources)
    if settings.testing:
        routes.extend(testing_routes())
    app.state.spec = build_spec(app)
    app.add_middleware(CivisMiddleware, verifier=verifier, limiter=app.state.limiter)
    # Outermost: presigned storage URLs carry their own token, so they skip API auth.
    app.add_middleware(StorageRoutes, state=app.state)
    return app
