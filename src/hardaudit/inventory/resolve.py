"""Settings + ssh_config + jump hops → final Host objects (with jump-cycle detection)."""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from dataclasses import replace
from types import MappingProxyType

from hardaudit.errors import InventoryError
from hardaudit.inventory._events import Var
from hardaudit.inventory._yaml import VaultEncryptedError
from hardaudit.inventory.connection import (
    JumpRef,
    Settings,
    parse_hop_text,
    settings_from_vars,
    split_hops,
)
from hardaudit.inventory.graph import ALL, Graph
from hardaudit.inventory.hostnames import compress_ipv6
from hardaudit.inventory.model import Hop, Host
from hardaudit.inventory.sshconfig import SshConfigSource, SshEntry


def resolve_hosts(
    graph: Graph, merged: Mapping[str, Mapping[str, Var]], ssh: SshConfigSource | None
) -> tuple[Host, ...]:
    """Build every Host in inventory order.

    ssh_config is looked up by the host's ansible_host (or name): HostName applies (it is
    how ssh translates that name) unless ssh arguments give `-o HostName`; inventory
    port/user/keys/known_hosts/IdentitiesOnly (variables and ssh arguments) win over
    ssh_config's; ssh_config's ProxyJump is used only when the inventory names no jump.

    A host whose own settings are invalid (a bad port, an unparseable hop, a jump through
    such a host, a jump cycle...) does not stop the others: it comes back with `error`
    set to the file:line reason. Vault-encrypted settings still raise (exit 2).
    """
    settings: dict[str, Settings] = {}
    invalid: dict[str, InventoryError] = {}
    for name in graph.hosts:
        try:
            settings[name] = settings_from_vars(name, merged[name])
        except VaultEncryptedError:
            raise
        except InventoryError as exc:
            invalid[name] = exc
    resolver = _Resolver(graph, settings, merged, ssh, invalid)
    return tuple(resolver.usable_or_error(name) for name in graph.hosts)


class _Resolver:
    def __init__(
        self,
        graph: Graph,
        settings: Mapping[str, Settings],
        merged: Mapping[str, Mapping[str, Var]],
        ssh: SshConfigSource | None,
        invalid: Mapping[str, InventoryError],
    ) -> None:
        self.graph = graph
        self.settings = settings
        self.merged = merged
        self.ssh = ssh
        self.invalid = invalid
        self.done: dict[str, Host] = {}

    def groups_of(self, name: str) -> tuple[str, ...]:
        return tuple(sorted(g for g in self.graph.host_groups[name] if g != ALL))

    def usable_or_error(self, name: str) -> Host:
        """The resolved host, or one carrying the reason it cannot be audited."""
        try:
            if name in self.invalid:
                raise self.invalid[name]
            return self.host(name, ())
        except VaultEncryptedError:
            raise
        except InventoryError as exc:
            return Host(
                name=name,
                address=compress_ipv6(name),
                groups=self.groups_of(name),
                vars=MappingProxyType({k: v.value for k, v in self.merged[name].items()}),
                error=str(exc),
            )

    def lookup(self, alias: str) -> SshEntry | None:
        return self.ssh.lookup(alias) if self.ssh else None

    def host(self, name: str, chain: tuple[str, ...]) -> Host:
        if name in self.done:
            return self.done[name]
        s = self.settings[name]
        groups = self.groups_of(name)
        plain = MappingProxyType({k: v.value for k, v in self.merged[name].items()})
        if s.connection == "local":
            # No ssh involved: ssh_config and jump hops are meaningless here.
            host = Host(
                name=name,
                address=compress_ipv6(s.address or name),
                port=s.port or 22,
                user=s.user,
                key_files=s.key_files or (),
                become=s.become,
                connection="local",
                groups=groups,
                known_hosts_files=s.known_hosts_files or (),
                vars=plain,
            )
            self.done[name] = host
            return host
        alias = s.address or name
        entry = self.lookup(alias)
        user = s.user or (entry.user if entry else None)
        known_hosts_files = (
            s.known_hosts_files
            if s.known_hosts_files is not None
            else (entry.known_hosts_files if entry else ())
        )
        if s.jump is not None:
            jump = self.inventory_jump(name, s.jump, user, (*chain, name))
        elif entry and entry.proxy_jump:
            jump = self.ssh_jump(entry.proxy_jump, (alias,))
        else:
            self.refuse_proxy_command(entry, alias)
            jump = ()
        host = Host(
            name=name,
            address=compress_ipv6(s.hostname or (entry.hostname if entry else alias)),
            port=s.port or (entry.port if entry else None) or 22,
            user=user,
            key_files=s.key_files if s.key_files is not None else _keys(entry),
            jump=jump,
            become=s.become,
            connection="ssh",
            groups=groups,
            known_hosts_files=known_hosts_files,
            vars=plain,
            legacy_algorithms=s.legacy_algorithms,
            identities_only=(
                s.identities_only
                if s.identities_only is not None
                else bool(entry and entry.identities_only)
            ),
            identity_agent=(
                s.identity_agent
                if s.identity_agent is not None
                else (entry.identity_agent if entry else None)
            ),
        )
        self.done[name] = host
        return host

    def refuse_proxy_command(self, entry: SshEntry | None, alias: str) -> None:
        if entry and entry.proxy_command and self.ssh:
            raise InventoryError(
                f"ProxyCommand for host {alias!r} is not supported",
                file=self.ssh.file,
                field="ProxyCommand",
                hint="use ProxyJump in ssh_config, or audit_jump in the inventory",
            )

    def inventory_jump(
        self,
        target: str,
        refs: tuple[JumpRef, ...],
        user: str | None,
        chain: tuple[str, ...],
    ) -> tuple[Hop, ...]:
        """Hops of audit_jump / -J. An inventory host hop carries that host's own
        known_hosts files (`Host.as_hop()`); a `user@host:port` hop only ssh_config's
        UserKnownHostsFile for it: never the target's files, so a target's
        audit_known_hosts_file cannot vouch for its bastion.

        `audit_jump` is hardaudit's own: a hop naming an inventory host uses that host's
        variables, and a text hop without a user logs in as the target's user. A -J /
        ProxyJump hop (from ansible_ssh_*_args) means what it means to OpenSSH, which
        runs a separate ssh for it: the name goes through ssh_config, never the
        inventory, and without a user it logs in as ssh_config's User or the local user.
        """
        hops: list[Hop] = []
        for ref in refs:
            openssh = ref.variable != "audit_jump"
            if not openssh and ref.text in self.invalid:
                raise ref.origin.error(
                    f"host {target} jumps through {ref.text}, whose settings are invalid:"
                    f" {self.invalid[ref.text]}"
                )
            if not openssh and ref.text in self.settings:
                if ref.text in chain:
                    loop = " -> ".join((*chain, ref.text))
                    raise ref.origin.error(
                        f"jump cycle for host {target}: {loop}",
                        hint="a bastion cannot (indirectly) jump through itself",
                    )
                bastion = self.host(ref.text, chain)
                if bastion.connection != "ssh":
                    raise ref.origin.error(
                        f"host {target} jumps through {ref.text}, whose connection is"
                        f" {bastion.connection!r}, not ssh"
                    )
                _append_chain(hops, [*bastion.jump, bastion.as_hop()])
                continue
            parsed = parse_hop_text(ref.text)
            if parsed is None:
                close = [] if openssh else difflib.get_close_matches(ref.text, self.settings, n=3)
                raise ref.origin.error(
                    f"{ref.variable} hop {ref.text!r} of host {target} is neither an inventory"
                    " host nor [user@]host[:port]",
                    hint=f"did you mean {', '.join(close)}?" if close else None,
                )
            hops.extend(
                self.text_hop(
                    ref.text,
                    hop_user=parsed.user,
                    hop_host=parsed.host,
                    hop_port=parsed.port,
                    default_user=None if openssh else user,
                    ssh_chain=(),
                )
            )
        return tuple(hops)

    def text_hop(
        self,
        text: str,
        *,
        hop_user: str | None,
        hop_host: str,
        hop_port: int | None,
        default_user: str | None,
        ssh_chain: tuple[str, ...],
    ) -> list[Hop]:
        """A `user@host:port` hop, completed from ssh_config; its own ProxyJump goes first.

        Its host key is checked against the global files (~/.ssh/known_hosts, the run's
        --known-hosts) plus ssh_config's UserKnownHostsFile for `hop_host`, if any; never
        against the files of the host whose chain names it.
        """
        entry = self.lookup(hop_host)
        user = hop_user or (entry.user if entry else None) or default_user
        before: list[Hop] = []
        if entry and entry.proxy_jump:
            before = list(self.ssh_jump(entry.proxy_jump, (*ssh_chain, hop_host)))
        else:
            self.refuse_proxy_command(entry, hop_host)
        own = entry.known_hosts_files if entry else ()
        hop = Hop(
            name=text,
            address=compress_ipv6(entry.hostname if entry else hop_host),
            port=hop_port or (entry.port if entry else None) or 22,
            user=user,
            key_files=_keys(entry),
            known_hosts_files=own,
            identities_only=bool(entry and entry.identities_only),
            identity_agent=entry.identity_agent if entry else None,
        )
        return [*before, hop]

    def ssh_jump(self, value: str, ssh_chain: tuple[str, ...]) -> tuple[Hop, ...]:
        """Hops of an ssh_config ProxyJump value; each is looked up in ssh_config again.

        As in OpenSSH (a separate ssh per hop), a hop without a user logs in as its own
        ssh_config User or the local user, never as the user of the host behind it.
        """
        file = self.ssh.file if self.ssh else None
        hops: list[Hop] = []
        for part in split_hops(value):
            parsed = parse_hop_text(part)
            if parsed is None:
                raise InventoryError(
                    f"ProxyJump {value!r} for host {ssh_chain[-1]!r}: cannot parse hop {part!r}",
                    file=file,
                    field="ProxyJump",
                    hint="write ProxyJump [user@]host[:port][,...]",
                )
            if parsed.host in ssh_chain:
                loop = " -> ".join((*ssh_chain, parsed.host))
                raise InventoryError(
                    f"ProxyJump cycle: {loop}",
                    file=file,
                    field="ProxyJump",
                    hint=f"add 'ProxyJump none' to the Host block of {parsed.host}",
                )
            hops.extend(
                self.text_hop(
                    part,
                    hop_user=parsed.user,
                    hop_host=parsed.host,
                    hop_port=parsed.port,
                    default_user=None,
                    ssh_chain=ssh_chain,
                )
            )
        return tuple(hops)


def _append_chain(hops: list[Hop], chain: list[Hop]) -> None:
    """Append a bastion's route, skipping the part the list already spelled out.

    `audit_jump: [b1, b2]` where b2 itself jumps through b1 means b1 -> b2, not b1 -> b1 -> b2.
    Hops are the same if they differ only in known_hosts files (a text hop carries the files
    of the host that named it); the merged hop is checked against both sets of files.
    """
    for overlap in range(min(len(hops), len(chain) - 1), 0, -1):
        if all(map(_same_hop, hops[-overlap:], chain[:overlap])):
            start = len(hops) - overlap
            for index, hop in enumerate(chain[:overlap]):
                mine = hops[start + index]
                files = _merge(mine.known_hosts_files, hop.known_hosts_files)
                hops[start + index] = replace(mine, known_hosts_files=files)
            hops.extend(chain[overlap:])
            return
    hops.extend(chain)


def _same_hop(a: Hop, b: Hop) -> bool:
    return replace(a, known_hosts_files=()) == replace(b, known_hosts_files=())


def _merge(first: tuple[str, ...], second: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(dict.fromkeys((*first, *second)))


def _keys(entry: SshEntry | None) -> tuple[str, ...]:
    return entry.identity_files if entry else ()
