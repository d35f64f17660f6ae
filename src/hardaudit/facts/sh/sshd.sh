# Sections: meta, and sshd (sshd -T, the config files, one sshd -T -C per Match context).
meta() {
  echo "uid=$HA_UID"  # the prelude's `id -u`: each program run costs the target ~1-3 ms
  echo "user=$(id -un)"
  echo "privilege=${HA_PRIV:-user}"
  [ -n "$HA_RHS" ] && echo "root_helper=$HA_RHS"
  # The kernel's names from /proc by the `read` built-in (no program started), else uname.
  _ks=; _kr=; _kn=
  { IFS= read -r _ks </proc/sys/kernel/ostype && IFS= read -r _kr </proc/sys/kernel/osrelease &&
    IFS= read -r _kn </proc/sys/kernel/hostname; } 2>/dev/null
  if [ -n "$_ks" ] && [ -n "$_kr" ]; then
    echo "kernel=$_ks $_kr"
    echo "hostname=$_kn"
  else
    echo "kernel=$(uname -sr)"
    echo "hostname=$(uname -n)"
  fi
  # os-release: ID, VERSION_ID and PRETTY_NAME, read by the shell (a last line without a
  # newline too)
  if [ -r /etc/os-release ]; then
    while IFS= read -r _l || [ -n "$_l" ]; do
      case $_l in
        ID=*) echo "os_ID=${_l#ID=}" ;;
        VERSION_ID=*) echo "os_VERSION_ID=${_l#VERSION_ID=}" ;;
        PRETTY_NAME=*) echo "os_PRETTY_NAME=${_l#PRETTY_NAME=}" ;;
      esac
    done </etc/os-release
  fi
  _t=
  for _x in __TOOLS__; do if has "$_x"; then _t="$_t $_x"; fi; done
  echo "tools=$_t"
  # sudo's version (`sudo -V`, unprivileged: it asks nothing): sudo before 1.9.10 reads no
  # regexes in sudoers, so the auditor can say which `audit sudoers` form the host needs.
  if [ "$HA_UID" != 0 ] && has sudo; then
    _v=$(tmo sudo -V 2>/dev/null </dev/null)
    echo "sudo_version=${_v%%"$_nl"*}"
  fi
  if has sshd; then
    # OpenSSH_<version> from `sshd -V`, else `ssh -V`, cut out by the shell
    _v=$(sshd -V 2>&1 </dev/null)
    case $_v in *OpenSSH_[0-9]*) ;; *) _v=$(ssh -V 2>&1 </dev/null) ;; esac
    case $_v in
      *OpenSSH_[0-9]*) _v=${_v#*OpenSSH_}; _v=OpenSSH_${_v%%[!0-9.p]*} ;;
      *) _v= ;;
    esac
    echo "sshd_version=$_v"
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
      # shellcheck disable=SC2013  # Include takes words, each a glob sshd expands
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
  _list=${HA_SSHD_FILES-$(sshd_file_list)}
  [ -n "$_list" ] || { echo "no /etc/ssh/sshd_config" >&2; return 127; }
  for _f in $_list; do
    mark FILE "$_f"
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
  _list=${HA_SSHD_FILES-$(sshd_file_list)}
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
