# syntax=docker/dockerfile:1
# One image for every function: `node dist/bundle/functions/<name>/index.js` (the manifests set
# `args`). Each function is one bundled file with its dependencies inside (scripts/bundle.mjs), so
# the image holds no node_modules and a cold start reads one file.
#   docker build -t <registry>/k8s-workload-registrar-functions:<version> .
#   docker build --target openfaas -t <registry>/k8s-workload-registrar-functions:<version>-openfaas .
# The runtime writes nothing outside /tmp, so it runs with readOnlyRootFilesystem: true.

ARG NODE_IMAGE=node:24-bookworm-slim

# ---- build: full install (TypeScript, the bundler), compile to dist/ and bundle to dist/bundle/
FROM ${NODE_IMAGE} AS build
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts
COPY tsconfig.json tsconfig.build.json ./
COPY bin ./bin
COPY lib ./lib
COPY functions ./functions
COPY proto/gen ./proto/gen
COPY scripts/bundle.mjs ./scripts/bundle.mjs
RUN npm run bundle

# ---- app: the bundles only (they carry their dependencies)
FROM ${NODE_IMAGE} AS app
ENV NODE_ENV=production
# A young generation of 2 MiB semi-spaces: without a container memory limit, Node 24 sizes it from
# the host's memory (tens of MiB), which doubled the functions' peak RSS in `npm run bench:compare`
# and `bench:admission` for no measured gain; with it, the peak stays near the live data.
ENV NODE_OPTIONS=--max-semi-space-size=2
WORKDIR /app
COPY --from=build /src/dist/bundle ./dist/bundle
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
CMD ["dist/bundle/functions/k8s-events/index.js"]
