"""Where a webhook may point: http(s) URLs whose host resolves to public addresses only.

A webhook makes the server send requests to a URL an org member typed, which is the classic
server-side request forgery hole: ``http://169.254.169.254/`` (cloud metadata), ``localhost``,
the internal network. Targets are checked when an endpoint is saved and again at every delivery
(DNS can change in between), and the delivery connects to the very address that was checked.
``HIVEMIND_WEBHOOK_ALLOW_PRIVATE=1`` lifts the address check (receivers on one's own network).
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

from hivemind_api.errors import InvalidInput

MAX_URL_LENGTH = 2000
Resolver = Callable[[str, int], list[str]]


class TargetRefused(InvalidInput):
    """The URL is well formed but points somewhere webhooks may not go."""


def _system_resolver(host: str, port: int) -> list[str]:
    return sorted({str(info[4][0]) for info in socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)})


def is_public_address(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


@dataclass(frozen=True)
class Target:
    url: str  # as configured
    host: str
    port: int
    address: str  # the checked address the delivery connects to

    def pinned_url(self) -> str:
        """The URL with the host replaced by the checked address (the Host header keeps the name)."""
        parts = urlsplit(self.url)
        host = f"[{self.address}]" if ":" in self.address else self.address
        return urlunsplit((parts.scheme, f"{host}:{self.port}", parts.path or "/", parts.query, ""))


def validate_url(url: str) -> str:
    """Syntax only: http or https, a host, no credentials, no fragment. Returns the URL stripped."""
    url = (url or "").strip()
    if not url:
        raise InvalidInput("url is required")
    if len(url) > MAX_URL_LENGTH:
        raise InvalidInput(f"url must be at most {MAX_URL_LENGTH} characters")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        raise InvalidInput(f"url must start with http:// or https://, not {url[:40]!r}")
    if not parts.hostname:
        raise InvalidInput("url has no host")
    if parts.username or parts.password:
        raise InvalidInput("url must not contain credentials; HiveMind signs every delivery instead")
    if parts.fragment:
        raise InvalidInput("url must not contain a #fragment")
    try:
        parts.port  # noqa: B018 - raises on a bad port
    except ValueError:
        raise InvalidInput("url has an invalid port") from None
    return url


def resolve_target(url: str, *, allow_private: bool, resolver: Resolver = _system_resolver) -> Target:
    """Check ``url`` and resolve it to an address a delivery may connect to."""
    url = validate_url(url)
    parts = urlsplit(url)
    host, port = parts.hostname, parts.port or (443 if parts.scheme == "https" else 80)
    if host is None:  # validate_url refuses these; kept for the reader and the type checker
        raise InvalidInput("the webhook URL has no host")
    try:
        addresses = [str(ipaddress.ip_address(host))]
    except ValueError:
        try:
            addresses = resolver(host, port)
        except (OSError, UnicodeError) as err:
            raise InvalidInput(f"cannot resolve the webhook host {host!r}: {err}") from None
    if not addresses:
        raise InvalidInput(f"the webhook host {host!r} has no address")
    if not allow_private:
        blocked = [a for a in addresses if not is_public_address(a)]
        if blocked:
            raise TargetRefused(
                f"webhook target {host!r} resolves to a private, loopback or link-local address ({blocked[0]}); "
                "such targets are refused unless the server sets HIVEMIND_WEBHOOK_ALLOW_PRIVATE=1"
            )
    return Target(url=url, host=host, port=port, address=addresses[0])
