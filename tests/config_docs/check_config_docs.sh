#!/usr/bin/env bash
# Fails when the key tables of a doc differ from what the generator makes of the config readers'
# declarations: names each stale table and shows the diff. Run scripts/update-config-docs.sh to
# regenerate them.
#
# Usage: check_config_docs.sh GENERATOR DOC
set -uo pipefail
if (($# != 2)); then
  echo "usage: check_config_docs.sh GENERATOR DOC" >&2
  exit 2
fi
generator=$1
doc=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

"$generator" --splice "$doc" >"$tmp/generated.md" 2>"$tmp/errors"
rc=$?
cat "$tmp/errors"
case $rc in
  0)
    echo "check_config_docs: the key tables of $doc are up to date"
    exit 0
    ;;
  1)
    echo "check_config_docs: $doc is stale (the tables above); run scripts/update-config-docs.sh"
    diff -u --label "$doc" --label "$doc (generated)" "$doc" "$tmp/generated.md"
    exit 1
    ;;
  *)
    echo "check_config_docs: cannot check $doc (see above)"
    exit 1
    ;;
esac
