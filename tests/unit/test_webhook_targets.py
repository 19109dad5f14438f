"""Webhook targets (SSRF guard) and signatures: pure logic, with a fake resolver."""

from __future__ import annotations

import hashlib
import hmac

import pytest

from hivemind_api.errors import InvalidInput
from hivemind_api.webhooks.signing import new_secret, signature, verify
from hivemind_api.webhooks.targets import TargetRefused, is_public_address, resolve_target, validate_url


@pytest.mark.parametrize(
    "address, public",
    [
        ("93.184.216.34", True),
        ("2606:2800:220:1:248:1893:25c8:1946", True),
        ("127.0.0.1", False),
        ("10.0.0.1", False),
        ("172.16.5.4", False),
        ("192.168.1.1", False),
        ("169.254.169.254", False),
        ("100.64.0.1", False),
        ("0.0.0.0", False),
        ("224.0.0.1", False),
        ("::1", False),
        ("fe80::1", False),
        ("fc00::1", False),
        ("::ffff:127.0.0.1", False),
        ("::ffff:8.8.8.8", True),
    ],
)
def test_public_addresses(address: str, public: bool) -> None:
    assert is_public_address(address) is public


def test_a_name_that_resolves_inside_is_refused_and_one_outside_is_pinned() -> None:
    def inside(host: str, port: int) -> list[str]:
        return ["10.0.0.5"]

    with pytest.raises(TargetRefused, match=r"10\.0\.0\.5"):
        resolve_target("https://hooks.example.com/x", allow_private=False, resolver=inside)
    assert (
        resolve_target("https://hooks.example.com/x", allow_private=True, resolver=inside).address
        == "10.0.0.5"
    )

    def mixed(host: str, port: int) -> list[str]:  # any inside address refuses
        return ["93.184.216.34", "127.0.0.1"]

    with pytest.raises(TargetRefused):
        resolve_target("http://hooks.example.com/", allow_private=False, resolver=mixed)
    target = resolve_target(
        "https://hooks.example.com/in?a=1", allow_private=False, resolver=lambda host, port: ["93.184.216.34"]
    )
    assert (target.host, target.port, target.pinned_url()) == (
        "hooks.example.com",
        443,
        "https://93.184.216.34:443/in?a=1",
    )
    v6 = resolve_target("http://[2606:2800:220:1:248:1893:25c8:1946]:8080", allow_private=False)
    assert v6.pinned_url() == "http://[2606:2800:220:1:248:1893:25c8:1946]:8080/"


def test_unresolvable_hosts_are_a_clear_error() -> None:
    def broken(host: str, port: int) -> list[str]:
        raise OSError("Name or service not known")

    with pytest.raises(InvalidInput, match="cannot resolve"):
        resolve_target("https://nowhere.invalid/", allow_private=False, resolver=broken)


@pytest.mark.parametrize(
    "url, message",
    [
        ("", "required"),
        ("ftp://x.org/", "http:// or https://"),
        ("x.org/hook", "http:// or https://"),
        ("https://u:p@x.org/", "credentials"),
        ("https://x.org/#frag", "fragment"),
        ("https://x.org:70000/", "port"),
        ("https://" + "a" * 2000 + ".org/", "at most"),
    ],
)
def test_malformed_urls(url: str, message: str) -> None:
    with pytest.raises(InvalidInput, match=message):
        validate_url(url)


def test_signature_is_hmac_sha256_over_timestamp_dot_body() -> None:
    secret = new_secret()
    assert secret.startswith("whsec_") and len(secret) > 40 and secret != new_secret()
    body = b'{"type":"knowledge.approved"}'
    expected = "sha256=" + hmac.new(secret.encode(), b"1700000000." + body, hashlib.sha256).hexdigest()
    assert signature(secret, "1700000000", body) == expected
    assert verify(secret, "1700000000", body, expected)
    assert not verify(secret, "1700000001", body, expected)  # a replayed body with a new timestamp
    assert not verify("whsec_other", "1700000000", body, expected)
