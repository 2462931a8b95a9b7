# SoSoft application image: one image for every process (web, worker, beat, release);
# docker-compose.yml picks the command. Build:  docker build -t sosoft .
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    HOST=0.0.0.0 \
    PORT=8000

WORKDIR /app

# Dependencies first, in their own layer, so a code change does not reinstall them:
# the runtime requirements are read from pyproject.toml (tomllib is in 3.11's
# standard library) and pinned by constraints.txt.
COPY pyproject.toml constraints.txt ./
RUN python -c "import tomllib; deps = tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies']; open('/tmp/requirements.txt', 'w').write('\n'.join(deps) + '\n')" \
    && pip install -c constraints.txt -r /tmp/requirements.txt \
    && rm /tmp/requirements.txt

# Then the project itself (.dockerignore keeps the venv, .env, caches and tests out).
COPY . .
RUN pip install --no-deps -c constraints.txt . \
    && useradd --system --uid 10001 --user-group --home-dir /app --no-create-home sosoft \
    && mkdir -p var/media \
    && chown -R sosoft:sosoft var

USER sosoft

EXPOSE 8000

# No HEALTHCHECK here: the same image runs worker and beat, which serve no HTTP.
# docker-compose.yml checks the web service's /readyz.

CMD ["gunicorn", "-c", "gunicorn.conf.py", "wsgi:app"]
