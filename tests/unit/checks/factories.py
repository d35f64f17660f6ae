"""Build HostFacts for evaluator tests: every fact readable and benign unless overridden."""

from __future__ import annotations

from types import MappingProxyType
from typing import Any

from hardaudit.facts.model import (
    Container,
    FileStat,
    FirewallState,
    HostFacts,
    ListeningSocket,
    Meta,
    SshdConfig,
    SshFiles,
    UserSshDir,
)


def sshd(source: str = "sshd -T", **values: str) -> SshdConfig:
    base = {
        "permitrootlogin": "no",
        "passwordauthentication": "no",
        "kbdinteractiveauthentication": "no",
    }
    base.update(values)
    return SshdConfig(
        MappingProxyType({k: (v,) for k, v in base.items()}),
        source,
        MappingProxyType(dict.fromkeys(base, "/etc/ssh/sshd_config:1")),
    )


def ssh_dir(
    user: str = "app", mode: int = 0o700, owner: str | None = None, files: tuple[FileStat, ...] = ()
) -> UserSshDir:
    home = "/root" if user == "root" else f"/home/{user}"
    directory = FileStat(f"{home}/.ssh", mode, owner or user, owner or user, "directory")
    return UserSshDir(user, home, directory, files)


def key(path: str, mode: int = 0o600, owner: str = "app", private_key: bool = False) -> FileStat:
    return FileStat(path, mode, owner, owner, "regular file", private_key)


def facts(**overrides: Any) -> HostFacts:
    values: dict[str, Any] = {
        "meta": Meta(uid=0, user="root", privilege="root"),
        "sshd": sshd(),
        "sshd_contexts": (),  # no Match lines
        "ssh_files": SshFiles((ssh_dir(),), ()),
        "listeners": (ListeningSocket("tcp", "0.0.0.0", 22, "sshd"),),
        "firewall": FirewallState(
            "nftables", True, True, True, True, ("nft inet filter input: policy drop",)
        ),
        "containers": (Container("a", "web", "img", "", 10, 1000),),
    }
    values.update(overrides)
    return HostFacts(**values)
