#!/usr/bin/env bash
# Creates (once) the virtualenv of the django-pyas2 AS2 peer that the AS2 interop tests talk to.
#
# django-pyas2 is a separate AS2 implementation; it pins pyas2lib==1.4.3 and so cryptography<40,
# which clashes with the hub's own dependencies — hence its own virtualenv. The venv is cached and
# reused: AS2_PEER_VENV (default ~/.cache/grossisthub/as2-peer-venv-1.2.3). It prints the venv path.
# The oscrypto fix (scripts/patch-oscrypto.py) is applied inside it too.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
VERSION=1.2.3
VENV="${AS2_PEER_VENV:-${XDG_CACHE_HOME:-$HOME/.cache}/grossisthub/as2-peer-venv-$VERSION}"
PYTHON="${PYTHON:-python3}"

if [[ ! -x "$VENV/bin/django-admin" || ! -f "$VENV/.ready" ]]; then
    rm -rf "$VENV"
    mkdir -p "$(dirname "$VENV")"
    "$PYTHON" -m venv "$VENV"
    "$VENV/bin/python" -m pip install --quiet --upgrade pip >&2
    "$VENV/bin/python" -m pip install --quiet "django-pyas2==$VERSION" >&2
    touch "$VENV/.ready"
fi
"$VENV/bin/python" "$HERE/patch-oscrypto.py" >&2
"$VENV/bin/python" -c "import pyas2lib, pyas2" >&2
echo "$VENV"
