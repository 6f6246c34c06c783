#!/bin/sh
# Installs a packed @edge-mlops/node-red-vision (npm pack) into a Node-RED app directory: what the Dockerfile runs,
# and what test/docker-install.test.ts runs in a plain directory. Usage: install-package.sh <app-dir> <package.tgz>
set -eu
app_dir=$1
tarball=$2
cd "$app_dir"
[ -f package.json ] || echo '{ "name": "node-red-app", "private": true }' > package.json
# onnxruntime-node's install script would download GPU binaries from nuget.org; the CPU binaries are in the package.
grep -q '^onnxruntime-node-install=' .npmrc 2>/dev/null || echo 'onnxruntime-node-install=skip' >> .npmrc
# shellcheck disable=SC2086 # EDGE_MLOPS_NPM_FLAGS is a list of flags (e.g. --offline in tests)
npm install --omit=dev --no-audit --no-fund --no-update-notifier ${EDGE_MLOPS_NPM_FLAGS:-} "$tarball"
# Fail here, not at the first inference, when a native module does not load on this base image (e.g. musl).
node -e "require('onnxruntime-node'); require('sharp'); console.log('edge-mlops: onnxruntime-node and sharp load')"
