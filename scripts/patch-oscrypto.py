#!/usr/bin/env python3
"""Make oscrypto 1.3.0 read OpenSSL version strings with a two-digit patch number (3.0.10 and later).

Why: pyas2lib (the hub's AS2 library) imports oscrypto. oscrypto 1.3.0, its newest release on
PyPI, detects the libcrypto version with the regex ``\\d\\.\\d\\.\\d[a-z]*``, which does not match
"OpenSSL 3.0.19", so ``import oscrypto.asymmetric`` fails with
``LibraryNotFoundError: Error detecting the version of libcrypto``.
Upstream: https://github.com/wbond/oscrypto/issues/75 and https://github.com/wbond/oscrypto/issues/78;
fixed on oscrypto's master (commit d5f3437) but not released.

What: in ``oscrypto/_openssl/_libcrypto_cffi.py`` and ``_libcrypto_ctypes.py`` of the Python that
runs this script, the regex becomes ``\\d\\.\\d\\.\\d+[a-z]*`` — the same change as upstream's.
Idempotent: prints what it changed, exits 0 when the files are already fixed or oscrypto is not
installed. Run it with the interpreter of every virtualenv that imports pyas2lib
(``make install`` does it for .venv; ``scripts/as2-peer.sh`` for the django-pyas2 peer).

DELETE THIS SCRIPT (and its line in the Makefile and scripts/as2-peer.sh) when oscrypto > 1.3.0 is
released and pinned.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

OLD = r"\\b(\\d\\.\\d\\.\\d[a-z]*)\\b"  # exactly as written in oscrypto's source
NEW = r"\\b(\\d\\.\\d\\.\\d+[a-z]*)\\b"
FILES = ("_libcrypto_cffi.py", "_libcrypto_ctypes.py")


def oscrypto_dir() -> Path | None:
    spec = importlib.util.find_spec("oscrypto")  # finds the package without importing it (the import fails)
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations))) / "_openssl"


def patch(path: Path) -> str:
    text = path.read_text(encoding="utf-8")
    if NEW in text:
        return "already fixed"
    if OLD not in text:
        return "pattern not found (different oscrypto version?) — left unchanged"
    path.write_text(text.replace(OLD, NEW), encoding="utf-8")
    for cached in path.parent.glob(f"__pycache__/{path.stem}.*.pyc"):
        cached.unlink()
    return "patched"


def main() -> int:
    folder = oscrypto_dir()
    if folder is None:
        print(f"patch-oscrypto: oscrypto is not installed for {sys.executable}; nothing to do")
        return 0
    for name in FILES:
        path = folder / name
        outcome = patch(path) if path.exists() else "missing — left alone"
        print(f"patch-oscrypto: {path}: {outcome}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
