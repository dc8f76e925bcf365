"""gunicorn settings for creditbank (``gunicorn -c config/gunicorn.conf.py wsgi:app``).

Every value can be overridden from the environment (``CREDITBANK_WORKERS``, …). The defaults
suit the 2-core machine this service is measured on: requests spend much of their time in the
database, so two threads per worker keep the cores busy without more processes.

Chosen with ``make bench`` on PostgreSQL (bench/single_posts.py, bench/ingestion.py,
bench/reads.py; 2026-11-30, after the set-based posting path) over 2×2, 2×1, 3×1 and 4×1
(workers × threads): 2×2 ingested the most (2,400 outcomes/s against 1,750–2,340) and posted
as fast as any (270–300 single posts/s against 265–306), with p99 under 110 ms. Every figure is
CPU-bound: the two cores are shared by the workers, PostgreSQL and the load generator, so more
processes only trade CPU between them and split the per-process conversion snapshots
(services/conversion.py) across more caches; more threads only queue on the GIL. A machine
with more cores: one worker per core, ``CREDITBANK_WORKERS``; keep the threads at 2.

Worker class (issue 16, bench/single_posts.py on PostgreSQL, 2026-12-07, load average 7.5–11):
gthread 2×2 against sync 4×1, the same four requests at once. gthread posted 90/s (p50 168 ms)
and served the primary-key SELECT at 569/s; sync posted 51/s (p50 292 ms) and served the SELECT
at 171/s. The sync worker answers every request with ``Connection: close``, so each of the
16 clients pays a TCP connect and an accept per request, and twice the processes each keep their
own evaluator states and rulesets (half as many posts find the learner's state at hand). gevent
was not tried: psycopg waits in C, and would block the event loop without gevent's own waiting.

Behind nginx, give the upstream ``keepalive_requests 10`` (docs/operations.md, step 5): a kept-alive
connection stays with the worker that accepted it, and reopening it now and then spreads the
connections over the workers.
"""

import os
import shutil
import tempfile
from pathlib import Path

from config.settings import worker_timeout_seconds

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
# The app refuses to start unless every database wait is below this (config/settings.py), so
# that a stalled database answers 503 before a worker could be killed. (With threads, gunicorn
# kills a worker whose main loop stalls, not one whose request does: the waits are what bound
# a request.)
timeout = worker_timeout_seconds()
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
