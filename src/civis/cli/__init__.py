"""The ``civis`` command line: ``civis <resource> <operation> [ARGS] [--opt ...]``.

Commands are generated from the API spec (downloaded with ``$CIVIS_API_KEY`` from
``$CIVIS_API_ENDPOINT`` and cached on disk, as for `APIClient`).  Only the group and the
command actually invoked are built, so a call costs one spec load from the cache.

Examples
--------
.. code-block:: console

    $ civis users list-me
    $ civis scripts list-containers-runs 17 --limit 5 --json-output
"""

from civis.cli._main import cli, main

__all__ = ["cli", "main"]
