#!/usr/bin/env bash
# The Python that .venv/ is made with: prints its path, or says in one line what to install
# (exit 1). The app needs CPython 3.10 to 3.14 (mediapipe 1.x's wheels cover 3.9-3.14) with
# its venv module (Debian and Ubuntu ship it apart, as python3.X-venv).
#   tools/find-python.sh [VERSION...]   try python<VERSION> first (make test: 3.11)
# $PYTHON, when set, is the only one tried. Otherwise: python3 if it is one of those, then
# python3.14, python3.13, python3.12, python3.11, python3.10.
set -uo pipefail
if [ -n "${PYTHON:-}" ]; then
  candidates=("$PYTHON")
else
  candidates=()
  for version in "$@"; do candidates+=("python$version"); done
  candidates+=(python3 python3.14 python3.13 python3.12 python3.11 python3.10)
fi
found=() no_venv=""
for py in "${candidates[@]}"; do
  command -v "$py" >/dev/null 2>&1 || continue
  version=$("$py" -c 'import sys; print("%d.%d" % sys.version_info[:2])' 2>/dev/null) || continue
  case "$version" in
    3.10 | 3.11 | 3.12 | 3.13 | 3.14) ;;
    *) found+=("$py is $version"); continue ;;
  esac
  if "$py" -c 'import ensurepip, venv' 2>/dev/null; then
    command -v "$py"
    exit 0
  fi
  [ -n "$no_venv" ] || no_venv="$version"
done
if [ -n "$no_venv" ]; then
  echo "face2emoji: Python $no_venv is here without its venv module: install it (sudo apt install python$no_venv-venv) and run make again" >&2
else
  seen=""
  [ ${#found[@]} -eq 0 ] || seen=" ($(printf '%s, ' "${found[@]}" | sed 's/, $//'))"
  echo "face2emoji: needs Python 3.10 to 3.14 with venv$seen: install one (Debian 13: sudo apt install python3-venv; Ubuntu 24.04: python3.12-venv; 22.04: python3.10-venv) or run make PYTHON=/path/to/python3" >&2
fi
exit 1
