#!/usr/bin/env bash
# check_config_docs.sh can fail: a hand-edited row, a lost marker and a table the doc lacks are
# each reported, naming the table; the doc as committed passes.
#
# Usage: test_check_config_docs.sh GENERATOR DOC
set -uo pipefail
generator=$1
doc=$2
check="$(dirname "$0")/check_config_docs.sh"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
failures=0

expect() {  # expect <name> <want exit: pass|fail> <file> <text the output must contain>
  local name=$1 want=$2 file=$3 text=$4 output rc
  output=$(bash "$check" "$generator" "$file" 2>&1)
  rc=$?
  if [[ $want == pass && $rc -ne 0 ]] || [[ $want == fail && $rc -eq 0 ]]; then
    echo "FAIL $name: exit $rc"
    echo "$output"
    failures=$((failures + 1))
  elif [[ $output != *"$text"* ]]; then
    echo "FAIL $name: the output does not say: $text"
    echo "$output"
    failures=$((failures + 1))
  else
    echo "ok   $name"
  fi
}

expect "the committed doc passes" pass "$doc" "up to date"

# A row edited by hand inside a generated block.
awk '{ print } /^<!-- keys:server.conf:begin -->$/ { getline; print; getline; print; getline;
       sub(/ \|$/, " (edited by hand) |"); print }' "$doc" >"$tmp/edited.md"
expect "an edited row" fail "$tmp/edited.md" "table 'server.conf' is stale"
expect "an edited row shows the diff" fail "$tmp/edited.md" "-| \`cache_dir\`"

# A table whose block lost its end marker.
grep -v '^<!-- keys:auth/jwt_token:end -->$' "$doc" >"$tmp/unbalanced.md"
expect "a lost end marker" fail "$tmp/unbalanced.md" "'auth/jwt_token' has no end marker"

# A table the doc does not show at all.
sed '/^<!-- keys:client\/dist:begin -->$/,/^<!-- keys:client\/dist:end -->$/d' "$doc" \
  >"$tmp/missing.md"
expect "a missing table" fail "$tmp/missing.md" "no block for table 'client/dist'"

# A block naming no table.
printf '<!-- keys:no-such-table:begin -->\n<!-- keys:no-such-table:end -->\n' >>"$tmp/missing.md"
expect "an unknown block" fail "$tmp/missing.md" "no generated table is called 'no-such-table'"

if ((failures > 0)); then
  echo "test_check_config_docs: $failures check(s) failed"
  exit 1
fi
echo "test_check_config_docs: the staleness check fails when it should"
