# The hotline engine: Node 20 running the TypeScript sources through tsx (no build step).
FROM node:20-bookworm-slim

WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund && npm cache clean --force

COPY bin ./bin
COPY src ./src
COPY tsconfig.json ./
# Defaults baked in; docker-compose.yml mounts the folders so rules change without a rebuild.
COPY routing-rules ./routing-rules
COPY ivr-prompts ./ivr-prompts

# /app belongs to root and is only read. Everything the engine writes (call records, the file
# outbox, and without Redis the rules versions, the access ledger and the audit log) goes to its
# state directory, owned by the user it runs as; docker-compose.yml mounts a volume there.
ENV NODE_ENV=production \
    HOTLINE_RULES=/app/routing-rules \
    HOTLINE_STATE_DIR=/var/lib/hotline \
    HTTP_PORT=8080
RUN mkdir -p /var/lib/hotline && chown node:node /var/lib/hotline && chmod 0750 /var/lib/hotline
USER node

EXPOSE 8080
# /health is public and cheap; it answers 200 while calls are routed (also when "degraded").
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 \
  CMD node -e "fetch('http://127.0.0.1:'+(process.env.HTTP_PORT||8080)+'/health').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"

CMD ["node", "bin/hotline.js", "serve"]
