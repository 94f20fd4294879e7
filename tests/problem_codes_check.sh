#!/usr/bin/env bash
# problem_codes_check.sh SOURCE_DIR CONCERTO_BIN: the one list of problem
# codes (core/base/problem_codes.def) is the truth. docs/api-errors.md must carry
# exactly what `concerto admin problem-codes` prints from it, and every code
# the core or an in-tree module answers (a string right after a 3-digit
# status in a call that makes a problem) must be in it.
set -euo pipefail
src=$1 bin=$2
doc=$src/docs/api-errors.md
generated=$("$bin" admin problem-codes)
documented=$(sed -n '/<!-- problem-codes:begin/,/<!-- problem-codes:end -->/p' "$doc" | sed '1d;$d')
if [ "$generated" != "$documented" ]; then
  echo "docs/api-errors.md is not what core/base/problem_codes.def generates:" >&2
  diff <(echo "$documented") <(echo "$generated") >&2 || true
  echo "run: concerto admin problem-codes, and paste it between the markers" >&2
  exit 1
fi
listed=$(echo "$generated" | sed -n 's/^| [0-9]* | `\([a-z_]*\)` .*/\1/p' | sort -u)
# A module's own codes: modules/<m>/src/problems.def, X(status, code, ...).
declared=$(cd "$src" && cat modules/*/src/problems.def 2>/dev/null |
  sed -n 's/^X([0-9]*, *\([a-z_]*\),.*/\1/p' | sort -u)
listed=$(printf '%s\n%s\n' "$listed" "$declared" | sed '/^$/d' | sort -u)
# Calls that answer a problem, with the code on the same or a later line.
used=$(cd "$src" && cat core/*.c core/*/*.c modules/*/src/*.c |
  grep -Pzo '(request_problem|concerto_reply_problem|host_respond_problem|respond_problem|problem_json|deny)\(\s*(req,\s*)?[0-9]{3},\s*"[a-z_]+"' |
  tr '\0' '\n' | sed -n 's/.*"\([a-z_]*\)"$/\1/p' | sort -u)
missing=$(comm -23 <(echo "$used") <(echo "$listed"))
if [ -n "$missing" ]; then
  echo "problem codes answered but not in core/base/problem_codes.def:" >&2
  echo "$missing" >&2
  exit 1
fi
echo "problem codes: $(echo "$listed" | wc -l) listed, $(echo "$used" | wc -l) used in the sources, all documented"
