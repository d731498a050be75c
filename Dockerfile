# The operator's image: `make docker-build IMG=...`, then `make deploy IMG=...`.
#
# Build stage: the TypeScript is compiled to dist/ with the dev dependencies (typescript).
FROM node:24-bookworm-slim AS build
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY api api
COPY runtime runtime
COPY controllers controllers
COPY webhooks webhooks
COPY cmd cmd
COPY plugin plugin
RUN npm run build && npm prune --omit=dev --no-audit --no-fund

# Run stage: Node 24, the production dependencies and dist/ only; no shell, not root.
FROM gcr.io/distroless/nodejs24-debian12:nonroot
WORKDIR /app
COPY --from=build /src/package.json ./
COPY --from=build /src/node_modules node_modules
COPY --from=build /src/dist dist
USER 65532:65532
ENTRYPOINT ["/nodejs/bin/node", "dist/cmd/manager.js"]
