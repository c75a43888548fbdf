# Otto's runtime image: multi-stage, non-root, `otto start` as the command.
# Build: docker build -t otto .   Run: docker run -v $PWD/otto.yml:/app/otto.yml -v otto-data:/app/.otto otto

FROM node:20-bookworm-slim AS build
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

FROM node:20-bookworm-slim
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY --from=build /app/bin ./bin
RUN mkdir -p /app/.otto && chown node:node /app/.otto
USER node
VOLUME ["/app/.otto"]
CMD ["./bin/otto.js", "start"]
