# mailroom: multi-stage image on Node.js 24 LTS.
# Stage 1 installs dependencies (better-sqlite3 is native: it needs the build
# tools when no prebuilt binary fits) and compiles TypeScript to dist/.
FROM node:24-bookworm-slim AS build
WORKDIR /app
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
# npm ci runs the preinstall check of the Node.js version.
COPY bin/check-node.js ./bin/
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build && npm prune --omit=dev

# Stage 2: only what runs. No compilers, a non-root user, data on a volume.
FROM node:24-bookworm-slim
# A small young generation: dead message buffers are collected sooner; two
# malloc arenas instead of one per thread: less memory kept (README, Tuning).
ENV NODE_ENV=production \
    NODE_OPTIONS=--max-semi-space-size=2 \
    MALLOC_ARENA_MAX=2 \
    MAILROOM_DATA_DIR=/var/lib/mailroom \
    MAILROOM_SMTP_HOST=0.0.0.0 \
    MAILROOM_SMTP_PORT=2525 \
    MAILROOM_HTTP_HOST=0.0.0.0 \
    MAILROOM_HTTP_PORT=8025
WORKDIR /app
RUN groupadd --system mailroom \
 && useradd --system --gid mailroom --home-dir /var/lib/mailroom --shell /usr/sbin/nologin mailroom \
 && mkdir -p /var/lib/mailroom \
 && chown mailroom:mailroom /var/lib/mailroom
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json ./
COPY config ./config
USER mailroom
VOLUME ["/var/lib/mailroom"]
# 2525 inside; publish it as 25 on the host (-p 25:2525), so no root is needed here.
# 8025 is the HTTP API (bearer tokens, no TLS): publish it only to a TLS proxy or
# a private network, e.g. -p 127.0.0.1:8025:8025.
EXPOSE 2525 8025
STOPSIGNAL SIGTERM
ENTRYPOINT ["node", "dist/cli/main-entry.js"]
CMD ["serve"]
