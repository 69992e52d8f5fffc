#!/usr/bin/env bash
# The dependency rule of ARCHITECTURE.md, checked on every quoted #include of the source tree:
# each folder may include only the folders its rule names, and every include is rooted (it names
# its path from a source root, never a bare file name).
#
# Usage: check_dependencies.sh [SOURCE_ROOT]   (default: the repository this script is in)
# Prints every violation as "file:line: #include "x": reason" and exits 1 if there is any.
set -uo pipefail
root=${1:-$(cd "$(dirname "$0")/../.." && pwd)}
cd "$root" || exit 2

# path prefix | include prefixes allowed there (space-separated; "-" for none). The longest
# matching path prefix applies. Angle-bracket includes (system and third-party) are always fine.
rules=(
  "util/|util/"
  "core/include/|sccache/"
  "core/src/|sccache/ util/"
  "plugins/sandbox-docker/init/|sandbox-docker/init/ sandbox-docker/helper_protocol.hpp"
  "plugins/*/|sccache/ util/ {plugin}/"
  "apps/common/|sccache/ util/ common/"
  "apps/common/server_protocol.|common/server_protocol.hpp"
  "apps/common/server_socket.|common/server_socket.hpp common/server_protocol.hpp"
  "apps/scheduler/|sccache/ util/ common/ scheduler/"
  "apps/buildserver/|sccache/ util/ common/ buildserver/"
  "apps/client/compiler/|client/compiler/"
  "apps/client/cache/|sccache/ util/ common/ client/cache/"
  "apps/client/|sccache/ util/ common/ client/"
  "apps/sccache-dist/|sccache/ util/ common/ scheduler/ buildserver/ sccache-dist/"
  "apps/wrapper/|wrapper/ common/server_protocol.hpp common/server_socket.hpp"
  "apps/sccache-server/|client/client_main.hpp"
)

# Why a folder may not include what it did, for the message.
explain() {
  case "$1" in
    util/*) echo "util/ knows nothing of sccache: it includes only util/ and system headers" ;;
    core/include/*) echo "the installed SDK headers include only sccache/ (util/ is not installed)" ;;
    core/*) echo "core/ never includes apps/ or plugins/" ;;
    plugins/sandbox-docker/init/*) echo "the container helper is static and standalone" ;;
    plugins/*) echo "a plugin includes the SDK, util/ and itself, never another plugin or apps/" ;;
    apps/common/server_*) echo "the wrapper compiles this file: it includes only the server protocol and socket (no libraries)" ;;
    apps/common/*) echo "apps/common/ is shared by every app and includes none of them" ;;
    apps/wrapper/*) echo "the wrapper links nothing but the C and C++ runtimes: it includes only the server protocol and socket" ;;
    apps/client/compiler/*) echo "argument analysis is pure string work: it includes only itself" ;;
    apps/client/cache/*) echo "the compile cache knows nothing of the compile pipeline that uses it" ;;
    apps/*) echo "an app includes common/, the SDK and util/ beside itself, never a plugin's internals or another app" ;;
  esac
}

allowed_for() {
  local file=$1 best="" best_len=-1 rule prefix allowed pattern
  for rule in "${rules[@]}"; do
    prefix=${rule%%|*}
    allowed=${rule#*|}
    pattern=${prefix//\*/[^/]*}
    if [[ $file =~ ^$pattern ]] && ((${#BASH_REMATCH[0]} > best_len)); then
      best_len=${#BASH_REMATCH[0]}
      best=$allowed
      if [[ $prefix == "plugins/*/" ]]; then
        local plugin=${file#plugins/}
        best=${best//\{plugin\}/${plugin%%/*}}
      fi
    fi
  done
  echo "$best"
}

violations=0
files=$(find core util apps plugins -type f \( -name '*.cpp' -o -name '*.hpp' -o -name '*.h' -o -name '*.in' \) 2>/dev/null | sort)
for file in $files; do
  allowed=$(allowed_for "$file")
  while IFS= read -r match; do
    line=${match%%:*}
    include=$(sed -E 's/^[^"]*"([^"]+)".*/\1/' <<<"${match#*:}")
    ok=0
    for prefix in $allowed; do
      if [[ $include == "$prefix"* ]]; then
        ok=1
        break
      fi
    done
    if ((ok == 0)); then
      if [[ $include != */* ]]; then
        reason="not rooted: name the path from its source root (e.g. \"client/stats.hpp\")"
      else
        reason=$(explain "$file")
      fi
      echo "$file:$line: #include \"$include\": $reason"
      violations=$((violations + 1))
    fi
  done < <(grep -nE '^[[:space:]]*#[[:space:]]*include[[:space:]]*"' "$file")
done

if ((violations > 0)); then
  echo "check_dependencies: $violations include(s) break the dependency rule (ARCHITECTURE.md)"
  exit 1
fi
echo "check_dependencies: $(wc -w <<<"$files") files follow the dependency rule"
