"""Route declarations, written once for every resource.

An api module builds a :class:`Resource` and declares operations on it with
:meth:`Resource.op` (path, verb, summary, models, service function) and, for what
Civis repeats, :meth:`Resource.shares`, :meth:`Resource.runs` and their kin.
:func:`install` turns declarations into routes; ``spec.py`` turns the same
declarations into the Swagger 2.0 spec, so the served API and ``/endpoints`` cannot
drift apart.

Every handler does the same translation: path params, query model and body model
parsed (400 naming the field on bad input), one service call in a worker thread,
then the result shaped by the response model (a ``Page`` adds X-Pagination headers).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import anyio
from pydantic import BaseModel, ValidationError
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from civis_platform.api._models import (
    INT_MAX,
    INT_MIN,
    PagedQuery,
    QueryModel,
    RequestModel,
    ResponseModel,
    check_scalar,
    is_list_field,
)
from civis_platform.api._subresources import (
    ArchiveUpdate,
    JobOutput,
    LogQuery,
    ObjectProjectsQuery,
    ProjectListItem,
    RunLog,
    ShareGroupsUpdate,
    Shares,
    ShareUsersUpdate,
    Transfer,
    TransferUpdate,
)
from civis_platform.api.deps import service_context
from civis_platform.api.errors import validation_error_to_domain
from civis_platform.errors import (
    BadRequestError,
    NotFoundError,
    PayloadTooLargeError,
    UnsupportedMediaTypeError,
)
from civis_platform.runner.runs import LogPage
from civis_platform.services import _generic as services
from civis_platform.services._input import check_json_text, parse_ascii_int
from civis_platform.services._typed_runs import JobKind

PLACEHOLDER = re.compile(r"{([a-z_][a-z0-9_]*)}")
ServiceCall = Callable[..., Any]
# Logs are final once the run is: clients may cache them then.
FINAL_LOGS_CACHE = "max-age=86400"
# A body over the JSON limit is still read (and dropped) up to this many times the
# limit, so that the client sees the 413; beyond that the connection is closed.
DRAIN_FACTOR = 4


def log_headers(page: LogPage) -> tuple[Any, dict[str, str]]:
    """``civis-max-id`` when there are logs; ``civis-cache-control`` always."""
    headers = {"civis-cache-control": FINAL_LOGS_CACHE if page.final else "no-store"}
    if page.max_id is not None:
        headers["civis-max-id"] = str(page.max_id)
    return page.items, headers


def cancel_answer(cancel: ServiceCall) -> ServiceCall:
    """Wrap a cancelling service call: the reference declares no body for the 202, but
    the official ``CivisFuture.cancel()`` reads ``state`` from it, so we send one."""

    def call(ctx: Any, *, id: int, run_id: int) -> dict[str, Any]:
        cancel(ctx, id=id, run_id=run_id)
        return {"id": run_id, "state": "cancelled", "isCancelRequested": True}

    return call


@dataclass(frozen=True)
class Operation:
    """One declared operation: everything the router and the spec need."""

    verb: str
    path: str  # exactly as in the reference spec, e.g. "/credentials/{id}"
    summary: str
    call: ServiceCall
    body: type[RequestModel] | None = None
    body_name: str | None = None
    body_required: bool = True
    query: type[QueryModel] | None = None
    response: type[ResponseModel] | None = None
    array: bool = False
    status: int = 200
    path_types: dict[str, str] = field(default_factory=dict)
    # For operations answered from the app itself (the spec), not from a service.
    wants_request: bool = False
    # Splits a service result into (body value, extra response headers), e.g. logs.
    headers: Callable[[Any], tuple[Any, dict[str, str]]] | None = None
    # The call waits on something other than the store (a warehouse), so even a read
    # runs in a worker thread rather than on the event loop.
    blocking: bool = False

    @property
    def path_params(self) -> list[str]:
        """Placeholder names in path order."""
        return PLACEHOLDER.findall(self.path)

    def path_type(self, name: str) -> str:
        """Swagger type of a path parameter (integers unless declared otherwise)."""
        return self.path_types.get(name, "integer")


@dataclass
class Resource:
    """The declared operations of one Civis resource (first path segment)."""

    name: str
    operations: list[Operation] = field(default_factory=list)

    def op(
        self, verb: str, path: str, summary: str, call: ServiceCall, **options: Any
    ) -> Operation:
        """Declare an operation; ``options`` are :class:`Operation` fields."""
        if not path.startswith(f"/{self.name}"):
            raise ValueError(f"{path} does not belong to resource {self.name}")
        operation = Operation(verb=verb.lower(), path=path, summary=summary, call=call, **options)
        self.operations.append(operation)
        return operation

    def _prefix(self, prefix: str | None) -> str:
        """Where an object's sub-resources hang: ``/{resource}`` unless a deeper path is
        given (``/scripts/sql``, whose objects live below the ``scripts`` resource)."""
        return prefix or f"/{self.name}"

    def shares(
        self, kind: services.Kind, *, level_noun: str = "this object", prefix: str | None = None
    ) -> None:
        """Declare the five share routes Civis gives every shareable object."""
        base = f"{self._prefix(prefix)}/{{id}}/shares"

        def list_shares(ctx: Any, *, id: int) -> Any:
            return services.list_shares(ctx, kind, id)

        def share_users(ctx: Any, *, id: int, body: dict[str, Any]) -> Any:
            return services.set_shares(
                ctx,
                kind,
                id,
                grantee_type="user",
                grantee_ids=body["user_ids"],
                permission_level=body["permission_level"],
            )

        def share_groups(ctx: Any, *, id: int, body: dict[str, Any]) -> Any:
            return services.set_shares(
                ctx,
                kind,
                id,
                grantee_type="group",
                grantee_ids=body["group_ids"],
                permission_level=body["permission_level"],
            )

        def unshare_user(ctx: Any, *, id: int, user_id: int) -> None:
            services.revoke_share(ctx, kind, id, grantee_type="user", grantee_id=user_id)

        def unshare_group(ctx: Any, *, id: int, group_id: int) -> None:
            services.revoke_share(ctx, kind, id, grantee_type="group", grantee_id=group_id)

        self.op(
            "get", base, f"List who can see {level_noun}", list_shares, response=Shares, array=True
        )
        self.op(
            "put",
            f"{base}/users",
            f"Grant users a permission level on {level_noun}",
            share_users,
            body=ShareUsersUpdate,
            response=Shares,
        )
        self.op(
            "delete",
            f"{base}/users/{{user_id}}",
            f"Take away a user's permission on {level_noun}",
            unshare_user,
            status=204,
        )
        self.op(
            "put",
            f"{base}/groups",
            f"Grant groups a permission level on {level_noun}",
            share_groups,
            body=ShareGroupsUpdate,
            response=Shares,
        )
        self.op(
            "delete",
            f"{base}/groups/{{group_id}}",
            f"Take away a group's permission on {level_noun}",
            unshare_group,
            status=204,
        )

    def transfer(self, kind: services.Kind, *, prefix: str | None = None) -> None:
        """Declare ``PUT /{resource}/{id}/transfer`` (hand ownership to another user)."""

        def transfer(ctx: Any, *, id: int, body: dict[str, Any]) -> Any:
            return services.transfer(ctx, kind, id, user_id=body["user_id"])

        self.op(
            "put",
            f"{self._prefix(prefix)}/{{id}}/transfer",
            "Hand ownership of this object to another user",
            transfer,
            body=TransferUpdate,
            body_name="TransferUpdate",
            response=Transfer,
        )

    def archive(
        self,
        kind: services.Kind,
        get: ServiceCall,
        response: type[ResponseModel],
        *,
        prefix: str | None = None,
    ) -> None:
        """Declare ``PUT /{resource}/{id}/archive``; answers with the object after the change."""

        def archive(ctx: Any, *, id: int, body: dict[str, Any]) -> Any:
            return services.set_archived(ctx, kind, id, status=body["status"], view=get)

        self.op(
            "put",
            f"{self._prefix(prefix)}/{{id}}/archive",
            "Archive or restore this object",
            archive,
            body=ArchiveUpdate,
            body_name="ArchiveUpdate",
            response=response,
        )

    def archive_and_delete(
        self,
        set_archived: ServiceCall,
        archive: ServiceCall,
        response: type[ResponseModel],
        *,
        noun: str,
        prefix: str | None = None,
    ) -> None:
        """Declare ``PUT {prefix}/{id}/archive`` (``set_archived``) and the deprecated
        ``DELETE {prefix}/{id}`` (``archive``), as a typed job (a CSV import, a preprocess
        job) has them; ``noun`` names the object in the DELETE summary."""
        base = f"{self._prefix(prefix)}/{{id}}"
        self.op(
            "put",
            f"{base}/archive",
            "Update the archive status of this object",
            set_archived,
            body=ArchiveUpdate,
            body_name="ArchiveUpdate",
            response=response,
        )
        self.op(
            "delete",
            base,
            f"Archive a {noun} (deprecated, use archiving endpoints instead)",
            archive,
            status=204,
        )

    def projects(self, kind: services.Kind, *, prefix: str | None = None) -> None:
        """Declare the three routes that put an object into projects and list them."""
        base = f"{self._prefix(prefix)}/{{id}}/projects"

        def list_projects(ctx: Any, *, id: int, query: dict[str, Any]) -> Any:
            return services.list_object_projects(ctx, kind, id, hidden=query.get("hidden"))

        def add(ctx: Any, *, id: int, project_id: int) -> None:
            services.add_to_project(ctx, kind, id, project_id=project_id)

        def remove(ctx: Any, *, id: int, project_id: int) -> None:
            services.remove_from_project(ctx, kind, id, project_id=project_id)

        self.op(
            "get",
            base,
            "List the projects this object is in",
            list_projects,
            query=ObjectProjectsQuery,
            response=ProjectListItem,
            array=True,
        )
        self.op("put", f"{base}/{{project_id}}", "Add this object to a project", add, status=204)
        self.op(
            "delete",
            f"{base}/{{project_id}}",
            "Remove this object from a project",
            remove,
            status=204,
        )

    def runs(
        self,
        kind: JobKind,
        run: type[ResponseModel],
        *,
        noun: str,
        prefix: str | None = None,
        post: ServiceCall | None = None,
        list_runs: ServiceCall | None = None,
        get_run: ServiceCall | None = None,
        outputs: ServiceCall | None = None,
    ) -> None:
        """Declare the run routes of a job-backed object: start (202), list, check,
        cancel and logs, and the outputs list when ``outputs`` is given.

        ``kind`` serves every route; ``post``, ``list_runs`` and ``get_run`` replace its
        calls where a resource shows more of a run (a SQL script's export files). ``noun``
        names the job in the list summary ("List runs for the given {noun} job").
        """
        base = f"{self._prefix(prefix)}/{{id}}/runs"
        self.op("post", base, "Start a run", post or kind.post_run, response=run, status=202)
        self.op(
            "get",
            base,
            f"List runs for the given {noun} job",
            list_runs or kind.list_runs,
            query=PagedQuery,
            response=run,
            array=True,
        )
        self.op(
            "get",
            f"{base}/{{run_id}}",
            "Check status of a run",
            get_run or kind.get_run,
            response=run,
        )
        self.run_cancel(kind.cancel_run, prefix=prefix)
        self.run_logs(kind.list_logs, prefix=prefix)
        if outputs is not None:
            self.run_outputs(outputs, prefix=prefix)

    def run_cancel(self, cancel: ServiceCall, *, prefix: str | None = None) -> None:
        """Declare ``DELETE {prefix}/{id}/runs/{run_id}`` (answered 202 with the run's state)."""
        self.op(
            "delete",
            f"{self._prefix(prefix)}/{{id}}/runs/{{run_id}}",
            "Cancel a run",
            cancel_answer(cancel),
            status=202,
        )

    def run_logs(self, list_logs: ServiceCall, *, prefix: str | None = None) -> None:
        """Declare ``GET {prefix}/{id}/runs/{run_id}/logs`` with its paging headers."""
        self.op(
            "get",
            f"{self._prefix(prefix)}/{{id}}/runs/{{run_id}}/logs",
            "Get the logs for a run",
            list_logs,
            query=LogQuery,
            response=RunLog,
            array=True,
            headers=log_headers,
        )

    def run_outputs(self, list_outputs: ServiceCall, *, prefix: str | None = None) -> None:
        """Declare ``GET {prefix}/{id}/runs/{run_id}/outputs``."""
        self.op(
            "get",
            f"{self._prefix(prefix)}/{{id}}/runs/{{run_id}}/outputs",
            "List the outputs for a run",
            list_outputs,
            query=PagedQuery,
            response=JobOutput,
            array=True,
        )


def route_sort_key(path: str) -> tuple[int, ...]:
    """Static segments before placeholders, position by position.

    So ``/users/me`` wins over ``/users/{id}`` and ``/aliases/{id}/shares`` over
    ``/aliases/{object_type}/{alias}``.

    Examples:
        >>> route_sort_key("/users/me") < route_sort_key("/users/{id}")
        True
    """
    return tuple(1 if s.startswith("{") else 0 for s in path.strip("/").split("/"))


def install(router_routes: list[Any], resources: Sequence[Resource]) -> None:
    """Append one Starlette route per declared path, answering each of its verbs.

    One route per path (not per operation) makes a 405 list every verb the path has
    in its ``Allow`` header.
    """
    by_path: dict[str, list[Operation]] = {}
    for resource in resources:
        for operation in resource.operations:
            by_path.setdefault(operation.path.rstrip("/") or "/", []).append(operation)
    for path in sorted(by_path, key=route_sort_key):
        endpoints = {op.verb.upper(): _endpoint(op) for op in by_path[path]}
        router_routes.append(Route(path, _dispatch(endpoints), methods=list(endpoints)))


def _dispatch(endpoints: dict[str, Callable[[Request], Any]]) -> Callable[[Request], Any]:
    if len(endpoints) == 1:
        return next(iter(endpoints.values()))

    async def endpoint(request: Request) -> Response:
        method = "GET" if request.method == "HEAD" else request.method
        response: Response = await endpoints[method](request)
        return response

    return endpoint


def _convert_path(operation: Operation, raw: dict[str, str]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for name in operation.path_params:
        value = raw[name]
        if operation.path_type(name) == "integer":
            number = parse_ascii_int(value)
            if number is None or not INT_MIN <= number <= INT_MAX:
                # Not an id at all: no such object, as for an unknown numeric id.
                check_scalar(name, value)
                raise NotFoundError(f"No {operation.path.split('/')[1]} with id {value!r}.")
            values[name] = number
        else:
            check_scalar(name, value)
            values[name] = value
    return values


def parse_query(model: type[QueryModel], request: Request) -> dict[str, Any]:
    """Validate query params: ``name[]`` arrays, repeated names, ``True``/``False``."""
    raw: dict[str, Any] = {}
    array_fields = {
        name for name, info in model.model_fields.items() if is_list_field(info.annotation)
    }
    for key, value in request.query_params.multi_items():
        name = key[:-2] if key.endswith("[]") else key
        if name in array_fields:
            raw.setdefault(name, []).append(value)
        else:
            raw[name] = value
    try:
        return model.model_validate(raw).model_dump(exclude_none=True)
    except ValidationError as error:
        raise validation_error_to_domain(error, "query") from None


async def read_body(request: Request, limit: int) -> bytes:
    """The request body, refused with a 413 past ``limit`` bytes.

    A declared ``Content-Length`` over the limit is refused without reading; a body
    without one is read until it passes the limit. Either way what was sent is drained
    (up to a bound) so the client reads the 413 instead of a reset connection.
    """
    declared = request.headers.get("content-length", "")
    too_large = declared.isascii() and declared.isdigit() and int(declared) > limit
    parts: list[bytes] = []
    total = 0
    async for chunk in request.stream():
        total += len(chunk)
        if too_large or total > limit:
            too_large = True
            parts.clear()
            if total > DRAIN_FACTOR * limit:
                break
        else:
            parts.append(chunk)
    if too_large:
        raise PayloadTooLargeError(
            f"The request body is larger than the {limit} bytes this server accepts "
            "for JSON (max_json_body_bytes); send file contents through a file upload."
        )
    return b"".join(parts)


def is_json_media_type(value: str | None) -> bool:
    """True for ``application/json`` and ``application/*+json`` (any parameters), or none.

    Examples:
        >>> [is_json_media_type(v) for v in ["application/json; charset=utf-8", None]]
        [True, True]
        >>> [is_json_media_type(v) for v in ["text/plain", "application/x-www-form-urlencoded"]]
        [False, False]
    """
    if not value:
        return True
    media = value.split(";", 1)[0].strip().lower()
    return media == "application/json" or (
        media.startswith("application/") and media.endswith("+json")
    )


async def parse_body(operation: Operation, request: Request) -> dict[str, Any]:
    """Validate the JSON body; the result holds only the fields actually given."""
    assert operation.body is not None
    raw = await read_body(request, request.app.state.platform.settings.max_json_body_bytes)
    if raw.strip() and not is_json_media_type(request.headers.get("content-type")):
        raise UnsupportedMediaTypeError(
            f"This operation takes a JSON body (Content-Type: application/json), "
            f"not {request.headers['content-type'][:100]!r}."
        )
    try:
        data = json.loads(raw) if raw.strip() else {}
    except (ValueError, UnicodeDecodeError, RecursionError):
        raise BadRequestError("The request body is not valid JSON.", field="body") from None
    if not isinstance(data, dict):
        raise BadRequestError("The request body must be a JSON object.", field="body")
    check_json_text(data)
    try:
        return operation.body.model_validate(data).given()
    except ValidationError as error:
        raise validation_error_to_domain(error, "body") from None


def shape(model: type[ResponseModel] | None, value: Any) -> Any:
    """Serialise a service result through the response model (camelCase, spec order)."""
    if model is None or value is None:
        return value
    if isinstance(value, BaseModel):
        value = value.model_dump()
    return model.model_validate(value).to_wire()


# Long polling: a GET carrying ``Prefer: wait=N`` (RFC 7240) whose answer is an object
# in an unfinished state is held until that state changes or N seconds pass, so a client
# waiting for a run learns of its end at once instead of after its next poll. Clients
# that do not send the header (the official one) see no difference.
MAX_PREFER_WAIT_SECONDS = 30.0
_ACTIVE_STATES = frozenset({"queued", "running"})
_PREFER_WAIT = re.compile(r"(?:^|[,;\s])wait\s*=\s*(\d+(?:\.\d+)?)", re.IGNORECASE)


def preferred_wait(request: Request) -> float:
    """Seconds the client is prepared to wait (``Prefer: wait=N``), capped; 0 if none.

    Examples:
        >>> from starlette.requests import Request
        >>> preferred_wait(Request({"type": "http", "headers": [(b"prefer", b"wait=5")]}))
        5.0
        >>> preferred_wait(Request({"type": "http", "headers": [(b"prefer", b"wait=999")]}))
        30.0
        >>> preferred_wait(Request({"type": "http", "headers": []}))
        0.0
    """
    match = _PREFER_WAIT.search(request.headers.get("prefer", ""))
    return min(float(match.group(1)), MAX_PREFER_WAIT_SECONDS) if match else 0.0


def _active_state(result: Any) -> str | None:
    state = result.get("state") if isinstance(result, dict) else None
    return state if state in _ACTIVE_STATES else None


def _endpoint(operation: Operation) -> Callable[[Request], Any]:
    async def invoke(request: Request, kwargs: dict[str, Any]) -> Any:
        if operation.wants_request:
            return operation.call(request, **kwargs)
        if (
            operation.verb == "get"
            and not operation.blocking
            and request.app.state.platform.store.reads_never_wait
        ):
            # Reads that cannot block (see Store.reads_never_wait) skip the thread hop.
            return operation.call(service_context(request), **kwargs)
        return await run_in_threadpool(operation.call, service_context(request), **kwargs)

    async def endpoint(request: Request) -> Response:
        kwargs: dict[str, Any] = _convert_path(operation, dict(request.path_params))
        if operation.query is not None:
            kwargs["query"] = parse_query(operation.query, request)
        if operation.body is not None:
            kwargs["body"] = await parse_body(operation, request)
        result = await invoke(request, kwargs)
        wait = preferred_wait(request) if operation.verb == "get" else 0.0
        if wait and (state := _active_state(result)) is not None:
            result = await _held(request, kwargs, invoke, result, state, wait)
        headers: dict[str, str] = {}
        if wait:
            headers["Preference-Applied"] = f"wait={wait:g}"
        if operation.headers is not None:
            result, extra = operation.headers(result)
            headers.update(extra)
        if isinstance(result, services.Page):
            headers |= {
                "X-Pagination-Per-Page": str(result.per_page),
                "X-Pagination-Current-Page": str(result.page_num),
                "X-Pagination-Total-Pages": str(result.total_pages),
                "X-Pagination-Total-Entries": str(result.total),
            }
            result = result.items
        if operation.status == 204 or (result is None and operation.response is None):
            return Response(status_code=operation.status, headers=headers)
        if isinstance(result, list):
            payload: Any = [shape(operation.response, item) for item in result]
        else:
            payload = shape(operation.response, result)
        return Response(
            json.dumps(payload, separators=(",", ":")),
            operation.status,
            headers=headers,
            media_type="application/json",
        )

    endpoint.__name__ = f"{operation.verb}_{operation.path}"
    return endpoint


async def _held(
    request: Request,
    kwargs: dict[str, Any],
    invoke: Callable[[Request, dict[str, Any]], Any],
    result: Any,
    state: str,
    wait: float,
) -> Any:
    """Re-read ``result`` until its state is no longer ``state`` or ``wait`` runs out.

    Re-reading (rather than subscribing to the run engine) also sees runs finished by
    other server processes; the interval grows from 10 ms to 50 ms, so a change is
    reported within tens of milliseconds at any age, for at most 20 reads a second
    (each well under a millisecond on SQLite).
    """
    deadline = anyio.current_time() + wait
    pause = 0.01
    while anyio.current_time() < deadline:
        await anyio.sleep(min(pause, max(deadline - anyio.current_time(), 0)))
        pause = min(pause * 1.5, 0.05)
        result = await invoke(request, kwargs)
        if not isinstance(result, dict) or result.get("state") != state:
            break
    return result
