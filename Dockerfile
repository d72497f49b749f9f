# syntax=docker/dockerfile:1
# One image for every function: `node dist/functions/<name>/index.js` (the manifests set `args`).
#   docker build -t <registry>/k8s-workload-registrar-functions:<version> .
#   docker build --target openfaas -t <registry>/k8s-workload-registrar-functions:<version>-openfaas .
# The runtime writes nothing outside /tmp, so it runs with readOnlyRootFilesystem: true.

ARG NODE_IMAGE=node:20-bookworm-slim

# ---- build: full install (TypeScript) and compile to dist/
FROM ${NODE_IMAGE} AS build
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts
COPY tsconfig.json tsconfig.build.json ./
COPY bin ./bin
COPY lib ./lib
COPY functions ./functions
COPY proto/gen ./proto/gen
RUN npm run build

# ---- app: production dependencies only, plus the compiled code
FROM ${NODE_IMAGE} AS app
ENV NODE_ENV=production
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts && npm cache clean --force && rm -rf /root/.npm /tmp/*
COPY --from=build /src/dist ./dist
# Numeric, so the kubelet can check runAsNonRoot (the node image's `node` user is 1000).
USER 1000:1000
ENV PORT=8080
EXPOSE 8080

# ---- openfaas: the same app behind of-watchdog (HTTP mode; stack.yml sets fprocess per function)
FROM ghcr.io/openfaas/of-watchdog:0.11.5 AS watchdog
FROM app AS openfaas
COPY --from=watchdog /fwatchdog /usr/bin/fwatchdog
ENV mode=http upstream_url=http://127.0.0.1:3000
ENTRYPOINT ["/usr/bin/fwatchdog"]

# ---- runtime (default target): Knative Services and plain Deployments
FROM app AS runtime
ENTRYPOINT ["node"]
CMD ["dist/functions/k8s-events/index.js"]
