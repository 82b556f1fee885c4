"""Run joblib's ``Parallel`` on Civis: every batch of tasks becomes a Civis job.

Register a backend factory under a name, then use it like any joblib backend::

    >>> import joblib
    >>> from civis.parallel import make_backend_factory
    >>> joblib.register_parallel_backend("civis", make_backend_factory())  # doctest: +SKIP
    >>> with joblib.parallel_config("civis"):  # doctest: +SKIP
    ...     squares = joblib.Parallel(n_jobs=8)(joblib.delayed(pow)(n, 2) for n in range(8))

Results and exceptions come back to the caller; when one task fails, the runs still
going are cancelled. The jobs run ``civis_joblib_worker`` (a command of this package, on
every image of civis-platform): nothing is ``pip install``-ed. Inside a Civis job,
`infer_backend_factory` copies the job's own image, resources and parameters.
"""

from __future__ import annotations

import os
from typing import Any

from civis.parallel._backend import JobSubmissionError, _CivisBackend
from civis.parallel._worker import worker_main

__all__ = [
    "KEYS_TO_INFER",
    "JobSubmissionError",
    "infer_backend_factory",
    "make_backend_factory",
    "make_backend_template_factory",
    "worker_main",
]

DEFAULT_IMAGE = "civisanalytics/datascience-python"
_DEFAULT_SETUP_CMD = ":"
_DEFAULT_REPO_SETUP_CMD = "cd /app; pip install .; cd /"
KEYS_TO_INFER = [
    "docker_image_name",
    "docker_image_tag",
    "repo_http_uri",
    "repo_ref",
    "remote_host_credential_id",
    "git_credential_id",
    "cancel_timeout",
    "time_zone",
]
_PARENT_PARAMS = frozenset({"CIVIS_PARENT_JOB_ID", "CIVIS_PARENT_RUN_ID"})


class _Factory:
    """A joblib backend factory: builds a fresh `_CivisBackend` per ``Parallel`` call."""

    def __init__(self, **config: Any) -> None:
        self.config = config

    def __call__(self, **joblib_kwargs: Any) -> _CivisBackend:
        return _CivisBackend(**self.config, nesting_level=joblib_kwargs.get("nesting_level"))

    def __repr__(self) -> str:
        return f"civis backend factory({self.config})"


def make_backend_factory(
    docker_image_name: str = DEFAULT_IMAGE,
    client: Any = None,
    polling_interval: float | None = None,
    setup_cmd: str | None = None,
    max_submit_retries: int = 0,
    max_job_retries: int = 0,
    hidden: bool = True,
    remote_backend: Any = "sequential",
    **kwargs: Any,
) -> _Factory:
    """A joblib backend factory that runs each batch as a container script.

    Parameters
    ----------
    docker_image_name : str
    client : APIClient, optional
    polling_interval : float, optional
    setup_cmd : str, optional
        Shell run before the worker (default ``:``; ``cd /app; pip install .; cd /``
        when ``repo_http_uri`` is given).
    max_submit_retries : int
        Retries of a failed submission (upload or job creation).
    max_job_retries : int
        Reruns of a failed job.
    hidden : bool
    remote_backend : str or "civis"
        The backend of nested ``Parallel`` calls inside the jobs.
    **kwargs
        More fields of ``POST /scripts/containers`` (``required_resources``,
        ``docker_image_tag``, ``params``, ``arguments``...).

    Examples
    --------
    >>> factory = make_backend_factory(required_resources={"cpu": 256, "memory": 512})
    >>> sorted(factory.config)[:2]
    ['client', 'docker_image_name']
    """
    if setup_cmd is None:
        setup_cmd = _DEFAULT_REPO_SETUP_CMD if kwargs.get("repo_http_uri") else (_DEFAULT_SETUP_CMD)
    return _Factory(
        docker_image_name=docker_image_name,
        client=client,
        polling_interval=polling_interval,
        setup_cmd=setup_cmd,
        max_submit_retries=max_submit_retries,
        max_n_retries=max_job_retries,
        hidden=hidden,
        remote_backend=remote_backend,
        **kwargs,
    )


def make_backend_template_factory(
    from_template_id: int,
    arguments: dict[str, Any] | None = None,
    client: Any = None,
    polling_interval: float | None = None,
    max_submit_retries: int = 0,
    max_job_retries: int = 0,
    hidden: bool = True,
    **kwargs: Any,
) -> _Factory:
    """A joblib backend factory that runs each batch as a custom script from a template
    whose backing script runs ``civis_joblib_worker`` (it reads ``JOBLIB_FUNC_FILE_ID``).

    Examples
    --------
    >>> make_backend_template_factory(17, {"DB": "x"}).config["from_template_id"]
    17
    """
    return _Factory(
        from_template_id=from_template_id,
        arguments=arguments,
        client=client,
        polling_interval=polling_interval,
        max_submit_retries=max_submit_retries,
        max_n_retries=max_job_retries,
        hidden=hidden,
        **kwargs,
    )


def infer_backend_factory(
    required_resources: dict[str, Any] | None = None,
    params: list[dict[str, Any]] | None = None,
    arguments: dict[str, Any] | None = None,
    client: Any = None,
    polling_interval: float | None = None,
    setup_cmd: str | None = None,
    max_submit_retries: int = 0,
    max_job_retries: int = 0,
    hidden: bool = True,
    remote_backend: Any = "sequential",
    **kwargs: Any,
) -> _Factory:
    """Inside a container job: a backend factory whose jobs copy this job's image,
    resources, parameters and arguments (yours merged on top).

    Raises
    ------
    RuntimeError
        Outside a Civis job (no ``CIVIS_JOB_ID``).

    Examples
    --------
    >>> infer_backend_factory()  # doctest: +SKIP
    civis backend factory(...)
    """
    job_id = os.environ.get("CIVIS_JOB_ID")
    if not job_id:
        raise RuntimeError(
            "infer_backend_factory runs inside a Civis container job (CIVIS_JOB_ID is not set)"
        )
    from civis.client import client_or_default

    client = client_or_default(client)
    state = dict(client.scripts.get_containers(int(job_id)).json())
    template_id = state.get("from_template_id")
    if template_id:
        backing = client.templates.get_scripts(template_id).get("script_id")
        own_arguments = state.get("arguments") or {}
        state = dict(client.scripts.get_containers(backing).json())
        state["arguments"] = {**(state.get("arguments") or {}), **own_arguments}
    merged_resources = {**(state.get("required_resources") or {}), **(required_resources or {})}
    by_name = {p["name"]: p for p in state.get("params") or [] if p.get("name")}
    by_name.update({p["name"]: p for p in params or []})
    merged_params = [p for name, p in by_name.items() if name not in _PARENT_PARAMS]
    merged_arguments = {
        k: v
        for k, v in {**(state.get("arguments") or {}), **(arguments or {})}.items()
        if k not in _PARENT_PARAMS
    }
    inferred = {k: state[k] for k in KEYS_TO_INFER if state.get(k) is not None}
    inferred.update(kwargs)
    return make_backend_factory(
        client=client,
        polling_interval=polling_interval,
        setup_cmd=setup_cmd,
        max_submit_retries=max_submit_retries,
        max_job_retries=max_job_retries,
        hidden=hidden,
        remote_backend=remote_backend,
        required_resources=merged_resources,
        params=merged_params,
        arguments=merged_arguments,
        **inferred,
    )
