"""The app factory: everything an instance needs is built here and kept on the app.

Importing this module opens nothing; ``create_app(settings)`` builds the `Platform`
(store, blob store, signing secret, warehouses, key verifier, rate limiter, job types,
images), installs the routes, and at start-up migrates the schema and (unless
``embedded_worker`` is off) starts a worker in this process. ``app.state.platform`` is
the one attribute the app carries.

FastAPI serves as the ASGI application object (lifespan, exception handlers,
middleware stack); routes are Starlette routes made from our own declarations
(`api._generic`), which also produce the served spec, so FastAPI's routing,
dependency injection and OpenAPI generation are deliberately not used.
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
from civis_platform.api.files import files
from civis_platform.api.files_preprocess import files_preprocess
from civis_platform.api.groups import groups
from civis_platform.api.imports import imports
from civis_platform.api.imports_csv import imports_csv
from civis_platform.api.jobs import jobs
from civis_platform.api.json_values import json_values
from civis_platform.api.middleware import CivisMiddleware
from civis_platform.api.notebooks import notebooks
from civis_platform.api.projects import projects
from civis_platform.api.queries import queries
from civis_platform.api.remote_hosts import remote_hosts
from civis_platform.api.scripts import scripts
from civis_platform.api.scripts_containers import scripts_containers
from civis_platform.api.scripts_custom import scripts_custom
from civis_platform.api.scripts_python import scripts_python
from civis_platform.api.scripts_sql import scripts_sql
from civis_platform.api.storage import StorageRoutes
from civis_platform.api.tables import tables
from civis_platform.api.templates import templates
from civis_platform.api.testing import testing_routes
from civis_platform.api.users import users
from civis_platform.config import Settings
from civis_platform.engine import start_embedded_worker
from civis_platform.janitor import Janitor
from civis_platform.runner.jobtypes import JOB_TYPES, JobTypes
from civis_platform.runner.worker import Worker
from civis_platform.services import files as file_services
from civis_platform.services.platform import Platform
from civis_platform.spec import build_spec
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
    scripts_python,
    scripts_custom,
    templates,
    json_values,
    notebooks,
    queries,
    tables,
    endpoints,
]


def create_app(settings: Settings, *, job_types: JobTypes = JOB_TYPES) -> FastAPI:
    """Build a server app for ``settings`` (the schema is migrated at start-up).

    Examples:
        >>> app = create_app(Settings(home="/tmp/civis-platform-doc"))
        >>> sorted(app.state.spec["paths"])[:2]
        ['/aliases/', '/aliases/{id}']
    """
    platform = Platform.open(settings, job_types=job_types)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        upgrade_to_head(platform.store.engine)
        janitor = Janitor(
            [lambda: file_services.housekeeping(platform)], settings.housekeeping_seconds
        ).start()
        # The run engine: recovers runs of dead workers, then claims queued runs.
        worker: Worker | None = None
        if settings.embedded_worker:
            worker = start_embedded_worker(platform)
        app.state.worker = worker
        yield
        if worker is not None:
            worker.stop()
        janitor.stop()
        platform.close()

    # FastAPI's own docs/OpenAPI routes are off: /endpoints is the spec of record.
    app = FastAPI(lifespan=lifespan, openapi_url=None, docs_url=None, redoc_url=None)
    app.state.platform = platform
    app.state.resources = list(RESOURCES)
    install_error_handlers(app)
    routes: list[Any] = app.router.routes
    _generic.install(routes, app.state.resources)
    if settings.testing:
        routes.extend(testing_routes())
    app.state.spec = build_spec(app)
    app.add_middleware(CivisMiddleware, verifier=platform.verifier, limiter=platform.limiter)
    # Outermost: presigned storage URLs carry their own token, so they skip API auth.
    app.add_middleware(StorageRoutes, platform=platform)
    return app
