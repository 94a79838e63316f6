# Sourced by the hooks: the Python that has rftkit's requirements (the repo's .venv unless PYTHON is set).
if [ -z "${PYTHON:-}" ]; then
  if [ -x .venv/bin/python ]; then PYTHON=.venv/bin/python; else PYTHON=python3; fi
fi
if ! "$PYTHON" -c "import rftkit, dotenv, httpx" 2>/dev/null; then
  echo "$PYTHON cannot import rftkit: create the venv first (README, Quick start), then rerun: azd hooks run $1" >&2
  exit 1
fi
# The .env the notebook reads (the repository's own unless RFTKIT_ENV_FILE says otherwise).
ENV_FILE="${RFTKIT_ENV_FILE:-.env}"
