#!/usr/bin/env bash
# One-step set-up for a fresh Debian/Ubuntu machine with Node 20 (idempotent: rerunning skips
# what is already there). Installs:
#   1. Mesa lavapipe (software Vulkan) from bookworm-backports, so WebGPU runs without a GPU;
#      skipped where a Vulkan driver is already installed, where apt is unavailable, or with
#      RR_SKIP_SYSTEM=1;
#   2. pnpm 12.4.2;
#   3. the workspace's dependencies (frozen lockfile) and a build of every package.
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf '\033[1msetup:\033[0m %s\n' "$*"; }

node_major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)
if [ "$node_major" -lt 20 ]; then
  echo "setup: Node.js >= 20 is required (found: $(node --version 2>/dev/null || echo none)). Install it from https://nodejs.org or your package manager, then rerun." >&2
  exit 1
fi

install_lavapipe() {
  if [ "${RR_SKIP_SYSTEM:-0}" = 1 ]; then say "RR_SKIP_SYSTEM=1: not installing system packages."; return; fi
  if ! command -v apt-get >/dev/null 2>&1; then
    say "apt-get not found: skipping Mesa lavapipe. WebGPU needs a Vulkan/Metal/D3D12 driver (a real GPU) or lavapipe installed by hand; the CPU backend works without it."
    return
  fi
  if ls /usr/share/vulkan/icd.d/*.json /etc/vulkan/icd.d/*.json >/dev/null 2>&1 && ! ls /usr/share/vulkan/icd.d/lvp_icd*.json >/dev/null 2>&1; then
    say "a Vulkan driver (GPU) is already installed: skipping Mesa lavapipe."
    return
  fi
  if dpkg-query -W -f='${Version}' mesa-vulkan-drivers 2>/dev/null | grep -Eq '^(2[4-9]|[3-9][0-9])\.'; then
    say "Mesa lavapipe $(dpkg-query -W -f='${Version}' mesa-vulkan-drivers) already installed."
    return
  fi
  local sudo=""
  if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1; then sudo="sudo"; else say "not root and no sudo: skipping Mesa lavapipe (install mesa-vulkan-drivers >= 24 by hand for WebGPU without a GPU)."; return; fi
  fi
  say "installing Mesa lavapipe (software Vulkan) for WebGPU without a GPU..."
  local codename
  codename=$(. /etc/os-release && echo "${VERSION_CODENAME:-}")
  if [ "$codename" = bookworm ]; then
    # Debian 12's own Mesa 22.3 is rejected by Dawn; backports has Mesa 25.
    echo "deb http://deb.debian.org/debian bookworm-backports main" | $sudo tee /etc/apt/sources.list.d/backports.list >/dev/null
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq -t bookworm-backports mesa-vulkan-drivers libvulkan1 >/dev/null
  else
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq mesa-vulkan-drivers libvulkan1 >/dev/null
  fi
  say "Mesa $(dpkg-query -W -f='${Version}' mesa-vulkan-drivers) installed."
}

install_pnpm() {
  local want=12.4.2
  if command -v pnpm >/dev/null 2>&1 && [ "$(pnpm --version 2>/dev/null)" = "$want" ]; then
    say "pnpm $want already installed."
    return
  fi
  say "installing pnpm $want..."
  if ! npm install -g "pnpm@$want" >/dev/null 2>&1; then
    # no write access to the global prefix: install under the user's home instead
    npm install -g --prefix "$HOME/.local" "pnpm@$want" >/dev/null
    export PATH="$HOME/.local/bin:$PATH"
    say "pnpm installed in ~/.local/bin; add it to your PATH."
  fi
}

install_lavapipe
install_pnpm
export TURBO_TELEMETRY_DISABLED=1
say "installing dependencies (frozen lockfile)..."
pnpm install --frozen-lockfile
say "building every package..."
pnpm build
say "done. Next: 'pnpm demo' and 'pnpm test'."
