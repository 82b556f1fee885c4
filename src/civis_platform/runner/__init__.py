"""The run engine, one layer: run persistence, the queue, workers, the job-type table,
and the executors that run programs in-process, in sandboxes or on Dask.

- ``states.py`` the five run states and the TRANSITIONS table; ``runs.py`` the one
  guarded writer of run state, logs and outputs; ``queue.py`` the claim and heartbeat
  (the only dialect-specific SQL); ``wakeup.py`` doorbells, across processes on
  PostgreSQL.
- ``jobtypes.py`` the declared table of job types; ``runspec.py`` the serialisable
  descriptions handed to executors (`RunSpec`, `Launch`, `Outcome`); ``host.py`` the
  host interface programs use.
- ``worker.py`` slots that claim and run; ``sandbox.py`` (with ``sandbox_init.py``,
  ``proxy.py``, ``cgroups.py``, ``logpump.py``) bubblewrap sandboxes for users' code;
  ``dask.py`` the Dask executor; ``remote.py`` the host over the API; ``images.py``
  runtime images built with uv.

Nothing here imports ``civis_platform.services`` or ``civis_platform.api``: the
composition root (``app.py``, the ``worker`` command) hands the worker a host factory.
"""
