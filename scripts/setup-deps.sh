#!/usr/bin/env bash
# Installs Tally's build and test dependencies on Debian 12 (bookworm). Run as root or as a
# user with sudo. Idempotent.
set -euo pipefail

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  SUDO="sudo"
fi

PACKAGES=(
  cmake g++ ninja-build pkg-config git
  librocksdb-dev libabsl-dev libre2-dev libsnappy-dev libtbb-dev zlib1g-dev
  libbenchmark-dev libgtest-dev libgmock-dev libyaml-cpp-dev libboost-dev
  nlohmann-json3-dev
  protobuf-compiler libprotobuf-dev
  libssl-dev libcrypt-dev openssl curl  # --web.config.file: TLS, bcrypt (tests: certs, curl)
  prometheus prometheus-alertmanager
  chromium  # headless browser for the web UI's end-to-end tests (docs/ui.md)
  victoria-metrics  # remote-write-out and rules-eval e2e tests: a real distributed-TSDB receiver
)
# node and npm bundle the web UI (web/, docs/ui.md). Skipped when npm already exists: a
# NodeSource nodejs bundles npm and conflicts with Debian's npm package.
if ! command -v npm >/dev/null 2>&1; then
  PACKAGES+=(nodejs npm)
fi

$SUDO env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 update -q
$SUDO env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -q --no-install-recommends \
  "${PACKAGES[@]}"
