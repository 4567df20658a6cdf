#!/usr/bin/env bash
# Shared steps of our C module builds (sourced by wasm/<module>/build.sh):
#
#   ensure_packages NAME PKG...     apt-get installs the PKGs that are missing (needs root, or
#                                   sudo; Debian's apt). NAME only labels the message.
#   debian_source WORK SPEC DSC DSC_SHA256 DEST [SUITE]
#                                   fetches the Debian source package SPEC (`name=version`)
#                                   with `apt-get source --download-only` into WORK/src through
#                                   a private deb-src list for SUITE (default trixie; the URI and keyring of the
#                                   machine's own Debian entry, read from its deb822 sources;
#                                   nothing system-wide changes), checks the .dsc DSC against its
#                                   pinned sha256, and unpacks it into DEST (recreated) with
#                                   dpkg-source, which checks every tarball against the .dsc and
#                                   applies Debian's patches.
#   debian_fetch WORK SPEC [SUITE]  the download step alone: `apt-get source --download-only
#                                   SPEC` into WORK/src through that private list (for a
#                                   package whose .dsc the mirror no longer serves: the caller
#                                   checks the tarballs itself).
#   debian_deb WORK SPEC DEB DEB_SHA256 [SUITE]
#                                   fetches the binary package SPEC (`name=version`) with
#                                   `apt-get download` into WORK/debs through a private `deb` list
#                                   for SUITE (default sid; same URI and keyring; apt checks it
#                                   against the signed index), checks the file DEB against its
#                                   pinned sha256 and unpacks it into WORK/debs/root (for Rust
#                                   crates Debian ships only as librust-*-dev in newer suites).
#   install_wasi_module NAME BUILT OUT [IMPORTS]
#                                   validates the built module BUILT, checks that its only
#                                   imports are the three WASI stdio calls libc keeps linked
#                                   (never called; the host stubs them), or exactly the WASI
#                                   calls named in IMPORTS (space-separated, sorted; a name
#                                   with a dot is `module.name`, e.g. env.x), copies it
#                                   to OUT and prints its size and sha256. NAME labels the error.

ensure_packages() {
  local name=$1
  shift
  local missing=() p
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
  done
  ((${#missing[@]})) || return 0
  echo "$name: installing ${missing[*]}" >&2
  local sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "$@"
}

debian_source() {
  local work=$1 spec=$2 dsc=$3 dsc_sha256=$4 dest=$5 suite=${6:-trixie}
  [ -f "$work/src/$dsc" ] || debian_fetch "$work" "$spec" "$suite"
  echo "$dsc_sha256  $work/src/$dsc" | sha256sum -c -
  rm -rf "$(dirname "$dest")"
  mkdir -p "$(dirname "$dest")"
  dpkg-source --require-strong-checksums --no-copy -x "$work/src/$dsc" "$dest" >/dev/null
}

debian_fetch() {
  local work=$1 spec=$2 suite=${3:-trixie}
  local apt="$work/apt"
  mkdir -p "$work/src"
  debian_list "$apt" deb-src "$suite" || return 1
  local o=(-o "Dir::Etc::SourceList=$apt/src.sources" -o Dir::Etc::SourceParts=/dev/null
    -o "Dir::State::Lists=$apt/lists")
  apt-get "${o[@]}" update
  (cd "$work/src" && apt-get "${o[@]}" source --download-only "$spec")
}

debian_deb() {
  local work=$1 spec=$2 deb=$3 deb_sha256=$4 suite=${5:-sid}
  local apt="$work/apt-deb" dir="$work/debs"
  mkdir -p "$dir"
  if [ ! -f "$dir/$deb" ]; then
    debian_list "$apt" deb "$suite" || return 1
    local o=(-o "Dir::Etc::SourceList=$apt/src.sources" -o Dir::Etc::SourceParts=/dev/null
      -o "Dir::State::Lists=$apt/lists" -o "Dir::Cache=$apt/cache")
    mkdir -p "$apt/cache"
    apt-get "${o[@]}" update
    (cd "$dir" && apt-get "${o[@]}" download "$spec")
  fi
  echo "$deb_sha256  $dir/$deb" | sha256sum -c -
  dpkg-deb -x "$dir/$deb" "$dir/root"
}

# debian_list DIR TYPE SUITE: a private sources list DIR/src.sources of TYPE (deb, deb-src).
debian_list() {
  local apt=$1 type=$2 suite=$3
  mkdir -p "$apt/lists/partial"
  local uri keyring
  read -r uri keyring < <(
    awk 'BEGIN { RS = ""; FS = "\n" }
      /Types:[^\n]*deb/ {
        uri = ""; key = "";
        for (i = 1; i <= NF; i++) {
          if ($i ~ /^URIs:/) { split($i, a, /[ \t]+/); uri = a[2] }
          if ($i ~ /^Signed-By:/) { split($i, a, /[ \t]+/); key = a[2] }
        }
        if (uri ~ /\/debian\/?$/ && key != "") { print uri, key; exit }
      }' /etc/apt/sources.list.d/*.sources 2>/dev/null || true
  )
  if [ -z "${uri:-}" ] || [ -z "${keyring:-}" ]; then
    echo "no Debian entry (URIs + Signed-By) in /etc/apt/sources.list.d/*.sources" >&2
    return 1
  fi
  printf 'Types: %s\nURIs: %s\nSuites: %s\nComponents: main\nSigned-By: %s\n' \
    "$type" "$uri" "$suite" "$keyring" >"$apt/src.sources"
}

install_wasi_module() {
  local name=$1 built=$2 out=$3 allowed=${4:-fd_close fd_seek fd_write} imports expected="" f
  wasm-validate "$built"
  imports="$(wasm-objdump -x -j Import "$built" | grep -o '<- [a-z_0-9.]*' | sort | tr '\n' ' ')"
  for f in $allowed; do
    case $f in
      *.*) expected+="<- $f " ;;
      *) expected+="<- wasi_snapshot_preview1.$f " ;;
    esac
  done
  if [ "$imports" != "$expected" ]; then
    echo "$name/build.sh: unexpected imports: $imports" >&2
    return 1
  fi
  cp "$built" "$out"
  echo "$(wc -c <"$out") bytes  $(cd "$(dirname "$out")" && sha256sum "$(basename "$out")")"
}
