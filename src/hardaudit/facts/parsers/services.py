"""Parse service facts: systemd units, Redis configs, nginx structure (all pure)."""

from __future__ import annotations

from hardaudit.facts.model import NginxServer, RedisConfig, ServiceUnit


def parse_units(text: str, nonce: str) -> tuple[ServiceUnit, ...]:
    """`@@nonce FILE <path>` blocks of `[Section]`/User=/Group=/DynamicUser= lines.

    Drop-ins (`<unit>.service.d/*.conf`) override their unit's settings in order.
    """
    return ()  # implemented with the svc.* checks


def parse_redis(text: str) -> tuple[RedisConfig, ...] | None:
    """`grep -H` lines `path:directive args`; None when the script printed `## none`."""
    return None  # implemented with the svc.* checks


def parse_nginx(text: str, nonce: str) -> tuple[NginxServer, ...] | None:
    """`@@nonce FILE <path>` blocks of `grep -n` structure lines; None for `## none`."""
    return None  # implemented with the web.* checks
