"""The "Import from URL" template's program: a CSV at a URL into a warehouse table.

It runs inside a run's sandbox as ``python -m civis_platform.programs.import_url``,
using this platform's ``civis`` client with the run's ``CIVIS_API_KEY``, so it can do
exactly what the script's owner can. It imports only the standard library, ``requests``
and ``civis`` (the sandbox has those, not the server's own dependencies).

Arguments (environment variables): ``URL`` (http or https; a platform file's
``fileUrl`` works too, as does a platform file link ``.../files/{id}``), ``TABLE_NAME``
(``schema.table``), ``IF_EXISTS`` (``fail``, ``append``, ``drop`` or ``truncate``;
default ``fail``) and ``DATABASE_NAME`` (a database name or id; default: the only
database the user has). The table becomes a ``Table`` output of the run.

Examples:
    >>> platform_file_id("http://h:1/files/42")
    42
    >>> platform_file_id("https://example.com/data.csv") is None
    True
    >>> on_endpoint("http://public.example:80/storage/x?s=1", "http://127.0.0.1:9/")
    'http://127.0.0.1:9/storage/x?s=1'
"""

from __future__ import annotations

import os
import re
import shutil
import sys
import tempfile
from typing import Any
from urllib.parse import urlsplit, urlunsplit

IF_EXISTS = ("fail", "append", "drop", "truncate")
_FILE_LINK = re.compile(r"/files/(\d+)/?$")


class ImportFailure(Exception):
    """A problem the user can fix; its message becomes the run's last error line."""


def platform_file_id(url: str) -> int | None:
    """The id of a platform file link (``.../files/{id}``), else None."""
    match = _FILE_LINK.search(urlsplit(url).path)
    return int(match.group(1)) if match else None


def on_endpoint(url: str, endpoint: str) -> str:
    """``url`` with its scheme and host replaced by the API endpoint's (a platform URL
    made for the outside, fetched from inside the sandbox)."""
    parts, api = urlsplit(url), urlsplit(endpoint)
    return urlunsplit((api.scheme, api.netloc, parts.path, parts.query, ""))


def _download(url: str, target: Any) -> None:
    import requests

    endpoint = os.environ.get("CIVIS_API_ENDPOINT", "")
    candidates = [url]
    if endpoint and urlsplit(url).netloc != urlsplit(endpoint).netloc:
        candidates.append(on_endpoint(url, endpoint))
    last: Exception | None = None
    for candidate in candidates:
        try:
            with requests.get(candidate, stream=True, timeout=60) as response:
                if response.status_code >= 400:
                    raise ImportFailure(f"Downloading URL failed: HTTP {response.status_code}.")
                shutil.copyfileobj(response.raw, target)
                return
        except requests.ConnectionError as error:
            last = error
    raise ImportFailure(f"URL could not be reached: {last}")


def _database(client: Any, name: str | None) -> Any:
    if name:
        return int(name) if name.isdigit() else name
    databases = client.databases.list()
    if len(databases) != 1:
        raise ImportFailure("Give DATABASE_NAME: you can use several databases.")
    return databases[0].id


def run(env: dict[str, str]) -> int:
    """Import ``env``'s URL into its table; the new table's id."""
    import civis

    url = env.get("URL", "").strip()
    table = env.get("TABLE_NAME", "").strip()
    if_exists = (env.get("IF_EXISTS") or "fail").strip().lower()
    if not url or not table:
        raise ImportFailure("URL and TABLE_NAME are required.")
    if if_exists not in IF_EXISTS:
        raise ImportFailure(f"IF_EXISTS must be one of {', '.join(IF_EXISTS)}, not {if_exists!r}.")
    if "." not in table:
        raise ImportFailure("TABLE_NAME must be schema.table.")
    client: Any = civis.APIClient()
    database = _database(client, env.get("DATABASE_NAME"))
    file_id = platform_file_id(url)
    if file_id is None:
        if urlsplit(url).scheme not in ("http", "https"):
            raise ImportFailure("URL must be an http or https URL.")
        with tempfile.TemporaryFile() as spool:
            _download(url, spool)
            spool.seek(0)
            name = os.path.basename(urlsplit(url).path) or "import.csv"
            file_id = civis.io.file_to_civis(spool, name=name, client=client)
    print(f"Importing file {file_id} into {table} ({if_exists} if it exists).", flush=True)
    future = civis.io.civis_file_to_table(
        file_id, database, table, existing_table_rows=if_exists, client=client
    )
    future.result()
    table_id = int(client.get_table_id(table, database))
    job, run_id = env.get("CIVIS_JOB_ID"), env.get("CIVIS_RUN_ID")
    if job and run_id:
        client.scripts.post_containers_runs_outputs(int(job), int(run_id), "Table", table_id)
    print(f"Imported into {table} (table {table_id}).", flush=True)
    return table_id


def main() -> None:
    """Run with the process's environment; a clear last error line on failure."""
    try:
        run(dict(os.environ))
    except ImportFailure as error:
        print(f"Import from URL failed: {error}", file=sys.stderr)
        sys.exit(1)
    except Exception as error:
        print(f"Import from URL failed: {type(error).__name__}: {error}", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
