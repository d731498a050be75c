#!/usr/bin/env bash
# Prints the path of a helm binary, building it first when it is missing. HELM_BIN, when it names an
# executable, is used as is. helm is built from its Go module (hack/tools/helm/go.mod, version in
# hack/versions.env) into ${ENGULA_CACHE_DIR:-~/.cache/engula-operator}/helm-<version>/, never into
# the repo, the way hack/testenv-bins.sh builds the control plane. Progress goes to stderr; the
# path is the only thing on stdout.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=versions.env
. "$here/versions.env"
log() { printf '[helm-bin %s] %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }

if [ -n "${HELM_BIN:-}" ] && [ -x "$HELM_BIN" ]; then echo "$HELM_BIN"; exit 0; fi

cache_root=${ENGULA_CACHE_DIR:-$HOME/.cache/engula-operator}
out="$cache_root/helm-$HELM_VERSION/helm"
if [ -x "$out" ]; then echo "$out"; exit 0; fi

command -v go >/dev/null || { log "go is not on PATH: helm is built from its Go module"; exit 1; }
grep -Eq "helm.sh/helm/v4 $HELM_VERSION( |$)" "$here/tools/helm/go.mod" || {
  log "hack/tools/helm/go.mod does not require 'helm.sh/helm/v4 $HELM_VERSION' (hack/versions.env); update one to match the other"; exit 1; }

export GOTOOLCHAIN=local CGO_ENABLED=0 GOFLAGS=-mod=mod
mkdir -p "$cache_root"
exec 9>"$cache_root/build-helm.lock"
flock 9
if [ -x "$out" ]; then echo "$out"; exit 0; fi

stage_dir=$(mktemp -d "$cache_root/.build-helm-XXXXXX")
trap 'rm -rf "$stage_dir"' EXIT
started=$(date +%s)
pkg=helm.sh/helm/v4/cmd/helm
total=$(cd "$here/tools/helm" && go list -deps "$pkg" | grep -cvx unsafe)
log "building helm $HELM_VERSION: $total packages, less those already in Go's build cache"
(cd "$here/tools/helm" && go build -v -trimpath -ldflags "-s -w -X helm.sh/helm/v4/internal/version.version=$HELM_VERSION" -o "$stage_dir/helm" "$pkg" 2>&1) |
  awk -v total="$total" '
    /^(go: |#|.*\.go:[0-9]+)/ { print > "/dev/stderr"; next }
    { n++; if (n % 100 == 0) { printf("[helm-bin] %d/%d packages compiled\n", n, total) > "/dev/stderr"; fflush("/dev/stderr") } }
    END { printf("[helm-bin] %d/%d packages compiled (%d found in Go'"'"'s build cache)\n", n, total, total - n) > "/dev/stderr" }'
rc=${PIPESTATUS[0]}
[ "$rc" -eq 0 ] || { log "building helm failed (exit $rc)"; exit "$rc"; }
"$stage_dir/helm" version >&2
mkdir -p "$(dirname "$out")"
mv "$stage_dir/helm" "$out"
log "helm built in $(( $(date +%s) - started ))s: $out"
echo "$out"
