#!/bin/sh
# Install {{ cookiecutter.project_slug }} under systemd on this machine: run as root from the project's checkout
# (`sudo make systemd-install`). Running it again updates the code and the units and keeps the
# settings. It needs uv (https://docs.astral.sh/uv/) and Python {{ cookiecutter._python_version }}.
set -eu
app={{ cookiecutter.project_slug }}
prefix=/opt/$app
settings=/etc/$app/$app.env
units=${SYSTEMD_UNIT_DIR:-/etc/systemd/system}

command -v uv >/dev/null || { echo "install.sh: uv is needed: https://docs.astral.sh/uv/" >&2; exit 1; }

# The account the services run as, with no login.
install -D -m 0644 deploy/systemd/$app.sysusers /usr/lib/sysusers.d/$app.conf
systemd-sysusers /usr/lib/sysusers.d/$app.conf

# The project and its dependencies, without dev tools, from uv.lock when committed (else at the
# tested versions of pyproject.toml), into a virtualenv of its own.
UV_PROJECT_ENVIRONMENT=$prefix/venv UV_PYTHON_DOWNLOADS=never UV_COMPILE_BYTECODE=1 \
  uv sync --no-dev --no-editable --quiet

# The settings: once, from .env.example with a fresh SECRET_KEY and ENVIRONMENT=production.
if [ ! -f "$settings" ]; then
  install -d -m 0700 "/etc/$app"
  secret=$("$prefix/venv/bin/python" -c "import secrets; print(secrets.token_urlsafe(48))")
  sed -e "s|^SECRET_KEY=.*|SECRET_KEY=$secret|" -e "s|^ENVIRONMENT=.*|ENVIRONMENT=production|" \
{%- if cookiecutter.database == "sqlite" %}
    -e "s|^DATABASE_URL=.*|DATABASE_URL=sqlite:////var/lib/$app/$app.db|" \
{%- endif %}
    .env.example >"$settings"
  chmod 0600 "$settings"
  echo "install.sh: wrote $settings from .env.example; point its server URLs at this machine's servers"
fi

install -d "$units/$app-.service.d"
install -m 0644 deploy/systemd/$app-.service.d/common.conf "$units/$app-.service.d/"
install -m 0644 deploy/systemd/$app-*.service deploy/systemd/$app.target "$units/"
if [ -d /run/systemd/system ]; then
  systemctl daemon-reload
fi
systemctl enable $app.target
echo "install.sh: installed; start with: systemctl start $app.target"
