"""Every setting the service reads, in one place, from ``CREDITBANK_*`` environment variables.

Development works with no variable set: an SQLite file and generated keys under ``instance/``.
``CREDITBANK_ENV=production`` gives no secret a default; a missing one stops start-up with a
message that names it (the key material itself is checked by ``creditbank.security.keys``).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import overload

ENVIRONMENTS = ("development", "production", "test")
WORKER_TIMEOUT_SECONDS = 60  # gunicorn's default worker timeout here (CREDITBANK_TIMEOUT)
# The settings that bound a request's wait on the database, in ms (``CREDITBANK_<NAME>``).
DATABASE_WAITS = ("db_statement_timeout_ms", "db_lock_timeout_ms", "sqlite_busy_timeout_ms")


class SettingsError(RuntimeError):
    """A setting is missing or malformed; the message says which and how to fix it."""


@dataclass(frozen=True)
class Settings:
    env: str
    instance_path: Path
    database_url: str
    keys_dir: Path
    issuer: str
    audience: str
    token_ttl_seconds: int
    max_body_bytes: int
    ratelimit_storage: str
    log_level: str
    # Failed logins on POST /auth/token (limits' notation, "5 per 15 minutes"), counted per
    # client_id or learner username and per remote address; keys start with the prefix.
    failed_login_limit_per_client: str = "5 per 15 minutes"
    failed_login_limit_per_address: str = "30 per 15 minutes"
    ratelimit_key_prefix: str = "creditbank"
    # The issuer profile of transcripts and verifiable credentials (Open Badges 3.0 / CLR 2.0).
    credential_issuer_name: str = "云阳县学分银行工作站"
    credential_issuer_url: str = ""  # empty: the token issuer URL
    # Verifiable documents (docs/verification.md): the office printed on transcripts and
    # certificates, the prefix of their numbers, the absolute URL that their QR codes and the
    # credential's status list point at (empty: the URL the request came in on), and how long
    # a credential is valid.
    issuing_office_name: str = "重庆市职业教育学分银行云阳县工作站"
    document_number_prefix: str = "YY"
    public_base_url: str = ""
    credential_valid_years: int = 5
    # Checkpoints: the C2SP origin line, also the signed note's key name (no spaces, no "+").
    checkpoint_origin: str = "creditbank.yunyang.example/ledger"
    # POST /audits answers 201 after auditing in the request up to this many journal
    # entries; above it, 202 and the run goes on in a background thread.
    audit_inline_max_entries: int = 20_000
    # Test-only (tests/system/test_faults.py): a folder through which a test pauses a worker
    # inside a posting transaction, to kill it there (creditbank/services/faults.py). None,
    # the default, turns the hook off; production refuses to start with it set.
    fault_pause_dir: Path | None = None
    # Staff sessions on the workstation pages end after this long without a request, and
    # this long after signing in however busy they are.
    staff_session_idle_minutes: int = 30
    staff_session_max_hours: int = 8
    # A running audit whose heartbeat (a slice finished) is older than this is taken for dead.
    audit_stale_after_seconds: int = 600
    # How long a request may wait on the database, each below gunicorn's worker timeout so that
    # a stalled database is a 503 with Retry-After, never a worker killed mid-request.
    # PostgreSQL: any one statement, and any one wait for a lock (the web app's engine only,
    # not the command line's). SQLite: a write's wait for its turn and for the database lock.
    worker_timeout_seconds: int = WORKER_TIMEOUT_SECONDS
    db_statement_timeout_ms: int = 20_000
    db_lock_timeout_ms: int = 10_000
    sqlite_busy_timeout_ms: int = 10_000

    def __post_init__(self) -> None:
        limit = self.worker_timeout_seconds * 1000
        for name in DATABASE_WAITS:
            if not 0 < (value := getattr(self, name)) < limit:
                raise SettingsError(
                    f"CREDITBANK_{name.upper()} is {value}: it must be positive and below "
                    f"gunicorn's worker timeout, CREDITBANK_TIMEOUT ({limit} ms), so that a "
                    "request waiting on the database gets its 503 before the worker is killed"
                )

    @property
    def production(self) -> bool:
        return self.env == "production"

    @property
    def issuer_profile_url(self) -> str:
        """The workstation's URL as issuer of credentials (``CREDITBANK_ISSUER`` by default)."""
        return self.credential_issuer_url or self.issuer

    @property
    def generates_missing_keys(self) -> bool:
        """Only development and tests may mint their own keys; production must be given them."""
        return not self.production

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """Read the settings; raise :class:`SettingsError` naming whatever is wrong."""
        env_vars = os.environ if environ is None else environ

        @overload
        def get(name: str) -> str | None: ...
        @overload
        def get(name: str, default: str) -> str: ...
        def get(name: str, default: str | None = None) -> str | None:
            value = env_vars.get(f"CREDITBANK_{name}")
            return value if value not in (None, "") else default

        env = get("ENV", "development")
        if env not in ENVIRONMENTS:
            raise SettingsError(f"CREDITBANK_ENV must be one of {', '.join(ENVIRONMENTS)}")
        instance = Path(get("INSTANCE_PATH", str(Path.cwd() / "instance"))).resolve()
        database_url = get("DATABASE_URL")
        if database_url is None:
            if env == "production":
                raise SettingsError(
                    "CREDITBANK_DATABASE_URL is not set: production needs a database URL, "
                    "e.g. postgresql+psycopg://creditbank@db.example/creditbank"
                )
            database_url = f"sqlite:///{instance / 'creditbank.sqlite3'}"
        return cls(
            env=env,
            instance_path=instance,
            database_url=normalise_database_url(database_url),
            keys_dir=Path(get("KEYS_DIR", str(instance / "keys"))).resolve(),
            issuer=get("ISSUER", "https://creditbank.yunyang.example/"),
            audience=get("AUDIENCE", "creditbank-api"),
            token_ttl_seconds=_int(get("TOKEN_TTL_SECONDS", "900"), "TOKEN_TTL_SECONDS"),
            max_body_bytes=_int(get("MAX_BODY_BYTES", str(5 * 1024 * 1024)), "MAX_BODY_BYTES"),
            ratelimit_storage=get("RATELIMIT_STORAGE", "memory://"),
            log_level=get("LOG_LEVEL", "INFO"),
            failed_login_limit_per_client=_rate(
                get("FAILED_LOGIN_LIMIT_PER_CLIENT", "5 per 15 minutes"),
                "FAILED_LOGIN_LIMIT_PER_CLIENT",
            ),
            failed_login_limit_per_address=_rate(
                get("FAILED_LOGIN_LIMIT_PER_ADDRESS", "30 per 15 minutes"),
                "FAILED_LOGIN_LIMIT_PER_ADDRESS",
            ),
            ratelimit_key_prefix=get("RATELIMIT_KEY_PREFIX", "creditbank"),
            credential_issuer_name=get("CREDENTIAL_ISSUER_NAME", "云阳县学分银行工作站"),
            credential_issuer_url=get("CREDENTIAL_ISSUER_URL", ""),
            issuing_office_name=get("ISSUING_OFFICE_NAME", "重庆市职业教育学分银行云阳县工作站"),
            document_number_prefix=get("DOCUMENT_NUMBER_PREFIX", "YY"),
            public_base_url=get("PUBLIC_BASE_URL", ""),
            credential_valid_years=_int(
                get("CREDENTIAL_VALID_YEARS", "5"), "CREDENTIAL_VALID_YEARS"
            ),
            checkpoint_origin=get("CHECKPOINT_ORIGIN", "creditbank.yunyang.example/ledger"),
            audit_inline_max_entries=_int(
                get("AUDIT_INLINE_MAX_ENTRIES", "20000"), "AUDIT_INLINE_MAX_ENTRIES"
            ),
            fault_pause_dir=_test_only_folder(get("FAULT_PAUSE_DIR"), env, "FAULT_PAUSE_DIR"),
            staff_session_idle_minutes=_int(
                get("STAFF_SESSION_IDLE_MINUTES", "30"), "STAFF_SESSION_IDLE_MINUTES"
            ),
            staff_session_max_hours=_int(
                get("STAFF_SESSION_MAX_HOURS", "8"), "STAFF_SESSION_MAX_HOURS"
            ),
            audit_stale_after_seconds=_int(
                get("AUDIT_STALE_AFTER_SECONDS", "600"), "AUDIT_STALE_AFTER_SECONDS"
            ),
            worker_timeout_seconds=worker_timeout_seconds(env_vars),
            db_statement_timeout_ms=_int(
                get("DB_STATEMENT_TIMEOUT_MS", "20000"), "DB_STATEMENT_TIMEOUT_MS"
            ),
            db_lock_timeout_ms=_int(get("DB_LOCK_TIMEOUT_MS", "10000"), "DB_LOCK_TIMEOUT_MS"),
            sqlite_busy_timeout_ms=_int(
                get("SQLITE_BUSY_TIMEOUT_MS", "10000"), "SQLITE_BUSY_TIMEOUT_MS"
            ),
        )


def worker_timeout_seconds(environ: Mapping[str, str] | None = None) -> int:
    """gunicorn's worker timeout, ``CREDITBANK_TIMEOUT`` (read by config/gunicorn.conf.py too)."""
    value = (os.environ if environ is None else environ).get("CREDITBANK_TIMEOUT") or ""
    return _int(value or str(WORKER_TIMEOUT_SECONDS), "TIMEOUT")


def normalise_database_url(url: str) -> str:
    """Use psycopg 3 for ``postgresql://`` URLs, which SQLAlchemy would map to psycopg2."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def _rate(text: str | None, name: str) -> str:
    """A rate limit in the notation of the ``limits`` library, checked at start-up."""
    from limits import parse

    try:
        parse(text or "")
    except ValueError as exc:
        raise SettingsError(f"CREDITBANK_{name} must be a rate such as '5 per 15 minutes'") from exc
    return text or ""


def _test_only_folder(text: str | None, env: str, name: str) -> Path | None:
    """A folder for a test's fault injection; a production server must never wait on one."""
    if text is None:
        return None
    if env == "production":
        raise SettingsError(f"CREDITBANK_{name} is for tests only: unset it in production")
    return Path(text).resolve()


def _int(text: str | None, name: str) -> int:
    try:
        value = int(text or "")
    except ValueError as exc:
        raise SettingsError(f"CREDITBANK_{name} must be a whole number") from exc
    if value <= 0:
        raise SettingsError(f"CREDITBANK_{name} must be positive")
    return value
