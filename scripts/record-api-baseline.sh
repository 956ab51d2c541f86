#!/usr/bin/env bash
# Records the API baseline japicmp compares every `mvn verify` with (docs/versioning.md).
#
#   scripts/record-api-baseline.sh <git-ref> [module ...]
#
# Builds the modules' jars from <git-ref> (a release tag, e.g. v0.1.0) in a temporary copy of that
# commit's tree (git archive: no worktree, nothing installed into ~/.m2) and writes
# <module>/src/api-baseline/baseline.jar and baseline.properties in this checkout. Without module
# names it records every module that already has a baseline. Commit the result together with the
# removal of the <exclude> lines of breaks the new baseline now contains.
set -euo pipefail
ref=${1:?usage: $0 <git-ref> [module ...]}
shift
root=$(git rev-parse --show-toplevel)
commit=$(git -C "$root" rev-parse "$ref^{commit}")
if [ $# -gt 0 ]; then
  modules=("$@")
else
  mapfile -t modules < <(cd "$root" && ls -d storage-*/src/api-baseline 2>/dev/null | cut -d/ -f1)
fi
[ ${#modules[@]} -gt 0 ] || { echo "no module given and none has src/api-baseline" >&2; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
git -C "$root" archive "$commit" | tar -x -C "$tmp"
list=$(IFS=,; echo "${modules[*]}")
(cd "$tmp" && mvn -B -ntp -q -pl "$list" -am package -DskipTests -Dmaven.javadoc.skip -Dmaven.source.skip -Djapicmp.skip)
for m in "${modules[@]}"; do
  version=$(cd "$tmp/$m" && mvn -B -ntp -q help:evaluate -Dexpression=project.version -DforceStdout 2>/dev/null || echo unknown)
  jar=$(ls "$tmp/$m/target/$m"-*.jar | grep -vE -- '-(sources|javadoc|tests)\.jar$' | head -1)
  mkdir -p "$root/$m/src/api-baseline"
  cp "$jar" "$root/$m/src/api-baseline/baseline.jar"
  cat > "$root/$m/src/api-baseline/baseline.properties" <<PROPS
# The public API this module is compared with in every \`mvn verify\` (japicmp, docs/versioning.md).
# baseline.jar is this module's jar built from the commit below by scripts/record-api-baseline.sh.
artifact=dev.polystore:$m
version=$version
ref=$ref
commit=$commit
recorded=$(date -u +%F)
PROPS
  echo "recorded $m from $ref ($commit)"
done
