"""~/.ssh/config (or an explicit file) read through paramiko.SSHConfig, as OpenSSH would."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import paramiko

from hardaudit.errors import InventoryError
from hardaudit.inventory.connection import identity_agent


@dataclass(frozen=True)
class SshEntry:
    """The ssh_config settings hardaudit uses for one `Host` alias (None = not configured)."""

    hostname: str
    user: str | None = None
    port: int | None = None
    identity_files: tuple[str, ...] = ()
    proxy_jump: str | None = None  # raw value; "none" already mapped to None
    proxy_command: str | None = None
    known_hosts_files: tuple[str, ...] = ()
    identities_only: bool = False
    identity_agent: str | None = None  # as in Hop.identity_agent


@dataclass(frozen=True)
class SshConfigSource:
    """A parsed ssh_config file plus the name to show in errors."""

    file: str
    config: paramiko.SSHConfig

    def lookup(self, alias: str) -> SshEntry:
        """Settings for `alias`; a malformed value becomes an InventoryError naming the file."""
        try:
            found = self.config.lookup(alias)
        except Exception as exc:  # paramiko raises several types for bad Match/tokens
            raise InventoryError(
                f"cannot evaluate for host {alias!r}: {exc}", file=self.file
            ) from exc
        port: int | None = None
        if "port" in found:
            text = str(found["port"])
            if not text.isdigit() or not 1 <= int(text) <= 65535:
                raise InventoryError(
                    f"Port {text!r} for host {alias!r} is not an integer 1..65535",
                    file=self.file,
                    field="Port",
                )
            port = int(text)
        raw_identity: str | list[str] = found.get("identityfile") or []
        # paramiko gives a list for IdentityFile (it may repeat); be safe with a lone string.
        identity = [raw_identity] if isinstance(raw_identity, str) else raw_identity
        jump = found.get("proxyjump")
        command = found.get("proxycommand")
        known = found.get("userknownhostsfile")
        agent: str | None = None
        if found.get("identityagent"):
            try:
                agent = identity_agent(str(found["identityagent"]), None, alias)
            except ValueError as exc:
                raise InventoryError(str(exc), file=self.file, field="IdentityAgent") from exc
        return SshEntry(
            hostname=str(found.get("hostname") or alias),
            user=str(found["user"]) if found.get("user") else None,
            port=port,
            identity_files=tuple(os.path.expanduser(str(p)) for p in identity),
            proxy_jump=None if not jump or str(jump).lower() == "none" else str(jump),
            proxy_command=None if not command or str(command).lower() == "none" else str(command),
            known_hosts_files=tuple(os.path.expanduser(p) for p in str(known or "").split()),
            identities_only=str(found.get("identitiesonly") or "").lower() == "yes",
            identity_agent=agent,
        )


def load_ssh_config(path: Path | None, use_default: bool) -> SshConfigSource | None:
    """The ssh_config to honour: `path` if given (must exist), else ~/.ssh/config if
    `use_default` and it exists, else None."""
    if path is None:
        if not use_default:
            return None
        path = Path(os.path.expanduser("~/.ssh/config"))
        if not path.is_file():
            return None
    shown = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise InventoryError(
            "ssh_config file not found", file=shown, hint="check the --ssh-config path"
        ) from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise InventoryError(f"cannot read ssh_config: {exc}", file=shown) from exc
    try:
        config = paramiko.SSHConfig.from_text(text)
    except Exception as exc:  # ConfigParseError and friends
        raise InventoryError(f"invalid ssh_config: {exc}", file=shown) from exc
    return SshConfigSource(shown, config)
