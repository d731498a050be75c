#!/usr/bin/env bash
# Prints the folder that holds the local control plane's binaries, building them first when
# they are missing. Honors KUBEBUILDER_ASSETS (the envtest convention): when it names a folder
# that holds every binary, that folder is used and nothing is built.
#
# Binaries are built from their Go modules (hack/tools/*/go.mod, versions in hack/versions.env)
# into ${ENGULA_CACHE_DIR:-~/.cache/engula-operator}/bin-<versions>/, never into the repo.
# Progress goes to stderr; the folder is the only thing on stdout.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=versions.env
. "$here/versions.env"

binaries=(etcd kube-apiserver kube-controller-manager kube-scheduler kubectl kwok)
stages=kwok-stages.yaml

log() { printf '[testenv-bins %s] %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }

has_all() {
  local dir=$1
  for b in "${binaries[@]}"; do [ -x "$dir/$b" ] || return 1; done
  [ -f "$dir/$stages" ]
}

if [ -n "${KUBEBUILDER_ASSETS:-}" ]; then
  if has_all "$KUBEBUILDER_ASSETS"; then
    log "using KUBEBUILDER_ASSETS=$KUBEBUILDER_ASSETS"
    echo "$KUBEBUILDER_ASSETS"
    exit 0
  fi
  log "KUBEBUILDER_ASSETS=$KUBEBUILDER_ASSETS lacks some of: ${binaries[*]} $stages; building instead"
fi

cache_root=${ENGULA_CACHE_DIR:-$HOME/.cache/engula-operator}
out="$cache_root/bin-k8s-$K8S_VERSION-etcd-$ETCD_VERSION-kwok-$KWOK_VERSION"
if has_all "$out"; then
  echo "$out"
  exit 0
fi

command -v go >/dev/null || { log "go is not on PATH: the control plane is built from Go modules"; exit 1; }
for pair in "k8s:k8s.io/kubernetes $K8S_VERSION" "etcd:go.etcd.io/etcd/server/v3 $ETCD_VERSION" "kwok:sigs.k8s.io/kwok $KWOK_VERSION"; do
  dir=${pair%%:*}; want=${pair#*:}
  grep -Eq "^(require )?[[:space:]]*$want( |$)" "$here/tools/$dir/go.mod" || {
    log "hack/tools/$dir/go.mod does not require '$want' (hack/versions.env); update one to match the other"; exit 1; }
done

export GOTOOLCHAIN=local CGO_ENABLED=0 GOFLAGS=-mod=mod
mkdir -p "$cache_root"
# One builder at a time: a second caller waits for the first instead of building twice.
exec 9>"$cache_root/build.lock"
flock 9
if has_all "$out"; then echo "$out"; exit 0; fi

stage_dir=$(mktemp -d "$cache_root/.build-XXXXXX")
trap 'rm -rf "$stage_dir"' EXIT
started=$(date +%s)

# go build -v names each package as it compiles it (packages found in Go's build cache are not
# named); counting them against `go list -deps` of the same targets is the progress report.
# build NAME MODULE_DIR TAGS LDFLAGS OUT PACKAGE...
build() {
  local name=$1 moddir=$2 tags=$3 ldflags=$4 output=$5; shift 5
  local total
  # "unsafe" is listed but never compiled.
  total=$(cd "$here/tools/$moddir" && go list -deps -tags="$tags" "$@" | grep -cvx unsafe)
  log "building $name (from $moddir): $total packages, less those already in Go's build cache"
  (cd "$here/tools/$moddir" && go build -v -trimpath -tags="$tags" -ldflags "$ldflags" -o "$output" "$@" 2>&1) |
    awk -v name="$name" -v total="$total" '
      /^(go: |#|.*\.go:[0-9]+)/ { print > "/dev/stderr"; next }
      { n++; if (n % 100 == 0) { printf("[testenv-bins] %s: %d/%d packages compiled\n", name, n, total) > "/dev/stderr"; fflush("/dev/stderr") } }
      END { printf("[testenv-bins] %s: %d/%d packages compiled (%d found in Go'"'"'s build cache)\n", name, n, total, total - n) > "/dev/stderr" }'
  local rc=${PIPESTATUS[0]}
  [ "$rc" -eq 0 ] || { log "building $name failed (exit $rc)"; exit "$rc"; }
  log "$name done after $(( $(date +%s) - started ))s"
}

build etcd etcd "" "-s -w" "$stage_dir/etcd" go.etcd.io/etcd/server/v3
build kwok kwok "" "-s -w" "$stage_dir/kwok" sigs.k8s.io/kwok/cmd/kwok

minor=${K8S_VERSION#v1.}; minor=${minor%%.*}
ldflags="-s -w"
for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
  ldflags+=" -X $pkg.gitVersion=$K8S_VERSION -X $pkg.gitMajor=1 -X $pkg.gitMinor=$minor -X $pkg.gitTreeState=clean"
done
build "kube-apiserver, kube-controller-manager, kube-scheduler, kubectl" k8s notest,grpcnotrace "$ldflags" "$stage_dir/" \
  k8s.io/kubernetes/cmd/kube-apiserver k8s.io/kubernetes/cmd/kube-controller-manager \
  k8s.io/kubernetes/cmd/kube-scheduler k8s.io/kubernetes/cmd/kubectl

# kwok run standalone has no built-in stages; these are the ones kwokctl loads, from kwok's module.
kwok_dir=$(cd "$here/tools/kwok" && go list -m -f '{{.Dir}}' sigs.k8s.io/kwok)
s=$kwok_dir/kustomize/stage
{ cat "$s/node/fast/node-initialize.yaml"; echo ---
  cat "$s/node/heartbeat-with-lease/node-heartbeat-with-lease.yaml"; echo ---
  cat "$s/pod/fast/pod-ready.yaml"; echo ---
  cat "$s/pod/fast/pod-complete.yaml"; echo ---
  cat "$s/pod/fast/pod-delete.yaml"; } > "$stage_dir/$stages"

"$stage_dir/etcd" --version | head -1 >&2
"$stage_dir/kube-apiserver" --version >&2
rm -rf "$out"
mv "$stage_dir" "$out"
trap - EXIT
log "all binaries built in $(( $(date +%s) - started ))s into $out"
echo "$out"
