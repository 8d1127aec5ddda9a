# Hummingbot bot image with this project's Backpack connector (build from the repository root):
#   docker build -f deploy/bot.Dockerfile -t hummingbot-backpack:latest .
# The official image runs Hummingbot from its source tree /home/hummingbot (first on sys.path, shadowing
# site-packages), so `pip install` there would be ignored: the overlay replaces the tree's connector folders, then
# proves with Hummingbot's own connector settings that `backpack` loads from them (the build fails otherwise).
# Release vX.Y.Z of Hummingbot is tagged version-X.Y.Z on Docker Hub; 2.17.0 for wheel 20260922 is inferred (its
# VERSION reads dev-2.18.0; no release note pairs them): set HUMMINGBOT_TAG to the tag you run.
ARG HUMMINGBOT_IMAGE=hummingbot/hummingbot
ARG HUMMINGBOT_TAG=version-2.17.0
FROM ${HUMMINGBOT_IMAGE}:${HUMMINGBOT_TAG}

# glibc malloc: a fixed 128 KiB mmap threshold (no dynamic raise) keeps a long-running bot's heap from growing with
# freed memory it cannot reuse (make soak; docs/measuring.md).
ENV MALLOC_MMAP_THRESHOLD_=131072

COPY hummingbot/connector/exchange/backpack /tmp/backpack-connector/hummingbot/connector/exchange/backpack
COPY hummingbot/connector/backpack_common /tmp/backpack-connector/hummingbot/connector/backpack_common
COPY deploy/overlay.py /tmp/backpack-connector/overlay.py
RUN python /tmp/backpack-connector/overlay.py install --tree /home/hummingbot --from /tmp/backpack-connector \
 && python /tmp/backpack-connector/overlay.py verify --tree /home/hummingbot --from /tmp/backpack-connector \
 && rm -rf /tmp/backpack-connector
