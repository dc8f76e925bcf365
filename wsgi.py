"""The WSGI entry point: ``gunicorn wsgi:app`` (see config/gunicorn.conf.py).

gunicorn builds the app once and forks its workers from it (``preload_app``). As the ``gc``
module's documentation advises for such servers, the collector stays off while the app is built
and then freezes what it built (modules, routes, schemas: long-lived, never garbage), so that
no worker's collection scans those objects again or copies their pages by touching them.
"""

import gc

gc.disable()
try:
    from creditbank.app import create_app

    app = create_app()
finally:
    gc.freeze()
    gc.enable()
