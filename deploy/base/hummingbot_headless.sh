#!/bin/bash
# Command of the local base image (deploy/base_image.py), standing in for the official image's
# bin/hummingbot_quickstart.py, which the wheel does not ship: the environment hummingbot-api sets is read the same
# way (CONFIG_PASSWORD, SCRIPT_CONFIG for a V2 script config in conf/scripts, CONFIG_FILE_NAME for a V1 strategy
# config in conf/strategies, HEADLESS_MODE) and Hummingbot's own headless engine runs the bot from the image's
# WORKDIR, the source tree /home/hummingbot (first on sys.path). It stops the
# strategy and cancels its orders on SIGTERM (`docker stop`) and writes data/bot/status.json on SIGUSR1.
set -euo pipefail
mode="${HEADLESS_MODE:-}"
if [ "${mode,,}" != "true" ]; then
  echo "this image runs Hummingbot headless only: set HEADLESS_MODE=true" >&2
  exit 2
fi
args=(--name "${HOSTNAME:-hummingbot}")
if [ -n "${SCRIPT_CONFIG:-}" ]; then args+=(--script-config "$SCRIPT_CONFIG"); fi
if [ -n "${CONFIG_FILE_NAME:-}" ]; then args+=(--config "$CONFIG_FILE_NAME"); fi
exec python -m hummingbot.cli.engine "${args[@]}"
