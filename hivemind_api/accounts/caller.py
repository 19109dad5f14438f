"""Who acts: the one identity every domain function takes, whichever adapter it came through.

An agent's API key (REST, MCP, SSE), a dashboard member's session, the CLI and an auto-approve
rule all become a ``Caller``. Domain functions decide with its properties (``can_write``,
``can_curate``, ``records_reads``) instead of asking which adapter called, and write its
``audit`` fields into the audit log. Adapters build one with the constructors below and nothing
else converts between identities.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from enum import StrEnum

from hivemind_api.errors import Forbidden
from hivemind_api.vocab import KeyRole, MemberRole


class CallerKind(StrEnum):
    AGENT = "agent"  # an API key: its reads are retrievals and count towards quality
    MEMBER = "member"  # a signed-in dashboard member
    SYSTEM = "system"  # the CLI or an auto-approve rule, acting for an org's curators


_WRITERS = frozenset({KeyRole.CONTRIBUTOR, KeyRole.CURATOR, MemberRole.CURATOR, MemberRole.ADMIN})
_CURATORS = frozenset({KeyRole.CURATOR, MemberRole.CURATOR, MemberRole.ADMIN})


@dataclass(frozen=True)
class AuditActor:
    """The audit log's three actor columns for one caller."""

    actor: str
    actor_user_id: uuid.UUID | None
    actor_key_id: uuid.UUID | None


@dataclass(frozen=True)
class Caller:
    """An identity acting within exactly one org (the org always comes from here, never from input).

    ``role`` is a ``KeyRole`` for agents, a ``MemberRole`` for members, ``curator`` for the system.
    ``name`` is what the audit log shows: ``agent:<agent id>`` for a key, the member's e-mail, or
    the system actor's label. ``tier`` and ``request_count`` only mean something for agents (rate
    limits).
    """

    kind: CallerKind
    org_id: uuid.UUID
    org_slug: str
    role: str
    name: str
    agent_id: str = ""
    key_id: uuid.UUID | None = None
    user_id: uuid.UUID | None = None
    tier: str = "free"
    request_count: int = 0

    @classmethod
    def agent(
        cls,
        *,
        key_id: uuid.UUID,
        org_id: uuid.UUID,
        org_slug: str,
        agent_id: str,
        role: str,
        tier: str = "free",
        request_count: int = 0,
    ) -> Caller:
        return cls(
            CallerKind.AGENT,
            org_id,
            org_slug,
            role,
            f"agent:{agent_id}",
            agent_id=agent_id,
            key_id=key_id,
            tier=tier,
            request_count=request_count,
        )

    @classmethod
    def member(cls, *, user_id: uuid.UUID, email: str, org_id: uuid.UUID, org_slug: str, role: str) -> Caller:
        return cls(CallerKind.MEMBER, org_id, org_slug, role, email, user_id=user_id)

    @classmethod
    def system(cls, *, org_id: uuid.UUID, name: str, org_slug: str = "") -> Caller:
        """The CLI or an auto-approve rule: curates, records no retrievals, audited by ``name``."""
        return cls(CallerKind.SYSTEM, org_id, org_slug, KeyRole.CURATOR, name)

    @property
    def records_reads(self) -> bool:
        """Usage is what agents retrieve: a member browsing the dashboard records nothing."""
        return self.kind is CallerKind.AGENT

    @property
    def can_write(self) -> bool:
        return self.role in _WRITERS

    @property
    def can_curate(self) -> bool:
        return self.role in _CURATORS

    @property
    def can_administer(self) -> bool:
        """Manage the org's members: its admins, and the CLI on the server."""
        return self.role == MemberRole.ADMIN or self.kind is CallerKind.SYSTEM

    @property
    def can_read_audit(self) -> bool:
        """The org's audit log: its admins, its curator keys, and the CLI on the server."""
        return (
            self.role == MemberRole.ADMIN
            or (self.kind is CallerKind.AGENT and self.role == KeyRole.CURATOR)
            or self.kind is CallerKind.SYSTEM
        )

    @property
    def audit(self) -> AuditActor:
        return AuditActor(self.name, self.user_id, self.key_id)


def require_admin(by: Caller | None, what: str) -> None:
    """Refuse ``by`` unless it may administer its org. ``None`` is the operator's CLI, which may."""
    if by is not None and not by.can_administer:
        raise Forbidden(f"only the org's admins {what}")
