"""`civis_logger`: a logger that prints INFO and below to stdout and the rest to stderr."""

from __future__ import annotations

import logging
import os
import sys

__all__ = ["civis_logger"]


class _AtMost(logging.Filter):
    def __init__(self, level: int) -> None:
        super().__init__()
        self._level = level

    def filter(self, record: logging.LogRecord) -> bool:
        return record.levelno <= self._level


def civis_logger(
    name: str | None = None,
    level: int | str | None = None,
    fmt: str | logging.Formatter = "%(message)s",
) -> logging.Logger:
    """Return a logger for scripts run on Civis Platform.

    Records at INFO or below go to stdout, the rest to stderr (Platform colours stderr
    as errors).  The logger does not propagate to the root logger.

    Parameters
    ----------
    name : str, optional
        Logger name; by default the root logger, so that every library's records that
        propagate to it are printed too (as the official client does).
    level : int or str, optional
        Defaults to ``$CIVIS_LOG_LEVEL`` or INFO.
    fmt : str or logging.Formatter
        Format of both handlers.

    Examples
    --------
    >>> log = civis_logger("example", level="DEBUG")
    >>> log.info("hello")
    hello
    """
    logger = logging.getLogger(name)
    logger.setLevel(level or os.environ.get("CIVIS_LOG_LEVEL") or logging.INFO)
    logger.propagate = False
    formatter = fmt if isinstance(fmt, logging.Formatter) else logging.Formatter(fmt)
    # Unlike the official helper, calling it twice does not print every record twice.
    for handler in list(logger.handlers):
        if getattr(handler, "_civis", False):
            logger.removeHandler(handler)
    out = logging.StreamHandler(sys.stdout)
    out.addFilter(_AtMost(logging.INFO))
    err = logging.StreamHandler(sys.stderr)
    err.setLevel(logging.INFO + 1)
    for handler in (out, err):
        handler.setFormatter(formatter)
        handler._civis = True  # type: ignore[attr-defined]
        logger.addHandler(handler)
    return logger
