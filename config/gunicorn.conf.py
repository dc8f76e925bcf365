"""gunicorn settings for creditbank (``gunicorn -c config/gunicorn.conf.py wsgi:app``).

Every value can be overridden from the environment (``CREDITBANK_WORKERS``, …). The defaults
suit the 2-core machine this service is measured on: requests spend much of their time in the
database, so two threads per worker keep the cores busy without more processes.

Chosen with ``make bench`` (bench/single_posts.py, bench/reads.py; 16 clients, PostgreSQL) over
2×2, 2×4, 3×4, 4×4 and 2×8 (workers × threads): one worker per core, two threads each, was as
fast as any and had the lowest p99 (single posts 92 req/s, p99 510 ms against 51–71 req/s, p99
508–645 ms for the others; balance reads 263 req/s against 100–259). More processes than cores
only trade CPU between them and split the per-process conversion snapshots
(services/conversion.py) across more caches; more threads only queue on the GIL. A machine with
more cores: one worker per core, ``CREDITBANK_WORKERS``; keep the threads at 2.
"""

import os
import shutil
import tempfile
from pathlib import Path

# Prometheus metrics from every worker (creditbank/metrics.py): prometheus-client keeps each
# process's values in files in this directory, so it is set here, before the app is imported.
_OWN_METRICS_DIR = not os.environ.get("PROMETHEUS_MULTIPROC_DIR")
if _OWN_METRICS_DIR:
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="creditbank-metrics-")
os.makedirs(os.environ["PROMETHEUS_MULTIPROC_DIR"], exist_ok=True)  # before preload_app

bind = os.environ.get("CREDITBANK_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("CREDITBANK_WORKERS", "2"))
threads = int(os.environ.get("CREDITBANK_THREADS", "2"))
worker_class = "gthread" if threads > 1 else "sync"
timeout = int(os.environ.get("CREDITBANK_TIMEOUT", "60"))
graceful_timeout = 30
keepalive = 5
# Load the app once in the master, then fork: start-up errors (a missing secret) stop the
# server at once with one message instead of a crash loop of workers.
preload_app = True
accesslog = None  # the app writes its own JSON access line with the request id
errorlog = "-"
loglevel = os.environ.get("CREDITBANK_LOG_LEVEL", "info").lower()
forwarded_allow_ips = os.environ.get("CREDITBANK_FORWARDED_ALLOW_IPS", "127.0.0.1")


def post_fork(server, worker):
    """Each worker opens its own database connections, never the master's."""
    from creditbank.extensions import db

    app = worker.app.wsgi()
    with app.app_context():
        db.engine.dispose(close=False)


def on_starting(server):
    """Start the metrics empty: files left by an earlier server are not this one's counts."""
    for stale in Path(os.environ["PROMETHEUS_MULTIPROC_DIR"]).glob("*.db"):
        stale.unlink()


def child_exit(server, worker):
    """A dead worker's files stay in the sums (its requests happened), marked as dead."""
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)


def on_exit(server):
    if _OWN_METRICS_DIR:
        shutil.rmtree(os.environ["PROMETHEUS_MULTIPROC_DIR"], ignore_errors=True)
