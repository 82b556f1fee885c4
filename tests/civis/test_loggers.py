"""civis_logger routes by level and honours CIVIS_LOG_LEVEL."""

from __future__ import annotations

import logging
from typing import Any

from civis.loggers import civis_logger


def test_info_to_stdout_warning_to_stderr(capsys: Any) -> None:
    log = civis_logger("test-civis-logger-streams", level="DEBUG")
    log.debug("d")
    log.info("i")
    log.warning("w")
    log.error("e")
    out, err = capsys.readouterr()
    assert out.split() == ["d", "i"] and err.split() == ["w", "e"]
    assert log.propagate is False


def test_level_from_environment_and_no_duplicate_handlers(monkeypatch: Any, capsys: Any) -> None:
    monkeypatch.setenv("CIVIS_LOG_LEVEL", "WARNING")
    log = civis_logger("test-civis-logger-env")
    log = civis_logger("test-civis-logger-env")
    assert log.level == logging.WARNING and len(log.handlers) == 2
    log.info("hidden")
    log.warning("shown")
    out, err = capsys.readouterr()
    assert out == "" and err.strip() == "shown"


def test_custom_format(capsys: Any) -> None:
    log = civis_logger("test-civis-logger-fmt", fmt="[%(levelname)s] %(message)s")
    log.info("x")
    assert capsys.readouterr().out.strip() == "[INFO] x"


def test_default_is_the_root_logger(capsys: Any) -> None:
    root = logging.getLogger()
    saved = (root.level, root.propagate, list(root.handlers))
    try:
        log = civis_logger()
        assert log is root
        logging.getLogger("some.library").info("from a library")
        assert capsys.readouterr().out.strip() == "from a library"
    finally:
        for handler in list(root.handlers):
            root.removeHandler(handler)
        root.setLevel(saved[0])
        root.propagate = saved[1]
        for handler in saved[2]:
            root.addHandler(handler)
