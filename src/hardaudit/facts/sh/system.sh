# Sections: listening sockets, firewall rulesets, IPv6 state, processes, containers.
listeners() {
  if has ss; then
    # The sockets come from `ss -tuln`: no process names, nothing any user sets, no root. The
    # names come from `ss -tulpn` after it, raw: ss prints a process name (comm, set by the
    # process itself) byte for byte, newlines too, so its lines can be forged; the auditor
    # takes a name only for a socket of the first list that one complete line names. The
    # first list is short (netid state local) so that many sockets fill the cap later.
    echo "## ss -tuln"
    _s=$(ss -H -tuln 2>/dev/null || ss -tuln) || return 1
    printf '%s\n' "$_s" | awk '$1 != "Netid" { print $1, $2, $5 }'
    echo "## ss -tulpn"
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
# The legacy (x_tables) rules, read on their own: iptables-save shows only the backend the
# alternatives point at, and the kernel applies both backends' input chains. Read only where
# the kernel has legacy tables (/proc/net/ip*_tables_names exists): never loads a module.
fw_legacy() {
  if ! has "$1"; then echo "$1 not installed" >&2; return 127; fi
  if [ ! -e "$2" ]; then return 0; fi
  root "$1"
}
fw_iptables_legacy() { fw_legacy iptables-legacy-save /proc/net/ip_tables_names; }
fw_ip6tables_legacy() { fw_legacy ip6tables-legacy-save /proc/net/ip6_tables_names; }

ipv6() {
  if [ -r /proc/sys/net/ipv6/conf/all/disable_ipv6 ]; then
    _v=; IFS= read -r _v </proc/sys/net/ipv6/conf/all/disable_ipv6
    echo "disable_ipv6=$_v"
  else
    echo "disable_ipv6=absent"
  fi
  [ -r /proc/net/if_inet6 ] && awk '{ print "addr=" $1 " " $6 }' /proc/net/if_inet6
  return 0
}

# Names of running processes with their real uid, and how root's dockerd was started (for
# daemon-tcp, rate limiting). A name is one line: the kernel escapes a newline or backslash
# in status's Name; a command line leaves the host as octal escapes (argv NUL-separated), so
# no argument can start a line of its own.
processes() {
  # /proc mounted with hidepid=1 or 2 hides other users' processes: the list would look complete.
  if ! { true </proc/1/comm; } 2>/dev/null; then  # opened by the shell: no program started
    echo "cannot read /proc/1/comm as $(id -un </dev/null): /proc is mounted with hidepid, other users' processes are hidden" >&2
    return 1
  fi
  # One awk for every status file (a fork per process is slow with many processes). A process
  # in a nested PID namespace (a container's: NSpid lists more than one pid, seen from the
  # namespace of this /proc, that of the PID 1 the script sees) is sent as `proc=ns:UID`: its
  # uid 0 is a container's root, proof of nothing on the host, and its dockerd is not the host's.
  awk 'function out() {
      if (uid == "") return
      if (ns > 2) { print "proc=ns:" uid " " name; return }
      print "proc=" uid " " name
      if (uid == "0" && (name == "dockerd" || name == "containerd")) {
        p = file; sub(/\/status$/, "", p); print "@engine " p " " name
      }
    }
    FNR == 1 { out(); file = FILENAME; name = ""; uid = ""; ns = 0; if ($1 == "Name:") name = substr($0, 7) }
    $1 == "Uid:" && uid == "" { uid = $2 }
    $1 == "NSpid:" { ns = NF }
    END { out() }' /proc/[0-9]*/status 2>/dev/null </dev/null | while IFS= read -r _l; do
    case $_l in
      "@engine "*) _l=${_l#@engine }; _a=$(oct <"${_l%% *}/cmdline" 2>/dev/null)
        [ -n "$_a" ] && printf 'engine=%s %s\n' "${_l#* }" "$_a" ;;
      *) printf '%s\n' "$_l" ;;
    esac
  done | sort -u
  [ -r /etc/docker/daemon.json ] && grep -E '"hosts"|tcp://|"tls' /etc/docker/daemon.json | sed 's/^/daemon.json: /'
  return 0
}

# `## proc PID RUID EUID` (or `unreadable`) for each "pid": of the inspect JSON lines on stdin.
# The Uid line is read by the shell (no program per container); status's lines before it are
# the kernel's, a Name with a newline in it escaped.
container_procs() {
  sed -n 's/.*"pid":\([0-9]*\),.*/\1/p' | while IFS= read -r _pid; do
    if [ -r "/proc/$_pid/status" ]; then
      _pu=
      while read -r _pk _pr _pe _; do
        case $_pk in Uid:) _pu="$_pr $_pe"; break ;; esac
      done 2>/dev/null <"/proc/$_pid/status"
      echo "## proc $_pid $_pu"
    else
      echo "## proc $_pid unreadable"
    fi
  done
}

containers() {
  if ! has docker; then echo "docker not installed" >&2; return 127; fi
  _ids=$(root docker ps -q --no-trunc) || return 1
  echo "## engine-ok"
  [ -n "$_ids" ] || return 0
  # shellcheck disable=SC2086
  _js=$(root docker inspect --format '__DOCKER_FORMAT__' $_ids) || return 1
  printf '%s\n' "$_js"
  printf '%s\n' "$_js" | container_procs
}

# Rootful podman's containers: its own store, no daemon. As any other user podman lists that
# user's rootless store and would say "none" of the rootful ones: uid 0 or sudo only.
podman_containers() {
  if ! has podman; then echo "podman not installed" >&2; return 127; fi
  if [ -z "${HA_SUDO-}" ] && [ "$HA_UID" != 0 ]; then
    echo "podman lists rootful containers to uid 0 only: no sudo here" >&2
    return 1
  fi
  _ids=$(root podman ps -q --no-trunc) || return 1
  echo "## engine-ok"
  [ -n "$_ids" ] || return 0
  # shellcheck disable=SC2086
  _js=$(root podman inspect --format '__PODMAN_FORMAT__' $_ids) || return 1
  printf '%s\n' "$_js"
  printf '%s\n' "$_js" | container_procs
}
