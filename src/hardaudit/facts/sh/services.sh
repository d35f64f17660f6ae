# Sections: systemd units, Redis and nginx configuration (structure only, secrets dropped).
# Service units the admin added (regular files, not distro units or aliases) and any named
# in the `services` variable: only their User=/Group=/DynamicUser= lines leave the host.
# An unreadable unit file makes the section fail: a unit judged without its lines would fail.
units() {
  set --
  for _f in /etc/systemd/system/*.service /usr/local/lib/systemd/system/*.service; do
    [ -f "$_f" ] && [ ! -L "$_f" ] && set -- "$@" "$_f"
  done
  # shellcheck disable=SC2043  # the `services` variable may name one unit
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
      mark FILE "$_o"
      grep -a -E '^[[:space:]]*(\[|(User|Group|DynamicUser)[[:space:]]*=)' "$_o" || [ $? -eq 1 ] || _rc=1
    done
  done
  return $_rc
}

# Redis configs: only the directives the check reads, matched case-insensitively after any
# indentation. A whitelist, on the target: bind, port, protected-mode and aclfile keep their
# values; requirepass becomes `requirepass <redacted>` (or `""` when empty); of a `user` line
# only its name, its on/off/nopass/resetpass/reset flags and one `<redacted>` per password rule
# are kept; anything else is dropped. Each file is one `## file <name>` line (name as enc
# writes it) followed by its directives: one grep per file, so no file name is ever parsed
# out of grep's output. `## none` alone is the whole section when no config exists.
# Debian's /etc/redis is redis:redis 2770: the redis user may plant a symlink to a root-only
# file or a FIFO there. Only regular files are read, never a symlink (nor a file under a
# symlinked directory); GNU grep gets `-D skip` (a FIFO swapped in after the listing is opened
# without blocking and skipped) and every grep `-a` (a NUL must not make grep call the file
# binary and print nothing).
redis() {
  set --
  for _d in /etc/redis /usr/local/etc/redis; do
    [ -d "$_d" ] || continue
    if [ -r "$_d" ] && [ -x "$_d" ]; then
      for _f in "$_d"/*.conf; do [ -f "$_f" ] && [ ! -L "$_f" ] && set -- "$@" "$_f"; done
      [ "$_d" = /etc/redis ] && for _f in "$_d"/*/*.conf; do
        [ -f "$_f" ] && [ ! -L "$_f" ] && [ ! -L "${_f%/*}" ] && set -- "$@" "$_f"
      done
    else
      # Its names are listed through sudo (regular files only), NUL-separated. Exit 2 like
      # grep's errors (1 means "no directive matched").
      _esc=$( { root find "$_d" -mindepth 1 -maxdepth 1 -type f -print0 </dev/null 2>/dev/null
        printf '\000rc=%s\000' "$?"; } | names0)
      _frc=1
      _ifs=$IFS; IFS=$_nl
      set -f
      for _e in $_esc; do
        # shellcheck disable=SC2059  # only \ooo escapes: printf decodes them
        case $_e in
          rc=*) _frc=${_e#rc=}; continue ;;
          \\*) _e=$(printf "$_e."); _e=${_e%.} ;;
        esac
        case $_e in *.conf) set -- "$@" "$_e" ;; esac
      done
      set +f
      IFS=$_ifs
      [ "$_frc" = 0 ] || { echo "cannot list $_d" >&2; return 2; }
    fi
  done
  [ -f /etc/redis.conf ] && set -- "$@" /etc/redis.conf
  [ $# -gt 0 ] || { echo "## none"; return 0; }
  _re='__REDIS_RE__'
  _rg=$HA_GD  # `-D skip` with GNU grep (the prelude asked); BusyBox's has no -D
  _rc=1
  for _f; do
    # shellcheck disable=SC2086  # _rg: nothing or exactly `-D skip`
    cap2 root grep $_rg -a -i -E -e "$_re" -- "$_f"
    # A sudo refusal is not "nothing matched" (no `sudo -n -l` is asked first): grep's exit 1
    # comes with nothing on stderr, sudo's with a message. Exit 1 with a message through sudo
    # (a sudo warning too) makes the section unknown.
    if [ -n "$HA_SUDO" ] && [ "$_crc" = 1 ] && [ -n "$_ce" ]; then
      echo "sudo -n refuses grep ${_rg:+$_rg }-a -i -E -e '$_re' for the Redis config files: not read" >&2
      printf '%s\n' "$_ce" >&2
      return 126
    fi
    [ -z "$_ce" ] || printf '%s\n' "$_ce" >&2
    printf '## file '; enc "$_f"
    _out=$_co; _grc=$_crc
    if [ "$_grc" -gt 1 ]; then _rc=2; elif [ "$_grc" = 0 ] && [ $_rc = 1 ]; then _rc=0; fi
    [ -n "$_out" ] || continue
    printf '%s\n' "$_out" | awk -v q="'" '
      BEGIN { sp = "[ \t\r\f\v]" }
      function trim(s) { sub("^" sp "+", "", s); sub(sp "+$", "", s); return s }
      {
        rest = trim($0)
        if (tolower(rest) !~ ("^(bind|protected-mode|requirepass|aclfile|user|port)(" sp "|$)")) next
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
        print out
      }'
  done
  return $_rc
}

# ngx_safe FILE: whether the nginx function may read FILE. A login user not uid 0 reads
# with its own rights: always. Root reads a file only when no other user can swap it, or a
# directory on its way, for a symlink to a root-only file or a FIFO (include /www/*/site.conf
# with /www/alice alice's): every directory on its path, as written, as resolved (readlink -f)
# and at each link of the chain in between, is root's and writable by no one else, or sticky
# with the next entry root's.
ngx_safe() {
  [ "$HA_UID" = 0 ] || return 0
  _sr=$(readlink -f -- "$1" 2>/dev/null </dev/null) && [ -n "$_sr" ] || return 1
  ngx_path_ok "$1" && ngx_path_ok "$_sr" || return 1
  # Every link of the chain, not only its two ends: a root-owned link may point into a user's
  # directory, where that user swaps in a link of their own to a file only uid 0 may read.
  _sl=$1; _sn=0
  while [ -L "$_sl" ]; do
    _sn=$((_sn + 1)); [ "$_sn" -le 16 ] || return 1
    _sk=$(readlink -- "$_sl" 2>/dev/null </dev/null) && [ -n "$_sk" ] || return 1
    case $_sk in /*) ;; *) _sk=${_sl%/*}/$_sk ;; esac
    ngx_path_ok "$_sk" || return 1
    _sl=$_sk
  done
}

# ngx_path_ok PATH: every directory on PATH (as written) is root's and writable by no one
# else, or sticky with the next entry root's.
ngx_path_ok() {
  _sd=; _srest=${1#/}
  while [ -n "$_srest" ]; do
    _sc=${_srest%%/*}
    case $_srest in */*) _srest=${_srest#*/} ;; *) _srest= ;; esac
    [ -n "$_sc" ] || continue
    _st=$(stat -L -c '%u %a' -- "${_sd:-/}" 2>/dev/null </dev/null) || return 1
    _sm=${_st#* }
    case ${_st%% *}:${_sm#"${_sm%??}"} in
      0:*[2367]*)  # group- or world-writable: only sticky, with the entry root's
        case ${#_sm}:${_sm%???} in
          4:[1357]) [ "$(stat -c %u -- "$_sd/$_sc" 2>/dev/null </dev/null)" = 0 ] || return 1 ;;
          *) return 1 ;;
        esac ;;
      0:*) ;;
      *) return 1 ;;
    esac
    _sd=$_sd/$_sc
  done
}

# nginx: the structure only. Of each file, the lines with a brace, a block header or a listen,
# server_name, add_header or include directive, rebuilt from nginx's tokens: comments dropped,
# the arguments of any other directive dropped, every quoted string "<redacted>" except in
# listen, server_name and include and an add_header's header name (its value is redacted too),
# an `if` keeps its variables and operators only; the bodies of `map`, `geo` and
# `split_clients` blocks are dropped whole (the first word of each of their lines is a key,
# and may be a secret such as an API key), their braces kept. A quoted directive name is
# judged by its unquoted value, as nginx reads it (and printed unquoted when it is one of the
# names above or a block name), so `"map"` is a map. Files: nginx.conf, the usual directories,
# and every file an include names (relative to /etc/nginx, globs expanded like nginx does,
# __NGXDEPTH__ levels deep); `INCLUDE <pattern>` says every file of that include was printed (or
# none exists), so the parser can tell a known-empty include from one that was not read;
# `UNREAD <file>` names a file ngx_safe refused (its include is then unknown).
nginx() {
  [ -d /etc/nginx ] || { echo "## none"; return 0; }
  # m=p prints the structure lines, m=i the include patterns (absolute), m=b both in one pass
  # (the structure, then a `sep` line, then the patterns); r prefixes absolute patterns
  # (empty here: the tests re-root /etc under a fixture tree).
  # shellcheck disable=SC2016  # an awk program: its $ are awk's
  _ngx='
    function put(t) { out = out ws t; ws = "" }
    function drop() { ws = ""; how = "d" }
    function keep(t) { put(t); how = "k" }
    function hide() { put(R); how = "r" }
    function arg(t, quoted,    u, lead, core, trail) {
      n++
      if (skip) { drop(); return }  # a map/geo/split_clients body: each line starts with a key
      u = quoted ? substr(t, 2, length(t) - 2) : t
      if (n == 1) {  # nginx unquotes a directive name: "map" is map, "server" is server
        name = u
        if (!quoted) keep(t)
        else if (u ~ /^(listen|server_name|add_header|include|location|if|http|server|limit_except|upstream|map|geo|split_clients|types|events|stream|mail)$/) keep(u)
        else { name = ""; hide() }
        return
      }
      if (m != "p" && name == "include" && n == 2) inc = u
      if (m == "i") return
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
    function ends(    p) {
      if (m != "p" && name == "include" && inc != "") {
        p = (inc ~ /^\// ? r inc : "/etc/nginx/" inc)
        if (m == "i") print p; else incs = incs "\n" p
      }
      n = 0; name = ""; inc = ""
    }
    BEGIN { R = "\"<redacted>\"" }
    END { if (m == "b") printf "%s%s\n", sep, incs }
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
        if (c == "{") { depth++; if (!skip && name ~ /^(map|geo|split_clients)$/) skip = depth }
        if (c == "}") { if (skip && depth == skip) skip = 0; if (depth > 0) depth-- }
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
      if (m != "i" && (out ~ /[{}]/ || out ~ /^[ \t]*(listen|server_name|add_header|include)[ \t]/ || out ~ /^[ \t]*(http|server|location|if|limit_except|upstream|map|types|events|stream|mail)([ \t][^;]*)?$/)) print FNR ":" out
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
      _hit=0; _unsafe=
      for _f in $_p; do
        [ -f "$_f" ] || continue
        case "
$_seen
" in *"
$_f
"*) _hit=1; continue ;; esac
        if ! ngx_safe "$_f"; then
          # not read: `UNREAD <file>` makes its include unknown; a top-level file fails
          mark UNREAD "$_f"
          { printf 'not read (another user can swap it or a directory on its way): '; enc "$_f"; } >&2
          _unsafe=1; [ $_depth -gt 0 ] || _rc=1
          continue
        fi
        _hit=1
        _seen="$_seen
$_f"
        mark FILE "$_f"
        # one awk per file: the structure lines go out, the include patterns come after sep,
        # the first line not starting with a digit (every structure line starts with FNR).
        # Never the nonce: a program's arguments are world-readable (/proc/PID/cmdline).
        _o=$_nl$(tmo awk -v m=b -v q="'" -v r= -v sep==INCLUDES "$_ngx" "$_f" </dev/null) || _rc=1
        case $_o in
          *"$_nl=INCLUDES"*)
            _ngs=${_o%%"$_nl=INCLUDES"*}; _ngs=${_ngs#"$_nl"}
            [ -z "$_ngs" ] || printf '%s\n' "$_ngs"
            _next="$_next${_o#*"$_nl=INCLUDES"}" ;;
          *) printf '%s\n' "${_o#"$_nl"}"; _rc=1 ;;
        esac
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
      if [ "$_ok" = 1 ] && [ -z "$_unsafe" ]; then mark INCLUDE "$_p"; fi
    done
    set +f
    IFS=$_ifs
    _todo=$_next
    _depth=$((_depth + 1))
  done
  return $_rc
}
