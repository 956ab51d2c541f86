#!/usr/bin/env bash
# Builds the published jars twice from clean and compares them byte for byte (docs/versioning.md,
# "Reproducible builds"). Prints one line per differing jar and exits non-zero if any differ.
#
#   scripts/check-reproducible.sh            # every published module (about two `package` runs)
#
# Nothing is installed: both builds run `clean package` in this checkout; the first one's jars are
# kept in a temporary directory for the comparison.
set -euo pipefail
root=$(git rev-parse --show-toplevel)
cd "$root"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
build() {
  mvn -B -ntp -q clean package -DskipTests -Djapicmp.skip -pl '!storage-benchmarks,!storage-testkit-it,!storage-quickstart,!storage-architecture' "$@"
}
jars() {
  find . -path ./scripts -prune -o -path '*/target/*.jar' -print | grep -v '/src/' | sort
}
build
mkdir -p "$tmp/first"
jars | while read -r j; do mkdir -p "$tmp/first/$(dirname "$j")"; cp "$j" "$tmp/first/$j"; done
sleep 2   # a clock-dependent entry would now differ by at least a second
build
status=0
count=0
while read -r j; do
  count=$((count + 1))
  if ! cmp -s "$j" "$tmp/first/$j"; then
    echo "DIFFERS: $j"
    status=1
  fi
done < <(jars)
[ "$count" -gt 0 ] || { echo "no jars built" >&2; exit 1; }
if [ $status -eq 0 ]; then echo "reproducible: $count jars identical across two clean builds"; fi
exit $status
