"""The WSGI entry point: ``gunicorn wsgi:app`` (see config/gunicorn.conf.py)."""

from creditbank.app import create_app

app = create_app()
