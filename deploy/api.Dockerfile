# hummingbot-api image with this project's Backpack connector (build from the repository root, wheel first):
#   python -m pip wheel --no-deps -w dist . && docker build -f deploy/api.Dockerfile -t hummingbot-api-backpack .
# hummingbot-api runs connectors in its own process from its pip-installed Hummingbot: our wheel goes in with
# --no-deps (its Hummingbot pin must not replace the image's), then the same overlay as the bot image replaces the
# two folders whole (no shipped module left beside ours) and proves that `backpack` loads from them.
ARG HUMMINGBOT_API_IMAGE=hummingbot/hummingbot-api
ARG HUMMINGBOT_API_TAG=latest
FROM ${HUMMINGBOT_API_IMAGE}:${HUMMINGBOT_API_TAG}

# glibc malloc: a fixed 128 KiB mmap threshold (no dynamic raise) keeps a long-running bot's heap from growing with
# freed memory it cannot reuse (make soak; docs/measuring.md).
ENV MALLOC_MMAP_THRESHOLD_=131072

COPY dist/hummingbot_backpack_connector-*.whl /tmp/backpack-connector/
COPY hummingbot/connector/exchange/backpack /tmp/backpack-connector/hummingbot/connector/exchange/backpack
COPY hummingbot/connector/backpack_common /tmp/backpack-connector/hummingbot/connector/backpack_common
COPY deploy/overlay.py /tmp/backpack-connector/overlay.py
RUN python -m pip install --no-deps --no-cache-dir /tmp/backpack-connector/hummingbot_backpack_connector-*.whl \
 && python /tmp/backpack-connector/overlay.py install --from /tmp/backpack-connector \
 && python /tmp/backpack-connector/overlay.py verify --from /tmp/backpack-connector \
 && rm -rf /tmp/backpack-connector
