"""gunicorn settings for creditbank (``gunicorn -c config/gunicorn.conf.py wsgi:app``).

Every value can be overridden from the environment (``CREDITBANK_WORKERS``, …). The defaults
suit the 2-core machine this service is measured on: requests spend much of their time in the
database, so two threads per worker keep the cores busy without more processes.
"""

import os

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
