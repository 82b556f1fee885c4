"""A tiny check recorder shared by scenario scripts (which run under either client)."""

from __future__ import annotations

import json
import traceback
from collections.abc import Callable
from typing import Any

REPORT: dict[str, Any] = {}


def check(name: str) -> Callable[[Callable[[], None]], Callable[[], None]]:
    """Run the decorated function now; record "ok" or the failure with its traceback."""

    def run(fn: Callable[[], None]) -> Callable[[], None]:
        try:
            fn()
            REPORT[name] = "ok"
        except Exception as exc:
            REPORT[name] = f"{type(exc).__name__}: {exc}\n{traceback.format_exc(limit=4)}"
        return fn

    return run


def expect_raises(exc_type: type[BaseException], fn: Callable[[], Any]) -> BaseException:
    try:
        fn()
    except exc_type as exc:
        return exc
    raise AssertionError(f"expected {exc_type.__name__}")


def finish() -> None:
    print(json.dumps(REPORT))
