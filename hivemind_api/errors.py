"""Domain errors. Adapters map them to HTTP statuses, MCP tool errors or CLI exit codes."""


class DomainError(Exception):
    """Base class: ``str(err)`` is a message fit to show a user as is."""

    status_code = 400


class InvalidInput(DomainError):
    status_code = 422


class NotFound(DomainError):
    status_code = 404


class Conflict(DomainError):
    status_code = 409


class Forbidden(DomainError):
    status_code = 403


class Unauthorized(DomainError):
    status_code = 401
