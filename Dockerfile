# Multi-stage build: compile TypeScript with dev dependencies, ship only dist/ and runtime dependencies.
FROM node:20-bookworm-slim AS build
WORKDIR /src
COPY package.json package-lock.json tsconfig.json ./
COPY scripts/patch-undici.mjs ./scripts/
RUN npm ci --no-audit --no-fund
COPY src ./src
RUN npm run build && npm prune --omit=dev

FROM node:20-bookworm-slim
ENV NODE_ENV=production \
    MALLOC_TRIM_THRESHOLD_=268435456 \
    MALLOC_TOP_PAD_=67108864
WORKDIR /app
COPY --from=build /src/node_modules ./node_modules
COPY --from=build /src/dist ./dist
COPY package.json ./
COPY config ./config
RUN mkdir -p /etc/s3bridge /var/lib/s3bridge && cp config/default.yaml /etc/s3bridge/config.yaml \
    && chown -R node:node /var/lib/s3bridge
USER node
WORKDIR /var/lib/s3bridge
EXPOSE 8080 9090
HEALTHCHECK --interval=15s --timeout=3s --start-period=10s \
  CMD node -e "fetch('http://127.0.0.1:9090/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
ENTRYPOINT ["node", "/app/dist/main.js"]
CMD ["--config", "/etc/s3bridge/config.yaml"]
