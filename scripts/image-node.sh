#!/bin/sh
# The `node-dist` stage of the Dockerfile. When the base image has no node: fetch the
# official linux build of NODE_VERSION from the npm registry (package
# node-linux-<arch>: bin/node and include/node) and npm NPM_VERSION, each checked
# against its pinned sha512 (base64, as `npm view <pkg>@<version> dist.integrity`
# prints it), and lay them out as /opt/node-root (bin/node, lib/node_modules/npm,
# bin/npm, bin/npx) and /opt/node-headers (include/node, for node-gyp), which the
# next stages copy into /usr/local. A base that has node (the official node image)
# gets both folders empty.
# EXTRA_CA_CERTS (PEM) is trusted first: a TLS-inspecting proxy's CA. It is kept in
# /opt/node-root/share/ca-certificates, so every later stage trusts it too.
set -eu
mkdir -p /opt/node-root /opt/node-headers
if [ -n "${EXTRA_CA_CERTS:-}" ]; then
  apt-get update
  apt-get install -y --no-install-recommends ca-certificates
  mkdir -p /usr/local/share/ca-certificates /opt/node-root/share/ca-certificates
  printf '%s\n' "$EXTRA_CA_CERTS" >/opt/node-root/share/ca-certificates/otto-extra.crt
  cp /opt/node-root/share/ca-certificates/otto-extra.crt /usr/local/share/ca-certificates/
  update-ca-certificates
fi
if command -v node >/dev/null 2>&1; then
  echo "image-node: the base has node $(node --version)"
  exit 0
fi
case "$(uname -m)" in
  x86_64) arch=x64 ;;
  aarch64) arch=arm64 ;;
  *) echo "image-node: no node-linux package for $(uname -m)" >&2; exit 1 ;;
esac
registry="${NPM_REGISTRY:-https://registry.npmjs.org}"
apt-get update
apt-get install -y --no-install-recommends curl ca-certificates
tmp="$(mktemp -d)"
fetch() { # package version sha512(base64) -> $tmp/<package>.tgz, checked
  curl -fsSL --retry 3 "$registry/$1/-/$1-$2.tgz" -o "$tmp/$1.tgz"
  want="$(printf '%s' "$3" | base64 -d | od -An -v -tx1 | tr -d ' \n')"
  got="$(sha512sum "$tmp/$1.tgz" | cut -d' ' -f1)"
  if [ "$want" != "$got" ]; then
    echo "image-node: $1@$2 does not match its pinned sha512" >&2
    exit 1
  fi
}
fetch "node-linux-$arch" "$NODE_VERSION" "$NODE_SHA512"
fetch npm "$NPM_VERSION" "$NPM_SHA512"
tar -xzf "$tmp/node-linux-$arch.tgz" -C /opt/node-root --strip-components=1 --no-same-owner package/bin
tar -xzf "$tmp/node-linux-$arch.tgz" -C /opt/node-headers --strip-components=1 --no-same-owner package/include
mkdir -p /opt/node-root/lib/node_modules/npm
tar -xzf "$tmp/npm.tgz" -C /opt/node-root/lib/node_modules/npm --strip-components=1 --no-same-owner
ln -s ../lib/node_modules/npm/bin/npm-cli.js /opt/node-root/bin/npm
ln -s ../lib/node_modules/npm/bin/npx-cli.js /opt/node-root/bin/npx
rm -rf "$tmp"
echo "image-node: node $NODE_VERSION and npm $NPM_VERSION in /opt/node-root"
