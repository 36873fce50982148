# The center's one image: web (gunicorn), Celery worker, beat and the migrate step all run it
# with different commands (docker-compose.yml). Configuration comes only from the environment.
#
# Debian bookworm, the release the project's Debian packages are tested on.
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

# WeasyPrint's libraries (Pango; HarfBuzz's subsetter, without which a slip takes seconds) and a
# CJK font, without which Chinese prints as empty boxes. The same list as scripts/system-deps.
# PostgreSQL 15's client (bookworm's): pg_dump and pg_restore for the backups.
RUN apt-get update \
 && apt-get install -y --no-install-recommends \
      libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-noto-cjk postgresql-client \
 && rm -rf /var/lib/apt/lists/*

RUN useradd --system --uid 10001 --user-group --home-dir /app --no-create-home approval \
 && mkdir -p /app /var/lib/approval /var/backups/approval \
 && chown approval:approval /var/lib/approval /var/backups/approval
WORKDIR /app

# The pinned dependencies first, from pyproject.toml alone, so a code change reuses this layer.
COPY pyproject.toml ./
RUN python -c "import tomllib; print('\n'.join(tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies']))" > /tmp/requirements.txt \
 && pip install -r /tmp/requirements.txt \
 && rm /tmp/requirements.txt

COPY . .
# Static files with hashed names, compressed, served by whitenoise from the image itself.
RUN APP_ENV=production SECRET_KEY=collectstatic-only SIGNING_PKCS12_PATH=unused \
      VAR_DIR=/tmp/build-var \
      STATIC_ROOT=/app/staticfiles python manage.py collectstatic --noinput -v0 \
 && APP_ENV=production SECRET_KEY=fonts-only SIGNING_PKCS12_PATH=unused VAR_DIR=/tmp/build-var \
      DOCUMENT_FONTS_DIR=/app/fonts python manage.py make_document_fonts \
 && rm -rf /tmp/build-var

ENV APP_ENV=production \
    VAR_DIR=/var/lib/approval \
    DOCUMENT_FONTS_DIR=/app/fonts \
    STATIC_ROOT=/app/staticfiles
USER approval
EXPOSE 8000
# docker-compose.yml gives each service its own command and healthcheck; this is the web's.
CMD ["gunicorn", "approval_center.wsgi"]
