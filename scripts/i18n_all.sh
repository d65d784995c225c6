#!/bin/sh
# Re-extract every message, merge all Chinese sources, compile, and list what is still untranslated.
set -e
cd "$(dirname "$0")/.."
PY=.venv/bin/python
$PY scripts/i18n.py extract
for f in market/translations/zh_source/*.json; do $PY scripts/i18n.py apply "$f"; done
$PY scripts/i18n.py compile
$PY scripts/i18n.py missing
