#!/usr/bin/env bash
# Makes the descriptors under tests/frictionless/ with frictionless-py itself, so that the
# Rust tests (tests/init.rs) read what the reference Frictionless implementation writes,
# without Python. Run from anywhere; needs python3 and a network to PyPI (or an existing
# venv in FRICTIONLESS_VENV):
#     bash tests/frictionless/make.sh
# It also checks that `frictionless validate` accepts what `sotecheck init` writes, and
# records the result in tests/frictionless/validate-init.txt (optional in CI: the tests only
# read the committed files).
set -euo pipefail
cd "$(dirname "$0")/../.."
venv="${FRICTIONLESS_VENV:-${TMPDIR:-/tmp}/sotecheck-frictionless-venv}"
if [ ! -x "$venv/bin/frictionless" ]; then
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet 'frictionless>=5,<6'
fi
cargo build --quiet
PATH="$venv/bin:$PATH" SOTECHECK="${CARGO_TARGET_DIR:-target}/debug/sotecheck" "$venv/bin/python" tests/frictionless/make.py
