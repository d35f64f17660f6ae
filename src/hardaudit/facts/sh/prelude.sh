# hardaudit facts script: helpers every section uses (assembled first by facts/script.py).
# Placeholders __LIKE_THIS__ are filled in by build_script; the nonce is per run.
N='@@__NONCE__'
PATH=__ROOT_PATH__:$PATH
LC_ALL=C
export PATH LC_ALL
umask 077
exec 5>&1
# The wrapper exports HA_UID and HA_TK (facts/script.py); without it, they are found here.
case ${HA_TK-} in 0|1) ;; *) HA_TK=''; HA_UID='' ;; esac
HA_UID=${HA_UID:-$(id -u)}
_nl='
'
has() { command -v "$1" >/dev/null 2>&1; }
# Names leave the host unambiguously: a name is sent as is when it is plain (printable ASCII
# without space, quote or backslash), else every byte as a \ooo octal escape, which the
# auditor decodes (facts/parsers/names.py). No name can start a line, split a field or carry
# a raw escape sequence; a plain name never starts with a backslash.
# oct: stdin as one line of octal escapes (\101\012...), printf-decodable; NUL stays \000.
oct() { od -An -v -to1 | awk '{ for (i = 1; i <= NF; i++) printf "\\%s", $i } END { print "" }'; }
# enc NAME: NAME on one line, as is when plain, else escaped.
enc() {
  case $1 in
    ""|*[!A-Za-z0-9_./@:+,=%~*?-]*) printf '%s' "$1" | oct ;;
    *) printf '%s\n' "$1" ;;
  esac
}
# mark WORD NAME: the marker line `@@nonce WORD NAME` (NAME through enc), on a line of its own
# whatever the previous output ended with (a file without a final newline cannot hide it).
mark() { printf '\n%s %s ' "$N" "$1"; enc "$2"; }
# names0 [CAP]: NUL-separated names on stdin, one line each, as enc writes them (one od, one
# awk). With CAP: the first CAP names only, and an `rc=N` name is not printed but is the exit
# status (the walk's own, as the walks append it: `\000rc=N\000`, a NUL first, so that a walk
# killed in the middle of a name cannot glue the record to it); no record, exit 255 (a walk
# cut short is never complete).
names0() {
  od -An -v -to1 | awk -v cap="${1:-0}" '
    function out(    s) {
      if (e == "") return
      s = bad ? e : p; e = ""; p = ""; bad = 0
      if (!cap) { print s; return }
      if (s ~ /^rc=[0-9]+$/) { rc = substr(s, 4) + 0; return }
      if (n++ < cap) print s
    }
    BEGIN { rc = 255; for (i = 33; i < 127; i++) c[sprintf("%03o", i)] = sprintf("%c", i) }
    {
      for (i = 1; i <= NF; i++) {
        if ($i == "000") { out(); continue }
        e = e "\\" $i
        if (($i in c) && c[$i] ~ /^[A-Za-z0-9_.\/@:+,=%~*?-]$/) p = p c[$i]; else bad = 1
      }
    }
    END { out(); exit (cap ? rc : 0) }'
}
# cap2 CMD...: runs CMD (stdin /dev/null) and sets _co to its stdout, _ce to its stderr and
# _crc to its exit status, without a program of its own (the nonce marks the split).
cap2() {
  _co=$( { _ce=$("$@" 2>&1 >&3 3>&- </dev/null); printf '\n%s RC %s ERR%s' "$N" "$?" "$_ce"; } 3>&1)
  _ce=${_co##*"$_nl$N RC "}; _crc=${_ce%% ERR*}; _ce=${_ce#* ERR}; _co=${_co%"$_nl$N RC "*}; _co=${_co%"$_nl"}
}
# Per-command time cap where `timeout` exists (a function: no word splitting of a variable).
# BusyBox's timeout polls once a second, adding ~1 s to every command: not used there (the
# auditor's whole-host budget still bounds the run).
case $HA_TK in
  0) tmo() { "$@"; } ;;
  1) tmo() { timeout __TIMEOUT__ "$@"; } ;;
  *) case $(readlink -f "$(command -v timeout 2>/dev/null)" 2>/dev/null) in
       ""|*busybox*) HA_TK=0; tmo() { "$@"; } ;;
       *) HA_TK=1; tmo() { timeout __TIMEOUT__ "$@"; } ;;
     esac ;;
esac
# HA_GD: `-D skip` where grep is GNU grep (a FIFO or device is skipped, never waited on),
# else empty (BusyBox's grep has no -D). Asked once here, for ssh_files and redis.
HA_GD=
grep -D skip -q x /dev/null 2>/dev/null </dev/null
if [ $? = 1 ]; then HA_GD='-D skip'; fi
# Per-section wall time, coarse and cheap: clk sets _now to a tick count. /proc/uptime is read
# by a built-in (no fork: a `date` per section would cost ~1 ms CPU each) in hundredths of a
# second; else `date +%s%N` where it prints nanoseconds, else `date +%s` (seconds).
# HA_CLK names the unit for the auditor: cs, ns or s.
_up=
[ -r /proc/uptime ] && read -r _up _ </proc/uptime
case $_up in
  [0-9]*.[0-9][0-9])
    HA_CLK=cs
    clk() {
      read -r _up _ </proc/uptime
      _now=${_up%.*}${_up#*.}; _now=${_now#"${_now%%[!0]*}"}; _now=${_now:-0}
    } ;;
  *)
    case $(date +%s%N 2>/dev/null </dev/null) in
      *[!0-9]*|"") HA_CLK=s; clk() { _now=$(date +%s </dev/null); } ;;
      *) HA_CLK=ns; clk() { _now=$(date +%s%N </dev/null); } ;;
    esac ;;
esac
# Section caps. Each section's stdout is cut at CAP bytes (+1 byte shows truncation) and its
# stderr at __ERRCAP__, so that one section's flood cannot crowd out the others. Where awk
# keeps a NUL byte inside its line and prints it back (mawk, gawk), and fold exists (HA_SC=1),
# two long-lived cappers do that for the whole stream (`capped`, around every section): a
# section then costs one fork, not two `head` programs and four forks (~2 ms of CPU a
# section, 20 sections). Elsewhere (BusyBox's awk splits a line at a NUL: content could gain
# a line start) every section goes through two `head -c`, and so do, everywhere, the
# sections whose work grows with what a user can make them print (env_files, ssh_files: a
# loop per name) and the operators' user.* commands: head's exit stops them at the cap
# (SIGPIPE), where a capper would read on to the end. The probe: "a<NUL>b" must come back
# whole from printf "%s" with its length, 3 (BusyBox: "ab2"; an awk that prints %s up to
# a NUL: "a3").
HA_SC=
_p=$(printf 'a\000b\n' | awk '{ s = s $0 } END { printf "%s%d", s, length(s) }' 2>/dev/null | wc -c)
if [ "$_p" -eq 4 ] 2>/dev/null && has fold; then HA_SC=1; fi
# capper ECAP: stdin to stdout, the body after each `BEGIN` marker cut at the cap the marker
# names (stdout: `cap=C`, C + 1 bytes kept) or ECAP (stderr); nothing kept after an `END`
# until the next `BEGIN` (what a command left running prints then), ECAP before the first;
# `EOF` (`capped` prints it last; the newline before it is no content) ends it: awk exits,
# and a process still writing gets SIGPIPE. Markers (BEGIN, END, TIME, EOF: the nonce known
# to this script only) pass, each on a line of its own as `run` prints them; the bytes kept
# are exactly those `head -c` would keep (test_stream_caps.py). fold first bounds a line (awk
# holds one line at a time) to more than any cap (build_script checks): what it folds is
# past the cap anyway. The nonce reaches awk in its environment, which other users cannot
# read (arguments they can).
capper() {
  fold -b -w __FOLDW__ | HA_CN=$N awk -v e="$1" '
    BEGIN { n = ENVIRON["HA_CN"] " "; k = length(n); left = e; p = 0 }
    {
      m = ""
      if (substr($0, 1, k) == n) {
        m = substr($0, k + 1)
        if (m != "EOF" && m !~ /^BEGIN [^ ]+( cap=[0-9]+)?$/ && m !~ /^(END|TIME) [^ ]+ /) m = ""
      }
      if (m == "EOF") { p = 0; exit }
      if (m != "") {
        if (p) printf "\n"
        printf "%s", $0; p = 2
        if (m ~ /^BEGIN /) left = (m ~ / cap=/) ? substr(m, index(m, " cap=") + 5) + 1 : e
        else if (m ~ /^END /) left = 0
        next
      }
      if (p == 2) printf "\n"
      else if (p == 1 && left > 0) { printf "\n"; left-- }
      s = substr($0, 1, left); printf "%s", s; left -= length(s); p = 1
    }
    END { if (p == 2 || (p == 1 && left > 0)) printf "\n" }'
}
# capped CMD...: CMD (the sections) with both streams through a capper each (HA_SC=1), else as
# is. fd 5 (what `run`'s head caps write to) is then the stdout capper's input.
capped() {
  if [ -n "$HA_SC" ]; then
    { { exec 5>&1; "$@"; printf '\n%s EOF\n' "$N"; printf '\n%s EOF\n' "$N" >&2; } 2>&1 1>&3 3>&- |
      capper __ERRCAP__ >&2 3>&-; } 3>&1 | capper __ERRCAP__
  else "$@"; fi
}
# run NAME CAP CMD...: one delimited section; stdout capped at CAP, stderr at __ERRCAP__, each
# stream's body ended by END; rc from the command. CMD gets no descriptor but 0-2: not fd 5,
# the stream past `run`'s head caps. With the stream caps, fds 1 and 2 are the cappers' pipes,
# shared by every section: what a command leaves running and writing after its section ended
# is dropped until the next BEGIN, and lands in that section after it. Only root's and the
# login user's programs hold them: a command run as another user (the ~/.ssh key test,
# as_owner) runs inside cap2, whose pipes are its own (test_stream_caps.py checks).
run() {
  case ,$HA_HELPED, in *",$1,"*) return 0 ;; esac  # printed by the root-facts helper
  _n=$1; _c=$2; shift 2
  clk; _t0=$_now
  printf '\n%s BEGIN %s cap=%s\n' "$N" "$_n" "$_c"
  printf '\n%s BEGIN %s\n' "$N" "$_n" >&2
  case $HA_SC:$_n in
    1:env_files|1:ssh_files|1:user.*|:*)
      _rc=$( { { { "$@" </dev/null 2>&1 1>&3 3>&- 4>&- 5>&-; echo $? >&4; } | head -c __ERRCAP__ >&2; } 3>&1 | head -c $((_c + 1)) >&5; } 4>&1 ) ;;
    *) ( "$@" ) </dev/null 3>&- 4>&- 5>&-; _rc=$? ;;
  esac
  printf '\n%s END %s rc=%s\n' "$N" "$_n" "${_rc:-255}"
  printf '\n%s END %s rc=%s\n' "$N" "$_n" "${_rc:-255}" >&2
  clk; printf '\n%s TIME %s %s %s\n' "$N" "$_n" "$((_now - _t0))" "$HA_CLK"
}
# root CMD...: through `sudo -n` when the wrapper found it allowed (only ROOT_COMMANDS use it).
root() { if [ -n "$HA_SUDO" ]; then tmo sudo -n "$@"; else tmo "$@"; fi; }
# root_helper APP_DIR...: the root-facts helper (`audit root-helper`, which the operator installs
# root-owned at __HELPER__) gathers every root-only section of HA_HS (comma-separated) in one
# `sudo -n` instead of one per command. Used when the wrapper found the helper's path in
# `sudo -n -l` (HA_RH=1; 2: NOPASSWD: ALL), the file and every directory above it are root's
# and writable by no one else (helper_safe), and the file is this auditor's (its POSIX cksum):
# it then prints those sections as this script would as root, and HA_HELPED names them for
# `run` to skip. The nonce goes on its stdin, never in its arguments (other users can read
# those). When it did not run (sudo refused it: exit 1; it refused its arguments: 2; it could
# not be run: 126, 127) every section is gathered command by command after all; when it was
# stopped midway (any other status) the sections it finished stand and the others are missing
# (unknown): re-running them could interleave with what its orphaned children still print.
# It has no time cap of its own: each command in it has one, the auditor's host budget bounds
# the whole. HA_RHS: what meta reports.
HA_HELPED=
HA_RHS=
helper_safe() {
  set -- __HELPER__
  _hp=__HELPER__
  while _hp=${_hp%/*}; [ -n "$_hp" ]; do set -- "$@" "$_hp"; done
  # lstat, not followed: a symbolic link anywhere on the path (the file, or a directory above
  # it leading into a tree someone else owns, who could swap it after this check) is unsafe
  _hv=$(stat -c '%u %a %F' -- "$@" / 2>/dev/null </dev/null) || return 1
  _hprev=
  _ifs=$IFS; IFS=$_nl
  for _hl in $_hv; do
    _hu=${_hl%% *}; _hl=${_hl#* }; _hm=${_hl%% *}
    case ${_hl#* } in "symbolic link") IFS=$_ifs; return 1 ;; esac
    case $_hu:${_hm#"${_hm%??}"} in
      0:*[2367]*)  # group- or other-writable: a sticky directory, the entry below root's
        case ${#_hm}:${_hm%???}:$_hprev in 4:[1357]:0) ;; *) IFS=$_ifs; return 1 ;; esac ;;
      0:*) ;;
      *) IFS=$_ifs; return 1 ;;
    esac
    _hprev=$_hu
  done
  IFS=$_ifs
}
root_helper() {
  [ -n "$HA_SUDO" ] && [ -n "$HA_HS" ] || return 0
  case ${HA_RH-} in 1|2) ;; *) HA_RHS=not-in-sudoers; return 0 ;; esac
  if [ ! -f __HELPER__ ]; then
    # not installed: a note only when sudoers names it (NOPASSWD: ALL names nothing)
    if [ "$HA_RH" = 1 ]; then HA_RHS=absent; else HA_RHS=not-installed; fi
    return 0
  fi
  if ! helper_safe; then HA_RHS=unsafe; return 0; fi
  _ck=$(cksum <__HELPER__ 2>/dev/null)
  if [ "$_ck" != '__HELPER_CKSUM__' ]; then HA_RHS="other-version ${_ck%% *}"; return 0; fi
  printf '%s\n' "${N#@@}" | sudo -n __HELPER__ "$HA_HS" "$@"
  _hrc=$?
  case $_hrc in
    0) HA_RHS=used; HA_HELPED=$HA_HS ;;
    1|2|126|127) HA_RHS="failed $_hrc" ;;
    *) HA_RHS="stopped $_hrc"; HA_HELPED=$HA_HS ;;
  esac
}
