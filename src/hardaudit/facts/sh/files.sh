# Sections: modes of /etc files, world-writable paths, .env files, ~/.ssh of every user.
# stats RUNNER NAME...: `mode|owner|group|kind|name` per NAME (name as enc writes it), stat
# run through RUNNER (tmo, or root() for sudo). One stat for all when every one succeeds
# (its lines are then in argument order: no field can hold a newline), else one per name, so
# a name that fails cannot shift another's line. Sets _reg: the regular files, one line each
# as enc writes them. Fails when some name could not be stat'ed (named on stderr).
stats() {
  _as=$1; shift
  _reg=; _src=0
  _all=$($_as stat -c '%a|%U|%G|%F' -- "$@" 2>/dev/null </dev/null) && _batch=1 || _batch=
  for _f; do
    if [ -n "$_batch" ]; then
      _l=${_all%%"$_nl"*}; _all=${_all#"$_l"}; _all=${_all#"$_nl"}
    elif ! _l=$($_as stat -c '%a|%U|%G|%F' -- "$_f" 2>&1 </dev/null); then
      # gone since it was listed counts too: a rename loop must not make a file vanish unseen
      _src=1; { printf 'cannot stat '; enc "$_f"; } >&2; continue
    fi
    case $_f in
      ""|*[!A-Za-z0-9_./@:+,=%~*?-]*) _e=$(printf '%s' "$_f" | oct) ;;
      *) _e=$_f ;;
    esac
    printf '%s|%s\n' "$_l" "$_e"
    case $_l in *"|regular file") _reg="$_reg$_e$_nl" ;; esac
  done
  return $_src
}

# Modes of files whose owner and mode matter: shadow, sshd config and host keys.
etc_files() {
  _list=${HA_SSHD_FILES-$(sshd_file_list)}
  set --
  for _f in /etc/shadow /etc/gshadow $_list /etc/ssh/ssh_host_*_key; do
    [ -e "$_f" ] && set -- "$@" "$_f"
  done
  [ $# -gt 0 ] || return 0
  stats tmo "$@"
}

# The two walks below: find prints NUL-separated names (names0 makes one line of each), then
# `rc=` its exit status; its complaints go to stderr. A path gone during the walk ("No such
# file or directory") leaves the walk incomplete like any other complaint: a user who renames
# a directory back and forth makes find skip that whole subtree, so such a walk is judged on
# what it sent (a file found failing fails) and never passes.
# World-writable files and non-sticky world-writable directories, first __WWCAP__ only. The
# test comes before the prune: a pruned directory is judged itself (and walked when it fails).
world_writable() {
  set --
  for _d in __WW_ROOTS__; do
    [ -d "$_d" ] && [ ! -L "$_d" ] && set -- "$@" "$_d"
  done
  { root find "$@" -xdev \( -type f -o -type d \) -perm -0002 ! -perm -1000 -print0 -o __WW_PRUNE__ </dev/null
    printf '\000rc=%s\000' "$?"; } | names0 __WWCAP__
}

# env_files APP_DIR...: .env files under the app directories: path, owner and mode only, never
# contents. find prints NUL-separated names, so a directory or file name may hold any byte
# (newline too).
env_files() {
  _na=$#
  for _d; do [ -d "$_d" ] && set -- "$@" "$_d"; done
  shift "$_na"
  [ $# -gt 0 ] || { echo "## no app dir exists"; return 0; }
  printf '## dirs'
  for _d; do
    case $_d in
      ""|*[!A-Za-z0-9_./@:+,=%~*?-]*) printf ' %s' "$(enc "$_d")" ;;
      *) printf ' %s' "$_d" ;;
    esac
  done
  echo
  # At most __NAMECAP__ names (names0 sends one more to tell): a user can make thousands, and
  # each costs the loop below (its `set --` copies the list) and a stat. Past the cap the
  # search is incomplete: judged on the files sent, unknown when none fails.
  _esc=$( { root find "$@" -xdev -maxdepth __ENV_DEPTH__ __ENV_PRUNE__ -type f \( -name .env -o -name '.env.*' \) -print0 </dev/null
    printf '\000rc=%s\000' "$?"; } | names0 $((__NAMECAP__ + 1)))
  _frc=$?
  set --
  _ifs=$IFS; IFS=$_nl
  set -f  # a name like `.env.*` is a name, not a pattern to expand in the current directory
  for _e in $_esc; do
    if [ $# -ge __NAMECAP__ ]; then
      echo "more than __NAMECAP__ .env files under the app directories: the first __NAMECAP__ are judged" >&2
      _frc=3; break
    fi
    # shellcheck disable=SC2059  # only \ooo escapes: printf decodes them
    case $_e in \\*) _e=$(printf "$_e."); _e=${_e%.} ;; esac
    set -- "$@" "$_e"
  done
  set +f
  IFS=$_ifs
  [ $# -gt 0 ] || return "$_frc"
  stats root "$@" || return 1
  return "$_frc"
}

# as_owner USER UID GID CMD...: CMD with USER's rights. A file in a user's ~/.ssh is opened as
# that user, never as root: a symlink swapped in reaches nothing the user could not read, and
# GNU grep's `-D skip` opens without blocking and skips a FIFO or device. Root's own files, and
# the login user's, are read directly; sudo mode uses `sudo -n -u USER` unless sudo refused it
# once (_kok=no, asked by ssh_files); from uid 0: setpriv, else sudo once `sudo -n -l` allows
# it (a refusal must not read as grep's "no match"). Without a way to become USER, a non-root
# login user reads with its own rights (never root's): what it cannot read is `unreadable`.
# Exit 126: running as uid 0 with no way to become USER.
as_owner() {
  _ou=$1; _oid=$2; _ogid=$3; shift 3
  if [ "$_oid" = 0 ]; then root "$@"
  elif [ "$_oid" = "$HA_UID" ]; then tmo "$@"
  elif [ -n "$HA_SUDO" ] && [ "$_kok" != no ]; then tmo sudo -n -u "$_ou" "$@"
  elif [ "$HA_UID" != 0 ]; then tmo "$@"
  elif has setpriv; then tmo setpriv --reuid="$_oid" --regid="$_ogid" --init-groups "$@"
  elif has sudo && tmo sudo -n -l -u "$_ou" "$@" >/dev/null 2>&1 </dev/null; then
    tmo sudo -n -u "$_ou" "$@"
  else return 126; fi
}

# keygrep USER UID GID FILE...: grep -l for a private-key header, as the files' owner; GNU
# grep gets `-D skip` (_kg, set by ssh_files) for a FIFO or device swapped in.
keygrep() {
  _ku=$1; _kid=$2; _kgid=$3; shift 3
  # shellcheck disable=SC2086  # _kg: nothing or exactly `-D skip`
  as_owner "$_ku" "$_kid" "$_kgid" grep $_kg -l -m1 -e 'PRIVATE KEY-----' -- "$@" </dev/null
}

# ~/.ssh of every user with a home: the directory's stat, then each entry's (names from a
# NUL-separated find), then which regular files are private keys. `unreadable:` lines say
# what could not be read (`unreadable: stat|list|names|keys <dir>`); names as enc writes them.
# Root's help is asked for as few times as possible (each `sudo -n` costs ~10 ms of CPU):
# every ~/.ssh is stat'ed by one command (their names come from passwd: no newline, one line
# each); the login user's own ~/.ssh is read with its own rights.
ssh_files() {
  _kok=  # whether sudo runs the private-key grep as a user: asked once, at the first one
  _kg=$HA_GD  # `-D skip` with GNU grep (the prelude asked); BusyBox's has no -D
  _pw=$(awk -F: '$6 != "" && $6 != "/" { print $1 ":" $3 ":" $4 ":" $6 }' /etc/passwd)
  set --
  _ifs=$IFS; IFS=$_nl
  set -f  # a home named with a wildcard is a name
  for _l in $_pw; do
    _h=${_l#*:*:*:}
    # every home's, even one the login user sees no ~/.ssh in: its `[ -e ]` cannot tell
    # absent from unreadable (a FUSE mount on ~/.ssh, a home whose mode flips during the
    # run); only stat's own "No such file" below makes a ~/.ssh absent
    case "$_nl$*$_nl" in *"$_nl$_h/.ssh$_nl"*) ;; *) set -- "$@" "$_h/.ssh" ;; esac
  done
  set +f
  IFS=$_ifs
  [ $# -gt 0 ] || return 0
  _cand=$(printf '%s\n' "$@")
  # stdout (`mode|owner|group|kind|name` per directory that exists), then stderr
  _so=$( { _se=$(root stat -c '%a|%U|%G|%F|%n' -- "$@" 2>&1 >&3 3>&- </dev/null)
    printf '%s ERR\n%s\n' "$N" "$_se"; } 3>&1)
  _se=${_so#*"$N ERR$_nl"}
  _so=${_so%%"$N ERR$_nl"*}
  IFS=$_nl
  set -f
  for _l in $_pw; do
    IFS=$_ifs
    _u=${_l%%:*}; _r=${_l#*:}; _uid=${_r%%:*}; _r=${_r#*:}; _gid=${_r%%:*}; _h=${_r#*:}
    _d="$_h/.ssh"
    case "$_nl$_cand$_nl" in *"$_nl$_d$_nl"*) ;; *) IFS=$_nl; continue ;; esac
    _st=
    IFS=$_nl
    for _x in $_so; do
      case $_x in [0-7]*"|$_d") _st=${_x%"|$_d"}; break ;; esac
    done
    IFS=$_ifs
    if [ -z "$_st" ]; then
      case $_se in  # GNU: cannot stat[x] 'NAME': ...; BusyBox: can't stat 'NAME': ...
        *"'$_d': No such file"*|*"'$_d': Not a directory"*) IFS=$_nl; continue ;;
      esac
      # GNU stat quotes a name holding a quote or a control character otherwise than 'NAME':
      # such a name is stat'ed alone, its message read whole
      case $_d in
        *"'"*|*[!' '-~]*)
          _x=$(root stat -c '%a|%U|%G|%F' -- "$_d" 2>&1 </dev/null)
          case $_x in
            [0-7]*"|"*) _st=$_x ;;
            *"No such file"*|*"Not a directory"*) IFS=$_nl; continue ;;
          esac ;;
      esac
    fi
    printf '%s USER %s %s\n' "$N" "$_u" "$_h"
    if [ -z "$_st" ]; then printf 'unreadable: stat '; enc "$_d"; IFS=$_nl; continue; fi
    printf '%s|' "$_st"; enc "$_d"
    ssh_dir "$_u" "$_uid" "$_gid" "$_d"
    IFS=$_nl
    set -f  # ssh_dir turned it off: the next home's name is matched as a name again
  done
  set +f
  IFS=$_ifs
}

# ssh_dir USER UID GID DIR: DIR's entries and which are private keys (see ssh_files). The
# login user's own directory is read with its own rights (root's only if that fails).
ssh_dir() {
  _u=$1; _uid=$2; _gid=$3; _d=$4
  _rs=root
  [ "$_uid" = "$HA_UID" ] && _rs=tmo
  # at most __NAMECAP__ entries (names0 sends one more to tell), as for the .env files: more
  # (a user can make them) and the directory is `unreadable: list`, its keys unknown
  _esc=$( { $_rs find "$_d" -mindepth 1 -maxdepth 1 -print0 </dev/null 2>/dev/null
    printf '\000rc=%s\000' "$?"; } | names0 $((__NAMECAP__ + 1)))
  _frc=$?
  if [ "$_frc" != 0 ] && [ "$_rs" = tmo ]; then
    _rs=root
    _esc=$( { root find "$_d" -mindepth 1 -maxdepth 1 -print0 </dev/null 2>/dev/null
      printf '\000rc=%s\000' "$?"; } | names0 $((__NAMECAP__ + 1)))
    _frc=$?
  fi
  set --
  _ifs=$IFS; IFS=$_nl
  set -f  # a file named `*` is a name, not a pattern to expand in the current directory
  for _e in $_esc; do
    if [ $# -ge __NAMECAP__ ]; then
      { printf 'more than __NAMECAP__ entries: not judged: '; enc "$_d"; } >&2
      _frc=3; break
    fi
    # shellcheck disable=SC2059  # only \ooo escapes: printf decodes them
    case $_e in \\*) _e=$(printf "$_e."); _e=${_e%.} ;; esac
    set -- "$@" "$_e"
  done
  set +f
  IFS=$_ifs
  if [ "$_frc" != 0 ]; then printf 'unreadable: list '; enc "$_d"; return 0; fi
  [ $# -gt 0 ] || return 0
  stats $_rs "$@" 2>/dev/null || { printf 'unreadable: names '; enc "$_d"; }
  # Only regular files are searched for a private-key header; names come back, never contents.
  set --
  IFS=$_nl
  set -f
  for _e in $_reg; do
    # shellcheck disable=SC2059  # only \ooo escapes: printf decodes them
    case $_e in \\*) _e=$(printf "$_e."); _e=${_e%.} ;; esac
    set -- "$@" "$_e"
  done
  set +f
  IFS=$_ifs
  [ $# -gt 0 ] || return 0
  cap2 keygrep "$_u" "$_uid" "$_gid" "$@"
  if [ -z "$_kok" ] && [ -n "$HA_SUDO" ] && [ "$_uid" != 0 ] && [ "$_uid" != "$HA_UID" ]; then
    # The first grep as a user tells whether sudo allows it (no `sudo -n -l` asked first):
    # grep says "no match" with exit 1 and nothing on stderr; sudo refuses with exit 1 and a
    # message. Exit 1 with a message is taken as a refusal (a sudo warning too: the keys are
    # then read with the login user's rights, what it cannot read is `unreadable`).
    if [ "$_crc" = 1 ] && [ -n "$_ce" ]; then
      _kok=no
      echo "sudo -n refuses grep -l -m1 -e 'PRIVATE KEY-----' as the users: their keys are read with $(id -un)'s rights" >&2
      cap2 keygrep "$_u" "$_uid" "$_gid" "$@"
    else _kok=yes; fi
  elif [ -n "$HA_SUDO" ] && [ "$_uid" != "$HA_UID" ] && [ "$_crc" = 1 ] && [ -n "$_ce" ] &&
    { [ "$_uid" = 0 ] || [ "$_kok" = yes ]; }; then
    # through sudo (as root, or as a user after the first one ran): a refusal is not "no
    # key" (sudo's Runas list may admit some users only; a sudoers without root's grep)
    _crc=2
  fi
  _keys=$_co; _grc=$_crc
  [ -z "$_ce" ] || printf '%s\n' "$_ce" >&2
  # grep -l prints the names it was given, one per line: each regular file is looked up whole
  # (a name holding a newline can at worst make another name look like a key, never hide one)
  for _f; do
    case "$_nl$_keys$_nl" in *"$_nl$_f$_nl"*) printf 'privkey: '; enc "$_f" ;; esac
  done
  # `if`, not `&&`: a false test as the loop's last command would become the section's rc
  if [ "$_grc" -gt 1 ]; then printf 'unreadable: keys '; enc "$_d"; fi
}
