#!/usr/bin/env bash
# Set up RIG from scratch on a fresh machine: system packages (apt), a virtual environment in
# .venv with every Python dependency pinned, and rig itself (editable). Safe to run again.
#   bash scripts/setup.sh            # then: .venv/bin/rig play
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-python3}"
VENV="${RIG_VENV:-.venv}"

# System packages: Chromium and its driver for the GUI world (MiniWoB++, headless); Tesseract
# OCR, which measures whether screen text survives the image tokenizer (`--ocr-frames`);
# Minetest (engine + minetest_game), a virtual X screen and libfaketime (reproducible maps) for
# the 3-D worlds (rig/Minetest-*).
APT_PACKAGES=(chromium chromium-driver tesseract-ocr tesseract-ocr-eng minetest xvfb faketime)
if ((${#APT_PACKAGES[@]})) && command -v apt-get >/dev/null; then
    SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${APT_PACKAGES[@]}"
fi

[ -x "$VENV/bin/python" ] || "$PYTHON" -m venv "$VENV"
PIP=("$VENV/bin/python" -m pip --disable-pip-version-check)
"${PIP[@]}" install -q --upgrade pip setuptools wheel
# torch first, pinned: an unpinned torch requirement would pull the CUDA build (GBs).
"${PIP[@]}" install -q "torch==2.13.0"
"${PIP[@]}" install -q -c requirements/constraints.txt -r requirements/pinned.txt
"${PIP[@]}" install -q -c requirements/constraints.txt --no-deps -e .
# Compile numba's world-generation kernels once (cached on disk): the first reset takes ~2 s.
"$VENV/bin/python" -c "import rig.worlds as w; w.make('rig/Crafter-v0').reset(seed=0)"
echo "RIG is set up in $VENV: try '$VENV/bin/rig play' or '$VENV/bin/rig --help'"
