"""Domain errors. Adapters map them to HTTP statuses, MCP tool errors or CLI exit codes."""


class DomainError(Exception):
    """Base class: ``str(err)`` is a message fit to show a user as is."""

    status_code = 400


class InvalidInput(DomainError):
    # 400 as the earlier API answered for a bad category or UUID; request bodies that do not
    # parse at all get FastAPI's 422.
    status_code = 400


class NotFound(DomainError):
    status_code = 404


class Conflict(DomainError):
    status_code = 409


class Forbidden(DomainError):
    status_code = 403


class Unauthorized(DomainError):
    status_code = 401
