# The one image of the platform: `aidoc` (coordinator, worker, CLI). Built from the lockfile.
FROM node:20-bookworm-slim
WORKDIR /opt/aidoc
COPY package.json package-lock.json ./
COPY . .
RUN npm ci --no-audit --no-fund && npm prune --omit=dev --ignore-scripts
USER node
ENTRYPOINT ["node", "/opt/aidoc/dist/cli/aidoc.js"]
