"""Builds the one POSIX sh facts script and the wrapper command that runs it.

The wrapper decides the privilege mode *before* the script is read from stdin (re-exec'ing
mid-script loses the rest of stdin under dash and BusyBox). Inside the script, only the
commands listed in ROOT_COMMANDS are prefixed with `sudo -n`, so a least-privilege sudoers
file can list exactly those (see `sudoers_example`).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

# Per-section output caps in bytes: a hostile or huge host cannot flood the auditor.
DEFAULT_CAP = 256 * 1024
STDERR_CAP = 2048
COMMAND_TIMEOUT_S = 20

DOCKER_INSPECT_FORMAT = (
    '{"id":{{json .Id}},"name":{{json .Name}},"image":{{json .Config.Image}},'
    '"user":{{json .Config.User}},"pid":{{.State.Pid}},"running":{{.State.Running}},'
    '"privileged":{{.HostConfig.Privileged}},"network_mode":{{json .HostConfig.NetworkMode}},'
    '"pid_mode":{{json .HostConfig.PidMode}},"ipc_mode":{{json .HostConfig.IpcMode}},'
    '"cap_add":{{json .HostConfig.CapAdd}},"mounts":{{json .Mounts}},'
    '"ports":{{json .NetworkSettings.Ports}}}'
)


@dataclass(frozen=True)
class RootCommand:
    """A command the script runs through `sudo -n` when become is on."""

    command: str  # as it appears in sudoers (absolute path + arguments, regex allowed)
    why: str


ROOT_COMMANDS: tuple[RootCommand, ...] = (
    RootCommand("/usr/sbin/sshd -T", "effective sshd configuration (sshd loads host keys)"),
    RootCommand("/usr/bin/ss -H -tulpn", "listening sockets with their owning process"),
    RootCommand("/usr/sbin/nft -j list ruleset", "firewall ruleset as the kernel holds it"),
    RootCommand("/usr/sbin/iptables-save", "iptables ruleset (legacy or nft backend)"),
    RootCommand("/usr/sbin/ip6tables-save", "ip6tables ruleset"),
    RootCommand("/usr/bin/stat -c %a|%U|%G|%F|%n -- *", "modes of ~/.ssh and its files"),
    RootCommand("/usr/bin/ls -A1 -- *", "names of files in each ~/.ssh"),
    RootCommand(
        "/usr/bin/grep -l -m1 -e PRIVATE\\ KEY----- -- *",
        "which ~/.ssh files are private keys (names only, never contents)",
    ),
    RootCommand("/usr/bin/docker ps -q --no-trunc", "running containers"),
    RootCommand(
        "/usr/bin/docker inspect --format *",
        "container settings (the script's template omits environment values)",
    ),
)

TOOLS = (
    "ss",
    "nft",
    "iptables-save",
    "ip6tables-save",
    "docker",
    "sshd",
    "stat",
    "find",
    "timeout",
    "sudo",
    "busybox",
    "firewall-cmd",
    "ufw",
    "systemctl",
    "head",
    "awk",
)

WRAPPER_TEMPLATE = (
    "/bin/sh -c '"
    "LC_ALL=C; export LC_ALL; "
    'if [ "$(id -u)" = 0 ]; then HA_PRIV=root; HA_SUDO=; '
    "elif [ {become} = 1 ] && sudo -n -l >/dev/null 2>&1 </dev/null; then "
    'HA_PRIV=sudo; HA_SUDO="sudo -n"; '
    "else HA_PRIV=user; HA_SUDO=; fi; "
    "export HA_PRIV HA_SUDO; exec /bin/sh -s'"
)

SCRIPT_TEMPLATE = r"""
N='@@__NONCE__'
PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin:$PATH
LC_ALL=C
export PATH LC_ALL
umask 077
exec 5>&1
has() { command -v "$1" >/dev/null 2>&1; }
T=
if has timeout; then T="timeout __TIMEOUT__"; fi
# run NAME CAP CMD...: one delimited section; stdout capped at CAP (+1 byte shows truncation),
# stderr capped and sent to the stderr stream under the same marker; rc from the command.
run() {
  _n=$1; _c=$2; shift 2
  printf '\n%s BEGIN %s cap=%s\n' "$N" "$_n" "$_c"
  printf '\n%s BEGIN %s\n' "$N" "$_n" >&2
  _rc=$( { { { "$@" </dev/null 2>&1 1>&3 3>&- 4>&-; echo $? >&4; } | head -c __ERRCAP__ >&2; } 3>&1 | head -c $((_c + 1)) >&5; } 4>&1 )
  printf '\n%s END %s rc=%s\n' "$N" "$_n" "${_rc:-255}"
}
root() { if [ -n "$HA_SUDO" ]; then $T $HA_SUDO "$@"; else $T "$@"; fi; }
capped() { $T "$@"; }

meta() {
  echo "uid=$(id -u)"
  echo "user=$(id -un)"
  echo "privilege=${HA_PRIV:-user}"
  echo "kernel=$(uname -sr)"
  echo "hostname=$(uname -n)"
  if [ -r /etc/os-release ]; then
    grep -E '^(ID|VERSION_ID|PRETTY_NAME)=' /etc/os-release | sed 's/^/os_/'
  fi
  _t=
  for _x in __TOOLS__; do if has "$_x"; then _t="$_t $_x"; fi; done
  echo "tools=$_t"
}

sshd_t() {
  if ! has sshd; then echo "sshd not installed" >&2; return 127; fi
  root sshd -T
}

sshd_files() {
  _seen=
  _todo=/etc/ssh/sshd_config
  _depth=0
  while [ -n "$_todo" ] && [ $_depth -lt 4 ]; do
    _next=
    for _f in $_todo; do
      case " $_seen " in *" $_f "*) continue ;; esac
      _seen="$_seen $_f"
      [ -f "$_f" ] || continue
      printf '%s FILE %s\n' "$N" "$_f"
      cat -- "$_f" || return 1
      for _p in $(awk 'tolower($1)=="include" { for (i = 2; i <= NF; i++) print $i }' "$_f"); do
        case $_p in /*) ;; *) _p="/etc/ssh/$_p" ;; esac
        for _g in $_p; do [ -f "$_g" ] && _next="$_next $_g"; done
      done
    done
    _todo=$_next
    _depth=$((_depth + 1))
  done
  [ -n "$_seen" ]
}

ssh_files() {
  awk -F: '$6 != "" && $6 != "/" { print $1 ":" $6 }' /etc/passwd | while IFS=: read -r _u _h; do
    _d="$_h/.ssh"
    _st=$(root stat -c '%a|%U|%G|%F|%n' -- "$_d" 2>&1 </dev/null)
    case $_st in
      *"No such file"*|*"can't stat"*|*"cannot stat"*) continue ;;
    esac
    printf '%s USER %s %s\n' "$N" "$_u" "$_h"
    case $_st in
      [0-7]*"|"*) ;;
      *) echo "unreadable: $_d: $_st"; continue ;;
    esac
    echo "$_st"
    _names=$(root ls -A1 -- "$_d" 2>&1 </dev/null) || { echo "unreadable: $_d: $_names"; continue; }
    [ -n "$_names" ] || continue
    _paths=$(printf '%s\n' "$_names" | sed "s|^|$_d/|")
    # shellcheck disable=SC2086
    (IFS='
'; root stat -c '%a|%U|%G|%F|%n' -- $_paths </dev/null)
    (IFS='
'; root grep -l -m1 -e 'PRIVATE KEY-----' -- $_paths </dev/null 2>/dev/null) | sed 's/^/privkey: /'
  done
}

listeners() {
  if has ss; then
    if root ss -H -tulpn 2>/dev/null; then return 0; fi
    root ss -tulpn
  else
    for _p in tcp tcp6 udp udp6; do
      [ -r /proc/net/$_p ] && { echo "## /proc/net/$_p"; cat /proc/net/$_p; }
    done
    [ -r /proc/net/tcp ]
  fi
}

fw_nft() { if has nft; then root nft -j list ruleset; else echo "nft not installed" >&2; return 127; fi; }
fw_iptables() { if has iptables-save; then root iptables-save; else echo "iptables-save not installed" >&2; return 127; fi; }
fw_ip6tables() { if has ip6tables-save; then root ip6tables-save; else echo "ip6tables-save not installed" >&2; return 127; fi; }

containers() {
  if ! has docker; then echo "docker not installed" >&2; return 127; fi
  _ids=$(root docker ps -q --no-trunc) || return 1
  echo "## engine-ok"
  [ -n "$_ids" ] || return 0
  # shellcheck disable=SC2086
  _js=$(root docker inspect --format '__DOCKER_FORMAT__' $_ids) || return 1
  printf '%s\n' "$_js"
  for _pid in $(printf '%s\n' "$_js" | sed -n 's/.*"pid":\([0-9]*\),.*/\1/p'); do
    if [ -r "/proc/$_pid/status" ]; then
      echo "## proc $_pid $(awk '/^Uid:/ { print $2 " " $3 }' "/proc/$_pid/status")"
    else
      echo "## proc $_pid unreadable"
    fi
  done
}

run meta 16384 meta
run sshd_t __CAP__ sshd_t
run sshd_config __CAP__ sshd_files
run ssh_files __CAP__ ssh_files
run listeners __CAP__ listeners
run nft __CAP__ fw_nft
run iptables __CAP__ fw_iptables
run ip6tables __CAP__ fw_ip6tables
run containers __CAP__ containers
printf '\n%s DONE\n' "$N"
"""


@dataclass(frozen=True)
class FactsScript:
    """The wrapper command to exec and the script to send on its stdin."""

    nonce: str
    command: str
    script: str


def new_nonce() -> str:
    """A per-run random token: a target cannot forge a section boundary it cannot guess."""
    return secrets.token_hex(12)


def build_script(*, become: bool, nonce: str | None = None) -> FactsScript:
    """Build the wrapper command and facts script for one host."""
    nonce = nonce or new_nonce()
    script = (
        SCRIPT_TEMPLATE.replace("__NONCE__", nonce)
        .replace("__TIMEOUT__", str(COMMAND_TIMEOUT_S))
        .replace("__ERRCAP__", str(STDERR_CAP))
        .replace("__CAP__", str(DEFAULT_CAP))
        .replace("__TOOLS__", " ".join(TOOLS))
        .replace("__DOCKER_FORMAT__", DOCKER_INSPECT_FORMAT)
    )
    command = WRAPPER_TEMPLATE.format(become="1" if become else "0")
    return FactsScript(nonce=nonce, command=command, script=script.lstrip())


def sudoers_example(user: str = "auditor") -> str:
    """A least-privilege sudoers file listing exactly the commands the script runs as root."""
    lines = [
        "# /etc/sudoers.d/hardaudit -- generated by `audit sudoers`; mode 0440, owner root",
        "# Exactly the commands hardaudit's facts script runs through `sudo -n`.",
        "# Every one of them only reads; none writes, restarts or reloads anything.",
        f"Defaults:{user} !requiretty",
        "Cmnd_Alias HARDAUDIT = \\",
    ]
    for index, cmd in enumerate(ROOT_COMMANDS):
        sep = ", \\" if index < len(ROOT_COMMANDS) - 1 else ""
        escaped = cmd.command.replace(",", "\\,").replace(":", "\\:").replace("=", "\\=")
        lines.append(f"    {escaped}{sep}")
    lines.append(f"{user} ALL=(root) NOPASSWD: HARDAUDIT")
    return "\n".join(lines) + "\n"
