#!/usr/bin/env bash
# The whole test suite. pytest's exit code 5 ("no tests collected") is a failure of ours.
set -uo pipefail
cd "$(dirname "$0")/.."
.venv/bin/python -m pytest "$@"
rc=$?
if [ $rc -eq 5 ]; then echo "no tests were collected: that is a failure" >&2; exit 1; fi
exit $rc
