"""Pure domain helpers: no Flask, no SQLAlchemy, no I/O."""
