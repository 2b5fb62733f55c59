#!/usr/bin/env bash
# Lays out the pinned test data the way ../shared/data holds it (see each folder's README there):
#   wasm-testsuite-2.0/  top-level *.wast of WebAssembly/testsuite 49b5977 (Wasm 2.0, spec tag wg-2.0)
#   wasm-testsuite/      *.wast of WebAssembly/testsuite 193e551 (Wasm 3.0 core, legacy/, custom/, proposals/)
#   wasi-testsuite/      tests/*/testsuite/wasm32-wasip1 of WebAssembly/wasi-testsuite 9f80ca3
set -euo pipefail
dest=${1:?usage: fetch-data.sh DEST}
mkdir -p "$dest"
fetch() {  # repo commit -> extracted folder path on stdout
  local repo=$1 commit=$2 dir
  dir=$(mktemp -d)
  curl -fsSL "https://codeload.github.com/$repo/tar.gz/$commit" | tar -xz -C "$dir" --strip-components=1
  echo "$dir"
}
src=$(fetch WebAssembly/testsuite 49b597799482e0f283a6c29d1752a7154c02a7ff)
mkdir -p "$dest/wasm-testsuite-2.0"
cp "$src"/*.wast "$src/LICENSE" "$dest/wasm-testsuite-2.0/"
src=$(fetch WebAssembly/testsuite 193e551ff22663995b1ac95dc62344133669e14b)
mkdir -p "$dest/wasm-testsuite"
(cd "$src" && find . -name '*.wast' -print0 | xargs -0 cp --parents -t "$OLDPWD/$dest/wasm-testsuite/")
src=$(fetch WebAssembly/wasi-testsuite 9f80ca35444cfd9e63100725615140a346652e6c)
mkdir -p "$dest/wasi-testsuite/tests"
for lang in assemblyscript c rust; do
  mkdir -p "$dest/wasi-testsuite/tests/$lang/testsuite"
  cp -r "$src/tests/$lang/testsuite/wasm32-wasip1" "$dest/wasi-testsuite/tests/$lang/testsuite/"
done
