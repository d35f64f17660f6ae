"""What the rest of the pipeline knows about a host: resolved connection settings and variables."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

_EMPTY: Mapping[str, Any] = MappingProxyType({})


@dataclass(frozen=True)
class Hop:
    """One SSH hop of a jump chain (a bastion).

    `known_hosts_files` are the files this hop's host key is verified against, on top of
    ~/.ssh/known_hosts and the run's --known-hosts / accept-new files: for an inventory
    host, its own `audit_known_hosts_file` (or ssh_config UserKnownHostsFile); for a
    `user@host:port` hop, only ssh_config's UserKnownHostsFile for that hop, if any (never
    the files of the host whose jump chain names it: a target does not vouch for its bastion).

    `legacy_algorithms` (`audit_ssh_legacy_algorithms`, never inherited by a text hop) lets
    this hop negotiate CBC ciphers and SHA-1/MD5 MACs; `identities_only` is IdentitiesOnly
    for it (ssh arguments, else ssh_config). `identity_agent` is its IdentityAgent: None or
    "SSH_AUTH_SOCK" (the agent at $SSH_AUTH_SOCK), "none" (no agent), "$VAR" (the agent at
    that environment variable) or a socket path.
    """

    name: str  # inventory name, or the user@host:port text it came from
    address: str
    port: int = 22
    user: str | None = None
    key_files: tuple[str, ...] = ()
    known_hosts_files: tuple[str, ...] = ()
    legacy_algorithms: bool = False
    identities_only: bool = False
    identity_agent: str | None = None

    @property
    def label(self) -> str:
        user = f"{self.user}@" if self.user else ""
        # `[2001:db8::2]:22`, as ssh writes it: a bare IPv6 address cannot carry a port.
        address = f"[{self.address}]" if ":" in self.address else self.address
        return f"{user}{address}:{self.port}"


@dataclass(frozen=True)
class Host:
    """A resolved inventory host; `vars` holds every variable after Ansible precedence."""

    name: str
    address: str
    port: int = 22
    user: str | None = None
    key_files: tuple[str, ...] = ()
    jump: tuple[Hop, ...] = ()
    become: bool = False
    connection: str = "ssh"  # "ssh" | "local"
    groups: tuple[str, ...] = ()
    known_hosts_files: tuple[str, ...] = ()
    vars: Mapping[str, Any] = field(default_factory=lambda: _EMPTY)
    legacy_algorithms: bool = False  # audit_ssh_legacy_algorithms
    identities_only: bool = False  # IdentitiesOnly (ssh arguments, else ssh_config)
    identity_agent: str | None = None  # IdentityAgent, as in Hop
    # Why this host cannot be audited (an invalid connection variable, with file:line);
    # "" when its settings are usable. Such a host is reported as `error`, never contacted.
    error: str = ""

    def as_hop(self) -> Hop:
        return Hop(
            self.name,
            self.address,
            self.port,
            self.user,
            self.key_files,
            self.known_hosts_files,
            self.legacy_algorithms,
            self.identities_only,
            self.identity_agent,
        )


@dataclass(frozen=True)
class Inventory:
    """All hosts of an inventory plus group membership, in file order."""

    source: str
    hosts: tuple[Host, ...]
    groups: Mapping[str, tuple[str, ...]]  # group name -> host names (transitively)
    # group name -> host names in Ansible's own order (the group's hosts, then its
    # children's, level by level): what `group[0]` counts in. Defaults to `groups`.
    ansible_order: Mapping[str, tuple[str, ...]] = field(default_factory=lambda: _EMPTY)

    def group_hosts_in_ansible_order(self, group: str) -> tuple[str, ...]:
        """Hosts of `group` in the order Ansible's subscripts (`web[0]`) count them."""
        return tuple(self.ansible_order.get(group, self.groups.get(group, ())))

    def host(self, name: str) -> Host | None:
        for host in self.hosts:
            if host.name == name:
                return host
        return None
