# The API on Node with the embedded database (or any DATABASE_URL): small, non-root, production
# dependencies only. The server runs as one bundle built by esbuild (`npm run build`, as `npm start`
# does); `src` stays for `npm run keys` and `npm run db:migrate` (tsx).
#
#   docker build -t context-edge .
#   docker run -p 8080:8080 -v context-data:/data -e API_TOKENS=<a long random token> context-edge
FROM node:24-slim

WORKDIR /app
ENV NODE_ENV=production

COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force

COPY tsconfig.json ./
COPY src ./src
COPY drizzle ./drizzle
RUN npm run build --silent

# The embedded database lives in a volume owned by the unprivileged user.
RUN mkdir -p /data && chown node:node /data
VOLUME ["/data"]
USER node

# Inside a container, loopback would be unreachable: listen on every interface.
ENV HOST=0.0.0.0 \
    PORT=8080 \
    DATABASE_URL=file:/data/context.db
EXPOSE 8080

HEALTHCHECK --interval=30s --timeout=3s --start-period=10s \
  CMD ["node", "-e", "fetch('http://127.0.0.1:8080/health').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]

# SIGTERM reaches node directly (exec form): requests in flight finish before it stops.
CMD ["node", "dist/server/node.mjs"]
