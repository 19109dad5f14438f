"""Database access: engine/session management, tables and migrations."""

from hivemind_api.db.engine import configure_database, dispose_database, session_scope

__all__ = ["configure_database", "dispose_database", "session_scope"]
