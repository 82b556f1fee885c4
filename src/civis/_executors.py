"""Executors that run work as Civis jobs: `CustomScriptExecutor` (a custom script per
task, from a template) and `_ContainerShellExecutor` (a container script per shell
command, what `civis.parallel` builds on).

Each ``submit`` creates a script (hidden by default), starts a run and returns a
`concurrent.futures.Future` of it (`civis.futures._ContainerFuture`), so the standard
library's ``wait`` and ``as_completed`` work.  Inside a Civis job, each child carries its
parent's ids (``CIVIS_PARENT_JOB_ID``, ``CIVIS_PARENT_RUN_ID``) as arguments.

Examples
--------
>>> from civis.futures import _ContainerShellExecutor
>>> with _ContainerShellExecutor() as ex:  # doctest: +SKIP
...     fut = ex.submit("echo", "hello")
>>> fut.succeeded()  # doctest: +SKIP
True
"""

from __future__ import annotations

import itertools
import os
import threading
from concurrent import futures
from datetime import date
from typing import Any

from civis.client import client_or_default
from civis.futures import _ContainerFuture
from civis.polling import field_of

__all__ = [
    "CustomScriptExecutor",
    "_CivisExecutor",
    "_ContainerShellExecutor",
    "_create_docker_command",
]

DEFAULT_IMAGE = "civisanalytics/datascience-python"
DEFAULT_RESOURCES = {"cpu": 1024, "memory": 1024}
_PARENT_IDS = (("CIVIS_PARENT_JOB_ID", "CIVIS_JOB_ID"), ("CIVIS_PARENT_RUN_ID", "CIVIS_RUN_ID"))


def _create_docker_command(*args: Any, **kwargs: Any) -> str:
    """A shell command from positional words and ``--key value`` options.

    Examples
    --------
    >>> _create_docker_command("python", "run.py", n=3, mode="fast")
    'python run.py --n 3 --mode fast'
    """
    words = [str(a) for a in args]
    for key, value in kwargs.items():
        words += [f"--{key}", str(value)]
    return " ".join(words)


def parent_arguments() -> dict[str, int]:
    """This job's ids as a child's ``CIVIS_PARENT_*`` arguments (empty outside a job).

    Examples
    --------
    >>> import os
    >>> os.environ.pop("CIVIS_JOB_ID", None) and None
    >>> parent_arguments()
    {}
    """
    found = {}
    for child_name, own_name in _PARENT_IDS:
        value = os.environ.get(own_name)
        if value and value.isdigit():
            found[child_name] = int(value)
    return found


class _CivisExecutor(futures.Executor):
    """What both executors share: naming, submitting, tracking, cancelling, shutting down.

    Subclasses implement ``_create_job(name, *args, **kwargs) -> job id``.
    """

    _default_name = "CivisExecutorScript"

    def __init__(
        self,
        script_name: str | None = None,
        max_n_retries: int = 0,
        client: Any = None,
        polling_interval: float | None = None,
        inc_script_names: bool = False,
    ) -> None:
        self.max_n_retries = max_n_retries
        self.polling_interval = polling_interval
        self.inc_script_names = inc_script_names
        self.script_name = script_name or f"{self._default_name} {date.today().isoformat()}"
        self._client = client
        self._futures: list[_ContainerFuture] = []
        self._lock = threading.Lock()
        self._counter = itertools.count(1)
        self._shut = False

    @property
    def client(self) -> Any:
        """The API client (from the environment unless one was given)."""
        if self._client is None:
            self._client = client_or_default(None)
        return self._client

    def _next_name(self) -> str:
        if not self.inc_script_names:
            return self.script_name
        return f"{self.script_name} {next(self._counter)}"

    def _create_job(self, name: str, *args: Any, **kwargs: Any) -> int:
        raise NotImplementedError

    def submit(self, fn: Any, /, *args: Any, **kwargs: Any) -> _ContainerFuture:
        """Create a job for ``fn(*args, **kwargs)``, start a run, return its future.

        Raises
        ------
        RuntimeError
            After `shutdown`.
        """
        with self._lock:
            if self._shut:
                raise RuntimeError("cannot schedule new futures after shutdown")
            name = self._next_name()
        job_id = self._create_job(name, fn, *args, **kwargs)
        run = self.client.jobs.post_runs(job_id)
        future = _ContainerFuture(
            job_id,
            field_of(run, "id"),
            max_n_retries=self.max_n_retries,
            polling_interval=self.polling_interval,
            client=self.client,
            poll_on_creation=False,
        )
        with self._lock:
            self._futures.append(future)
        return future

    def cancel_all(self) -> None:
        """Cancel every run of this executor that is not done yet."""
        with self._lock:
            pending = [f for f in self._futures if not f.done()]
        for future in pending:
            future.cancel()

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        """Accept no more work; with ``wait``, return when every run is done.

        Examples
        --------
        >>> ex = CustomScriptExecutor(7)
        >>> ex.shutdown()
        >>> ex.submit()
        Traceback (most recent call last):
        RuntimeError: cannot schedule new futures after shutdown
        """
        with self._lock:
            self._shut = True
            submitted = list(self._futures)
        if cancel_futures:
            self.cancel_all()
        if wait:
            futures.wait(submitted)


class _ContainerShellExecutor(_CivisExecutor):
    """Run shell commands as container scripts: ``submit("cmd", *args, **options)``.

    Parameters
    ----------
    docker_image_name : str
    name : str, optional
        Script names (default ``"ContainerShellExecutorScript YYYY-MM-DD"``).
    required_resources : dict, optional
        Default ``{"cpu": 1024, "memory": 1024}``.
    hidden : bool
    max_n_retries : int
        Rerun a failed run this many times.
    client : APIClient, optional
    polling_interval : float, optional
    inc_script_names : bool
        Number the scripts: ``"<name> 1"``, ``"<name> 2"``...
    **kwargs
        More fields of ``POST /scripts/containers`` (``params``, ``arguments``...).

    Examples
    --------
    >>> ex = _ContainerShellExecutor(required_resources={"cpu": 256, "memory": 512})
    >>> fut = ex.submit("python", "-c", "'print(1)'")  # doctest: +SKIP
    """

    _default_name = "ContainerShellExecutorScript"

    def __init__(
        self,
        docker_image_name: str = DEFAULT_IMAGE,
        name: str | None = None,
        required_resources: dict[str, Any] | None = None,
        hidden: bool = True,
        max_n_retries: int = 0,
        client: Any = None,
        polling_interval: float | None = None,
        inc_script_names: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(name, max_n_retries, client, polling_interval, inc_script_names)
        self.docker_image_name = docker_image_name
        self.required_resources = dict(required_resources or DEFAULT_RESOURCES)
        self.hidden = hidden
        self.container_kwargs = kwargs

    def _create_job(self, name: str, *args: Any, **kwargs: Any) -> int:
        command = _create_docker_command(*args, **kwargs)
        options = dict(self.container_kwargs)
        parents = parent_arguments()
        if parents:  # the children know their parent (the official client drops these)
            declared = [p for p in options.get("params", []) if p.get("name") not in parents]
            options["params"] = [
                *declared,
                *({"name": k, "type": "integer", "value": v} for k, v in parents.items()),
            ]
            options["arguments"] = {**options.get("arguments", {}), **parents}
        job = self.client.scripts.post_containers(
            required_resources=self.required_resources,
            docker_command=command,
            docker_image_name=self.docker_image_name,
            name=name,
            hidden=self.hidden,
            **options,
        )
        return int(field_of(job, "id"))


class CustomScriptExecutor(_CivisExecutor):
    """Run tasks as custom scripts from one template: ``submit(**arguments)``.

    Parameters
    ----------
    from_template_id : int
    name : str, optional
        Script names (default ``"CustomScriptExecutorScript YYYY-MM-DD"``).
    hidden : bool
    arguments : dict, optional
        Arguments of every task; ``submit``'s keywords are added on top.
    max_n_retries : int
    client : APIClient, optional
    polling_interval : float, optional
    inc_script_names : bool
    **kwargs
        More fields of ``POST /scripts/custom``.

    Examples
    --------
    >>> ex = CustomScriptExecutor(7, arguments={"DB": "prod"})
    >>> fut = ex.submit(TABLE="a.b")  # doctest: +SKIP
    >>> fut.result().state  # doctest: +SKIP
    'succeeded'
    """

    _default_name = "CustomScriptExecutorScript"

    def __init__(
        self,
        from_template_id: int,
        name: str | None = None,
        hidden: bool = True,
        arguments: dict[str, Any] | None = None,
        max_n_retries: int = 0,
        client: Any = None,
        polling_interval: float | None = None,
        inc_script_names: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(name, max_n_retries, client, polling_interval, inc_script_names)
        self.from_template_id = from_template_id
        self.hidden = hidden
        self.arguments = dict(arguments or {})
        self.kwargs = kwargs

    def submit(self, *args: Any, **arguments: Any) -> _ContainerFuture:
        """Run the template with ``arguments`` (on top of the executor's); its future."""
        if args:
            raise TypeError("CustomScriptExecutor.submit takes keyword arguments only")
        return super().submit(None, **arguments)

    def _create_job(self, name: str, *args: Any, **arguments: Any) -> int:
        # As the official client: the parent ids are always sent (None outside a job).
        parents: dict[str, Any] = {name: None for name, _ in _PARENT_IDS}
        merged = {**self.arguments, **arguments, **parents, **parent_arguments()}
        job = self.client.scripts.post_custom(
            self.from_template_id, name=name, arguments=merged, hidden=self.hidden, **self.kwargs
        )
        return int(field_of(job, "id"))
