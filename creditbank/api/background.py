"""Work that goes on after a response (written once in the services: the pages use it too)."""

from creditbank.services.background import in_background

__all__ = ["in_background"]
