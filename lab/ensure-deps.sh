#!/usr/bin/env bash
# Install the Debian package of every program in lab/deps.txt that is missing, and nothing
# when all are there (a loop of `command -v`: fast enough to run on every `make`).
#
#   bash lab/ensure-deps.sh [--dry-run] [--python PYTHON]
#
# --dry-run        print what is missing and the packages it would install; change nothing
# --python PYTHON  also make sure PYTHON can create a venv (Debian's python3 needs
#                  python3-venv for `python3 -m venv`)
# HARDAUDIT_TOOL_PATH  the directories searched (default: $PATH plus the sbin directories,
#                  which a non-root PATH lacks); tests set it to simulate a fresh machine.
#
# Bash builtins only until apt-get runs, so that it works under a PATH with nothing on it.
set -euo pipefail

here=${BASH_SOURCE[0]%/*}
[ "$here" = "${BASH_SOURCE[0]}" ] && here=.
table="$here/deps.txt"
search_path=${HARDAUDIT_TOOL_PATH-$PATH:/usr/local/sbin:/usr/sbin:/sbin}
dry_run=
python=
while [ $# -gt 0 ]; do
  case $1 in
    --dry-run) dry_run=1 ;;
    --python) python=${2:?--python needs a program}; shift ;;
    *) echo "usage: bash lab/ensure-deps.sh [--dry-run] [--python PYTHON]" >&2; exit 2 ;;
  esac
  shift
done

on_path() {
  local PATH=$search_path
  command -v "$1" >/dev/null 2>&1
}

declare -A wanted=()
missing=()
while read -r program package _; do
  case $program in '' | '#'*) continue ;; esac
  if ! on_path "$program"; then
    missing+=("$program")
    wanted[$package]=1
  fi
done <"$table"
if [ -n "$python" ] && ! "$python" -c 'import ensurepip, venv' >/dev/null 2>&1; then
  missing+=("$python -m venv")
  wanted[python3-venv]=1
fi

packages=("${!wanted[@]}")
if [ ${#packages[@]} -eq 0 ]; then
  [ -n "$dry_run" ] && echo "[deps] nothing missing"
  exit 0
fi
sorted=()  # insertion sort, for stable output: no `sort` on an empty PATH
for package in "${packages[@]}"; do
  i=${#sorted[@]}
  sorted+=("$package")
  while [ "$i" -gt 0 ] && [[ ${sorted[i-1]} > $package ]]; do
    sorted[i]=${sorted[i-1]}
    i=$((i - 1))
  done
  sorted[i]=$package
done
echo "[deps] missing: ${missing[*]}"
if [ -n "$dry_run" ]; then
  echo "[deps] would install: ${sorted[*]}"
  exit 0
fi
if [ "$EUID" -ne 0 ]; then
  echo "[deps] run as root, or install them: apt-get install --no-install-recommends ${sorted[*]}" >&2
  exit 1
fi
echo "[deps] installing: ${sorted[*]}"
export DEBIAN_FRONTEND=noninteractive
# Installing openssh-server or docker.io must not start system services: deny via policy-rc.d.
created_policy=
if [ ! -e /usr/sbin/policy-rc.d ]; then
  printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d && chmod 755 /usr/sbin/policy-rc.d
  created_policy=1
fi
trap '[ -z "$created_policy" ] || rm -f /usr/sbin/policy-rc.d' EXIT
SECONDS=0
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${sorted[@]}" >/dev/null
still=()
for program in "${missing[@]}"; do
  case $program in *' -m venv') continue ;; esac
  on_path "$program" || still+=("$program")
done
if [ ${#still[@]} -gt 0 ]; then
  echo "[deps] still missing after apt-get install: ${still[*]}" >&2
  exit 1
fi
echo "[deps] installed ${#sorted[@]} package(s) in ${SECONDS}s"
