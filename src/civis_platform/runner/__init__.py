"""The run engine: a durable queue in the metadata store, a dispatcher of worker
threads, and executors that run a job type's program for one run.

``base.py`` holds the :class:`~civis_platform.runner.base.Executor` protocol, the
:class:`~civis_platform.runner.base.RunContext` a program receives and the
``PROGRAMS`` registry; ``queue.py`` the claim (the only dialect-specific SQL);
``dispatcher.py`` the worker threads; ``local.py`` the in-process executor.
"""
