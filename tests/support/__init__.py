"""Helpers shared by every test tier and by the benchmarks (``bench/`` imports them too):

- ``databases``: throw-away databases (an SQLite file, a PostgreSQL database dropped after);
- ``banks``: a bank in this process (its settings, its database migrated, the app on it);
- ``processes``: timeouts, polling with a deadline, commands and processes of the machine;
- ``gunicorn``: a real gunicorn on a prepared database, started and stopped.
- ``hostile_files``: spreadsheets built to hurt the reader (bombs, entities, damaged XML).

Nothing here asserts what the service should do: that is the tests' business.
"""
