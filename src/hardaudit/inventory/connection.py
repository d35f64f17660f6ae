"""Connection variables (ansible_host, ansible_port, audit_jump, ...) → validated settings.

Everything here is a pure function of a host's merged variables; ssh_config and jump
hops that name other inventory hosts are applied later, in resolve.py.
"""

from __future__ import annotations

import os
import re
import shlex
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from hardaudit.inventory._events import Origin, Var
from hardaudit.inventory._yaml import VAULT_HEADER, UnsafeText, VaultedValue, VaultEncryptedError

# Ansible's boolean(): these strings (lower-cased) and numbers are accepted.
_TRUE = frozenset({"y", "yes", "on", "1", "true", "t"})
_FALSE = frozenset({"n", "no", "off", "0", "false", "f"})
_CONNECTIONS = {
    "ssh": "ssh",
    "paramiko": "ssh",
    "paramiko_ssh": "ssh",
    "smart": "ssh",
    "ansible.builtin.ssh": "ssh",
    "ansible.builtin.paramiko_ssh": "ssh",
    "local": "local",
    "ansible.builtin.local": "local",
}
_SIMPLE_REF = re.compile(r"\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}")
_USER = re.compile(r"[^\s@/:]+")
_HOSTNAME = re.compile(r"[A-Za-z0-9_](?:[A-Za-z0-9_.-]*[A-Za-z0-9_])?")
_IPV6 = re.compile(r"[0-9A-Fa-f:.]*:[0-9A-Fa-f:.%]*")
_OPTION = re.compile(r"^\s*([A-Za-z]+)\s*(?:=\s*|\s+)(.*?)\s*$")


@dataclass(frozen=True)
class JumpRef:
    """One hop as written in the inventory, with the variable it came from."""

    text: str
    origin: Origin
    variable: str


@dataclass(frozen=True)
class Settings:
    """Connection settings the inventory states for a host (None = not stated)."""

    name: str
    address: str | None
    port: int | None
    user: str | None
    key_files: tuple[str, ...] | None
    known_hosts_files: tuple[str, ...] | None
    become: bool
    connection: str
    jump: tuple[JumpRef, ...] | None  # None: inventory says nothing; (): explicitly direct
    legacy_algorithms: bool = False  # audit_ssh_legacy_algorithms: CBC ciphers, SHA-1/MD5 MACs


@dataclass(frozen=True)
class HopText:
    """A parsed `[ssh://][user@]host[:port]` hop."""

    user: str | None
    host: str
    port: int | None


def boolean(value: Any) -> bool | None:
    """Ansible's truthiness for `ansible_become` & co; None if `value` is not a boolean."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float) and value in (0, 1):
        return bool(value)
    if isinstance(value, str):
        lowered = value.strip().lower()
        if lowered in _TRUE:
            return True
        if lowered in _FALSE:
            return False
    return None


def parse_hop_text(text: str) -> HopText | None:
    """Parse `[user@]host[:port]` (also `ssh://...` and `[ipv6]:port`); None if it is not one."""
    rest = text.strip()
    if rest.startswith("ssh://"):
        rest = rest[len("ssh://") :].rstrip("/")
    user: str | None = None
    if "@" in rest:
        user, _, rest = rest.rpartition("@")
        if not _USER.fullmatch(user):
            return None
    port_text: str | None = None
    if rest.startswith("["):
        host, closed, after = rest[1:].partition("]")
        if not closed or not _IPV6.fullmatch(host):
            return None
        if after:
            if not after.startswith(":"):
                return None
            port_text = after[1:]
    elif rest.count(":") == 1:
        host, _, port_text = rest.partition(":")
    elif rest.count(":") > 1:
        host = rest  # a bare IPv6 address cannot carry a port
        if not _IPV6.fullmatch(host):
            return None
    else:
        host = rest
    if not (_HOSTNAME.fullmatch(host) or _IPV6.fullmatch(host)):
        return None
    port: int | None = None
    if port_text is not None:
        if not port_text.isdigit() or not 1 <= int(port_text) <= 65535:
            return None
        port = int(port_text)
    return HopText(user, host, port)


def split_hops(text: str) -> list[str]:
    """`a, b` → ["a", "b"]; an empty element stays "" so callers can reject it."""
    return [part.strip() for part in text.split(",")]


def proxy_jump_from_ssh_args(
    text: str, origin: Origin, host: str, earlier: str | None = None
) -> str | None:
    """The ProxyJump given in `ansible_ssh_common_args`-style text, if any.

    Understands `-J a,b`, `-Ja`, `-o ProxyJump=a`, `-o 'ProxyJump a'`, `-o ProxyJump a`,
    `-oProxyJump=a`; the first one wins (as in ssh). ProxyCommand is refused. As ssh does,
    a `-J` after any jump host is already set (here or in `earlier` arguments on the same
    command line) is an error: hops are one comma list.
    """
    try:
        tokens = shlex.split(text)
    except ValueError as exc:
        raise origin.error(f"cannot split ssh arguments of host {host}: {exc}") from exc
    found: str | None = None
    index = 0
    while index < len(tokens):
        token = tokens[index]
        index += 1
        value: str | None = None
        if token.startswith("-J"):
            value = token[2:] or (tokens[index] if index < len(tokens) else None)
            index += 0 if token[2:] else 1
            if not value:
                raise origin.error(f"-J without a jump host for host {host}")
            if found is not None or earlier is not None:
                raise origin.error(
                    f"only a single -J option is permitted, as in ssh (host {host})",
                    hint="separate the jump hops with commas: -J first,second",
                )
        elif token.startswith("-o"):
            option = token[2:] or (tokens[index] if index < len(tokens) else "")
            index += 0 if token[2:] else 1
            match = _OPTION.match(option)
            key = (match.group(1) if match else option.strip()).lower()
            value = match.group(2) if match else None
            if key in ("proxyjump", "proxycommand") and not value:
                # `-o ProxyJump a`: the value came as the next word.
                value = tokens[index] if index < len(tokens) else None
                index += 1
            if key == "proxycommand":
                if value and value.lower() != "none":
                    raise origin.error(
                        f"ProxyCommand is not supported (host {host})",
                        hint="use ProxyJump (-J) or audit_jump instead",
                    )
                continue
            if key != "proxyjump":
                continue  # other ssh options do not change where we connect
            if not value:
                raise origin.error(f"ProxyJump without a value for host {host}")
        if value is not None and found is None:
            found = value
    return found


def settings_from_vars(name: str, variables: Mapping[str, Var]) -> Settings:
    """Validate a host's connection variables; raises InventoryError at the defining line.

    Relative key and known_hosts paths resolve against the directory of the file that
    defined them (`Origin.base_dir`) so an inventory can ship its keys beside it and work
    from any working directory; `~` is expanded.

    Where Ansible has an alias (ansible_ssh_host, ansible_ssh_port, ansible_ssh_user,
    ansible_private_key_file) the ssh plugin's own order is kept: the later name wins.
    """
    reader = _Reader(name, variables)
    connection_var = reader.get("ansible_connection")
    connection = "ssh"
    if connection_var is not None:
        text = reader.text(connection_var, "ansible_connection").lower()
        if text not in _CONNECTIONS:
            raise connection_var.origin.error(
                f"connection type {text!r} of host {name} is not supported",
                hint="hardaudit connects with ssh or local only",
            )
        connection = _CONNECTIONS[text]
    address_var = reader.get("ansible_host", "ansible_ssh_host")
    port_var = reader.get("ansible_port", "ansible_ssh_port")
    user_var = reader.get("ansible_user", "ansible_ssh_user")
    key_var = reader.get("ansible_private_key_file", "ansible_ssh_private_key_file")
    known_var = reader.get("audit_known_hosts_file")
    become_var = reader.get("ansible_become")
    legacy_var = reader.get("audit_ssh_legacy_algorithms")
    return Settings(
        name=name,
        address=reader.text(address_var, "ansible_host") if address_var else None,
        port=reader.port(port_var) if port_var else None,
        user=reader.text(user_var, "ansible_user", allow_int=True) if user_var else None,
        key_files=reader.paths(key_var, "ansible_ssh_private_key_file") if key_var else None,
        known_hosts_files=(
            reader.paths(known_var, "audit_known_hosts_file") if known_var else None
        ),
        become=reader.boolean(become_var, "ansible_become") if become_var else False,
        connection=connection,
        jump=reader.jump(),
        legacy_algorithms=(
            reader.boolean(legacy_var, "audit_ssh_legacy_algorithms") if legacy_var else False
        ),
    )


class _Reader:
    """Typed access to one host's variables; every failure names file, line, host, field."""

    def __init__(self, host: str, variables: Mapping[str, Var]) -> None:
        self.host = host
        self.vars = variables

    def get(self, *names: str) -> Var | None:
        found: Var | None = None
        found_name = ""
        for name in names:
            var = self.vars.get(name)
            if var is not None and var.value is not None:
                found, found_name = var, name
        if found is not None and _is_vaulted(found.value):
            raise found.origin.error(
                f"{found_name} of host {self.host} is vault-encrypted;"
                " hardaudit does not decrypt Ansible Vault",
                hint="write the value in plain text",
                kind=VaultEncryptedError,
            )
        return found

    def _fail(self, var: Var, what: str, expected: str) -> Exception:
        return var.origin.error(
            f"invalid {what} {_show(var.value)} for host {self.host}: expected {expected}"
        )

    def _render(self, var: Var, what: str, value: str, depth: int = 0) -> str:
        # Just enough templating for `{{ inventory_hostname }}` and `{{ other_var }}`.
        if isinstance(value, UnsafeText):
            return str(value)  # `!unsafe`: Ansible never templates it
        if depth > 10:
            raise var.origin.error(f"{what} of host {self.host}: variable references loop")

        def substitute(match: re.Match[str]) -> str:
            ref = match.group(1)
            if ref == "inventory_hostname":
                return self.host
            if ref == "inventory_hostname_short":
                return self.host.split(".")[0]
            target = self.vars.get(ref)
            if target is None or not _is_scalar(target.value):
                raise var.origin.error(
                    f"{what} of host {self.host} refers to {{{{ {ref} }}}},"
                    " which is not a defined plain variable"
                )
            if isinstance(target.value, UnsafeText):
                return str(target.value)
            return self._render(var, what, str(target.value), depth + 1)

        # Judge the template itself; what a reference brings in was judged (or is unsafe).
        leftover = _SIMPLE_REF.sub("", value)
        if "{{" in leftover or "{%" in leftover:
            raise var.origin.error(
                f"{what} of host {self.host} uses a Jinja expression hardaudit cannot evaluate",
                hint="only plain '{{ variable }}' references are supported; write the value",
            )
        return _SIMPLE_REF.sub(substitute, value)

    def text(self, var: Var, what: str, *, allow_int: bool = False) -> str:
        value = var.value
        if allow_int and isinstance(value, int) and not isinstance(value, bool):
            value = str(value)
        if not isinstance(value, str) or not value.strip():
            raise self._fail(var, what, "a non-empty string")
        return self._render(var, what, _clean(value))

    def port(self, var: Var) -> int:
        value = var.value
        if isinstance(value, str):
            value = self._render(var, "ansible_port", _clean(value))
            value = int(value) if value.isdigit() else value
        if isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= 65535:
            return value
        raise self._fail(var, "ansible_port", "an integer port 1..65535")

    def boolean(self, var: Var, what: str) -> bool:
        value = var.value
        if isinstance(value, str):
            value = self._render(var, what, value)
        result = boolean(value)
        if result is None:
            raise self._fail(var, what, "a boolean (true/false, yes/no, 1/0)")
        return result

    def paths(self, var: Var, what: str) -> tuple[str, ...]:
        items = var.value if isinstance(var.value, list) else [var.value]
        out: list[str] = []
        for item in items:
            if not isinstance(item, str) or not item.strip():
                raise self._fail(var, what, "a path or a list of paths")
            path = os.path.expanduser(self._render(var, what, _clean(item)))
            out.append(
                path if os.path.isabs(path) else os.path.normpath(var.origin.base_dir / path)
            )
        return tuple(out)

    def jump(self) -> tuple[JumpRef, ...] | None:
        # audit_jump is hardaudit's own and therefore wins over ProxyJump in ssh args.
        var = self.get("audit_jump")
        if var is not None:
            return self._audit_jump(var)
        # Ansible puts both on one ssh command line, common first: ssh sees them together.
        found: tuple[str, Var, str] | None = None
        for name in ("ansible_ssh_common_args", "ansible_ssh_extra_args"):
            args = self.get(name)
            if args is None or args.value == "":
                continue
            earlier = found[0] if found else None
            value = proxy_jump_from_ssh_args(self.text(args, name), args.origin, self.host, earlier)
            if value is not None and found is None:
                found = (value, args, name)
        return self._hops(*found) if found else None

    def _audit_jump(self, var: Var) -> tuple[JumpRef, ...]:
        value = var.value
        if isinstance(value, str):
            return self._hops(value, var, "audit_jump")
        if not isinstance(value, list):
            raise self._fail(var, "audit_jump", "a list of hops or a comma-separated string")
        refs: list[JumpRef] = []
        for item in value:
            if not isinstance(item, str):
                raise self._fail(var, "audit_jump", "hops as strings ([user@]host[:port])")
            if not item.strip():
                raise self._empty_hop(var, "audit_jump")
            refs.extend(self._hops(item, var, "audit_jump"))
        return tuple(refs)

    def _hops(self, text: str, var: Var, variable: str) -> tuple[JumpRef, ...]:
        text = self._render(var, variable, _clean(text))
        if not text or text.lower() == "none":
            return ()  # explicitly direct, also overriding ssh_config's ProxyJump
        parts = split_hops(text)
        if any(not part for part in parts):
            raise self._empty_hop(var, variable)
        return tuple(JumpRef(part, var.origin, variable) for part in parts)

    def _empty_hop(self, var: Var, variable: str) -> Exception:
        return var.origin.error(
            f"{variable} of host {self.host} has an empty hop in {_show(var.value)}",
            hint="each hop names an inventory host or [user@]host[:port]",
        )


def _clean(value: str) -> str:
    """`value` without surrounding blanks, still marked `!unsafe` if it was."""
    stripped = value.strip()
    return UnsafeText(stripped) if isinstance(value, UnsafeText) else stripped


def _is_scalar(value: Any) -> bool:
    return isinstance(value, str | int | float) and not isinstance(value, bool)


def _is_vaulted(value: Any) -> bool:
    # A vault blob pasted without its `!vault` tag is still cipher text, not a value.
    if isinstance(value, list):
        return any(_is_vaulted(item) for item in value)
    if isinstance(value, str):
        return value.lstrip().startswith(VAULT_HEADER)
    return isinstance(value, VaultedValue)


def _show(value: Any) -> str:
    if isinstance(value, VaultedValue):
        return "<vaulted>"
    return repr(value)
