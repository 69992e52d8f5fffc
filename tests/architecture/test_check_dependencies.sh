#!/usr/bin/env bash
# The dependency check can fail: a tree with one break of each rule must give exactly those
# violations, and the same tree without them must pass.
set -uo pipefail
check="$(cd "$(dirname "$0")" && pwd)/check_dependencies.sh"
tree=$(mktemp -d)
trap 'rm -rf "$tree"' EXIT

put() {  # put FILE INCLUDE
  mkdir -p "$tree/$(dirname "$1")"
  printf '#include <vector>\n#include "%s"\n' "$2" >>"$tree/$1"
}
put core/src/registry.cpp sccache/plugin.hpp
put core/src/registry.cpp util/fs.hpp
put plugins/auth-jwt/keys.cpp auth-jwt/keys.hpp
put plugins/auth-jwt/keys.cpp sccache/auth.hpp
put apps/client/stats.cpp client/stats.hpp
put apps/client/compiler/analyze.cpp client/compiler/language.hpp
put util/src/fs.cpp util/fs.hpp

output=$(bash "$check" "$tree")
if [[ $? -ne 0 ]]; then
  echo "FAIL: a tree that follows the rule was refused:"
  echo "$output"
  exit 1
fi

put core/src/registry.cpp client/stats.hpp                 # core including an app
put core/include/sccache/plugin.hpp util/fs.hpp            # the SDK including util (not installed)
put plugins/auth-jwt/keys.cpp sandbox-bwrap/job_runner.hpp # a plugin including another plugin
put plugins/auth-jwt/keys.cpp common/wire.hpp              # a plugin including an app
put util/src/fs.cpp sccache/sandbox.hpp                    # util including sccache
put apps/client/stats.cpp sandbox-docker/engine_api.hpp    # an app including a plugin's internals
put apps/scheduler/scheduler.cpp buildserver/job_service.hpp  # one app including another
put apps/client/compiler/analyze.cpp common/wire.hpp       # the pure analysis including I/O code
put apps/client/stats.cpp stats.hpp                        # a bare include
output=$(bash "$check" "$tree")
status=$?
echo "$output"
expected=9
found=$(grep -c ': #include "' <<<"$output")
if [[ $status -ne 1 || $found -ne $expected ]]; then
  echo "FAIL: expected exit 1 and $expected violations, got exit $status and $found"
  exit 1
fi
for needle in 'core/src/registry.cpp:6: #include "client/stats.hpp"' \
  'plugins/auth-jwt/keys.cpp:6: #include "sandbox-bwrap/job_runner.hpp": a plugin' \
  'util/src/fs.cpp:4: #include "sccache/sandbox.hpp": util/ knows nothing of sccache' \
  'apps/client/stats.cpp:6: #include "stats.hpp": not rooted'; do
  if ! grep -qF "$needle" <<<"$output"; then
    echo "FAIL: missing violation: $needle"
    exit 1
  fi
done
echo "PASS: every planted violation was found, and nothing else"
