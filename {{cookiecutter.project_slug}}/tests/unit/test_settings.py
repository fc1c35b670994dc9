"""Settings: parsing, per-environment defaults, production refusals, and safe messages."""

import re
from pathlib import Path

import pytest
from pydantic import BaseModel

from {{ cookiecutter.project_slug }}.settings import (
    DEVELOPMENT_SECRET_KEY,
    Environment,
    Settings,
    SettingsError,
    load_settings,
    mask_password,
)

PROJECT_ROOT = Path(__file__).parents[2]
STRONG_SECRET = "k" * 48
{%- if cookiecutter.database == "postgresql" %}
DATABASE_URL = "postgresql://app:pw@db.internal:5432/app"
{%- elif cookiecutter.database == "mysql" %}
DATABASE_URL = "mysql://app:pw@db.internal:3306/app"
{%- else %}
DATABASE_URL = "sqlite:////var/lib/app/app.db"
{%- endif %}


@pytest.fixture
def production_env(clean_environment: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    """A production environment with every rule satisfied; tests break one rule each."""
    clean_environment.chdir(PROJECT_ROOT / "tests")  # no .env here
    clean_environment.setenv("ENVIRONMENT", "production")
    clean_environment.setenv("SECRET_KEY", STRONG_SECRET)
    clean_environment.setenv("DATABASE_URL", DATABASE_URL)
{%- if cookiecutter.use_redis %}
    clean_environment.setenv("REDIS_URL", "redis://cache.internal:6379/0")
{%- endif %}
    return clean_environment


def test_production_with_safe_settings_loads(production_env: pytest.MonkeyPatch) -> None:
    settings = load_settings()
    assert settings.environment is Environment.PRODUCTION
    assert settings.log_format == "json"
    assert settings.app.docs_enabled is False
    assert (settings.database.pool_size, settings.database.max_overflow) == (20, 0)


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        pytest.param(
            "SECRET_KEY", DEVELOPMENT_SECRET_KEY, "SECRET_KEY is the development default", id="default-secret"
        ),
        pytest.param("SECRET_KEY", "short-secret-value", "SECRET_KEY is shorter than 32", id="short-secret"),
        pytest.param("DEBUG", "true", "DEBUG must be false", id="debug"),
        pytest.param("CORS_ORIGINS", "*", "CORS_ORIGINS must not contain '*'", id="wildcard-cors-credentials"),
        pytest.param("DATABASE_URL", None, "DATABASE_URL must be set", id="missing-database-url"),
{%- if cookiecutter.use_redis %}
        pytest.param("REDIS_URL", None, "REDIS_URL must be set", id="missing-redis-url"),
{%- endif %}
{%- if cookiecutter.use_auth %}
        pytest.param("AUTH__ARGON2_MEMORY_KIB", "4096", "AUTH__ARGON2_MEMORY_KIB and", id="cheap-argon2-memory"),
        pytest.param("AUTH__ARGON2_TIME_COST", "1", "AUTH__ARGON2_TIME_COST must be at least", id="cheap-argon2-time"),
{%- endif %}
    ],
)
def test_production_refuses_unsafe_settings(
    production_env: pytest.MonkeyPatch, variable: str, value: str | None, message: str
) -> None:
    if value is None:
        production_env.delenv(variable)
    else:
        production_env.setenv(variable, value)
    production_env.setenv("CORS__ALLOW_CREDENTIALS", "true")
    with pytest.raises(SettingsError, match=re.escape(message)) as refused:
        load_settings()
    assert "ENVIRONMENT=production" in str(refused.value)
    assert "short-secret-value" not in str(refused.value)


{%- if cookiecutter.use_redis %}


def test_the_flag_admin_api_is_{{ "on" if cookiecutter.use_auth else "off" }}_in_production_by_default(production_env: pytest.MonkeyPatch) -> None:
    # Only admins reach it with auth; without, nothing would guard it.
    assert load_settings().flags.admin_api is {{ cookiecutter.use_auth }}
{%- endif %}
{%- if cookiecutter.database == "sqlite" %}


def test_sqlite_is_allowed_in_production_with_a_warning(
    production_env: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    assert load_settings().environment is Environment.PRODUCTION
    assert "SQLite in production: run a single process on a single host" in caplog.text
{%- endif %}


def test_development_only_warns(clean_environment: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    clean_environment.chdir(PROJECT_ROOT / "tests")
    clean_environment.setenv("DEBUG", "true")
    settings = load_settings()
    assert settings.debug is True
    assert "DEBUG must be false" in caplog.text
    assert settings.log_format == "text"
    assert settings.app.docs_enabled is True


def test_invalid_value_names_the_variable_without_echoing_it(clean_environment: pytest.MonkeyPatch) -> None:
    clean_environment.chdir(PROJECT_ROOT / "tests")
    clean_environment.setenv("DATABASE__POOL_SIZE", "lots-of-secret-connections")
    with pytest.raises(SettingsError, match="DATABASE__POOL_SIZE") as refused:
        load_settings()
    assert "lots-of-secret-connections" not in str(refused.value)


def test_database_url_must_match_the_chosen_database(clean_environment: pytest.MonkeyPatch) -> None:
    clean_environment.chdir(PROJECT_ROOT / "tests")
    clean_environment.setenv("DATABASE_URL", "oracle://scott:tiger@db/orcl")
    with pytest.raises(SettingsError, match="DATABASE_URL: Value error, must be a {{ cookiecutter.database }}:// URL"):
        load_settings()


def test_trusted_proxies_must_be_addresses_or_networks(clean_environment: pytest.MonkeyPatch) -> None:
    clean_environment.setenv("SECURITY__TRUSTED_PROXIES", "10.0.0.0/8,proxy.internal")
    message = "SECURITY__TRUSTED_PROXIES: Value error, 'proxy.internal' is not an IP address or network"
    with pytest.raises(SettingsError, match=re.escape(message)):
        load_settings()
    clean_environment.setenv("SECURITY__TRUSTED_PROXIES", "10.0.0.0/8, 192.168.1.7,::1")
    assert load_settings().security.trusted_proxies == ["10.0.0.0/8", "192.168.1.7", "::1"]
{%- if cookiecutter.use_redis %}


@pytest.mark.parametrize("variable", ["RATE_LIMIT__DEFAULT", "RATE_LIMIT__AUTH"])
def test_rate_limits_must_be_rates(clean_environment: pytest.MonkeyPatch, variable: str) -> None:
    clean_environment.setenv(variable, "100 per fortnight")
    with pytest.raises(SettingsError, match=re.escape(f'{variable}: Value error, must be a rate such as "100/minute"')):
        load_settings()
    clean_environment.setenv(variable, "10/second;1000/day")
    assert load_settings().rate_limit.model_dump()[variable.split("__")[1].lower()] == "10/second;1000/day"
{%- endif %}
{%- if cookiecutter.use_auth or cookiecutter.use_celery %}


@pytest.mark.parametrize(
    ("variables", "message"),
    [
{%- if cookiecutter.use_auth %}
        pytest.param({"AUTH__ALGORITHM": "RS256"}, "AUTH__PRIVATE_KEY_FILE must name a PEM private key", id="no-key"),
        pytest.param({"AUTH__ALGORITHM": "HS512"}, "AUTH__ALGORITHM: Input should be", id="unknown-algorithm"),
        pytest.param(
            {"AUTH__PASSWORD_MIN_LENGTH": "20", "AUTH__PASSWORD_MAX_LENGTH": "16"},
            "AUTH__PASSWORD_MAX_LENGTH must not be below",
            id="max-below-min",
        ),
        pytest.param(
            {"AUTH__ARGON2_PARALLELISM": "4", "AUTH__ARGON2_MEMORY_KIB": "16"}, "8 KiB per lane", id="argon2-memory"
        ),
        pytest.param({"AUTH__ACCESS_TOKEN_MINUTES": "0"}, "AUTH__ACCESS_TOKEN_MINUTES", id="no-lifetime"),
{%- endif %}
{%- if cookiecutter.use_celery %}
        pytest.param(
            {"CELERY__SOFT_TIME_LIMIT": "60", "CELERY__TIME_LIMIT": "60"},
            "CELERY__SOFT_TIME_LIMIT must be below CELERY__TIME_LIMIT",
            id="soft-not-below-hard",
        ),
        # A task still running, or waiting for its retry, would be delivered a second time.
        pytest.param(
            {"CELERY__VISIBILITY_TIMEOUT": "300"},
            "CELERY__VISIBILITY_TIMEOUT must exceed CELERY__TIME_LIMIT",
            id="redelivered-while-running",
        ),
        pytest.param(
            {"CELERY__RETRY_BACKOFF_MAX": "7200"},
            "CELERY__VISIBILITY_TIMEOUT must exceed CELERY__TIME_LIMIT and CELERY__RETRY_BACKOFF_MAX",
            id="redelivered-while-waiting",
        ),
        pytest.param({"CELERY__CONCURRENCY": "0"}, "CELERY__CONCURRENCY", id="no-processes"),
{%- endif %}
    ],
)
def test_section_settings_that_cannot_work_are_refused_everywhere(
    clean_environment: pytest.MonkeyPatch, variables: dict[str, str], message: str
) -> None:
    clean_environment.chdir(PROJECT_ROOT / "tests")
    for name, value in variables.items():
        clean_environment.setenv(name, value)
    with pytest.raises(SettingsError, match=re.escape(message)):
        load_settings()
{%- endif %}
{%- if cookiecutter.use_celery %}


def test_the_broker_and_result_backend_default_to_redis_url(clean_environment: pytest.MonkeyPatch) -> None:
    clean_environment.chdir(PROJECT_ROOT / "tests")
    clean_environment.setenv("REDIS_URL", "redis://:pw@cache:6379/2")
    settings = load_settings()
    assert settings.broker_url == settings.result_backend == "redis://:pw@cache:6379/2"
    assert settings.connection_info()["broker"] == "redis://:***@cache:6379/2"
    clean_environment.setenv("CELERY__BROKER_URL", "redis://broker:6379/0")
    assert load_settings().broker_url == "redis://broker:6379/0"
{%- endif %}


@pytest.mark.parametrize(
    "raw",
    [
        pytest.param("https://a.example.com, https://b.example.com", id="comma-separated"),
        pytest.param('["https://a.example.com", "https://b.example.com"]', id="json-list"),
    ],
)
def test_list_settings_accept_commas_or_json(clean_environment: pytest.MonkeyPatch, raw: str) -> None:
    clean_environment.setenv("CORS_ORIGINS", raw)
    clean_environment.setenv("SECURITY__TRUSTED_HOSTS", raw)
    settings = Settings(_env_file=None)
    assert settings.cors_origins == ["https://a.example.com", "https://b.example.com"]
    assert settings.security.trusted_hosts == ["https://a.example.com", "https://b.example.com"]


def test_nested_sections_read_double_underscore_names(clean_environment: pytest.MonkeyPatch) -> None:
    clean_environment.setenv("DATABASE__POOL_SIZE", "17")
    clean_environment.setenv("LOGGING__SLOW_REQUEST_MS", "250")
    settings = Settings(_env_file=None)
    assert settings.database.pool_size == 17
    assert settings.logging.slow_request_ms == 250


def test_explicit_values_beat_environment_defaults(clean_environment: pytest.MonkeyPatch) -> None:
    clean_environment.setenv("ENVIRONMENT", "production")
    clean_environment.setenv("LOG_FORMAT", "text")
    clean_environment.setenv("DATABASE__POOL_SIZE", "3")
    settings = Settings(_env_file=None)
    assert settings.log_format == "text"
    assert settings.database.pool_size == 3


def test_dotenv_file_is_read(clean_environment: pytest.MonkeyPatch, tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("LOG_LEVEL=WARNING\nDATABASE__ECHO=true\n")
    clean_environment.chdir(tmp_path)
    settings = Settings()
    assert settings.log_level == "WARNING"
    assert settings.database.echo is True


def test_passwords_are_masked_in_connection_info() -> None:
    settings = Settings(
        _env_file=None,
        database_url=DATABASE_URL,
{%- if cookiecutter.use_redis %}
        redis_url="redis://:redis-pw@cache:6379/0",
{%- endif %}
    )
    info = settings.connection_info()
    assert "pw" not in info["database"].replace("***", "")
{%- if cookiecutter.use_redis %}
    assert info["redis"] == "redis://:***@cache:6379/0"
{%- endif %}
    assert mask_password("postgresql://app:secret@db:5432/app") == "postgresql://app:***@db:5432/app"
    assert mask_password("redis://cache:6379/0") == "redis://cache:6379/0"


def _variables(model: type[BaseModel], prefix: str = "") -> set[str]:
    names: set[str] = set()
    for name, field in model.model_fields.items():
        annotation = field.annotation
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            names |= _variables(annotation, f"{prefix}{name.upper()}__")
        else:
            names.add(f"{prefix}{name.upper()}")
    return names


def test_env_example_lists_exactly_the_settings() -> None:
    example = (PROJECT_ROOT / ".env.example").read_text()
    listed = set(re.findall(r"^(?:# )?([A-Z][A-Z0-9_]*)=", example, flags=re.MULTILINE))
    assert listed == _variables(Settings)
