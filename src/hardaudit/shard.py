"""Split the selected hosts into N shards, so that N machines audit one fleet (`--shard K/N`).

Every shard process computes the same assignment from the same selected hosts and keeps its
own share, so no coordination is needed. The assignment is:

- deterministic: the same hosts give the same shards whatever the order they are listed in;
- stable: rendezvous (highest random weight) hashing on the host name, so adding or removing
  hosts leaves almost all the others where they were (a host moves only when the shard it
  prefers fills up at another point; adding 10 % to 1,000 hosts moves 1.2 % of the old ones,
  measured in the unit tests);
- bastion-aware: hosts behind the same jump chain form one unit and go to one shard, so that
  shard's run shares one connection to the bastion (transport/ssh.py caches it per chain); a
  chain with more hosts than a shard's fair share is cut into pieces of at most half of it
  (each piece costs one more bastion connection, on another machine);
- balanced: units are placed largest first on their highest-ranked shard that still has room
  (rendezvous with bounded loads: `total // N` hosts each, `total % N` shards one more), so
  one-host units give shards that differ by at most one host, and a bastion unit can leave a
  shard short by at most its own size (a machine's wall time follows its host count).

Pure: nothing here connects, reads files or imports transport/facts.

>>> names = [f"web{i}" for i in range(10)]
>>> sorted(len(shard_names(names, k, 3)) for k in (1, 2, 3))
[3, 3, 4]
"""

from __future__ import annotations

import hashlib
import math
import re
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass

from hardaudit.errors import UsageError
from hardaudit.inventory.model import Host

# At most this many shards: a shard is a machine or a pod, not a host.
MAX_SHARDS = 10_000

_SPEC = re.compile(r"\s*(\d{1,6})\s*/\s*(\d{1,6})\s*")


@dataclass(frozen=True)
class ShardSpec:
    """Shard `index` (1-based) of `count`."""

    index: int
    count: int

    def __str__(self) -> str:
        return f"{self.index}/{self.count}"


def parse_shard(text: str) -> ShardSpec:
    """`K/N` with 1 <= K <= N; UsageError says how to write it otherwise.

    >>> parse_shard("2/4")
    ShardSpec(index=2, count=4)
    """
    match = _SPEC.fullmatch(text)
    if match is None:
        raise UsageError(
            f"--shard {text!r} is not K/N",
            hint="write the shard number and the number of shards, e.g. --shard 2/4",
        )
    index, count = int(match.group(1)), int(match.group(2))
    if count < 1 or count > MAX_SHARDS:
        raise UsageError(
            f"--shard {text}: the number of shards must be 1 to {MAX_SHARDS}",
            hint="e.g. --shard 1/4 ... --shard 4/4",
        )
    if not 1 <= index <= count:
        hint = f"shards are numbered 1 to {count}, e.g. --shard 1/{count}"
        if index == 0:  # Kubernetes' JOB_COMPLETION_INDEX and most matrices count from 0
            hint += "; from a 0-based index, pass $((INDEX + 1))/N"
        raise UsageError(f"--shard {text}: no shard {index} of {count}", hint=hint)
    return ShardSpec(index, count)


def _score(*parts: str) -> int:
    digest = hashlib.sha256("\x1f".join(parts).encode("utf-8", "surrogatepass")).digest()
    return int.from_bytes(digest[:8], "big")


def _rank(key: str, choices: int) -> list[int]:
    """Choices 0..choices-1 for `key`, best first (rendezvous hashing)."""
    return sorted(range(choices), key=lambda c: _score(key, str(c)), reverse=True)


@dataclass(frozen=True)
class _Unit:
    key: str
    members: tuple[str, ...]  # host names, sorted


def _units(groups: Mapping[str, Sequence[str]], count: int, total: int) -> list[_Unit]:
    """Groups as placement units; a group larger than half a fair share is cut into pieces,
    each host going to its rendezvous-best piece (so growth moves few hosts between pieces)."""
    limit = max(1, math.ceil(total / count / 2))
    units = []
    for key, names in groups.items():
        pieces = max(1, math.ceil(len(names) / limit)) if count > 1 else 1
        if pieces == 1:
            units.append(_Unit(key, tuple(sorted(names))))
            continue
        split: dict[int, list[str]] = {}
        for name in names:
            split.setdefault(_rank(f"{key}\x1e{name}", pieces)[0], []).append(name)
        units += [_Unit(f"{key}#{p}", tuple(sorted(split[p]))) for p in sorted(split)]
    return units


def assign(groups: Mapping[str, Sequence[str]], count: int) -> dict[str, int]:
    """Host name -> shard (0-based) for hosts given as `group key -> host names`.

    A group stays on one shard unless it is larger than half a fair share (see module doc).
    Host names must be unique across groups.
    """
    if count < 1:
        raise ValueError("count must be at least 1")
    total = sum(len(names) for names in groups.values())
    if total == 0:
        return {}
    # Shards hold `base` hosts, `extra` of them one more: for one-host units, exactly even.
    base, extra = divmod(total, count)
    loads = [0] * count
    over = 0  # shards holding base + 1
    placed: dict[str, int] = {}
    units = _units(groups, count, total)
    # Largest first (they are the hard ones to fit), then in an order fixed by the key alone.
    units.sort(key=lambda u: (-len(u.members), _score(u.key), u.key))
    for unit in units:
        ranked = _rank(unit.key, count)
        size = len(unit.members)

        # Room: stays within `base`, or becomes one of the `extra` shards holding one more.
        fits = [
            s
            for s in ranked
            if loads[s] + size <= base or (loads[s] + size == base + 1 and over < extra)
        ]
        # Nothing has room (a large unit, or the last units of a lumpy fleet): the least loaded.
        shard = fits[0] if fits else min(ranked, key=lambda s: loads[s])
        if loads[shard] <= base < loads[shard] + size:
            over += 1
        loads[shard] += size
        placed.update((name, shard) for name in unit.members)
    return placed


def bastion_key(host: Host) -> str:
    """Hosts with the same key share their jump chain: the chain's hops, outermost first.
    A host without a jump (or that is never contacted) is a unit of its own."""
    if host.jump and not host.error and host.connection == "ssh":
        return "jump\x1f" + "\x1f".join(f"{hop.name}\x1e{hop.label}" for hop in host.jump)
    return "host\x1f" + host.name


def shard_hosts(hosts: Sequence[Host], spec: ShardSpec) -> tuple[Host, ...]:
    """The hosts of shard `spec`, in their given (inventory) order."""
    groups: dict[str, list[str]] = {}
    for host in hosts:
        groups.setdefault(bastion_key(host), []).append(host.name)
    placed = assign(groups, spec.count)
    return tuple(h for h in hosts if placed[h.name] == spec.index - 1)


def shard_names(names: Iterable[str], index: int, count: int) -> tuple[str, ...]:
    """`shard_hosts` for plain names, none behind a bastion (for tests and docs)."""
    ordered = list(dict.fromkeys(names))
    placed = assign({f"host\x1f{n}": [n] for n in ordered}, count)
    return tuple(n for n in ordered if placed[n] == index - 1)


def spread(assignment: Mapping[Hashable, int], count: int) -> list[int]:
    """Hosts per shard (0-based index) of an assignment."""
    loads = [0] * count
    for shard in assignment.values():
        loads[shard] += 1
    return loads
