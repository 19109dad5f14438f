"""Domain errors. Adapters map them to HTTP statuses, MCP tool errors or CLI exit codes."""


class DomainError(Exception):
    """Base class: ``str(err)`` is a message fit to show a user as is."""

    status_code = 400


class InvalidInput(DomainError):
    # 400 as the earlier API answered for a bad category or UUID; request bodies that do not
    # parse at all get FastAPI's 422.
    status_code = 400


class UnstorableText(InvalidInput):
    """Text PostgreSQL cannot hold: a NUL character, or an unpaired UTF-16 surrogate (which has no
    UTF-8 form). Checked on input where text is processed before it is stored, and recognised on
    the database's refusal everywhere else (``db.engine.session_scope``)."""

    def __init__(self, where: str = "the text") -> None:
        super().__init__(f"{where} contains a NUL character or an unpaired surrogate, which cannot be stored")

    @staticmethod
    def check(where: str, value: str | None) -> None:
        if value and ("\x00" in value or not _encodes(value)):
            raise UnstorableText(where)


def _encodes(value: str) -> bool:
    if value.isascii():
        return True
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


class ServiceUnavailable(DomainError):
    """A server HiveMind needs cannot be reached right now (PostgreSQL restarting, a network
    gap). The request's transaction rolled back, so it changed nothing and can simply be
    repeated after ``retry_after`` seconds."""

    status_code = 503
    retry_after = 5

    def __init__(self, message: str = "the database is unavailable; retry shortly") -> None:
        super().__init__(message)


class NotFound(DomainError):
    status_code = 404


class Conflict(DomainError):
    status_code = 409


class Forbidden(DomainError):
    status_code = 403


class Unauthorized(DomainError):
    status_code = 401
