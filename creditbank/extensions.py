"""The Flask extensions, created unbound here and bound to the app in the factory.

Flask-Migrate is bound lazily: it imports Alembic (0.1 s of every start-up), and only
``creditbank db upgrade``, ``flask db …`` and the tests ever migrate, never a server.
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING, Any, ClassVar

import click
from flask import Flask
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import MetaData

if TYPE_CHECKING:
    from flask_migrate import Migrate
    from flask_sqlalchemy.model import Model as _FlaskModel
    from sqlalchemy import Table
    from sqlalchemy.orm import DeclarativeBase

# Deterministic constraint names, so that Alembic migrations and the models agree on both
# databases and a later migration can drop a constraint by name.
NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

db = SQLAlchemy(metadata=MetaData(naming_convention=NAMING_CONVENTION))

# The base class of the models. At run time it is ``db.Model`` itself. Type checkers cannot
# take an attribute of an instance as a base class (mypy: 'Name "db.Model" is not defined'),
# so they are shown what ``db.Model`` offers: Flask-SQLAlchemy's model mixin and the
# declarative surface (keyword constructor, ``metadata``, ``__table__``, ``Mapped`` columns)
# as SQLAlchemy 2.x types it on DeclarativeBase. (Passing ``model_class=`` a DeclarativeBase
# would not spare this: Flask-SQLAlchemy 3.1 builds ``db.Model`` anew from that class's bases.)
if TYPE_CHECKING:

    class Model(_FlaskModel, DeclarativeBase):
        # DeclarativeBase says FromClause, as a model may map a join or a select; each model
        # here maps the Table its ``__tablename__`` names, which insert() and update() take.
        __table__: ClassVar[Table]

else:
    Model = db.Model


class Migrations:
    """What Flask-Migrate keeps in ``app.extensions["migrate"]``, where its commands,
    ``migrations/env.py`` and ``ops.migration_heads`` read it; Flask-Migrate itself (and
    Alembic) is imported when a migration first asks for ``migrate``."""

    def __init__(self, database: SQLAlchemy, directory: str) -> None:
        self.db = database
        self.directory = directory

    @functools.cached_property
    def migrate(self) -> Migrate:
        from flask_migrate import Migrate

        return Migrate(db=self.db, directory=self.directory)

    @property
    def configure_args(self) -> dict[str, Any]:
        """The options Flask-Migrate gives Alembic (``compare_type``, ``render_as_batch``)."""
        return self.migrate.alembic_ctx_kwargs


class _MigrationCommands(click.Group):
    """``flask db …``: Flask-Migrate's command group, imported when it is run."""

    def make_context(self, *args: Any, **kwargs: Any) -> click.Context:
        from flask_migrate.cli import db as commands

        return commands.make_context(*args, **kwargs)


def init_migrations(app: Flask, directory: str) -> None:
    """Flask-Migrate's ``app.extensions["migrate"]`` and ``flask db`` commands, both lazy."""
    app.extensions["migrate"] = Migrations(db, directory)
    app.cli.add_command(_MigrationCommands("db", help="Perform database migrations."))
