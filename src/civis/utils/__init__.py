"""Run jobs and templates, and follow their logs.

Examples
--------
>>> from civis.utils import run_job, job_logs
>>> fut = run_job(42)  # doctest: +SKIP
>>> for log in job_logs(42, fut.run_id):  # doctest: +SKIP
...     print(log["message"])
"""

from civis.utils._jobs import job_logs, run_job, run_template

__all__ = ["job_logs", "run_job", "run_template"]
