"""Parse the `meta` section: identity, privilege mode, OS and available tools."""

from __future__ import annotations

from hardaudit.facts.model import Meta


def parse_meta(text: str) -> Meta:
    """Parse `key=value` lines.

    >>> parse_meta("uid=0\\nuser=root\\nprivilege=root\\ntools= ss nft").tools
    frozenset({'nft', 'ss'})
    """
    values: dict[str, str] = {}
    for line in text.splitlines():
        key, sep, value = line.partition("=")
        if sep and key and key not in values:
            values[key.strip()] = value.strip().strip('"')
    try:
        uid = int(values.get("uid", "-1"))
    except ValueError:
        uid = -1
    return Meta(
        uid=uid,
        user=values.get("user", ""),
        privilege=values.get("privilege", "user"),
        os_id=values.get("os_ID", ""),
        os_version=values.get("os_VERSION_ID", ""),
        os_pretty=values.get("os_PRETTY_NAME", ""),
        kernel=values.get("kernel", ""),
        hostname=values.get("hostname", ""),
        tools=frozenset(values.get("tools", "").split()),
        sshd_version=values.get("sshd_version", ""),
        sudo_version=values.get("sudo_version", "")[:200],
        root_helper=values.get("root_helper", "")[:64],
    )
