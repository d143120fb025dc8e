from .base import BaseProvider
from .process import ProcessProvider

__all__ = ["BaseProvider", "ProcessProvider"]
