#!/usr/bin/env bash
# Fails if a limit constant (#define AY_LIMIT_*) in src/ has no row in docs/LIMITS.md: every limit
# on untrusted input is documented (STYLE.md: limits on everything, and say which).
set -euo pipefail
cd "$(dirname "$0")/.."
missing=$(grep -rhoE '#define AY_LIMIT_[A-Z0-9_]+' --include='*.c' --include='*.h' src \
  | awk '{print $2}' | sort -u | while read -r l; do
      grep -q "\`$l\`" docs/LIMITS.md || echo "$l"
    done)
if [ -n "$missing" ]; then
  echo "limits without a row in docs/LIMITS.md:"
  echo "$missing"
  exit 1
fi
echo "check-limits: every limit is documented"
