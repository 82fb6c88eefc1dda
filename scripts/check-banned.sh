#!/usr/bin/env bash
# Fails if a banned function appears in src/, tests/ or fuzz/ (STYLE.md B.4): unbounded string
# functions, ctype on plain char, and process/randomness calls that have no place here.
set -euo pipefail
cd "$(dirname "$0")/.."
pattern='\b(strcpy|strcat|sprintf|vsprintf|gets|strtok|atoi|atol|atoll|alloca|strncpy|system|popen|rand)\s*\(|\b(isalpha|isdigit|isalnum|isspace|isupper|islower|isxdigit|isprint|toupper|tolower)\s*\('
hits=$(grep -rnE "$pattern" --include='*.c' --include='*.h' src tests fuzz bench 2>/dev/null \
  | grep -vE '^\S+:[0-9]+:\s*(/\*|\*)' | grep -v 'banned-ok' || true)
if [ -n "$hits" ]; then
  echo "banned functions (see STYLE.md B.4; mark a justified use with /* banned-ok: why */):"
  echo "$hits"
  exit 1
fi
echo "check-banned: clean"
