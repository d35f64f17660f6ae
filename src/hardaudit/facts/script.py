"""Builds the one POSIX sh facts script and the wrapper command that runs it.

The wrapper decides the privilege mode *before* the script is read from stdin (re-exec'ing
mid-script loses the rest of stdin under dash and BusyBox). Inside the script, only the
commands listed in ROOT_COMMANDS are prefixed with `sudo -n`, so a least-privilege sudoers
file can list exactly those (see `sudoers_example`).
"""

from __future__ import annotations

import re
import secrets
import shlex
from collections.abc import Collection, Sequence
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


# The Redis directives the facts script reads (case-insensitive, after any indentation).
REDIS_PATTERN = "^[[:space:]]*(bind|protected-mode|requirepass|aclfile|user|port)([[:space:]]|$)"


def sudoers_literal(text: str) -> str:
    """`text` as a sudoers command argument that matches only itself: sudo matches arguments
    with fnmatch(3), so its wildcard characters `*?[]` are escaped with a backslash."""
    if "\\" in text:
        raise ValueError(f"a backslash cannot be written literally in sudoers: {text!r}")
    return re.sub(r"([*?\[\]])", r"\\\1", text)


# Where distributions install each program: merged /usr (Debian 11+, RHEL, Ubuntu 20.04+) has
# them in /usr/bin or /usr/sbin, older Debian/Ubuntu and Alpine (BusyBox applets) in /bin or
# /sbin, and RHEL puts ss in /usr/sbin. sudo runs the path it resolves, so every place is listed.
BIN_DIRS = ("/bin",)
SBIN_DIRS = ("/sbin",)
ANY_DIRS = ("/usr/sbin", "/bin", "/sbin")


@dataclass(frozen=True)
class RootCommand:
    """A command the script runs through `sudo -n` when become is on."""

    command: str  # as it appears in sudoers (absolute path + arguments, regex allowed)
    why: str
    probe: str = ""  # a real invocation, for `sudo -n -l` in `audit doctor` (default: command)
    dirs: tuple[str, ...] = ()  # other directories the program is installed in on some systems

    @property
    def program(self) -> str:
        """The program's name, as the script runs it (sudo resolves the path)."""
        return self.command.split(" ", 1)[0].rsplit("/", 1)[-1]

    @property
    def sudoers_lines(self) -> tuple[str, ...]:
        """The command under its main path and under each other directory of `dirs`."""
        _path, sep, args = self.command.partition(" ")
        return (self.command, *(f"{d}/{self.program}{sep}{args}" for d in self.dirs))

    @property
    def probe_line(self) -> str:
        """A real invocation by program name, resolved by sudo as it is for the script."""
        _path, sep, args = (self.probe or self.command).partition(" ")
        return f"{self.program}{sep}{args}"


ROOT_COMMANDS: tuple[RootCommand, ...] = (
    RootCommand("/usr/sbin/sshd -T", "effective sshd configuration (sshd loads host keys)"),
    RootCommand(
        "/usr/sbin/sshd ^-T -C [A-Za-z0-9_.:%,=@-]+$",
        "effective sshd configuration per Match context (regex: no other option can be added)",
        "/usr/sbin/sshd -T -C user=root,host=localhost,addr=127.0.0.1",
    ),
    RootCommand(
        "/usr/bin/ss -H -tulpn", "listening sockets with their owning process", dirs=ANY_DIRS
    ),
    RootCommand(
        "/usr/bin/ss -tulpn",
        "the same where ss has no -H (iproute2 before 4.12): the header is skipped",
        dirs=ANY_DIRS,
    ),
    RootCommand("/usr/sbin/nft -j list ruleset", "firewall ruleset as the kernel holds it"),
    RootCommand(
        "/usr/sbin/iptables-save", "iptables ruleset (legacy or nft backend)", dirs=SBIN_DIRS
    ),
    RootCommand("/usr/sbin/ip6tables-save", "ip6tables ruleset", dirs=SBIN_DIRS),
    RootCommand(
        "/usr/bin/stat -c %a|%U|%G|%F|%n -- *",
        "modes of ~/.ssh, its files and .env files",
        "/usr/bin/stat -c '%a|%U|%G|%F|%n' -- /root/.ssh",
        dirs=BIN_DIRS,
    ),
    RootCommand(
        "/usr/bin/ls -A1 -- *",
        "names of files in each ~/.ssh",
        "/usr/bin/ls -A1 -- /root/.ssh",
        dirs=BIN_DIRS,
    ),
    RootCommand(
        "/usr/bin/grep -l -m1 -e PRIVATE\\ KEY----- -- *",
        "which ~/.ssh files are private keys (names only, never contents)",
        "/usr/bin/grep -l -m1 -e 'PRIVATE KEY-----' -- /root/.ssh/id_ed25519",
        dirs=BIN_DIRS,
    ),
    RootCommand(
        f"/usr/bin/grep -H -i -E -e {sudoers_literal(REDIS_PATTERN)} -- *",
        "redis directives (wildcards escaped: only this pattern; values of passwords are "
        "redacted before they leave the host)",
        f"/usr/bin/grep -H -i -E -e {shlex.quote(REDIS_PATTERN)} -- /etc/redis/redis.conf",
        dirs=BIN_DIRS,
    ),
    RootCommand(
        "/usr/bin/find ^(/[^ ]+ )+-xdev \\( -type f -o -type d \\) -perm -0002 ! -perm -1000 -print$",
        "world-writable files under system directories (regex: paths only, no -exec)",
        "/usr/bin/find /etc /usr -xdev '(' -type f -o -type d ')' -perm -0002 ! -perm -1000 -print",
    ),
    RootCommand(
        "/usr/bin/find ^(/[^ ]+ )+-xdev -maxdepth 6 -type f \\( -name \\.env -o -name \\.env\\.\\* \\) -print$",
        ".env files under app_dirs (regex: paths only, no -exec)",
        "/usr/bin/find /srv /home -xdev -maxdepth 6 -type f '(' -name .env -o -name '.env.*' ')' -print",
    ),
    RootCommand("/usr/bin/docker ps -q --no-trunc", "running containers"),
    RootCommand(
        "/usr/bin/docker inspect --format *",
        "container settings (the script's template omits environment values)",
        "/usr/bin/docker inspect --format '{{.Id}}' 0123456789ab",
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

# `sudo -n -l` can hang on a slow name service (LDAP, sssd): it gets its own time cap where a
# `timeout` other than BusyBox's exists (BusyBox's polls once a second, adding a second).
SUDO_CHECK_TIMEOUT_S = 10
WRAPPER_TEMPLATE = (
    "/bin/sh -c '"
    "LC_ALL=C; export LC_ALL; "
    'case $(readlink -f "$(command -v timeout 2>/dev/null)" 2>/dev/null </dev/null) in '
    '""|*busybox*) HA_T= ;; *) HA_T="timeout {sudo_timeout}" ;; esac; '
    'if [ "$(id -u)" = 0 ]; then HA_PRIV=root; HA_SUDO=; '
    "elif [ {become} = 1 ] && $HA_T sudo -n -l >/dev/null 2>&1 </dev/null; then "
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
# Per-command time cap where `timeout` exists (a function: no word splitting of a variable).
# BusyBox's timeout polls once a second, adding ~1 s to every command: not used there (the
# auditor's whole-host budget still bounds the run).
case $(readlink -f "$(command -v timeout 2>/dev/null)" 2>/dev/null) in
  ""|*busybox*) tmo() { "$@"; } ;;
  *) tmo() { timeout __TIMEOUT__ "$@"; } ;;
esac
# run NAME CAP CMD...: one delimited section; stdout capped at CAP (+1 byte shows truncation),
# stderr capped and sent to the stderr stream under the same marker; rc from the command.
run() {
  _n=$1; _c=$2; shift 2
  printf '\n%s BEGIN %s cap=%s\n' "$N" "$_n" "$_c"
  printf '\n%s BEGIN %s\n' "$N" "$_n" >&2
  _rc=$( { { { "$@" </dev/null 2>&1 1>&3 3>&- 4>&-; echo $? >&4; } | head -c __ERRCAP__ >&2; } 3>&1 | head -c $((_c + 1)) >&5; } 4>&1 )
  printf '\n%s END %s rc=%s\n' "$N" "$_n" "${_rc:-255}"
}
# root CMD...: through `sudo -n` when the wrapper found it allowed (only ROOT_COMMANDS use it).
root() { if [ -n "$HA_SUDO" ]; then tmo sudo -n "$@"; else tmo "$@"; fi; }
# sudo_ok CMD...: whether `sudo -n` runs CMD (always, without sudo). sudo refuses with exit 1,
# grep's "nothing matched": the two greps whose silence means "none" ask first, once.
sudo_ok() { [ -z "$HA_SUDO" ] || tmo sudo -n -l "$@" >/dev/null 2>&1 </dev/null; }

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
  if has sshd; then
    echo "sshd_version=$( { sshd -V 2>&1; ssh -V 2>&1; } </dev/null | grep -o 'OpenSSH_[0-9][0-9.p]*' | head -n 1)"
  fi
}

sshd_t() {
  if ! has sshd; then echo "sshd not installed" >&2; return 127; fi
  root sshd -T
}

# The sshd_config files in the order sshd reads them (Includes expanded, depth-limited).
sshd_file_list() {
  _seen=
  _todo=/etc/ssh/sshd_config
  _depth=0
  while [ -n "$_todo" ] && [ $_depth -lt 4 ]; do
    _next=
    for _f in $_todo; do
      case " $_seen " in *" $_f "*) continue ;; esac
      [ -f "$_f" ] || continue
      _seen="$_seen $_f"
      echo "$_f"
      for _p in $(awk 'tolower($1)=="include" { for (i = 2; i <= NF; i++) print $i }' "$_f"); do
        case $_p in /*) ;; *) _p="/etc/ssh/$_p" ;; esac
        for _g in $_p; do [ -f "$_g" ] && _next="$_next $_g"; done
      done
    done
    _todo=$_next
    _depth=$((_depth + 1))
  done
}

sshd_files() {
  _list=$(sshd_file_list)
  [ -n "$_list" ] || { echo "no /etc/ssh/sshd_config" >&2; return 127; }
  for _f in $_list; do
    printf '%s FILE %s\n' "$N" "$_f"
    cat -- "$_f" || return 1
  done
}

# One `sshd -T -C` per context named by a Match line (user, group member, address, host).
# Runs as the login user: a config file it cannot read (RHEL's sshd_config is 0600) fails
# the section, naming the file, rather than hiding its Match lines. Each criterion takes its
# first plain value; else a wildcard one made concrete; else a probe value that no negated
# entry matches (user hardaudit-probe, address 192.0.2.1 or 2001:db8::1, host probe.invalid).
# sshd's own complaints per context are dropped: a refused context prints `ctx-failed`.
sshd_contexts() {
  if ! has sshd; then echo "sshd not installed" >&2; return 127; fi
  _list=$(sshd_file_list)
  [ -n "$_list" ] || return 0
  for _f in $_list; do
    [ -r "$_f" ] || { echo "cannot read $_f as $(id -un): its Match lines are not seen" >&2; return 2; }
  done
  # shellcheck disable=SC2086
  { awk '
    # sshd pattern matching: * and ? only (backtracking to the last *).
    function glob(s, p,    i, j, si, pj, c) {
      i = 1; j = 1; si = 0; pj = 0
      while (i <= length(s)) {
        c = substr(p, j, 1)
        if (j <= length(p) && (c == "?" || c == substr(s, i, 1))) { i++; j++ }
        else if (j <= length(p) && c == "*") { pj = j; si = i; j++ }
        else if (pj) { j = pj + 1; si++; i = si }
        else return 0
      }
      while (substr(p, j, 1) == "*") j++
      return j > length(p)
    }
    function ip4(a,    o, n) {
      if (a !~ /^[0-9]+\.[0-9]+\.[0-9]+\.[0-9]+$/) return -1
      split(a, o, "."); n = ((o[1] * 256 + o[2]) * 256 + o[3]) * 256 + o[4]
      return n
    }
    function in_cidr(a, c,    p, bits, x, y, size) {
      split(c, p, "/"); bits = (p[2] == "") ? 32 : p[2] + 0
      x = ip4(a); y = ip4(p[1])
      if (x < 0 || y < 0) return 0
      size = 1
      while (bits++ < 32) size *= 2  # no `^`: BusyBox awk may lack math support
      return int(x / size) == int(y / size)
    }
    # Does negated entry n (without its "!") exclude value v of criterion k?
    function excludes(k, n, v) {
      if (k == "address" && n ~ /\//) return in_cidr(v, n)
      return glob(tolower(v), tolower(n))
    }
    function probe(k) {
      if (k == "user") return "hardaudit-probe"
      if (k == "host") return "probe.invalid"
      if (k == "address") return "192.0.2.1"
      return ""
    }
    function pick(k, list,    vals, j, v, neg, n, w) {
      n = split(list, vals, ",")
      for (j = 1; j <= n; j++) if (vals[j] !~ /^!/ && vals[j] !~ /[*?]/) return vals[j]
      neg = ""
      for (j = 1; j <= n; j++) if (vals[j] ~ /^!/) neg = neg "," substr(vals[j], 2)
      # a wildcard entry made concrete (adm* -> adm1), unless a negation excludes it
      for (j = 1; j <= n; j++) {
        if (vals[j] ~ /^!/ || vals[j] == "*") continue
        w = vals[j]; gsub(/[*?]/, "1", w)
        if (k == "address") { sub(/\/.*/, "", w) }
        if (!negated(k, neg, w)) return w
      }
      if (k == "group") return ""
      v = probe(k)
      if (k == "address" && negated(k, neg, v)) v = "2001:db8::1"
      return v
    }
    function negated(k, neg, v,    m, j, c) {
      c = split(substr(neg, 2), m, ",")
      for (j = 1; j <= c; j++) if (m[j] != "" && excludes(k, m[j], v)) return 1
      return 0
    }
    tolower($1) == "match" {
      user = ""; group = ""; addr = ""; host = ""; laddr = ""; lport = ""
      for (i = 2; i < NF; i += 2) {
        k = tolower($i); v = pick(k, $(i + 1))
        if (k == "user") user = v
        else if (k == "group") group = v
        else if (k == "address") { sub(/\/.*/, "", v); if (v ~ /\.0$/) sub(/\.0$/, ".1", v); addr = v }
        else if (k == "host") host = v
        else if (k == "localaddress") { sub(/\/.*/, "", v); laddr = v }
        else if (k == "localport") lport = v
      }
      line = $0; sub(/^[ \t]+/, "", line)
      print user "|" group "|" addr "|" host "|" laddr "|" lport "|" line
    }' $_list || echo "$N AWK-FAILED"; } | (
    _rc=0
    while IFS='|' read -r _u _g _a _h _la _lp _line; do
      if [ "$_u" = "$N AWK-FAILED" ]; then
        echo "awk could not read the sshd_config files: Match lines may be missing" >&2
        _rc=2
        continue
      fi
      if [ -z "$_u" ] && [ -n "$_g" ]; then
        # a listed member, else an account whose primary group it is, else nobody matches
        _e=$( { tmo getent group "$_g" || grep "^$_g:" /etc/group; } </dev/null 2>/dev/null | head -n 1)
        _u=$(printf '%s\n' "$_e" | cut -d: -f4 | cut -d, -f1)
        _gid=$(printf '%s\n' "$_e" | cut -d: -f3)
        if [ -z "$_u" ] && [ -n "$_gid" ]; then
          _u=$(awk -F: -v g="$_gid" '$4 == g { print $1; exit }' /etc/passwd 2>/dev/null)
        fi
        _u=${_u:-hardaudit-probe}
      fi
      _spec="user=${_u:-root},host=${_h:-localhost},addr=${_a:-127.0.0.1}"
      [ -n "$_la" ] && _spec="$_spec,laddr=$_la"
      [ -n "$_lp" ] && _spec="$_spec,lport=$_lp"
      printf '%s CTX %s %s\n' "$N" "$_spec" "$_line"
      root sshd -T -C "$_spec" </dev/null 2>/dev/null || echo "ctx-failed: $_spec"
    done
    exit $_rc
  )
}

# Modes of files whose owner and mode matter: shadow, sshd config and host keys.
etc_files() {
  _list=$(sshd_file_list)
  set --
  for _f in /etc/shadow /etc/gshadow $_list /etc/ssh/ssh_host_*_key; do
    [ -e "$_f" ] && set -- "$@" "$_f"
  done
  [ $# -gt 0 ] || return 0
  stat -c '%a|%U|%G|%F|%n' -- "$@"
}

# World-writable files and non-sticky world-writable directories, first __WWCAP__ only.
world_writable() {
  set --
  for _d in /etc /usr /bin /sbin /lib /boot /srv /opt; do
    [ -d "$_d" ] && [ ! -L "$_d" ] && set -- "$@" "$_d"
  done
  _out=$(root find "$@" -xdev \( -type f -o -type d \) -perm -0002 ! -perm -1000 -print 2>&1); _rc=$?
  printf '%s\n' "$_out" | grep -v '^find: ' | head -n __WWCAP__
  printf '%s\n' "$_out" | grep '^find: ' | head -n 5 >&2
  return $_rc
}

# .env files under the app directories: path, owner and mode only, never contents.
env_files() {
  _rc=  # run() sets _rc in the parent shell: without this the previous section's rc leaks in
  set --
  for _d in __APP_DIRS__; do [ -d "$_d" ] && set -- "$@" "$_d"; done
  [ $# -gt 0 ] || { echo "## no app dir exists"; return 0; }
  echo "## dirs $*"
  _found=$(root find "$@" -xdev -maxdepth 6 -type f \( -name .env -o -name '.env.*' \) -print) || _rc=1
  [ -n "$_found" ] || return ${_rc:-0}
  set --
  _ifs=$IFS; IFS='
'
  set -f  # a name like `.env.*` is a name, not a pattern to expand in the current directory
  for _f in $_found; do set -- "$@" "$_f"; done
  set +f
  IFS=$_ifs
  root stat -c '%a|%U|%G|%F|%n' -- "$@"
  return ${_rc:-$?}
}

ssh_files() {
  _kok=  # whether sudo runs the private-key grep: asked once, at the first directory
  awk -F: '$6 != "" && $6 != "/" { print $1 ":" $6 }' /etc/passwd | while IFS=: read -r _u _h; do
    _d="$_h/.ssh"
    _st=$(root stat -c '%a|%U|%G|%F|%n' -- "$_d" 2>&1 </dev/null)
    case $_st in
      *"No such file"*|*"Not a directory"*) continue ;;  # "Permission denied": unreadable
    esac
    printf '%s USER %s %s\n' "$N" "$_u" "$_h"
    case $_st in
      [0-7]*"|"*) echo "$_st" ;;
      *) echo "unreadable: $_d: $_st"; continue ;;
    esac
    _names=$(root ls -A1 -- "$_d" 2>&1 </dev/null) || { echo "unreadable: $_d: $_names"; continue; }
    [ -n "$_names" ] || continue
    set --
    _ifs=$IFS; IFS='
'
    set -f  # a file named `*` is a name, not a pattern to expand in the current directory
    for _f in $_names; do set -- "$@" "$_d/$_f"; done
    set +f
    IFS=$_ifs
    # A name with a newline comes back from ls as fragments that stat cannot find: their noise
    # is dropped, and any failure (fragment or permission) still makes the directory unreadable.
    _stats=$(root stat -c '%a|%U|%G|%F|%n' -- "$@" 2>/dev/null </dev/null) ||
      echo "unreadable: $_d: stat failed for some of its names (permission, or a name with a newline)"
    [ -n "$_stats" ] && printf '%s\n' "$_stats"
    # Only regular files are searched for a private-key header; names come back, never contents.
    set --
    IFS='
'
    set -f
    for _f in $(printf '%s\n' "$_stats" | sed -n 's/^[0-7]*|[^|]*|[^|]*|regular file|//p'); do set -- "$@" "$_f"; done
    set +f
    IFS=$_ifs
    [ $# -gt 0 ] || continue
    if [ -z "$_kok" ]; then
      if sudo_ok grep -l -m1 -e 'PRIVATE KEY-----' -- "$@"; then _kok=yes; else
        _kok=no
        echo "sudo -n refuses grep -l -m1 -e 'PRIVATE KEY-----': private keys are not identified" >&2
      fi
    fi
    if [ "$_kok" = no ]; then
      echo "unreadable: $_d: sudo -n refused the private-key grep: could not read the first line of some files"
      continue
    fi
    _keys=$(root grep -l -m1 -e 'PRIVATE KEY-----' -- "$@" </dev/null); _grc=$?
    # `if`, not `&&`: a false test as the loop's last command would become the section's rc
    if [ -n "$_keys" ]; then printf '%s\n' "$_keys" | sed 's/^/privkey: /'; fi
    if [ $_grc -gt 1 ]; then echo "unreadable: $_d: could not read the first line of some files"; fi
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

ipv6() {
  if [ -r /proc/sys/net/ipv6/conf/all/disable_ipv6 ]; then
    echo "disable_ipv6=$(cat /proc/sys/net/ipv6/conf/all/disable_ipv6)"
  else
    echo "disable_ipv6=absent"
  fi
  [ -r /proc/net/if_inet6 ] && awk '{ print "addr=" $1 " " $6 }' /proc/net/if_inet6
  return 0
}

# Names of running processes, and how dockerd was started (for daemon-tcp, rate limiting).
processes() {
  # /proc mounted with hidepid=1 or 2 hides other users' processes: the list would look complete.
  if ! cat /proc/1/comm >/dev/null 2>&1 </dev/null; then
    echo "cannot read /proc/1/comm as $(id -un </dev/null): /proc is mounted with hidepid, other users' processes are hidden" >&2
    return 1
  fi
  # One cat for every name (a fork per process is slow with many processes); command lines
  # only for the container engines.
  cat /proc/[0-9]*/comm 2>/dev/null | sort -u | sed 's/^/comm=/'
  for _f in $(grep -l -x -E 'dockerd|containerd' /proc/[0-9]*/comm 2>/dev/null); do
    _p=${_f%/comm}
    echo "cmdline=$(cat "$_f" 2>/dev/null) $(tr '\000' ' ' <"$_p/cmdline" 2>/dev/null)"
  done | sort -u
  [ -r /etc/docker/daemon.json ] && grep -E '"hosts"|tcp://|"tls' /etc/docker/daemon.json | sed 's/^/daemon.json: /'
  return 0
}

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

# Service units the admin added (regular files, not distro units or aliases) and any named
# in the `services` variable: only their User=/Group=/DynamicUser= lines leave the host.
# An unreadable unit file makes the section fail: a unit judged without its lines would fail.
units() {
  set --
  for _f in /etc/systemd/system/*.service /usr/local/lib/systemd/system/*.service; do
    [ -f "$_f" ] && [ ! -L "$_f" ] && set -- "$@" "$_f"
  done
  for _s in __SERVICES__; do
    for _d in /etc/systemd/system /usr/local/lib/systemd/system /lib/systemd/system /usr/lib/systemd/system; do
      if [ -f "$_d/$_s.service" ]; then set -- "$@" "$_d/$_s.service"; break; fi
    done
  done
  _rc=0
  for _f in "$@"; do
    # drop-ins: the unit's own directory, and /etc/systemd/system for units installed elsewhere
    _dd="$_f.d"
    case $_f in /etc/systemd/system/*) ;; *) _dd="$_dd /etc/systemd/system/${_f##*/}.d" ;; esac
    for _o in "$_f" $(for _x in $_dd; do for _y in "$_x"/*.conf; do [ -f "$_y" ] && echo "$_y"; done; done); do
      printf '%s FILE %s\n' "$N" "$_o"
      grep -E '^[[:space:]]*(\[|(User|Group|DynamicUser)[[:space:]]*=)' "$_o" || [ $? -eq 1 ] || _rc=1
    done
  done
  return $_rc
}

# Redis configs: only the directives the check reads, matched case-insensitively after any
# indentation. A whitelist, on the target: bind, port, protected-mode and aclfile keep their
# values; requirepass becomes `requirepass <redacted>` (or `""` when empty); of a `user` line
# only its name, its on/off/nopass/resetpass/reset flags and one `<redacted>` per password rule
# are kept; anything else is dropped. A grep line is split after the longest file name the
# script gave grep, never at the first colon (a file may be named /etc/redis/a:b.conf).
redis() {
  set --
  for _d in /etc/redis /usr/local/etc/redis; do
    [ -d "$_d" ] || continue
    if [ -r "$_d" ] && [ -x "$_d" ]; then
      for _f in "$_d"/*.conf; do [ -f "$_f" ] && set -- "$@" "$_f"; done
      [ "$_d" = /etc/redis ] && for _f in "$_d"/*/*.conf; do [ -f "$_f" ] && set -- "$@" "$_f"; done
    else
      # Debian's /etc/redis is redis:redis 2770: only its names are listed, through sudo.
      # Exit 2 like grep's errors (1 means "no directive matched").
      _names=$(root ls -A1 -- "$_d" </dev/null) || { echo "cannot list $_d" >&2; return 2; }
      _ifs=$IFS; IFS='
'
      set -f
      for _n in $_names; do case $_n in *.conf) set -- "$@" "$_d/$_n" ;; esac; done
      set +f
      IFS=$_ifs
    fi
  done
  [ -f /etc/redis.conf ] && set -- "$@" /etc/redis.conf
  [ $# -gt 0 ] || { echo "## none"; return 0; }
  for _f in "$@"; do echo "## file $_f"; done
  _re='__REDIS_RE__'
  if ! sudo_ok grep -H -i -E -e "$_re" -- "$@"; then
    echo "sudo -n refuses grep -H -i -E -e '$_re' for the Redis config files: not read" >&2
    return 126
  fi
  _out=$(root grep -H -i -E -e "$_re" -- "$@" </dev/null); _rc=$?
  [ -n "$_out" ] && printf '%s\n' "$_out" | HA_FILES=$(printf '%s\n' "$@") awk -v q="'" '
    BEGIN { nf = split(ENVIRON["HA_FILES"], files, "\n"); sp = "[ \t\r\f\v]" }
    function trim(s) { sub("^" sp "+", "", s); sub(sp "+$", "", s); return s }
    {
      best = 0
      for (k = 1; k <= nf; k++) {
        p = files[k] ":"; lp = length(p)
        if (lp > best && substr($0, 1, lp) == p) {
          r = substr($0, lp + 1)
          if (tolower(r) ~ ("^" sp "*(bind|protected-mode|requirepass|aclfile|user|port)(" sp "|$)")) { best = lp; rest = r }
        }
      }
      if (!best) next  # not a line of a file the script named: never sent
      rest = trim(rest)
      match(rest, sp "|$"); d = tolower(substr(rest, 1, RSTART - 1)); args = trim(substr(rest, RSTART))
      if (d == "bind" || d == "port" || d == "protected-mode" || d == "aclfile") out = d (args == "" ? "" : " " args)
      else if (d == "requirepass") out = (args == "\"\"" || args == q q) ? "requirepass \"\"" : "requirepass <redacted>"
      else if (d == "user") {
        n = split(args, w, sp "+"); out = "user " w[1]
        for (j = 2; j <= n; j++) {
          t = w[j]; c = substr(t, 1, 1)
          if (c == "\"" || c == q) { t = substr(t, 2); c = substr(t, 1, 1) }
          if (c == ">" || c == "#" || c == "<" || c == "!") out = out " " c "<redacted>"
          else if (tolower(t) ~ /^(on|off|nopass|resetpass|reset)$/) out = out " " tolower(t)
        }
      } else next
      print substr($0, 1, best) out
    }'
  return $_rc
}

# nginx: the structure only. Of each file, the lines with a brace, a block header or a listen,
# server_name, add_header or include directive, rebuilt from nginx's tokens: comments dropped,
# the arguments of any other directive dropped, every quoted string "<redacted>" except in
# listen, server_name and include and an add_header's header name (its value is redacted too),
# an `if` keeps its variables and operators only. Files: nginx.conf, the usual directories,
# and every file an include names (relative to /etc/nginx, globs expanded like nginx does,
# __NGXDEPTH__ levels deep); `INCLUDE <pattern>` says every file of that include was printed (or
# none exists), so the parser can tell a known-empty include from one that was not read.
nginx() {
  [ -d /etc/nginx ] || { echo "## none"; return 0; }
  # m=p prints the structure lines, m=i the include patterns (absolute); r prefixes absolute
  # patterns (empty here: the tests re-root /etc under a fixture tree).
  _ngx='
    function put(t) { out = out ws t; ws = "" }
    function drop() { ws = ""; how = "d" }
    function keep(t) { put(t); how = "k" }
    function hide() { put(R); how = "r" }
    function arg(t, quoted,    u, lead, core, trail) {
      n++
      u = quoted ? substr(t, 2, length(t) - 2) : t
      if (n == 1) {
        name = u
        if (quoted && u !~ /^(listen|server_name|add_header|include|location|if)$/) { name = ""; hide() }
        else keep(t)
        return
      }
      if (m == "i") { if (name == "include" && n == 2) inc = u; return }
      if (name == "listen" || name == "server_name" || name == "include") keep(t)
      else if (name == "add_header") { if (n == 2 || t == "always") keep(t); else hide() }
      else if (name == "location") { if (quoted) hide(); else keep(t) }
      else if (name == "if") {
        if (quoted) { hide(); return }
        lead = ""; trail = ""; core = t
        if (match(core, /^\(+/)) { lead = substr(core, 1, RLENGTH); core = substr(core, RLENGTH + 1) }
        if (match(core, /\)+$/)) { trail = substr(core, RSTART); core = substr(core, 1, RSTART - 1) }
        if (core == "" || core ~ /^\$/ || core ~ /^(!?=|!?~\*?|!?-[fdex])$/) keep(t)
        else { put(lead "<redacted>" trail); how = "r" }
      } else drop()
    }
    function endq(s, i, c,    l, d) {
      l = length(s)
      while (i <= l) { d = substr(s, i, 1); if (d == "\\") i += 2; else if (d == c) return i; else i++ }
      return 0
    }
    function ends() {
      if (m == "i" && name == "include" && inc != "") print (inc ~ /^\// ? r inc : "/etc/nginx/" inc)
      n = 0; name = ""; inc = ""
    }
    BEGIN { R = "\"<redacted>\"" }
    {
      line = $0; l = length(line); out = ""; ws = ""; i = 1
      if (inq != "") {  # inside a quoted string an earlier line opened
        e = endq(line, 1, inq)
        if (how == "k") put(e ? substr(line, 1, e) : line)
        if (!e) { l = 0 } else { inq = ""; i = e + 1 }
      }
      while (i <= l) {
        c = substr(line, i, 1)
        if (c == " " || c == "\t" || c == "\r") { ws = ws c; i++; continue }
        if (c == "#") break
        if (c == ";" || c == "{" || c == "}") { ends(); put(c); i++; continue }
        if (c == "\"" || c == q) {
          e = endq(line, i + 1, c)
          if (e) { arg(substr(line, i, e - i + 1), 1); i = e + 1; continue }
          arg(substr(line, i) c, 1); inq = c; break
        }
        j = i
        while (j <= l) {
          d = substr(line, j, 1)
          if (d == "\\") { j += 2; continue }
          if (d == "$" && substr(line, j + 1, 1) == "{" && (k = index(substr(line, j), "}"))) { j += k; continue }
          if (d == " " || d == "\t" || d == "\r" || d == ";" || d == "{" || d == "}") break
          j++
        }
        arg(substr(line, i, j - i), 0); i = j
      }
      if (m == "p" && (out ~ /[{}]/ || out ~ /^[ \t]*(listen|server_name|add_header|include)[ \t]/ || out ~ /^[ \t]*(http|server|location|if|limit_except|upstream|map|types|events|stream|mail)([ \t][^;]*)?$/)) print FNR ":" out
    }'
  _rc=0; _seen=; _depth=0; _ifs=$IFS
  _todo='/etc/nginx/nginx.conf
/etc/nginx/conf.d/*.conf
/etc/nginx/http.d/*.conf
/etc/nginx/sites-enabled/*
/etc/nginx/snippets/*.conf
/etc/nginx/default.d/*.conf'
  while [ -n "$_todo" ] && [ $_depth -le __NGXDEPTH__ ]; do
    _next=
    IFS='
'
    set -f
    for _p in $_todo; do
      set +f  # the pattern is expanded here, like nginx's glob()
      _hit=0
      for _f in $_p; do
        [ -f "$_f" ] || continue
        _hit=1
        case "
$_seen
" in *"
$_f
"*) continue ;; esac
        _seen="$_seen
$_f"
        printf '%s FILE %s\n' "$N" "$_f"
        tmo awk -v m=p -v q="'" -v r= "$_ngx" "$_f" </dev/null || _rc=1
        _next="$_next
$(tmo awk -v m=i -v q="'" -v r= "$_ngx" "$_f" </dev/null)"
      done
      set -f
      [ $_depth -gt 0 ] || continue
      # Known in full when files matched, or when the directory part (no wildcard in it) is
      # listable, or does not exist in a searchable parent; else the parser marks it unread.
      _dir=${_p%/*}
      _ok=$_hit
      case $_dir in
        *[][*?]*) ;;
        *) if [ -d "$_dir" ]; then [ -r "$_dir" ] && [ -x "$_dir" ] && _ok=1
           elif [ ! -e "$_dir" ] && [ -d "${_dir%/*}/" ] && [ -x "${_dir%/*}/" ]; then _ok=1; fi ;;
      esac
      if [ "$_ok" = 1 ]; then printf '%s INCLUDE %s\n' "$N" "$_p"; fi
    done
    set +f
    IFS=$_ifs
    _todo=$_next
    _depth=$((_depth + 1))
  done
  return $_rc
}

run meta 16384 meta
run sshd_t __CAP__ sshd_t
run sshd_config __CAP__ sshd_files
run sshd_contexts __CAP__ sshd_contexts
run ssh_files __CAP__ ssh_files
run etc_files __CAP__ etc_files
run world_writable __CAP__ world_writable
run env_files __CAP__ env_files
run listeners __CAP__ listeners
run nft __CAP__ fw_nft
run iptables __CAP__ fw_iptables
run ip6tables __CAP__ fw_ip6tables
run ipv6 __CAP__ ipv6
run processes __CAP__ processes
run containers __CAP__ containers
run units __CAP__ units
run redis __CAP__ redis
run nginx __CAP__ nginx
__USER_FACTS__printf '\n%s DONE\n' "$N"
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


@dataclass(frozen=True)
class UserFact:
    """A read-only command declared by a user check; runs as the login user, never via sudo."""

    name: str
    command: str


DEFAULT_APP_DIRS = ("/srv", "/opt", "/var/www", "/home")

# Which script sections each fact reads; `meta` always runs. Checks declare their facts, so a
# run of `--checks 'ssh.*'` gathers only what those checks need.
FACT_SECTIONS: dict[str, tuple[str, ...]] = {
    "meta": (),
    "sshd": ("sshd_t", "sshd_config"),
    "sshd_contexts": ("sshd_contexts",),
    "ssh_files": ("ssh_files",),
    "etc_files": ("etc_files",),
    "world_writable": ("world_writable",),
    "env_files": ("env_files",),
    "listeners": ("listeners",),
    "firewall": ("nft", "iptables", "ip6tables"),
    "ipv6": ("ipv6",),
    "processes": ("processes",),
    "containers": ("containers",),
    "units": ("units",),
    "redis": ("redis",),
    "nginx": ("nginx",),
    "command": (),
}
WORLD_WRITABLE_CAP = 50
NGINX_INCLUDE_DEPTH = 8  # include levels the script follows from nginx.conf


def _words(values: Sequence[str]) -> str:
    return " ".join(shlex.quote(v) for v in values)


def build_script(
    *,
    become: bool,
    nonce: str | None = None,
    app_dirs: Sequence[str] = DEFAULT_APP_DIRS,
    services: Sequence[str] = (),
    user_facts: Sequence[UserFact] = (),
    facts: Collection[str] | None = None,
) -> FactsScript:
    """Build the wrapper command and facts script for one host.

    `app_dirs` and `services` come from the host's inventory variables; `user_facts` from
    user checks. Everything is shell-quoted: inventory text never becomes shell code.
    """
    nonce = nonce or new_nonce()
    user_runs = "".join(
        f"run {fact.name} {DEFAULT_CAP} tmo sh -c {shlex.quote(fact.command)}\n"
        for fact in user_facts
    )
    script = (
        SCRIPT_TEMPLATE.replace("__NONCE__", nonce)
        .replace("__TIMEOUT__", str(COMMAND_TIMEOUT_S))
        .replace("__ERRCAP__", str(STDERR_CAP))
        .replace("__CAP__", str(DEFAULT_CAP))
        .replace("__WWCAP__", str(WORLD_WRITABLE_CAP))
        .replace("__TOOLS__", " ".join(TOOLS))
        .replace("__APP_DIRS__", _words([d for d in app_dirs if d.startswith("/")]))
        .replace("__SERVICES__", _words([re.sub(r"\.service$", "", s) for s in services]))
        .replace("__DOCKER_FORMAT__", DOCKER_INSPECT_FORMAT)
        .replace("__REDIS_RE__", REDIS_PATTERN)
        .replace("__NGXDEPTH__", str(NGINX_INCLUDE_DEPTH))
        .replace("__USER_FACTS__", user_runs)
    )
    if facts is not None:
        wanted = {"meta"} | {section for fact in facts for section in FACT_SECTIONS.get(fact, ())}
        script = (
            "\n".join(
                line
                for line in script.splitlines()
                if not line.startswith("run ")
                or line.split()[1] in wanted
                or line.startswith("run user.")
            )
            + "\n"
        )
    command = WRAPPER_TEMPLATE.format(
        become="1" if become else "0", sudo_timeout=SUDO_CHECK_TIMEOUT_S
    )
    return FactsScript(nonce=nonce, command=command, script=script.lstrip())


_USER_NAME = re.compile(r"[a-z_][a-z0-9_-]*\$?")


def user_name_problem(user: str) -> str | None:
    """Why `user` is not a POSIX user name (`[a-z_][a-z0-9_-]*[$]?`, at most 32 characters),
    or None. Anything else could add a sudoers line, or be a keyword such as ALL."""
    if len(user) > 32:
        return f"user name {user[:32]!r}... is longer than 32 characters"
    if not _USER_NAME.fullmatch(user):
        return (
            f"{user!r} is not a user name: use lower-case letters, digits, '_' and '-' "
            "(first a letter or '_'), optionally ending in '$'"
        )
    return None


def sudoers_example(user: str = "auditor") -> str:
    """A least-privilege sudoers file listing exactly the commands the script runs as root.

    Raises ValueError for a `user` that is not a POSIX user name (see user_name_problem)."""
    problem = user_name_problem(user)
    if problem:
        raise ValueError(problem)
    lines = [
        "# /etc/sudoers.d/hardaudit -- generated by `audit sudoers`; mode 0440, owner root",
        "# Exactly the commands hardaudit's facts script runs through `sudo -n`.",
        "# Every one of them only reads; none writes, restarts or reloads anything.",
        "# A program is listed in each directory distributions install it in (/usr/bin,",
        "# /usr/sbin, /bin, /sbin): sudo matches the path it resolves; a line naming a path",
        "# that does not exist on this host never matches anything.",
        f"Defaults:{user} !requiretty",
        "Cmnd_Alias HARDAUDIT = \\",
    ]
    entries = [line for cmd in ROOT_COMMANDS for line in cmd.sudoers_lines]
    for index, entry in enumerate(entries):
        sep = ", \\" if index < len(entries) - 1 else ""
        escaped = entry.replace(",", "\\,").replace(":", "\\:").replace("=", "\\=")
        lines.append(f"    {escaped}{sep}")
    lines.append(f"{user} ALL=(root) NOPASSWD: HARDAUDIT")
    return "\n".join(lines) + "\n"
