#!/usr/bin/env bash
# Builds the real peers used by the end-to-end suite (etcd, kube-apiserver, spire-server,
# spire-agent and, with PEERS=all, the optional comparison peers) from the Go module proxy
# into a cache outside the repository. Already-built peers are reused after a stamp check.
#
#   scripts/peers.sh            build or reuse the required peers
#   PEERS=all scripts/peers.sh  also the optional peers
#   scripts/peers.sh --print-dir   print the binary directory and exit
#
# Environment: PEERS_CACHE (default ${XDG_CACHE_HOME:-$HOME/.cache}/spire-registrar-peers).
set -euo pipefail

# ---- version pins (the only thing to edit to move a peer) ---------------------------------
ETCD_VERSION=v3.6.16
KUBE_VERSIONS="v1.36.3 v1.34.4"          # first one the proxy serves wins
SPIRE_VERSIONS="v1.15.3 v1.13.3"
KUSTOMIZE_VERSIONS="v5.8.2 v5.8.1"       # renders knative/ overlays in the end-to-end suite
REGISTRAR_VERSION=v1.5.6                 # optional: reconcile and crd modes
REGISTRAR_WEBHOOK_VERSION=v1.3.6         # optional: webhook mode
SCM_VERSION=v0.6.6                       # optional: spire-controller-manager
KNATIVE_EVENTING_VERSION=v0.49.2         # optional: apiserver_receive_adapter
GO_MIN=1.26.6
# --------------------------------------------------------------------------------------------

CACHE=${PEERS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/spire-registrar-peers}
BIN=$CACHE/bin
# The builds run in child shells (see peer), which read these.
export CACHE BIN ETCD_VERSION KUBE_VERSIONS SPIRE_VERSIONS KUSTOMIZE_VERSIONS REGISTRAR_VERSION \
  REGISTRAR_WEBHOOK_VERSION SCM_VERSION KNATIVE_EVENTING_VERSION
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

exec 9>"$CACHE/.lock"
if ! flock -n 9; then
  echo "peers: another build holds $CACHE/.lock; waiting" >&2
  flock 9
fi

now() { date +%s; }
built=() reused=() failed=()

# stamp <name> <text>: what a binary was built from; a peer is reused when its stamp matches.
stamp_of() { printf '%s\ngo%s\n' "$2" "$go_version"; }
is_current() { # name stamp-text binaries...
  local name=$1 want=$2; shift 2
  [[ -f $BIN/$name.stamp && "$(cat "$BIN/$name.stamp")" == "$want" ]] || return 1
  local b; for b in "$@"; do [[ -x $BIN/$b ]] || return 1; done
}
install_bin() { # tmp-file final-name: atomic move into place
  chmod +x "$1"; mv -f "$1" "$BIN/$2"
}

# wrapper <dir>: a fresh wrapper module; prints its path
wrapper() {
  local dir=$CACHE/src/$1
  rm -rf "$dir"; mkdir -p "$dir"
  (cd "$dir" && go mod init "local.test/peers/$1" >/dev/null 2>&1)
  echo "$dir"
}

# peer <name> <function> <binaries...>: run a build step with timing, logging and reuse
peer() {
  local name=$1 fn=$2; shift 2
  local want; want=$(stamp_of "$name" "$("${fn}_pin")")
  if is_current "$name" "$want" "$@"; then reused+=("$name"); echo "peers: $name reused ($("${fn}_pin" | head -1))"; return 0; fi
  local log=$CACHE/logs/$name.log start; start=$(now)
  echo "peers: building $name ... (log: $log)"
  # The build runs in a new bash: called from an `||` list, this shell ignores errexit in the whole
  # function (subshells included), so a failed step would go on; a new process keeps `set -e`.
  local rc=0
  bash -euo pipefail -c "$(declare -f wrapper install_bin registrar_build "$fn"); $fn" >"$log" 2>&1 || rc=$?
  if [[ $rc -eq 0 ]]; then
    printf '%s\n' "$want" >"$BIN/$name.stamp.tmp" && mv -f "$BIN/$name.stamp.tmp" "$BIN/$name.stamp"
    built+=("$name $(( $(now) - start ))s"); echo "peers: $name built in $(( $(now) - start ))s"
  else
    failed+=("$name"); echo "peers: $name FAILED after $(( $(now) - start ))s; last lines of $log:" >&2
    tail -n 40 "$log" >&2
    return 1
  fi
}

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

# ---- kube-apiserver: wrapper module with the staging replaces generated from go.mod --------
kube_pin() { echo "kube-apiserver from $KUBE_VERSIONS"; }
kube() {
  local dir v mod staging minor ok=
  dir=$(wrapper kube); cd "$dir"
  for v in $KUBE_VERSIONS; do
    if mod=$(go mod download -json "k8s.io/kubernetes@$v" | sed -n 's/^[[:space:]]*"GoMod": "\(.*\)",$/\1/p') && [[ -n $mod ]]; then ok=$v; break; fi
    echo "k8s.io/kubernetes@$v not served; trying the next pin"
  done
  [[ -n $ok ]] || { echo "no k8s.io/kubernetes version of [$KUBE_VERSIONS] is served"; return 1; }
  staging="v0.${ok#v1.}"
  for m in $(go mod edit -json "$mod" | sed -n 's#^[[:space:]]*"Path": "\(k8s\.io/[a-z0-9-]*\)"$#\1#p' | sort -u); do
    if grep -q "^[[:space:]]*$m => ./staging/" "$mod"; then go mod edit -replace="$m=$m@$staging"; fi
  done
  grep -c '=>' go.mod | sed 's/^/staging replaces: /'
  go get -tool "k8s.io/kubernetes/cmd/kube-apiserver@$ok"
  minor=$(echo "$ok" | cut -d. -f2)
  CGO_ENABLED=0 go build -trimpath -ldflags "-s -w \
    -X k8s.io/component-base/version.gitVersion=$ok -X k8s.io/component-base/version.gitMajor=1 \
    -X k8s.io/component-base/version.gitMinor=$minor -X k8s.io/component-base/version.gitTreeState=clean \
    -X k8s.io/client-go/pkg/version.gitVersion=$ok" \
    -o "$BIN/.kube-apiserver.tmp" k8s.io/kubernetes/cmd/kube-apiserver
  install_bin "$BIN/.kube-apiserver.tmp" kube-apiserver
  echo "$ok" >"$BIN/kube-apiserver.version"
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
registrar_webhook_pin() { echo "k8s-workload-registrar $REGISTRAR_WEBHOOK_VERSION"; }
registrar_webhook() { registrar_build "$REGISTRAR_WEBHOOK_VERSION" k8s-workload-registrar-webhook; }

scm_pin() { echo "spire-controller-manager $SCM_VERSION"; }
scm() {
  local dir; dir=$(wrapper scm); cd "$dir"
  go get -tool "github.com/spiffe/spire-controller-manager/cmd@$SCM_VERSION"
  CGO_ENABLED=0 go build -trimpath -ldflags '-s -w' -o "$BIN/.scm.tmp" github.com/spiffe/spire-controller-manager/cmd
  install_bin "$BIN/.scm.tmp" spire-controller-manager
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
peer etcd etcd etcd || status=1
peer spire spire spire-server spire-agent || status=1
peer kube-apiserver kube kube-apiserver || status=1
peer kustomize kustomize kustomize || status=1
if [[ ${PEERS:-} == all ]]; then
  # optional peers: a failure is reported, not fatal
  peer registrar registrar k8s-workload-registrar || true
  peer registrar-webhook registrar_webhook k8s-workload-registrar-webhook || true
  peer spire-controller-manager scm spire-controller-manager || true
  peer apiserver-receive-adapter adapter apiserver_receive_adapter || true
fi

echo "peers: done in $(( $(now) - total_start ))s; built: ${built[*]:-none}; reused: ${reused[*]:-none}; failed: ${failed[*]:-none}"
echo "peers: binaries in $BIN"
exit $status
