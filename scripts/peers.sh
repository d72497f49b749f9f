#!/usr/bin/env bash
# Builds the real peers used by the end-to-end suite (etcd, kube-apiserver, spire-server,
# spire-agent and, with PEERS=all, the optional comparison peers) from the Go module proxy, or
# from source archives for the versions the proxy refuses, into a cache outside the repository.
# Already-built peers are reused after a stamp check (the archives are then not needed).
#
#   scripts/peers.sh            build or reuse the required peers
#   PEERS=all scripts/peers.sh  also the optional peers
#   scripts/peers.sh --print-dir   print the binary directory and exit
#
# Environment: PEERS_CACHE (default ${XDG_CACHE_HOME:-$HOME/.cache}/spire-registrar-peers);
# PEERS_SRC, the directory with the source archives (default <repo>/../shared/peers-src, else
# /work/shared/peers-src).
set -euo pipefail

# ---- version pins (the only thing to edit to move a peer) ---------------------------------
ETCD_VERSION=v3.6.16
KUBE_VERSIONS="v1.36.3 v1.34.4"          # first one the proxy serves wins
SPIRE_VERSIONS="v1.15.3 v1.13.3"
KUSTOMIZE_VERSIONS="v5.8.2 v5.8.1"       # renders knative/ overlays in the end-to-end suite
REGISTRAR_VERSION=v1.5.6                 # optional: reconcile and crd modes
KNATIVE_EVENTING_VERSION=v0.49.2         # apiserver_receive_adapter (optional), mtping (PingSource adapter)
# queue-proxy, the sidecar in front of every Knative Service. Not v0.51.0: the proxy refuses the
# pseudo-versions of knative.dev/pkg and knative.dev/networking it needs (403 "not available").
KNATIVE_SERVING_VERSION=v0.42.2
KWOK_VERSION=v0.8.0                      # simulated kubelets for the living cluster
# Optional, from source archives (the module proxy refuses these versions): `git archive` of the
# upstream tags, checked against these digests before anything is built.
SCM_VERSION=v0.6.6                       # spire-controller-manager
SCM_ARCHIVE=spire-controller-manager-v0.6.6.tar.gz
SCM_SHA256=3e9f078494bb25124c55bec4bddf04d3e2df837487ff146062e00c3003d59da5
LEGACY_VERSION=v0.11.1                   # the registrar (webhook mode) with its spire-server and agent
LEGACY_ARCHIVE=spire-v0.11.1.tar.gz
LEGACY_SHA256=9fa8171ae0eed7fe9742ff9e56c2d76c29e40129b0abe0cdf3976e3e966eaec2
GO_MIN=1.26.6
# --------------------------------------------------------------------------------------------

CACHE=${PEERS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/spire-registrar-peers}
BIN=$CACHE/bin
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# The builds run in child shells (see peer), which read these.
export CACHE BIN ETCD_VERSION KUBE_VERSIONS SPIRE_VERSIONS KUSTOMIZE_VERSIONS REGISTRAR_VERSION \
  SCM_VERSION SCM_SHA256 LEGACY_VERSION LEGACY_SHA256 KNATIVE_EVENTING_VERSION KNATIVE_SERVING_VERSION \
  KWOK_VERSION
if [[ ${1:-} == --print-dir ]]; then echo "$BIN"; exit 0; fi

export GOMODCACHE=$CACHE/gomod GOCACHE=$CACHE/gocache GOFLAGS=-modcacherw GOTOOLCHAIN=local
mkdir -p "$BIN" "$CACHE/src" "$CACHE/logs"

die() { echo "peers: $*" >&2; exit 1; }

command -v go >/dev/null || die "Go $GO_MIN or newer is required (go not found on PATH)"
go_version=$(go env GOVERSION | sed 's/^go//')
if [[ $(printf '%s\n%s\n' "$GO_MIN" "$go_version" | sort -V | head -1) != "$GO_MIN" ]]; then
  die "Go $GO_MIN or newer is required (found go$go_version)"
fi
command -v gcc >/dev/null || die "gcc is required: spire-server's sqlite datastore needs cgo (apt-get install gcc libc6-dev)"

# shellcheck source=progress.sh
source "$REPO/scripts/progress.sh"

# The required peers are built under .lock, the optional ones under .lock-optional: a demo waiting
# for the required peers need not wait while another run builds the optional ones.
exec 9>"$CACHE/.lock"
lock_with_progress 9 "$CACHE/.lock" "peers"

now() { date +%s; }
built=() reused=() failed=() unavailable=()

# stamp <name> <text>: what a binary was built from; a peer is reused when its stamp matches.
stamp_of() { printf '%s\ngo%s\n' "$2" "$go_version"; }
is_current() { # name stamp-text outputs... (paths under $CACHE: binaries, or directories)
  local name=$1 want=$2; shift 2
  [[ -f $BIN/$name.stamp && "$(cat "$BIN/$name.stamp")" == "$want" ]] || return 1
  local out; for out in "$@"; do [[ -x $CACHE/$out ]] || return 1; done
}

# find_archive <file>: the path of a source archive, from the first of these directories that
# has it; fails (printing where it looked) when none does.
find_archive() {
  local dirs=() dir
  [[ -n ${PEERS_SRC:-} ]] && dirs+=("$PEERS_SRC")
  dirs+=("$(dirname "$REPO")/shared/peers-src" /work/shared/peers-src)
  for dir in "${dirs[@]}"; do
    if [[ -f $dir/$1 ]]; then echo "$dir/$1"; return 0; fi
  done
  echo "no $1 in ${dirs[*]}"
  return 1
}
install_bin() { # tmp-file final-name: atomic move into place
  chmod +x "$1"; mv -f "$1" "$BIN/$2"
}
install_dir() { # tmp-dir final-path: replaces a directory (a rename each way, never half-written)
  rm -rf "$2.old"
  if [[ -e $2 ]]; then mv "$2" "$2.old"; fi
  mv "$1" "$2"
  rm -rf "$2.old"
}

# unpack <dir> <sha256>: a fresh source tree from $PEER_ARCHIVE, after checking its digest; prints its path
unpack() {
  local dir=$CACHE/src/$1 got
  got=$(sha256sum "$PEER_ARCHIVE" | cut -d' ' -f1)
  if [[ $got != "$2" ]]; then echo "$PEER_ARCHIVE: sha256 $got, expected $2" >&2; return 1; fi
  rm -rf "$dir"; mkdir -p "$dir"
  tar -xzf "$PEER_ARCHIVE" -C "$dir"
  echo "$dir"
}

# wrapper <dir>: a fresh wrapper module; prints its path
wrapper() {
  local dir=$CACHE/src/$1
  rm -rf "$dir"; mkdir -p "$dir"
  (cd "$dir" && go mod init "local.test/peers/$1" >/dev/null 2>&1)
  echo "$dir"
}

# peer <name> <function> <outputs...>: run a build step with timing, logging and reuse. Outputs
# are paths under $CACHE (bin/<binary>, or a directory). A peer built from a source archive
# (it defines <function>_archive) is "unavailable" when it is not cached and the archive is
# nowhere to be found; its build gets the archive's path in PEER_ARCHIVE.
peer() {
  local name=$1 fn=$2; shift 2
  local want; want=$(stamp_of "$name" "$("${fn}_pin")")
  if is_current "$name" "$want" "$@"; then reused+=("$name"); echo "peers: $name reused ($("${fn}_pin" | head -1))"; return 0; fi
  local archive=
  if declare -F "${fn}_archive" >/dev/null; then
    if ! archive=$(find_archive "$("${fn}_archive")"); then
      unavailable+=("$name ($archive)"); echo "peers: $name unavailable ($archive)" >&2
      return 1
    fi
  fi
  local log=$CACHE/logs/$name.log start; start=$(now)
  echo "peers: building $name ... (log: $log)"
  local rc=0 reason
  with_progress "peers: building $name" build_step || rc=$?
  if [[ $rc -eq 0 ]]; then
    printf '%s\n' "$want" >"$BIN/$name.stamp.tmp" && mv -f "$BIN/$name.stamp.tmp" "$BIN/$name.stamp"
    built+=("$name $(( $(now) - start ))s"); echo "peers: $name built in $(( $(now) - start ))s"
  elif [[ ${OPTIONAL:-} == 1 ]] && reason=$(grep -m1 -E "$CANNOT_BE_HAD" "$log"); then
    # an optional peer whose sources this machine cannot get is not a failure of the project
    unavailable+=("$name ($reason)"); echo "peers: $name unavailable: $reason (log: $log)" >&2
    return 1
  else
    failed+=("$name"); echo "peers: $name FAILED after $(( $(now) - start ))s; last lines of $log:" >&2
    tail -n 40 "$log" >&2
    return 1
  fi
}

# build_step: the build of peer()'s $fn in a new bash, its output in $log (progress lines go to
# the terminal). A new process keeps `set -e`: called from an `||` list, this shell would ignore
# errexit in the whole function, subshells included.
build_step() {
  PEER_ARCHIVE=$archive bash -euo pipefail -c \
    "$(declare -f wrapper install_bin install_dir unpack registrar_build kube_wrapper kube_build "$fn"); $fn" >"$log" 2>&1
}

# What in a build log means the sources cannot be had here (module proxy refusals, no network, a
# Go too old for the module), as opposed to a build that broke.
CANNOT_BE_HAD='not available|410 Gone|404 Not Found|dial tcp|no such host|connection refused|i/o timeout|TLS handshake timeout|proxyconnect|requires go >= '


# ---- etcd: a wrapper main around etcdmain (the module itself carries replaces) -------------
etcd_pin() { echo "etcd $ETCD_VERSION"; }
etcd() {
  local dir; dir=$(wrapper etcd); cd "$dir"
  printf 'package main\n\nimport (\n\t"os"\n\n\t"go.etcd.io/etcd/server/v3/etcdmain"\n)\n\nfunc main() { etcdmain.Main(os.Args) }\n' >main.go
  go get "go.etcd.io/etcd/server/v3@$ETCD_VERSION"
  go mod tidy
  CGO_ENABLED=0 go build -trimpath -ldflags '-s -w' -o "$BIN/.etcd.tmp" .
  install_bin "$BIN/.etcd.tmp" etcd
}

# ---- Kubernetes components: wrapper modules with the staging replaces generated from go.mod ----
# kube_wrapper <dir>: a wrapper module that can build k8s.io/kubernetes commands at the first
# served version of $KUBE_VERSIONS (printed as the last line).
kube_wrapper() {
  local dir v mod staging ok=
  dir=$(wrapper "$1"); cd "$dir"
  for v in $KUBE_VERSIONS; do
    if mod=$(go mod download -json "k8s.io/kubernetes@$v" | sed -n 's/^[[:space:]]*"GoMod": "\(.*\)",$/\1/p') && [[ -n $mod ]]; then ok=$v; break; fi
    echo "k8s.io/kubernetes@$v not served; trying the next pin" >&2
  done
  [[ -n $ok ]] || { echo "no k8s.io/kubernetes version of [$KUBE_VERSIONS] is served" >&2; return 1; }
  staging="v0.${ok#v1.}"
  for m in $(go mod edit -json "$mod" | sed -n 's#^[[:space:]]*"Path": "\(k8s\.io/[a-z0-9-]*\)"$#\1#p' | sort -u); do
    if grep -q "^[[:space:]]*$m => ./staging/" "$mod"; then go mod edit -replace="$m=$m@$staging"; fi
  done
  grep -c '=>' go.mod | sed 's/^/staging replaces: /' >&2
  echo "$ok"
}
# kube_build <version> <command>...: builds k8s.io/kubernetes/cmd/<command> into $BIN
kube_build() {
  local ok=$1 minor cmd; shift
  minor=$(echo "$ok" | cut -d. -f2)
  for cmd in "$@"; do go get -tool "k8s.io/kubernetes/cmd/$cmd@$ok"; done
  for cmd in "$@"; do
    CGO_ENABLED=0 go build -trimpath -ldflags "-s -w \
      -X k8s.io/component-base/version.gitVersion=$ok -X k8s.io/component-base/version.gitMajor=1 \
      -X k8s.io/component-base/version.gitMinor=$minor -X k8s.io/component-base/version.gitTreeState=clean \
      -X k8s.io/client-go/pkg/version.gitVersion=$ok" \
      -o "$BIN/.$cmd.tmp" "k8s.io/kubernetes/cmd/$cmd"
    install_bin "$BIN/.$cmd.tmp" "$cmd"
  done
}
kube_pin() { echo "kube-apiserver from $KUBE_VERSIONS"; }
kube() {
  local ok; ok=$(kube_wrapper kube | tail -1); cd "$CACHE/src/kube"
  kube_build "$ok" kube-apiserver
  echo "$ok" >"$BIN/kube-apiserver.version"
}
# kube-scheduler and kube-controller-manager, the same version as kube-apiserver: the living cluster
kubecp_pin() { echo "kube-scheduler and kube-controller-manager from $KUBE_VERSIONS"; }
kubecp() {
  local ok; ok=$(kube_wrapper kube-control-plane | tail -1); cd "$CACHE/src/kube-control-plane"
  kube_build "$ok" kube-scheduler kube-controller-manager
}

# ---- kwok: simulated kubelets (nodes, pods scheduled -> Running with IPs, graceful termination)
kwok_pin() { echo "kwok $KWOK_VERSION"; }
kwok() {
  local dir; dir=$(wrapper kwok); cd "$dir"
  go get -tool "sigs.k8s.io/kwok/cmd/kwok@$KWOK_VERSION"
  CGO_ENABLED=0 go build -trimpath -ldflags "-s -w" -o "$BIN/.kwok.tmp" sigs.k8s.io/kwok/cmd/kwok
  install_bin "$BIN/.kwok.tmp" kwok
}

# ---- Knative data plane: queue-proxy and the PingSource adapter ------------------------------
# Beside them (in $CACHE/knative-eventing) what mtping needs from the cluster: the PingSource CRD
# and the ConfigMaps it watches in its system namespace, from the same eventing release.
knative_pin() { echo "queue-proxy knative.dev/serving $KNATIVE_SERVING_VERSION, mtping knative.dev/eventing $KNATIVE_EVENTING_VERSION"; }
knative() {
  local dir; dir=$(wrapper knative-queue); cd "$dir"
  go get -tool "knative.dev/serving/cmd/queue@$KNATIVE_SERVING_VERSION"
  CGO_ENABLED=0 go build -trimpath -ldflags '-s -w' -o "$BIN/.queue-proxy.tmp" knative.dev/serving/cmd/queue
  dir=$(wrapper knative-mtping); cd "$dir"
  go get -tool "knative.dev/eventing/cmd/mtping@$KNATIVE_EVENTING_VERSION"
  CGO_ENABLED=0 go build -trimpath -ldflags '-s -w' -o "$BIN/.mtping.tmp" knative.dev/eventing/cmd/mtping
  local config; config=$(go list -m -f '{{.Dir}}' "knative.dev/eventing@$KNATIVE_EVENTING_VERSION")/config/core
  rm -rf "$CACHE/.knative-eventing.tmp"; mkdir "$CACHE/.knative-eventing.tmp"
  cp "$config/resources/pingsource.yaml" "$config/configmaps/logging.yaml" "$config/configmaps/observability.yaml" \
    "$CACHE/.knative-eventing.tmp/"
  install_bin "$BIN/.queue-proxy.tmp" queue-proxy
  install_bin "$BIN/.mtping.tmp" mtping
  install_dir "$CACHE/.knative-eventing.tmp" "$CACHE/knative-eventing"
}

# ---- spire-server and spire-agent (cgo for sqlite) -----------------------------------------
spire_pin() { echo "spire from $SPIRE_VERSIONS (gittag without v)"; }
spire() {
  local dir v ok=
  dir=$(wrapper spire); cd "$dir"
  for v in $SPIRE_VERSIONS; do
    if go get -tool "github.com/spiffe/spire/cmd/spire-server@$v" "github.com/spiffe/spire/cmd/spire-agent@$v"; then ok=$v; break; fi
    echo "github.com/spiffe/spire@$v not served; trying the next pin"
  done
  [[ -n $ok ]] || { echo "no github.com/spiffe/spire version of [$SPIRE_VERSIONS] is served"; return 1; }
  mkdir -p .out
  # SPIRE parses its own version as semver without the "v" (its Makefile strips it too).
  CGO_ENABLED=1 go build -trimpath -ldflags "-s -w -X github.com/spiffe/spire/pkg/common/version.gittag=${ok#v}" \
    -o .out/ github.com/spiffe/spire/cmd/spire-server github.com/spiffe/spire/cmd/spire-agent
  install_bin .out/spire-server spire-server
  install_bin .out/spire-agent spire-agent
  echo "$ok" >"$BIN/spire.version"
}

# ---- kustomize (renders the knative/ overlays, as `kubectl kustomize` does) ----------------
kustomize_pin() { echo "kustomize from $KUSTOMIZE_VERSIONS"; }
kustomize() {
  local dir v ok=
  dir=$(wrapper kustomize); cd "$dir"
  for v in $KUSTOMIZE_VERSIONS; do
    if go get -tool "sigs.k8s.io/kustomize/kustomize/v5@$v"; then ok=$v; break; fi
    echo "sigs.k8s.io/kustomize/kustomize/v5@$v not usable here; trying the next pin"
  done
  [[ -n $ok ]] || { echo "no kustomize version of [$KUSTOMIZE_VERSIONS] is usable"; return 1; }
  CGO_ENABLED=0 go build -trimpath -ldflags '-s -w' -o "$BIN/.kustomize.tmp" sigs.k8s.io/kustomize/kustomize/v5
  install_bin "$BIN/.kustomize.tmp" kustomize
}

# ---- optional peers ------------------------------------------------------------------------
registrar_build() { # version output-name
  local dir; dir=$(wrapper "registrar-$1"); cd "$dir"
  go get -tool "github.com/spiffe/spire/support/k8s/k8s-workload-registrar@$1"
  if ! go build -trimpath -o "$BIN/.$2.tmp" github.com/spiffe/spire/support/k8s/k8s-workload-registrar 2>build.err; then
    cat build.err
    grep -q linkname build.err || return 1
    echo "retrying with -checklinkname=0"
    go build -trimpath -ldflags=-checklinkname=0 -o "$BIN/.$2.tmp" github.com/spiffe/spire/support/k8s/k8s-workload-registrar
  fi
  install_bin "$BIN/.$2.tmp" "$2"
}
registrar_pin() { echo "k8s-workload-registrar $REGISTRAR_VERSION"; }
registrar() { registrar_build "$REGISTRAR_VERSION" k8s-workload-registrar; }

# spire-controller-manager, and its CRDs (in $CACHE/scm-crds) for the tests to apply
scm_pin() { echo "spire-controller-manager $SCM_VERSION from source sha256 $SCM_SHA256"; }
scm_archive() { echo "$SCM_ARCHIVE"; }
scm() {
  local dir; dir=$(unpack scm "$SCM_SHA256"); cd "$dir"
  GOFLAGS="$GOFLAGS -mod=mod" CGO_ENABLED=0 go build -trimpath -ldflags '-s -w' -o "$BIN/.scm.tmp" ./cmd
  rm -rf "$CACHE/.scm-crds.tmp"; mkdir "$CACHE/.scm-crds.tmp"
  cp config/crd/bases/*.yaml "$CACHE/.scm-crds.tmp/"
  install_bin "$BIN/.scm.tmp" spire-controller-manager
  install_dir "$CACHE/.scm-crds.tmp" "$CACHE/scm-crds"
}

# The seed's own registrar v0.11.1 (webhook mode speaks SPIRE's legacy Registration API, which
# only the server of the same release serves), with that spire-server and spire-agent.
legacy_pin() { echo "spire $LEGACY_VERSION (registrar, server, agent) from source sha256 $LEGACY_SHA256"; }
legacy_archive() { echo "$LEGACY_ARCHIVE"; }
legacy() {
  local dir; dir=$(unpack spire-legacy "$LEGACY_SHA256"); cd "$dir"
  # -checklinkname=0: its old golang.org/x dependencies use linknames Go 1.23+ refuses by default
  local flags="-s -w -checklinkname=0 -X github.com/spiffe/spire/pkg/common/version.gittag=${LEGACY_VERSION#v}"
  mkdir -p .out
  GOFLAGS="$GOFLAGS -mod=mod" go build -trimpath -ldflags "$flags" -o .out/ ./support/k8s/k8s-workload-registrar
  GOFLAGS="$GOFLAGS -mod=mod" CGO_ENABLED=1 go build -trimpath -ldflags "$flags" -o .out/ ./cmd/spire-server ./cmd/spire-agent
  install_bin .out/k8s-workload-registrar "k8s-workload-registrar-$LEGACY_VERSION"
  install_bin .out/spire-server "spire-server-$LEGACY_VERSION"
  install_bin .out/spire-agent "spire-agent-$LEGACY_VERSION"
}

adapter_pin() { echo "knative.dev/eventing $KNATIVE_EVENTING_VERSION"; }
adapter() {
  local dir; dir=$(wrapper adapter); cd "$dir"
  go get -tool "knative.dev/eventing/cmd/apiserver_receive_adapter@$KNATIVE_EVENTING_VERSION"
  CGO_ENABLED=0 go build -trimpath -ldflags '-s -w' -o "$BIN/.adapter.tmp" knative.dev/eventing/cmd/apiserver_receive_adapter
  install_bin "$BIN/.adapter.tmp" apiserver_receive_adapter
}

# ---- main ----------------------------------------------------------------------------------
total_start=$(now)
echo "peers: cache $CACHE (go$go_version)"
status=0
peer etcd etcd bin/etcd || status=1
peer spire spire bin/spire-server bin/spire-agent || status=1
peer kube-apiserver kube bin/kube-apiserver || status=1
peer kustomize kustomize bin/kustomize || status=1
peer kube-control-plane kubecp bin/kube-scheduler bin/kube-controller-manager || status=1
peer kwok kwok bin/kwok || status=1
peer knative-data-plane knative bin/queue-proxy bin/mtping knative-eventing || status=1
flock -u 9
if [[ ${PEERS:-} == all ]]; then
  exec 8>"$CACHE/.lock-optional"
  lock_with_progress 8 "$CACHE/.lock-optional" "peers (optional)"
  # optional peers: a failure is reported, not fatal; sources that cannot be had are "unavailable"
  OPTIONAL=1
  peer registrar registrar bin/k8s-workload-registrar || true
  peer spire-controller-manager scm bin/spire-controller-manager scm-crds || true
  peer spire-legacy legacy "bin/k8s-workload-registrar-$LEGACY_VERSION" "bin/spire-server-$LEGACY_VERSION" \
    "bin/spire-agent-$LEGACY_VERSION" || true
  peer apiserver-receive-adapter adapter bin/apiserver_receive_adapter || true
fi

echo "peers: done in $(( $(now) - total_start ))s; built: ${built[*]:-none}; reused: ${reused[*]:-none}; failed: ${failed[*]:-none}"
if [[ ${#unavailable[@]} -gt 0 ]]; then printf 'peers: unavailable: %s\n' "${unavailable[@]}"; fi
echo "peers: binaries in $BIN"
exit $status
