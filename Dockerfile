# syntax=docker/dockerfile:1
#
# mcpd container image. Three stages:
#   build  – full install (dev deps included), `npm run build` → dist/ (library + bundled dist/bin/)
#   deps   – production dependencies only (`npm ci --omit=dev`)
#   runtime – node + dist/ + production node_modules + config/, run as the image's non-root `node` user
#
#   docker build -t mcpd:0.1.0 .
#   docker run --rm -p 127.0.0.1:3000:3000 \
#     -e MCPD_PROTOCOL__REQUEST_STATE_SECRET_FILE=/run/secrets/request-state-secret \
#     -v "$PWD/deploy/secrets/request-state-secret:/run/secrets/request-state-secret:ro" mcpd:0.1.0
#
# See docs/deployment.md. For reproducible builds pin the base image by digest
# (node:20-bookworm-slim@sha256:...) and let a bot such as Renovate bump it.

# ---------------------------------------------------------------------------
FROM node:20-bookworm-slim AS base
WORKDIR /app
ENV npm_config_update_notifier=false \
    npm_config_fund=false \
    npm_config_audit=false

# ---------------------------------------------------------------------------
FROM base AS build
# Manifests first: the install layer is reused until the lockfile changes.
COPY package.json package-lock.json ./
RUN --mount=type=cache,target=/root/.npm \
    npm ci
COPY tsconfig.json tsconfig.build.json ./
COPY scripts/ ./scripts/
COPY src/ ./src/
RUN npm run build

# ---------------------------------------------------------------------------
FROM base AS deps
ENV NODE_ENV=production
COPY package.json package-lock.json ./
# No production dependency needs an install script; --ignore-scripts keeps
# arbitrary lifecycle scripts out of the image build.
RUN --mount=type=cache,target=/root/.npm \
    npm ci --omit=dev --ignore-scripts

# ---------------------------------------------------------------------------
FROM base AS runtime

# The runtime needs no package manager: removing npm, npx, corepack and yarn
# leaves less to patch and nothing to install packages with at run time.
RUN rm -rf /usr/local/lib/node_modules/npm /usr/local/lib/node_modules/corepack \
           /usr/local/bin/npm /usr/local/bin/npx /usr/local/bin/corepack \
           /usr/local/bin/yarn /usr/local/bin/yarnpkg /opt/yarn-*

ENV NODE_ENV=production \
    MCPD_ENV=production \
    MCPD_HTTP__HOST=0.0.0.0 \
    MCPD_HTTP__PORT=3000

# Files stay owned by root and are read-only to the `node` user: the server
# writes nothing to its own tree (logs go to stdout), so a read-only root
# filesystem works (Kubernetes readOnlyRootFilesystem, compose read_only).
# package.json is needed at run time: it carries "type": "module".
COPY package.json ./
COPY --from=deps /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY config/ ./config/

# The official image's unprivileged user (uid/gid 1000).
USER node

EXPOSE 3000

# Liveness: /healthz answers 200 while the event loop runs. slim images have no
# curl or wget, so node's own fetch does the request.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.MCPD_HTTP__PORT||3000)+'/healthz',{signal:AbortSignal.timeout(4000)}).then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]

# Signals: node runs as PID 1 (the base image's docker-entrypoint.sh execs it),
# with no tini and no `docker run --init` needed. The kernel applies no default
# signal action to PID 1, but mcpd installs its own SIGTERM and SIGINT handlers,
# so `docker stop` and Kubernetes termination start the graceful drain
# (readiness 503, in-flight requests finish within lifecycle.shutdownTimeoutMs,
# exit 0; exit 1 if the deadline cut requests off). mcpd spawns no child
# processes, so there are no zombies to reap. Keep the exec form and start node
# directly, never through `npm start`, which would not pass the signal on.
STOPSIGNAL SIGTERM
CMD ["node", "dist/bin/mcpd.js", "serve"]
