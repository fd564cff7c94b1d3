"""What gunicorn needs for the portal; gunicorn reads ./gunicorn.conf.py by itself.

Workers, binding and the like stay on the command line (README, "Running on PostgreSQL with
gunicorn"). This file only:
- puts the request id (the portal's X-Request-ID) on each access-log line;
- keeps Prometheus's multi-process mode right when PROMETHEUS_MULTIPROC_DIR is set: the
  directory is emptied when gunicorn starts (figures of an earlier run would be added in), and
  the files of a worker that exits are marked dead.
"""

import os
from pathlib import Path

access_log_format = (
    '%(h)s %(l)s %(u)s %(t)s "%(r)s" %(s)s %(b)s "%(f)s" "%(a)s" %(D)sus '
    "request_id=%({x-request-id}o)s"
)


def on_starting(server):
    directory = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if directory:
        path = Path(directory)
        path.mkdir(parents=True, exist_ok=True)
        for stale in path.glob("*.db"):
            stale.unlink()


def child_exit(server, worker):
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
