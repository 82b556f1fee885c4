"""`ModelFuture`: the future of a CivisML training, prediction or registration run.

A CivisML run is a custom script backed by a container template, so it is polled through
``GET /scripts/containers/{id}/runs/{run}``.  When the run ends, its ``model_info.json``
is read *before* the future is marked done: a run that ended but whose model failed
(``run.status == "exception"``) completes with `ModelError`, so ``succeeded()`` and
``as_completed`` never see a half-finished answer.  The other outputs (metrics, the
estimator, the scores table, the training data) are read on first use and kept.
"""

from __future__ import annotations

import builtins
import concurrent.futures
import logging
import os
import re
import sys
import threading
import warnings
from typing import Any

from civis.client import client_or_default
from civis.futures import CivisFuture, ContainerFuture
from civis.ml._errors import ModelError
from civis.ml._outputs import (
    find_output_file,
    load_estimator,
    read_data_file,
    read_json_output,
    read_table,
)

__all__ = ["ModelFuture"]

log = logging.getLogger(__name__)

_METADATA = "model_info.json"
_METRICS = "metrics.json"
_TABLE = "predictions.csv"
_UNSET: Any = object()
# "file.py:12: UserWarning: text", as CivisML writes the warnings it caught.
_WARNING = re.compile(r"(?P<file>.*?):(?P<line>\d+): (?P<category>\w+): (?P<message>.*)", re.DOTALL)


def _nested(mapping: Any, *keys: Any) -> Any:
    for key in keys:
        try:
            mapping = mapping[key]
        except (KeyError, IndexError, TypeError):
            return None
    return mapping


def _reemit(messages: Any) -> None:
    for text in messages or ():
        match = _WARNING.fullmatch(str(text))
        if match is None:
            warnings.warn(str(text), UserWarning, stacklevel=3)
            continue
        category = getattr(builtins, match["category"], None)
        sklearn_exceptions = sys.modules.get("sklearn.exceptions")
        if category is None and sklearn_exceptions is not None:
            category = getattr(sklearn_exceptions, match["category"], None)
        if not (isinstance(category, type) and issubclass(category, Warning)):
            category = UserWarning
        warnings.warn_explicit(match["message"], category, match["file"], int(match["line"]))


class ModelFuture(ContainerFuture):
    """The run of a CivisML model, with its metadata, metrics, estimator and scores.

    Parameters
    ----------
    job_id, run_id : int
        The CivisML custom script and its run.
    train_job_id, train_run_id : int, optional
        For a prediction run, the training run whose model it uses; by default the run
        is a training run (``is_training``).
    polling_interval : int or float, optional
    client : APIClient, optional
    poll_on_creation : bool

    Examples
    --------
    >>> fut = ModelFuture(7072357, 58250695)  # doctest: +SKIP
    >>> fut.metrics["roc_auc"]  # doctest: +SKIP
    0.846
    >>> fut.estimator  # doctest: +SKIP
    Pipeline(steps=[...])
    """

    def __init__(
        self,
        job_id: int,
        run_id: int,
        train_job_id: int | None = None,
        train_run_id: int | None = None,
        polling_interval: int | float | None = None,
        client: Any = None,
        poll_on_creation: bool = True,
    ) -> None:
        client = client_or_default(client)
        self.is_training = train_job_id is None
        self.train_job_id = job_id if train_job_id is None else train_job_id
        self.train_run_id: Any = run_id if train_job_id is None else train_run_id
        self._outputs_lock = threading.Lock()
        self._metadata: Any = _UNSET
        self._warned = False
        self._validation_metadata: Any = _UNSET
        self._training_metadata: Any = _UNSET
        self._estimator: Any = _UNSET
        self._table: Any = _UNSET
        self._train_data: Any = _UNSET
        # CivisFuture, not ContainerFuture.__init__: that one warns it is deprecated.
        CivisFuture.__init__(
            self,
            client.scripts.get_containers_runs,
            (job_id, run_id),
            polling_interval=polling_interval,
            client=client,
            poll_on_creation=poll_on_creation,
        )

    def __reduce__(self) -> tuple[Any, ...]:
        # The client and the poller are not picklable: a copy polls anew with a client
        # from its own environment.
        train = (None, None) if self.is_training else (self.train_job_id, self.train_run_id)
        return type(self), (self.job_id, self.run_id, *train, self.polling_interval)

    def __repr__(self) -> str:
        return f"<ModelFuture job {self.job_id} run {self.run_id} {self._state.lower()}>"

    # -- completion ------------------------------------------------------------------------
    def _set_result_safely(self, value: Any) -> None:
        error = self._model_error()
        if error is not None:
            self._set_exception_safely(error)
        else:
            super()._set_result_safely(value)

    def _on_failure(self, response: Any) -> None:
        if self._rerun():
            if self.is_training:
                self.train_run_id = self.run_id
            return
        error = self._model_error()
        self._set_exception_safely(
            error if error is not None else self._failure_exception(response)
        )

    def _model_error(self) -> ModelError | None:
        """Read ``model_info.json``; a `ModelError` if it says the model failed."""
        try:
            metadata = read_json_output(self.client, self.job_id, self.run_id, _METADATA)
        except FileNotFoundError:
            metadata = None
        except Exception:  # the run's own outcome stands; the metadata stays unknown
            log.warning(
                "Could not read %s of job %s run %s",
                _METADATA,
                self.job_id,
                self.run_id,
                exc_info=True,
            )
            metadata = None
        self._metadata = metadata
        if _nested(metadata, "run", "status") != "exception":
            return None
        try:
            estimator = load_estimator(self.client, self.job_id, self.run_id)
        except Exception:  # a failed model rarely has one
            estimator = None
        trace = _nested(metadata, "run", "stack_trace") or _nested(metadata, "error") or ""
        return ModelError(f"Model run failed with stack trace:\n{trace}", estimator, metadata)

    def _wait(self) -> None:
        concurrent.futures.wait([self])

    # -- what the run says -----------------------------------------------------------------
    @property
    def table_fname(self) -> str:
        """The name of the out-of-sample scores output of a training run."""
        return _TABLE

    @property
    def metadata_fname(self) -> str:
        """The name of the metadata output of every CivisML run."""
        return _METADATA

    @property
    def state(self) -> str | None:
        """The run's state; for a run that ended, the model's status (e.g. ``exception``)."""
        state = self._civis_state
        if state in ("succeeded", "success"):
            status = _nested(self.metadata, "run", "status")
            if status is not None:
                return str(status)
        return state

    @property
    def metadata(self) -> Any:
        """The run's ``model_info.json`` (waits for the run), or None without one."""
        self._wait()
        metadata = None if self._metadata is _UNSET else self._metadata
        if metadata is not None and not self._warned:
            self._warned = True
            _reemit(metadata.get("warnings") if isinstance(metadata, dict) else None)
        return metadata

    @property
    def training_metadata(self) -> Any:
        """The ``model_info.json`` of the training run (this run's, when training)."""
        if self.is_training:
            return self.metadata
        with self._outputs_lock:
            if self._training_metadata is _UNSET:
                self._training_metadata = read_json_output(
                    self.client, self.train_job_id, self.train_run_id, _METADATA
                )
        return self._training_metadata

    @property
    def validation_metadata(self) -> Any:
        """The training run's ``metrics.json``, or None when validation was skipped."""
        if self.is_training:
            self._wait()
        with self._outputs_lock:
            if self._validation_metadata is _UNSET:
                try:
                    self._validation_metadata = read_json_output(
                        self.client, self.train_job_id, self.train_run_id, _METRICS
                    )
                except FileNotFoundError:
                    self._validation_metadata = None
        return self._validation_metadata

    @property
    def metrics(self) -> Any:
        """The validation metrics (``validation_metadata["metrics"]``), or None."""
        validation = self.validation_metadata
        return None if validation is None else validation.get("metrics")

    @property
    def estimator(self) -> Any:
        """The fitted scikit-learn estimator of the training run (``estimator.pkl``)."""
        if self.is_training:
            self.result()
        with self._outputs_lock:
            if self._estimator is _UNSET:
                self._estimator = load_estimator(self.client, self.train_job_id, self.train_run_id)
        return self._estimator

    @property
    def table(self) -> Any:
        """The scores as a DataFrame: out-of-sample scores of a training run (None when
        validation was skipped), or the predictions of a prediction run."""
        self.result()
        with self._outputs_lock:
            if self._table is _UNSET:
                self._table = self._read_table()
        return self._table

    def _read_table(self) -> Any:
        metadata = self.metadata
        if self.is_training:
            try:
                file_id = find_output_file(
                    self.client, self.job_id, self.run_id, _TABLE, regex=True
                )
            except FileNotFoundError:
                return None
            key = _nested(metadata, "run", "configuration", "data", "primary_key")
            return read_table(self.client, file_id, key)
        file_ids = _nested(metadata, "output_file_ids")
        if not file_ids:
            raise FileNotFoundError(
                f"Prediction run {self.job_id}/{self.run_id} wrote no output file."
            )
        key = _nested(metadata, "jobs", 0, "run", "configuration", "data", "primary_key")
        if key is None:
            key = _nested(metadata, "run", "configuration", "data", "primary_key")
        return read_table(self.client, int(file_ids[0]), key)

    @property
    def train_data_fname(self) -> str | None:
        """The name of the training-data file (the basename of its location)."""
        location = _nested(self.training_metadata, "run", "configuration", "data", "location")
        return None if location is None else os.path.basename(str(location))

    @property
    def train_data(self) -> Any:
        """The training data as a DataFrame: the Civis file it was read from, or a run
        output of that name; None when neither is there (e.g. data read from a table)."""
        location = _nested(self.training_metadata, "run", "configuration", "data", "location")
        with self._outputs_lock:
            if self._train_data is _UNSET:
                self._train_data = self._read_train_data(location)
        return self._train_data

    def _read_train_data(self, location: Any) -> Any:
        if location is None:
            return None
        match = re.fullmatch(r"civis://file/(\d+)", str(location))
        name = os.path.basename(str(location))
        if match is not None:
            file_id = int(match.group(1))
        else:
            try:
                file_id = find_output_file(
                    self.client,
                    self.train_job_id,
                    self.train_run_id,
                    rf"(^|/){re.escape(name)}$",
                    regex=True,
                )
            except FileNotFoundError:
                return None
        return read_data_file(self.client, file_id, name)
