#!/usr/bin/env bash
# Regenerates the key tables of docs/configuration.md from the config readers' declarations (the
# blocks between <!-- keys:<table>:begin --> and <!-- keys:<table>:end -->); the prose around them
# is kept. Builds the generator, sccache-config-docs, into ./build (or $BUILD_DIR) first.
# test_config_docs fails until the doc matches.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=${BUILD_DIR:-build}
doc=docs/configuration.md
if [[ ! -f "$BUILD_DIR/CMakeCache.txt" ]]; then
  GENERATOR=()
  command -v ninja >/dev/null && GENERATOR=(-G Ninja)
  cmake -S . -B "$BUILD_DIR" "${GENERATOR[@]}" -DCMAKE_BUILD_TYPE=RelWithDebInfo
fi
cmake --build "$BUILD_DIR" --target sccache-config-docs -j "$(nproc)"
tmp=$(mktemp "$doc.XXXXXX")
trap 'rm -f "$tmp"' EXIT
rc=0
"$BUILD_DIR/bin/sccache-config-docs" --splice "$doc" >"$tmp" || rc=$?
if ((rc > 1)); then
  echo "update-config-docs: $doc not changed (see above)" >&2
  exit 1
fi
if ((rc == 0)); then
  echo "update-config-docs: $doc was up to date"
  exit 0
fi
chmod --reference="$doc" "$tmp"
mv "$tmp" "$doc"
echo "update-config-docs: regenerated the tables named above in $doc"
