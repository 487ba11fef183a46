# toolscope built from this repository, for the reference deployment
# (docker-compose.yml runs it as `toolscope demo`). Any other command works too:
#   docker run --rm toolscope:local gateway /config/toolscope.json --http --host 0.0.0.0
#
# Node 24 is the active LTS line (Node 20, the oldest toolscope supports, is past its
# end of life); the patch release is pinned so a rebuild gets the same runtime.

FROM node:24.20.0-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build

FROM node:24.20.0-slim
ENV NODE_ENV=production
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force
COPY --from=build /app/dist ./dist
USER node
# Prometheus endpoint (OTEL_EXPORTER_PROMETHEUS_PORT) and the gateway's HTTP listener.
EXPOSE 9464 8765
ENTRYPOINT ["node", "dist/cli.js"]
CMD ["demo"]
