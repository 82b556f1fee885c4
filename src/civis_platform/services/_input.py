"""Rules for text clients send that the API and the services both apply.

- Integers in query strings and paths are ASCII digits only: ``int()`` and
  ``str.isdigit`` also accept "¹", "²" or "1_000", which then fail later, deep in a
  query or a driver, as a server error.
- Strings must be ones every metadata store can hold: PostgreSQL cannot store NUL,
  and a lone surrogate ("\\ud800", which JSON can spell) cannot be encoded as UTF-8 at
  all. Both are refused up front with a 400 naming the field.
"""

from __future__ import annotations

import re
from typing import Any

from civis_platform.errors import BadRequestError

_ASCII_INT = re.compile(r"-?[0-9]{1,20}")


def parse_ascii_int(text: str) -> int | None:
    """The integer ``text`` spells in ASCII digits (optional leading minus), else None.

    Examples:
        >>> parse_ascii_int("42"), parse_ascii_int("-7")
        (42, -7)
        >>> [parse_ascii_int(t) for t in ["¹", "1_000", " 1", "+1", "1.0", ""]]
        [None, None, None, None, None, None]
    """
    return int(text) if _ASCII_INT.fullmatch(text) else None


def parse_id_list(field: str, text: str) -> list[int]:
    """A comma-separated list of ids ("1,2, 3"); 400 naming ``field`` otherwise.

    Examples:
        >>> parse_id_list("author", "1, 2,3")
        [1, 2, 3]
        >>> parse_id_list("author", "1,¹")
        Traceback (most recent call last):
        ...
        civis_platform.errors.BadRequestError: author must be a comma-separated list of ids.
    """
    ids: list[int] = []
    for part in str(text).split(","):
        number = parse_ascii_int(part.strip())
        if number is None or not 0 <= number < 2**31:
            raise BadRequestError(f"{field} must be a comma-separated list of ids.", field=field)
        ids.append(number)
    return ids


def text_problem(value: str) -> str | None:
    """Why the store cannot hold ``value`` ("NUL characters", "a lone surrogate"), or None.

    Examples:
        >>> text_problem("fine"), text_problem("a" + chr(0)), text_problem(chr(0xD800))
        (None, 'NUL characters', 'unpaired surrogate characters')
    """
    if "\x00" in value:
        return "NUL characters"
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return "unpaired surrogate characters"
    return None


def check_text(field: str, value: str) -> None:
    """Refuse a string the store cannot hold, naming ``field``.

    Examples:
        >>> check_text("name", chr(0xDFFF))
        Traceback (most recent call last):
        ...
        civis_platform.errors.BadRequestError: name must not contain unpaired surrogate characters.
    """
    problem = text_problem(value)
    if problem is not None:
        raise BadRequestError(f"{field} must not contain {problem}.", field=field)


def check_json_text(value: Any, field: str = "body") -> None:
    """:func:`check_text` on every string (keys too) of a parsed JSON value.

    ``field`` names where ``value`` sits; nested places are dotted (``arguments.x``),
    list positions bracketed (``fileIds[2]``).

    Examples:
        >>> check_json_text({"name": "ok", "arguments": {"a": ["x", chr(0)]}})
        Traceback (most recent call last):
        ...
        civis_platform.errors.BadRequestError: arguments.a[1] must not contain NUL characters.
    """
    stack: list[tuple[str, Any]] = [(field, value)]
    while stack:
        where, item = stack.pop()
        if isinstance(item, str):
            check_text(where, item)
        elif isinstance(item, dict):
            for key, child in item.items():
                problem = text_problem(key)
                if problem is not None:
                    raise BadRequestError(f"A key in {where} must not contain {problem}.", where)
                name = key if where == "body" else f"{where}.{key}"
                stack.append((name, child))
        elif isinstance(item, list):
            stack.extend((f"{where}[{i}]", child) for i, child in enumerate(item))
