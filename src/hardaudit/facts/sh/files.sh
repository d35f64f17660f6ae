# Sections: modes of /etc files, world-writable paths, .env files, ~/.ssh of every user.
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
