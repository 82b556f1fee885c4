"""`ModelError`: a CivisML run that ran but whose model failed."""

from __future__ import annotations

from typing import Any

__all__ = ["ModelError"]


class ModelError(RuntimeError):
    """A CivisML model failed (bad target column, a model that would not fit, ...).

    Parameters
    ----------
    msg : str
        The failure, with the run's stack trace.
    estimator : object, optional
        The estimator of the run, when it could be loaded.
    metadata : dict, optional
        The run's ``model_info.json``.

    Examples
    --------
    >>> err = ModelError("Model run failed", metadata={"run": {"status": "exception"}})
    >>> err.metadata["run"]["status"], str(err)
    ('exception', 'Model run failed')
    """

    def __init__(self, msg: str, estimator: Any = None, metadata: Any = None) -> None:
        super().__init__(msg)
        self.msg = msg
        self.estimator = estimator
        self.metadata = metadata

    def __reduce__(self) -> tuple[Any, ...]:
        return type(self), (self.msg, self.estimator, self.metadata)
