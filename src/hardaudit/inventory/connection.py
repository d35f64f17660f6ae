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
_OPTION = re.compile(r"^\s*([A-Za-z0-9]+)\s*(?:=\s*|\s+)(.*?)\s*$")


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
    hostname: str | None = None  # -o HostName in ssh arguments: wins over ansible_host
    identities_only: bool | None = None  # -o IdentitiesOnly in ssh arguments
    identity_agent: str | None = None  # -o IdentityAgent in ssh arguments


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


# ssh(1)'s getopt string: letters that take an argument, and flags that do not.
_SSH_WITH_ARG = frozenset("bceilmopBDEFIJLOPQRSWw")
_SSH_FLAGS = frozenset("1246afgknqstvxyACGKMNTVXY")
# Options with an argument that change where or how ssh connects and that hardaudit does
# not implement: refused (the host is `error`), never silently ignored.
_SSH_REFUSED_FLAGS = {
    "F": ("-F (another ssh_config file) is not supported", "pass that file with --ssh-config"),
    "S": ("-S (a ControlPath master connection) is not supported", None),
    "W": ("-W (forward stdio to another host) is not supported", "use -J or audit_jump"),
    "b": ("-b (bind address) is not supported", None),
    "B": ("-B (bind interface) is not supported", None),
    "I": ("-I (PKCS#11 keys) is not supported", "use a key file or the ssh-agent"),
    "O": ("-O (control a master connection) is not supported", None),
    "Q": ("-Q (query and exit) is not supported", None),
}
# -o keywords that change where or how ssh connects, with the values that are harmless.
_SSH_REFUSED_OPTIONS: dict[str, tuple[frozenset[str], str | None]] = {
    "proxycommand": (frozenset({"none"}), "use ProxyJump (-J) or audit_jump instead"),
    "controlpath": (frozenset({"none"}), None),
    "stricthostkeychecking": (
        frozenset({"yes", "true", "ask"}),
        "hardaudit always verifies host keys; use --accept-new for first contact",
    ),
    "hostkeyalias": (frozenset(), None),
    "globalknownhostsfile": (frozenset(), "use audit_known_hosts_file or --known-hosts"),
    "knownhostscommand": (frozenset({"none"}), "use audit_known_hosts_file or --known-hosts"),
    "certificatefile": (frozenset({"none"}), None),
    "pkcs11provider": (frozenset({"none"}), "use a key file or the ssh-agent"),
    "securitykeyprovider": (frozenset({"internal"}), None),
    "include": (frozenset(), "pass that file with --ssh-config"),
    "canonicalizehostname": (frozenset({"no", "false"}), None),
    "bindaddress": (frozenset(), None),
    "bindinterface": (frozenset(), None),
    "pubkeyauthentication": (frozenset({"yes", "true", "unbound", "host-bound"}), None),
}
_SHELL_META = frozenset("'`\"$\\;&<>|(){}")
_BECOME_METHODS = frozenset({"sudo", "ansible.builtin.sudo"})
_YES_NO = {"yes": True, "true": True, "no": False, "false": False}


@dataclass(frozen=True)
class SshArgs:
    """What the ssh command line Ansible builds says about where and how to connect.

    As in ssh, the first value obtained for an option wins (IdentityFile accumulates);
    None / () = not stated. `proxy_jump` carries the variable it came from.
    """

    port: int | None = None
    user: str | None = None
    hostname: str | None = None
    identity_files: tuple[str, ...] = ()
    identities_only: bool | None = None
    identity_agent: str | None = None
    known_hosts_files: tuple[str, ...] | None = None
    proxy_jump: tuple[str, Origin, str] | None = None  # (value, origin, variable)


class _SshArgParser:
    """ssh(1)'s argv handling, fed one Ansible variable at a time, in command-line order."""

    def __init__(self, host: str) -> None:
        self.host = host
        self.found: dict[str, Any] = {}
        self.identity_files: list[str] = []
        self.jump: tuple[str, Origin, str] | None = None

    def feed(self, text: str, origin: Origin, variable: str) -> None:
        try:
            tokens = shlex.split(text)
        except ValueError as exc:
            raise origin.error(f"cannot split ssh arguments of host {self.host}: {exc}") from exc
        index = 0
        while index < len(tokens):
            token = tokens[index]
            index += 1
            if token == "--" or not token.startswith("-") or token == "-":
                raise origin.error(
                    f"ssh argument {token!r} of host {self.host} is not an option: ssh would"
                    " take it as the host to connect to",
                    hint="give only options (-o Key=Value, -J host, ...) in ssh arguments",
                )
            # getopt: flags may be combined (-CJ host); a letter that takes an argument
            # takes the rest of the word, or else the next word whatever it looks like.
            position = 1
            while position < len(token):
                letter = token[position]
                position += 1
                if letter in _SSH_FLAGS:
                    continue
                if letter not in _SSH_WITH_ARG:
                    raise origin.error(f"unknown ssh option -{letter} for host {self.host}")
                value = token[position:]
                if not value:
                    if index >= len(tokens):
                        what = "a jump host" if letter == "J" else "a value"
                        raise origin.error(f"-{letter} without {what} for host {self.host}")
                    value = tokens[index]
                    index += 1
                self.flag(letter, value, origin, variable)
                break

    def flag(self, letter: str, value: str, origin: Origin, variable: str) -> None:
        if letter in _SSH_REFUSED_FLAGS:
            reason, hint = _SSH_REFUSED_FLAGS[letter]
            raise origin.error(f"{reason} (host {self.host})", hint=hint)
        if letter == "J":
            if self.jump is not None:
                raise origin.error(
                    f"only a single -J option is permitted, as in ssh (host {self.host})",
                    hint="separate the jump hops with commas: -J first,second",
                )
            if not value:
                raise origin.error(f"-J without a jump host for host {self.host}")
            self.jump = (value, origin, variable)
        elif letter == "o":
            self.option(value, origin, variable)
        elif letter == "l":
            self.first("user", self.user(value, origin))
        elif letter == "p":
            self.first("port", self.port(value, origin))
        elif letter == "i":
            self.identity_files.append(self.path(value, origin))
        # -c -m (algorithms), -D -L -R -w (forwarding), -e -E -P: no effect on the audit

    def option(self, text: str, origin: Origin, variable: str) -> None:
        match = _OPTION.match(text)
        key = (match.group(1) if match else text.strip()).lower()
        raw = match.group(2) if match else ""
        try:
            words = shlex.split(raw)
        except ValueError as exc:
            raise origin.error(f"cannot split -o {text!r} of host {self.host}: {exc}") from exc
        shown = match.group(1) if match else text.strip()
        if not words:
            raise origin.error(f"{shown} without a value for host {self.host}")
        value = words[0]
        if key in _SSH_REFUSED_OPTIONS:
            harmless, hint = _SSH_REFUSED_OPTIONS[key]
            if value.lower() not in harmless:
                what = shown if len(words) > 1 else f"{shown}={value}"
                raise origin.error(f"{what} is not supported (host {self.host})", hint=hint)
        elif key == "proxyjump":
            if self.jump is None:
                self.jump = (value, origin, variable)
        elif key == "user":
            self.first("user", self.user(value, origin))
        elif key == "port":
            self.first("port", self.port(value, origin))
        elif key == "hostname":
            self.first("hostname", value)
        elif key == "identityfile":
            self.identity_files.append(self.path(value, origin))
        elif key == "identitiesonly":
            if value.lower() not in _YES_NO:
                raise origin.error(
                    f"IdentitiesOnly {value!r} of host {self.host}: expected yes or no"
                )
            self.first("identities_only", _YES_NO[value.lower()])
        elif key == "identityagent":
            self.first("identity_agent", identity_agent(value, origin, self.host))
        elif key == "userknownhostsfile":
            paths = () if value.lower() == "none" else tuple(self.path(w, origin) for w in words)
            self.first("known_hosts_files", paths)

    def first(self, key: str, value: Any) -> None:
        self.found.setdefault(key, value)

    def user(self, value: str, origin: Origin) -> str:
        # ssh refuses such a user name ("remote username contains invalid characters").
        if value.startswith("-") or any(c in _SHELL_META for c in value):
            raise origin.error(
                f"ssh user {value!r} of host {self.host} contains characters ssh refuses"
            )
        return value

    def port(self, value: str, origin: Origin) -> int:
        if not value.isdigit() or not 1 <= int(value) <= 65535:
            raise origin.error(f"ssh port {value!r} of host {self.host}: expected 1..65535")
        return int(value)

    def path(self, value: str, origin: Origin) -> str:
        if "%" in value:
            raise origin.error(
                f"ssh path {value!r} of host {self.host} uses % tokens, which hardaudit does"
                " not expand",
                hint="write the path out",
            )
        path = os.path.expanduser(value)
        return path if os.path.isabs(path) else os.path.normpath(origin.base_dir / path)

    def result(self) -> SshArgs:
        return SshArgs(
            port=self.found.get("port"),
            user=self.found.get("user"),
            hostname=self.found.get("hostname"),
            identity_files=tuple(dict.fromkeys(self.identity_files)),
            identities_only=self.found.get("identities_only"),
            identity_agent=self.found.get("identity_agent"),
            known_hosts_files=self.found.get("known_hosts_files"),
            proxy_jump=self.jump,
        )


def identity_agent(value: str, origin: Origin | None, host: str) -> str:
    """ssh_config IdentityAgent: "none", "SSH_AUTH_SOCK", "$VAR" or a socket path (`~`
    expanded); the transport reads the environment when it connects."""
    if value.lower() == "none":
        return "none"
    if value == "SSH_AUTH_SOCK" or value.startswith("$"):
        return value
    if "%" in value:
        message = (
            f"IdentityAgent {value!r} of host {host} uses % tokens, which hardaudit does not expand"
        )
        if origin is None:
            raise ValueError(message)
        raise origin.error(message, hint="write the socket path out")
    return os.path.expanduser(value)


def parse_ssh_args(text: str, origin: Origin, host: str) -> SshArgs:
    """Parse `ansible_ssh_common_args`-style text as ssh parses its argv (see _SshArgParser)."""
    parser = _SshArgParser(host)
    parser.feed(text, origin, origin.field or "ansible_ssh_common_args")
    return parser.result()


def proxy_jump_from_ssh_args(text: str, origin: Origin, host: str) -> str | None:
    """The ProxyJump (-J, -o ProxyJump) given in ssh-arguments text, if any."""
    jump = parse_ssh_args(text, origin, host).proxy_jump
    return jump[0] if jump else None


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
    become = reader.boolean(become_var, "ansible_become") if become_var else False
    if become:
        reader.check_become()
    legacy_var = reader.get("audit_ssh_legacy_algorithms")
    checking_var = reader.get("ansible_host_key_checking", "ansible_ssh_host_key_checking")
    ssh = connection == "ssh"  # ssh arguments and host key checking mean nothing to local
    if (
        ssh
        and checking_var is not None
        and not reader.boolean(checking_var, "ansible_host_key_checking")
    ):
        raise checking_var.origin.error(
            f"host key checking cannot be turned off (host {name})",
            hint="hardaudit always verifies host keys; use --accept-new for first contact",
        )
    port = reader.port(port_var) if port_var else None
    user = reader.text(user_var, "ansible_user", allow_int=True) if user_var else None
    key_files = reader.paths(key_var, "ansible_ssh_private_key_file") if key_var else None
    # The ssh command line Ansible builds: ansible_ssh_args, then `-o Port=`,
    # `-o IdentityFile=`, `-o User=` from the variables above, then ansible_ssh_common_args
    # and ansible_ssh_extra_args. ssh keeps the first value it sees of each option.
    parser = _SshArgParser(name)
    if ssh:
        reader.feed(parser, "ansible_ssh_args")
    if port is not None:
        parser.first("port", port)
    parser.identity_files.extend(key_files or ())
    if user is not None:
        parser.first("user", user)
    if ssh:
        reader.feed(parser, "ansible_ssh_common_args")
        reader.feed(parser, "ansible_ssh_extra_args")
    args = parser.result()
    known_hosts_files = (
        reader.paths(known_var, "audit_known_hosts_file") if known_var else args.known_hosts_files
    )
    return Settings(
        name=name,
        address=reader.text(address_var, "ansible_host") if address_var else None,
        port=args.port,
        user=args.user,
        key_files=args.identity_files if key_var or args.identity_files else None,
        known_hosts_files=known_hosts_files,
        become=become,
        connection=connection,
        jump=reader.jump(args),
        legacy_algorithms=(
            reader.boolean(legacy_var, "audit_ssh_legacy_algorithms") if legacy_var else False
        ),
        hostname=args.hostname,
        identities_only=args.identities_only,
        identity_agent=args.identity_agent,
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
            if target is not None and _is_vaulted(target.value):
                raise target.origin.error(
                    f"{what} of host {self.host} refers to {{{{ {ref} }}}}, which is"
                    " vault-encrypted; hardaudit does not decrypt Ansible Vault",
                    hint=f"write {ref} in plain text, or {what} itself",
                    kind=VaultEncryptedError,
                )
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

    def check_become(self) -> None:
        """hardaudit only ever runs `sudo -n` to root: refuse any other become setting."""
        method = self.get("ansible_become_method")
        if method is not None:
            text = self.text(method, "ansible_become_method")
            if text.lower() not in _BECOME_METHODS:
                raise method.origin.error(
                    f"become method {text!r} of host {self.host} is not supported:"
                    " hardaudit only runs sudo -n",
                    hint="use ansible_become_method: sudo, or ansible_become: false",
                )
        user = self.get("ansible_become_user", "ansible_sudo_user")
        if user is not None:
            text = self.text(user, "ansible_become_user", allow_int=True)
            if text != "root":
                raise user.origin.error(
                    f"become user {text!r} of host {self.host} is not supported:"
                    " hardaudit only runs sudo -n as root",
                    hint="use ansible_become_user: root, or ansible_become: false",
                )
        exe = self.get("ansible_become_exe", "ansible_sudo_exe")
        if exe is not None and self.text(exe, "ansible_become_exe") != "sudo":
            raise exe.origin.error(
                f"become executable {exe.value!r} of host {self.host} is not supported:"
                " hardaudit only runs sudo -n",
                hint="remove ansible_become_exe",
            )

    def feed(self, parser: _SshArgParser, name: str) -> None:
        args = self.get(name)
        if args is not None and args.value != "":
            parser.feed(self.text(args, name), args.origin, name)

    def jump(self, args: SshArgs) -> tuple[JumpRef, ...] | None:
        # audit_jump is hardaudit's own and therefore wins over ProxyJump in ssh args.
        var = self.get("audit_jump")
        if var is not None:
            return self._audit_jump(var)
        if args.proxy_jump is None:
            return None
        value, origin, name = args.proxy_jump
        return self._hops(UnsafeText(value), Var(value, origin), name)

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
