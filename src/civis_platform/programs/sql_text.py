"""Pure helpers for SQL scripts: Civis templating, splitting a script into statements,
and telling queries from other statements. No I/O; table-driven tests beside them.

Templating. A script's ``params`` declare names and types; ``arguments`` give values.
Each ``{{name}}`` in the SQL is replaced, verbatim (no quoting: Civis inserts the text
as is), by the param's fixed ``value``, else the argument, else the param's ``default``.
Values are checked against the param ``type``: ``integer``, ``float``, ``bool`` (written
``true``/``false``), text types as given. A required param without a value, a
placeholder nobody gives a value, or a value of the wrong type is a `TemplateError`.

Examples:
    >>> render_sql("select {{n}} as n, '{{ who }}' as w", [{"name": "n", "type": "integer"}],
    ...            {"n": 3, "who": "ann"})
    "select 3 as n, 'ann' as w"
    >>> split_statements("create table t (a text); insert into t values ('x;y'); ")
    ['create table t (a text)', "insert into t values ('x;y')"]
    >>> returns_rows("/* hi */ (select 1)"), returns_rows("insert into t values (1)")
    (True, False)
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

__all__ = [
    "TemplateError",
    "check_template",
    "render_sql",
    "returns_rows",
    "split_statements",
]

PLACEHOLDER = re.compile(r"\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}")
TRUE_WORDS = frozenset({"true", "t", "y", "yes", "1"})
FALSE_WORDS = frozenset({"false", "f", "n", "no", "0"})
# First keywords of statements that produce a result set (DuckDB adds FROM-first,
# DESCRIBE, SUMMARIZE, PRAGMA; both engines have SHOW and EXPLAIN).
ROW_KEYWORDS = frozenset(
    {"select", "with", "values", "table", "show", "explain", "describe", "summarize", "from"}
)
_DOLLAR_TAG = re.compile(r"\$([A-Za-z_][A-Za-z0-9_]*)?\$")


class TemplateError(ValueError):
    """The script's params and arguments do not fill its SQL; the message says why."""


def _as_type(name: str, kind: str, value: Any) -> str:
    """``value`` as the SQL text of a param of type ``kind``."""
    if kind == "integer":
        if isinstance(value, bool) or not isinstance(value, int | str):
            raise TemplateError(f"Argument {name} must be an integer, not {value!r}.")
        try:
            return str(int(str(value).strip()))
        except ValueError:
            raise TemplateError(f"Argument {name} must be an integer, not {value!r}.") from None
    if kind == "float":
        if isinstance(value, bool) or not isinstance(value, int | float | str):
            raise TemplateError(f"Argument {name} must be a number, not {value!r}.")
        try:
            return repr(float(str(value).strip())) if isinstance(value, str) else str(value)
        except ValueError:
            raise TemplateError(f"Argument {name} must be a number, not {value!r}.") from None
    if kind == "bool":
        if isinstance(value, bool):
            return "true" if value else "false"
        word = str(value).strip().lower()
        if word in TRUE_WORDS:
            return "true"
        if word in FALSE_WORDS:
            return "false"
        raise TemplateError(f"Argument {name} must be a boolean, not {value!r}.")
    if isinstance(value, dict | list):
        raise TemplateError(f"Argument {name} must be a single value, not {value!r}.")
    return str(value)


def _values(params: Sequence[Mapping[str, Any]], arguments: Mapping[str, Any]) -> dict[str, Any]:
    """Each known name's text (or ``None`` when a param has no value)."""
    values: dict[str, Any] = {
        str(k): _as_type(str(k), "string", v) for k, v in arguments.items() if v is not None
    }
    for param in params:
        name = str(param.get("name") or "")
        if not name:
            raise TemplateError("Every param needs a name.")
        kind = str(param.get("type") or "string")
        for source in (param.get("value"), arguments.get(name), param.get("default")):
            if source is not None and source != "":
                values[name] = _as_type(name, kind, source)
                break
        else:
            if param.get("required"):
                raise TemplateError(f"The required argument {name} was not given.")
            values[name] = ""
    return values


def check_template(
    sql: str, params: Sequence[Mapping[str, Any]], arguments: Mapping[str, Any]
) -> None:
    """Raise `TemplateError` if `render_sql` would (what a POST can refuse early)."""
    render_sql(sql, params, arguments)


def render_sql(sql: str, params: Sequence[Mapping[str, Any]], arguments: Mapping[str, Any]) -> str:
    """The SQL with every ``{{name}}`` replaced (see the module docstring).

    Examples:
        >>> render_sql("select {{flag}}", [{"name": "flag", "type": "bool"}], {"flag": "yes"})
        'select true'
        >>> render_sql("select {{x}}", [], {})
        Traceback (most recent call last):
        ...
        civis_platform.programs.sql_text.TemplateError: {{x}} has no value (no param or argument).
    """
    values = _values(params, arguments)

    def fill(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in values:
            raise TemplateError(f"{{{{{name}}}}} has no value (no param or argument).")
        return str(values[name])

    return PLACEHOLDER.sub(fill, sql)


def _skip_quoted(sql: str, i: int) -> int:
    """Index just past the quoted string, identifier or comment starting at ``i``."""
    char = sql[i]
    if char in "'\"":
        j = i + 1
        while j < len(sql):
            if sql[j] == char:
                if sql.startswith(char, j + 1):  # doubled quote: an escaped one
                    j += 2
                    continue
                return j + 1
            j += 1
        return len(sql)
    if sql.startswith("--", i):
        end = sql.find("\n", i)
        return len(sql) if end < 0 else end + 1
    if sql.startswith("/*", i):
        end = sql.find("*/", i + 2)
        return len(sql) if end < 0 else end + 2
    tag = _DOLLAR_TAG.match(sql, i)
    if tag is not None and (i == 0 or not (sql[i - 1].isalnum() or sql[i - 1] == "_")):
        end = sql.find(tag.group(0), tag.end())
        return len(sql) if end < 0 else end + len(tag.group(0))
    return i + 1


def _strip_comments(statement: str) -> str:
    """The statement without leading whitespace, comments and opening parentheses."""
    text = statement
    while True:
        text = text.lstrip().lstrip("(").lstrip()
        if text.startswith("--") or text.startswith("/*"):
            text = text[_skip_quoted(text, 0) :]
            continue
        return text


def split_statements(sql: str) -> list[str]:
    """The statements of a script, in order, without their ``;`` separators.

    A ``;`` inside a string, a quoted identifier, a dollar-quoted body or a comment does
    not split; statements holding only comments or whitespace are dropped.

    Examples:
        >>> split_statements("select 1 -- a; b\\n; select $$;$$")
        ['select 1 -- a; b', 'select $$;$$']
    """
    statements: list[str] = []
    start = i = 0
    while i < len(sql):
        char = sql[i]
        if char == ";":
            statements.append(sql[start:i])
            start = i = i + 1
        elif char in "'\"-/$":
            i = _skip_quoted(sql, i)
        else:
            i += 1
    statements.append(sql[start:])
    return [s.strip() for s in statements if _strip_comments(s)]


def returns_rows(statement: str) -> bool:
    """Whether a statement produces a result set (by its first keyword).

    Examples:
        >>> returns_rows("WITH x AS (SELECT 1) SELECT * FROM x"), returns_rows("drop table t")
        (True, False)
    """
    words = re.match(r"[A-Za-z]+", _strip_comments(statement))
    return words is not None and words.group(0).lower() in ROW_KEYWORDS
