"""Settings of the creditbank service, read from ``CREDITBANK_*`` environment variables."""

from config.settings import Settings

__all__ = ["Settings"]
