# Otto's runtime image: multi-stage, non-root, `otto start` as the command.
# Build: docker build -t otto .   Run: docker run -v $PWD/otto.yml:/app/otto.yml -v otto-data:/app/.otto otto

# Base: Node 26, the Active LTS line since 2026-10-28 (Node 20 reached end of life on
# 2026-04-30), on Debian 12 bookworm slim like CI. 26.12.1 is the 2026-10-21 security
# release, the version scripts/ensure-node.sh gives CI.
# NOT YET PINNED BY DIGEST: no published digest of node:26.12.1-bookworm-slim could be
# verified without registry access. Where a registry is reachable, take the "Digest:"
# (the multi-arch index) from
#   docker buildx imagetools inspect node:26.12.1-bookworm-slim
# and set NODE_IMAGE=node:26.12.1-bookworm-slim@sha256:<digest>. To refresh later, run the
# same command on the new tag (node:26-bookworm-slim is the newest 26.x).
ARG NODE_IMAGE=node:26.12.1-bookworm-slim

FROM ${NODE_IMAGE} AS build
WORKDIR /app
# better-sqlite3 compiles its native addon with node-gyp.
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json tsconfig.json ./
COPY scripts ./scripts
COPY src ./src
COPY migrations ./migrations
COPY bin ./bin
# npm ci runs `prepare`: type-check, then bundle into dist/ with esbuild.
RUN npm ci --no-audit --no-fund && npm prune --omit=dev

FROM ${NODE_IMAGE}
ENV NODE_ENV=production
WORKDIR /app
# git and ssh: git-backed fleets clone and fetch their repositories (src/transport/git.ts).
RUN apt-get update && apt-get install -y --no-install-recommends git openssh-client ca-certificates && rm -rf /var/lib/apt/lists/*
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY --from=build /app/bin ./bin
RUN mkdir -p /app/.otto && chown node:node /app/.otto
USER node
VOLUME ["/app/.otto"]
CMD ["./bin/otto.js", "start"]
