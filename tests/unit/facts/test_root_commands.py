"""ROOT_COMMANDS against the commands the script really runs through sudo.

sudo matches a command's path (the one it resolves) and its arguments, joined by spaces,
with fnmatch(3) (a backslash escapes a wildcard) or, for `^...$`, a regular expression.
`sudo_allows` does the same on the sudoers lines, so the tests can ask what a line admits.
"""

from __future__ import annotations

import re
import shlex

import pytest

from hardaudit.doctor import doctor_script
from hardaudit.facts.script import (
    REDIS_PATTERN,
    ROOT_COMMANDS,
    ROOT_HELPER,
    SCRIPT_TEMPLATE,
    build_script,
    sudoers_literal,
)


def _fnmatch_regex(pattern: str) -> str:
    out, i = [], 0
    while i < len(pattern):
        c = pattern[i]
        if c == "\\" and i + 1 < len(pattern):
            out.append(re.escape(pattern[i + 1]))
            i += 2
            continue
        if c == "*":
            out.append(".*")
        elif c == "?":
            out.append(".")
        elif c == "[":
            end = pattern.index("]", i + 2)
            body = pattern[i + 1 : end]
            out.append("[" + ("^" + body[1:] if body.startswith("!") else body) + "]")
            i = end
        else:
            out.append(re.escape(c))
        i += 1
    return "".join(out)


# The lines of each form `audit sudoers` writes: with regexes (sudo >= 1.9.10) and without
# (--sudo-version 1.9.5). Both must admit what the script runs and refuse anything more.
FORMS = {
    "regex": tuple(line for cmd in ROOT_COMMANDS for line in cmd.sudoers_lines),
    "sudo-1.9.5": tuple(line for cmd in ROOT_COMMANDS for line in cmd.old_sudo_lines()),
}


def sudo_allows(path: str, args: list[str], lines: tuple[str, ...] = FORMS["regex"]) -> bool:
    """Whether some sudoers line admits `path` with `args`, as sudo matches them."""
    joined = " ".join(args)
    for line in lines:
        if True:
            entry_path, _, entry_args = line.partition(" ")
            if entry_path != path:
                continue
            if entry_args.startswith("^") and entry_args.endswith("$"):
                if re.search(entry_args, joined):
                    return True
            elif re.fullmatch(_fnmatch_regex(entry_args), joined, re.DOTALL):
                return True
    return False


REDIS_GREP = ["-a", "-i", "-E", "-e", REDIS_PATTERN, "--", "/etc/redis/redis.conf"]
REDIS_GREP_SKIP = ["-D", "skip", *REDIS_GREP]
REDIS_LIST = ["/etc/redis", "-mindepth", "1", "-maxdepth", "1", "-type", "f", "-print0"]
KEY_GREP = ["-l", "-m1", "-e", "PRIVATE KEY-----", "--", "/home/a/.ssh/id_rsa"]
STAT = ["-c", "%a|%U|%G|%F", "--", "/home/a/.ssh", "/home/a/.ssh/x"]
KEY_GREP_SKIP = ["-D", "skip", *KEY_GREP]
LIST = ["/home/a/.ssh", "-mindepth", "1", "-maxdepth", "1", "-print0"]
STAT_DIRS = ["-c", "%a|%U|%G|%F|%n", "--", "/root/.ssh", "/home/a/.ssh", "/var/lib/x/.ssh"]


def _script_find(needle: str, roots: tuple[str, ...]) -> list[str]:
    """The arguments of the script's `root find ... NEEDLE ...` line, with `roots`."""
    built = build_script(become=True, nonce="n").script
    line = next(t for t in built.splitlines() if "root find" in t and needle in t)
    words = shlex.split(line.split("root find", 1)[1].split("</dev/null", 1)[0])
    return [*roots, *words[1:]]  # "$@": the roots


WALK = _script_find("-perm -0002", ("/etc", "/usr"))
ENV_SEARCH = _script_find(".env", ("/srv", "/home"))  # two of the default app_dirs


@pytest.mark.parametrize(
    ("paths", "args"),
    [
        # RHEL has ss in /usr/sbin; Debian without merged /usr in /bin; Alpine in /sbin
        (("/usr/bin/ss", "/usr/sbin/ss", "/bin/ss", "/sbin/ss"), ["-H", "-tulpn"]),
        # the fallback for iproute2 without -H
        (("/usr/bin/ss", "/usr/sbin/ss", "/bin/ss", "/sbin/ss"), ["-tulpn"]),
        (("/usr/sbin/iptables-save", "/sbin/iptables-save"), []),
        (("/usr/sbin/ip6tables-save", "/sbin/ip6tables-save"), []),
        (("/usr/bin/grep", "/bin/grep"), REDIS_GREP),
        (("/usr/bin/grep", "/bin/grep"), REDIS_GREP_SKIP),
        (("/usr/bin/find", "/bin/find"), REDIS_LIST),
        (("/usr/bin/grep", "/bin/grep"), KEY_GREP),
        (("/usr/bin/stat", "/bin/stat"), STAT),
        (("/usr/bin/grep", "/bin/grep"), KEY_GREP_SKIP),
        (("/usr/bin/find", "/bin/find"), LIST),
        (("/usr/sbin/sshd",), ["-T", "-C", "user=root,host=localhost,addr=127.0.0.1"]),
        (("/usr/bin/stat", "/bin/stat"), STAT_DIRS),
        (("/usr/bin/find",), WALK),
        (("/usr/bin/find",), ENV_SEARCH),
    ],
)
@pytest.mark.parametrize("form", FORMS)
def test_every_path_a_distribution_installs_is_allowed(
    paths: tuple[str, ...], args: list[str], form: str
) -> None:
    for path in paths:
        assert sudo_allows(path, args, FORMS[form]), f"{path} {shlex.join(args)}"


@pytest.mark.parametrize(
    ("path", "args"),
    [
        # the pattern is pinned: another pattern, or an option before `--`, is refused
        ("/usr/bin/grep", ["-i", "-E", "-e", ".*", "--", "/etc/shadow"]),
        ("/usr/bin/grep", ["-i", "-E", "-e", REDIS_PATTERN, "-r", "--", "/etc"]),
        ("/usr/bin/grep", ["-i", "-E", "-e", "^ (bind|port)", "--", "/etc/shadow"]),
        # the lister takes one absolute path and nothing else: no -exec, no second path
        (
            "/usr/bin/find",
            ["/x", "-exec", "id", ";", "-mindepth", "1", "-maxdepth", "1", "-print0"],
        ),
        ("/usr/bin/find", ["/x", "/y", "-mindepth", "1", "-maxdepth", "1", "-print0"]),
        # the Redis lister lists regular files only (no -type l, no -L to follow links)
        (
            "/usr/bin/find",
            ["-L", "/x", "-mindepth", "1", "-maxdepth", "1", "-type", "f", "-print0"],
        ),
        ("/usr/bin/find", ["/x", "-mindepth", "1", "-maxdepth", "1", "-type", "l", "-print0"]),
        ("/usr/bin/ss", ["-tulpn", "-K"]),
        ("/usr/sbin/sshd", ["-T", "-C", "user=root", "-f", "/tmp/x"]),
        # the walks: paths, then exactly the script's expression (pruned list included)
        ("/usr/bin/find", [*WALK[:-1], "-exec", "id", ";"]),
        ("/usr/bin/find", ["/etc", "-xdev", "-fprint", "/tmp/x", *WALK[3:]]),
        ("/usr/bin/find", [w for w in WALK if w != "/run"]),
        ("/usr/bin/find", ["/srv", "-L", *ENV_SEARCH[2:]]),
        # one ~/.ssh path without a space: not a second path, an option or an expression
        ("/usr/bin/find", ["/x", "-delete", "-mindepth", "1", "-maxdepth", "1", "-print0"]),
        ("/usr/bin/find", ["x", "-mindepth", "1", "-maxdepth", "1", "-print0"]),
        ("/usr/sbin/sshd", ["-T", "-C", "user=root", "-E", "/etc/passwd"]),
        ("/usr/sbin/sshd", ["-T", "-C"]),
        # the walks' roots are the script's own (a sudo without regexes lists them literally)
        ("/usr/bin/find", ["/", *WALK[2:]]),
        ("/usr/bin/find", ["/tmp", *ENV_SEARCH[2:]]),
        ("/usr/bin/find", ["/tmp", *REDIS_LIST[1:]]),
    ],
)
@pytest.mark.parametrize("form", FORMS)
def test_other_arguments_are_refused(path: str, args: list[str], form: str) -> None:
    if form == "regex" and args[0] in ("/", "/tmp"):
        return  # the regex form admits any root (paths only): the old form lists them
    assert not sudo_allows(path, args, FORMS[form])


def test_sudoers_literal_escapes_every_wildcard() -> None:
    assert sudoers_literal("^[[:space:]]*(a|b)?") == "^\\[\\[:space:\\]\\]\\*(a|b)\\?"
    # unescaped, `*` would let any text stand in the pattern's place
    assert re.fullmatch(_fnmatch_regex("-e ^ *(bind) -- *"), "-e ^ -r /etc/shadow (bind) -- x")


def test_the_script_runs_root_commands_by_name() -> None:
    # `root` and `sudo_ok` get program names, resolved by sudo like the doctor's probes
    invoked = set(re.findall(r"\b(?:root|sudo_ok(?: -u \"\$_u\")?) ([a-z0-9-]+)", SCRIPT_TEMPLATE))
    owner = set(
        re.findall(r"\bas_owner \"[^\n]*?\" \"[^\n]*?\" \"[^\n]*?\" ([a-z0-9-]+)", SCRIPT_TEMPLATE)
    )
    assert owner == {"grep"}
    assert owner <= {cmd.program for cmd in ROOT_COMMANDS if cmd.as_owner}
    assert invoked - {"sudo", "find"} <= {cmd.program for cmd in ROOT_COMMANDS}
    assert "ss -tulpn" in SCRIPT_TEMPLATE  # the fallback listed above


def test_doctor_probes_by_name_and_skips_missing_programs() -> None:
    script = doctor_script()
    assert "sudo -n -l ss -tulpn " in script
    # by path only the root helper, which is on no PATH
    assert "sudo -n -l /usr/" not in script.replace(f"sudo -n -l {ROOT_HELPER} ", "")
    assert "if command -v iptables-save >/dev/null 2>&1; then" in script


def test_key_grep_runs_as_each_homes_owner_never_root_for_a_user() -> None:
    from hardaudit.facts.script import sudoers_example

    text = sudoers_example("auditor")
    assert "auditor ALL=(ALL, !root) NOPASSWD: HARDAUDIT_AS_OWNER" in text
    owner_alias = text.split("Cmnd_Alias HARDAUDIT_AS_OWNER = \\\n", 1)[1].split("\nauditor ", 1)[0]
    assert "-D skip -l -m1 -e PRIVATE\\ KEY----- -- *" in owner_alias
    assert all("grep" in line for line in owner_alias.splitlines())


@pytest.mark.parametrize("cmd", ROOT_COMMANDS, ids=lambda c: c.command[:60])
def test_each_doctor_probe_is_admitted_by_its_own_sudoers_line(cmd: object) -> None:
    # `audit doctor` asks `sudo -n -l <probe>`: a probe its line does not admit would name a
    # command as refused on a host whose sudoers is exactly `audit sudoers`
    from hardaudit.facts.script import RootCommand

    assert isinstance(cmd, RootCommand)
    words = shlex.split(cmd.probe or cmd.command)
    assert sudo_allows(words[0], words[1:]), cmd.probe or cmd.command
