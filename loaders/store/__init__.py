"""The store: SQLAlchemy models of the canonical model, the engine factory and migrations."""

from loaders.store.engine import get_engine, session_scope, upgrade
from loaders.store.models import Base

__all__ = ["Base", "get_engine", "session_scope", "upgrade"]
