"""Typed settings, read once from the environment and `.env`.

Conventional names that platforms set (`DATABASE_URL`, `SECRET_KEY`, ...) are top-level
fields; everything else lives in a section, set as `SECTION__FIELD` (`DATABASE__POOL_SIZE`).
"""

import json
import logging
{%- if cookiecutter.use_celery %}
import tempfile
{%- endif %}
from enum import StrEnum
from functools import lru_cache
from ipaddress import ip_network
{%- if cookiecutter.use_auth or cookiecutter.use_celery %}
from pathlib import Path
{%- endif %}
from typing import Annotated, Literal, Self
from urllib.parse import urlsplit, urlunsplit

{% if cookiecutter.use_redis -%}
from limits import parse_many
{% endif -%}
from pydantic import (
    BaseModel,
    BeforeValidator,
    Field,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

logger = logging.getLogger(__name__)

DEVELOPMENT_SECRET_KEY = "development-only-secret-key-change-me"  # noqa: S105 - refused in production
MIN_SECRET_KEY_LENGTH = 32
{%- if cookiecutter.use_auth %}
# OWASP's minimum Argon2id cost (19 MiB, 2 passes); cheaper settings are refused in staging and production.
MIN_ARGON2_MEMORY_KIB = 19_456
MIN_ARGON2_TIME_COST = 2
{%- endif %}
# The URL settings of the services this process connects to; deployed, each must be set.
SERVICE_URLS = ["database_url"{% if cookiecutter.use_redis %}, "redis_url"{% endif %}]
{%- if cookiecutter.database == "postgresql" %}
DATABASE_SCHEMES = frozenset({"postgresql", "postgres"})
{%- else %}
DATABASE_SCHEMES = frozenset({"{{ cookiecutter.database }}"})
{%- endif %}


class Environment(StrEnum):
    DEVELOPMENT = "development"
    STAGING = "staging"
    PRODUCTION = "production"
    TEST = "test"

    @property
    def is_deployed(self) -> bool:
        """Staging mirrors production, so both refuse unsafe settings."""
        return self in {Environment.STAGING, Environment.PRODUCTION}


def _split_list(value: object) -> object:
    """Accept `a,b,c` as well as a JSON list for list settings."""
    if not isinstance(value, str):
        return value
    if value.lstrip().startswith("["):
        return json.loads(value)
    return [item.strip() for item in value.split(",") if item.strip()]


StrList = Annotated[list[str], NoDecode, BeforeValidator(_split_list)]


class Section(BaseModel):
    """A group of settings, set as `SECTION__FIELD`; it keeps its own rules.

    `Settings` collects the sections' environment defaults and problems without knowing them.
    """

    def apply_environment_defaults(self, environment: Environment) -> None:
        """Defaults that depend on ENVIRONMENT, applied only to the fields nothing set."""

    def problems(self) -> list[str]:
        """Unsafe values, each naming its variable and the rule; never a secret's value."""
        return []


class AppSettings(Section):
    name: str = "{{ cookiecutter.project_name }}"
    # OpenAPI docs at /docs; defaults to off in staging and production.
    docs_enabled: bool = True

    def apply_environment_defaults(self, environment: Environment) -> None:
        if "docs_enabled" not in self.model_fields_set:
            self.docs_enabled = not environment.is_deployed


class DatabaseSettings(Section):
    # Connections per process; staging and production default to 20 and no overflow (overflow
    # connections are closed as soon as they are returned, so busy periods reconnect constantly).
    pool_size: int = Field(default=5, ge=1)
    max_overflow: int = Field(default=5, ge=0)
    # Seconds to wait for a free pooled connection before failing the request.
    pool_timeout: float = Field(default=5.0, gt=0)
    # Recycle connections older than this many seconds (below server idle timeouts).
    pool_recycle: int = 1800
    # Whole seconds to wait for the server to accept a new connection.
    connect_timeout: int = Field(default=3, ge=1)
    # Log every SQL statement (development only).
    echo: bool = False
    # Readiness fails while the schema is behind the code (run `{{ cookiecutter.project_slug }} db upgrade`).
    check_migrations: bool = True

    def apply_environment_defaults(self, environment: Environment) -> None:
        if environment.is_deployed and "pool_size" not in self.model_fields_set:
            self.pool_size = 20
        if environment.is_deployed and "max_overflow" not in self.model_fields_set:
            self.max_overflow = 0
{%- if cookiecutter.use_redis %}


class RedisSettings(Section):
    # Seconds to wait for connect and for each reply; short, so a dead server fails fast.
    connect_timeout: float = Field(default=1.0, gt=0)
    socket_timeout: float = Field(default=1.0, gt=0)
    max_connections: int = Field(default=50, ge=1)
    # Starts every key this service writes, so services can share a server.
    key_prefix: str = Field(default="{{ cookiecutter.project_slug }}", min_length=1)
    # After this many failures in a row, Redis is skipped (cache bypassed, limiter per its fail
    # mode, flags at defaults) for `breaker_reset_seconds` before one call tries it again.
    breaker_failures: int = Field(default=3, ge=1)
    breaker_reset_seconds: float = Field(default=5.0, gt=0)


class CacheSettings(Section):
    # Seconds a cached value is fresh.
    ttl: int = Field(default=60, ge=1)
    # Seconds an expired value is still served while one caller recomputes it.
    stale_ttl: int = Field(default=30, ge=0)
    # Seconds a recomputation may hold its key's lock; callers without the lock wait this long at most.
    lock_timeout: float = Field(default=5.0, gt=0)


class RateLimitSettings(Section):
    enabled: bool = True
    # Limits in the `limits` notation: "100/minute", or several as "10/second;1000/day".
    default: str = "100/minute"
    # Stricter limit for credential endpoints (login, register).
    auth: str = "10/minute"
    # While Redis is unreachable: true lets requests through, false answers 503.
    fail_open: bool = True

    @field_validator("default", "auth")
    @classmethod
    def _check_limit(cls, value: str) -> str:
        try:
            parse_many(value)
        except ValueError:
            msg = 'must be a rate such as "100/minute" or "10/second;1000/day"'
            raise ValueError(msg) from None
        return value


class FlagSettings(Section):
    # Every flag and its value when Redis holds no override, as JSON: {"new_search": false}.
    defaults: dict[str, bool] = Field(default_factory=dict)
    # Seconds a process reuses the overrides it read from Redis.
    cache_seconds: float = Field(default=5.0, ge=0)
{%- if cookiecutter.use_auth %}
    # Serve /api/v1/feature-flags, to users with the admin role.
{%- else %}
    # Serve /api/v1/feature-flags; defaults to off in staging and production, where nothing guards it.
{%- endif %}
    admin_api: bool = True
{%- if not cookiecutter.use_auth %}

    def apply_environment_defaults(self, environment: Environment) -> None:
        if "admin_api" not in self.model_fields_set:
            self.admin_api = not environment.is_deployed
{%- endif %}
{%- endif %}

{%- if cookiecutter.use_celery %}


class CelerySettings(Section):
    """Background tasks. Delivery is at least once: a task may run again after a crash, so each is idempotent."""

    # Unset: the Redis server of REDIS_URL carries the task messages and the results.
    broker_url: str | None = None
    result_backend: str | None = None
    # Worker processes; unset: one per CPU.
    concurrency: int | None = Field(default=None, ge=1)
    # Seconds a task may run: past the soft limit it is asked to stop (SoftTimeLimitExceeded),
    # past the hard limit its process is killed and replaced.
    soft_time_limit: int = Field(default=300, ge=1)
    time_limit: int = Field(default=330, ge=1)
    # Seconds a task taken by a worker that never acknowledged it stays hidden from the others, after
    # which it is delivered again. Longer than the time limit and the longest retry countdown, or a
    # running or waiting task would be delivered twice.
    visibility_timeout: int = Field(default=3600, ge=1)
    # Seconds a worker told to stop (SIGTERM) lets its running tasks finish; those still running are
    # then handed back to the queue.
    shutdown_timeout: float = Field(default=20.0, ge=0)
    # Retries of a task that failed on an unavailable database or Redis: at most this many, waiting
    # about 2, 4, 8, ... seconds (with jitter) and never more than `retry_backoff_max`.
    max_retries: int = Field(default=5, ge=0)
    retry_backoff_max: int = Field(default=600, ge=1)
    # Seconds results (of the tasks that keep one) and task records stay readable.
    result_expires: int = Field(default=86_400, ge=60)
    # Seconds an enqueue may wait for the broker before the request is answered 503.
    publish_timeout: float = Field(default=2.0, gt=0)
    # Where the worker and beat write the heartbeat files that `{{ cookiecutter.project_slug }} heartbeat` checks;
    # give each worker on one host a directory of its own (containers have one each already).
    heartbeat_dir: Path = Path(tempfile.gettempdir())
    # Seconds between heartbeats; a probe allows a few missed ones.
    heartbeat_seconds: float = Field(default=10.0, gt=0)
    # Seconds between runs of each periodic task (beat).
    canary_seconds: float = Field(default=60.0, gt=0)
    # Where the worker serves its metrics (GET /metrics) for Prometheus; port 0: nowhere.
    metrics_host: str = "127.0.0.1"
    metrics_port: int = Field(default=9808, ge=0, le=65535)
{%- if cookiecutter.use_auth %}
    prune_sessions_seconds: float = Field(default=3600.0, gt=0)
    # Days an ended session is kept before it is pruned: one revoked for token reuse records an attack.
    ended_session_days: int = Field(default=30, ge=0)
{%- endif %}

    @model_validator(mode="after")
    def _check_limits(self) -> Self:
        if self.soft_time_limit >= self.time_limit:
            msg = "CELERY__SOFT_TIME_LIMIT must be below CELERY__TIME_LIMIT"
            raise ValueError(msg)
        if self.visibility_timeout <= max(self.time_limit, self.retry_backoff_max):
            msg = "CELERY__VISIBILITY_TIMEOUT must exceed CELERY__TIME_LIMIT and CELERY__RETRY_BACKOFF_MAX"
            raise ValueError(msg)
        return self
{%- endif %}
{%- if cookiecutter.use_auth %}


class AuthSettings(Section):
    # Minutes an access token is accepted. Each request also checks the database, so a logout or a
    # deactivation takes effect at once; the expiry bounds what a stolen token is worth.
    access_token_minutes: int = Field(default=15, ge=1, le=24 * 60)
    # Days a refresh token is accepted; every refresh replaces it and starts the period again.
    refresh_token_days: int = Field(default=14, ge=1, le=365)
    # HS256 signs with SECRET_KEY. RS256 and EdDSA (Ed25519) sign with the PEM private key in
    # `private_key_file` and verify with its public half, which other services may be given.
    algorithm: Literal["HS256", "RS256", "EdDSA"] = "HS256"
    private_key_file: Path | None = None
    # Written into every token and required back: a token another service issued is refused.
    issuer: str = Field(default="{{ cookiecutter.project_slug }}", min_length=1)
    audience: str = Field(default="{{ cookiecutter.project_slug }}", min_length=1)
    # Seconds of clock difference between hosts tolerated when checking exp and nbf.
    leeway_seconds: int = Field(default=10, ge=0, le=300)
    # Rules for new passwords; length counts characters. Kinds are lowercase, uppercase, digits, others.
    password_min_length: int = Field(default=12, ge=8, le=128)
    password_max_length: int = Field(default=128, ge=8, le=1024)
    password_min_kinds: int = Field(default=1, ge=1, le=4)
    # Argon2id cost of one hash: memory in KiB, passes and lanes (argon2-cffi's defaults). Paid at
    # login and registration only; never per request.
    argon2_memory_kib: int = Field(default=65_536, ge=8)
    argon2_time_cost: int = Field(default=3, ge=1)
    argon2_parallelism: int = Field(default=4, ge=1)

    @field_validator("private_key_file")
    @classmethod
    def _check_key_file(cls, value: Path | None) -> Path | None:
        if value is not None and not value.is_file():
            msg = f"{str(value)!r} is not a file"
            raise ValueError(msg)
        return value

    @model_validator(mode="after")
    def _check_consistency(self) -> Self:
        if self.algorithm != "HS256" and self.private_key_file is None:
            msg = f"AUTH__PRIVATE_KEY_FILE must name a PEM private key when AUTH__ALGORITHM is {self.algorithm}"
            raise ValueError(msg)
        if self.password_max_length < self.password_min_length:
            msg = "AUTH__PASSWORD_MAX_LENGTH must not be below AUTH__PASSWORD_MIN_LENGTH"
            raise ValueError(msg)
        if self.argon2_memory_kib < 8 * self.argon2_parallelism:
            msg = "AUTH__ARGON2_MEMORY_KIB must be at least 8 KiB per lane (AUTH__ARGON2_PARALLELISM)"
            raise ValueError(msg)
        return self

    def problems(self) -> list[str]:
        if self.argon2_memory_kib < MIN_ARGON2_MEMORY_KIB or self.argon2_time_cost < MIN_ARGON2_TIME_COST:
            return [
                f"AUTH__ARGON2_MEMORY_KIB and AUTH__ARGON2_TIME_COST must be at least {MIN_ARGON2_MEMORY_KIB} "
                f"and {MIN_ARGON2_TIME_COST}: cheaper hashes are cheaper to crack"
            ]
        return []
{%- endif %}


class LoggingSettings(Section):
    # Optional rotating log file, in addition to stdout.
    file: str | None = None
    file_max_bytes: int = 10 * 1024 * 1024
    file_backup_count: int = 5
    # Requests slower than this are logged as warnings.
    slow_request_ms: float = Field(default=1000.0, gt=0)


class MetricsSettings(Section):
    # GET /metrics, the Prometheus exposition; never rate limited.
    enabled: bool = True
    # When set, a scrape must send `Authorization: Bearer <token>` (Prometheus: `authorization`).
    token: SecretStr | None = None


class CorsSettings(Section):
    allow_credentials: bool = False
    allow_methods: StrList = Field(default_factory=lambda: ["GET", "POST", "PUT", "PATCH", "DELETE"])
    allow_headers: StrList = Field(default_factory=lambda: ["Authorization", "Content-Type"])


class SecuritySettings(Section):
    # Host headers the app answers to; "*" accepts any (set real names in production).
    trusted_hosts: StrList = Field(default_factory=lambda: ["*"])
    # Strict-Transport-Security max-age, sent in deployed environments only.
    hsts_seconds: int = Field(default=31_536_000, ge=0)
    content_security_policy: str = "default-src 'none'; frame-ancestors 'none'"
    # Larger request bodies are refused with 413.
    max_body_bytes: int = Field(default=1024 * 1024, ge=1)
    # Proxies (addresses or networks) whose X-Forwarded-For is believed; others' is ignored.
    trusted_proxies: StrList = Field(default_factory=list)

    @field_validator("trusted_proxies")
    @classmethod
    def _check_networks(cls, value: list[str]) -> list[str]:
        for entry in value:
            try:
                ip_network(entry, strict=False)
            except ValueError:
                msg = f"{entry!r} is not an IP address or network"
                raise ValueError(msg) from None
        return value


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_file=".env",
        env_nested_delimiter="__",
        extra="ignore",
    )

    environment: Environment = Environment.DEVELOPMENT
    debug: bool = False
    secret_key: SecretStr = SecretStr(DEVELOPMENT_SECRET_KEY)
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"] = "INFO"
    # Defaults to text in development and json elsewhere.
    log_format: Literal["json", "text"] = "text"
{%- if cookiecutter.database == "postgresql" %}
    database_url: str = "postgresql://app:app@localhost:5432/{{ cookiecutter.project_slug }}"
{%- elif cookiecutter.database == "mysql" %}
    database_url: str = "mysql://app:app@localhost:3306/{{ cookiecutter.project_slug }}"
{%- else %}
    database_url: str = "sqlite:///./{{ cookiecutter.project_slug }}.db"
{%- endif %}
{%- if cookiecutter.use_redis %}
    redis_url: str = "redis://localhost:6379/0"
{%- endif %}
    cors_origins: StrList = Field(default_factory=list)

    app: AppSettings = Field(default_factory=AppSettings)
    database: DatabaseSettings = Field(default_factory=DatabaseSettings)
{%- if cookiecutter.use_redis %}
    redis: RedisSettings = Field(default_factory=RedisSettings)
    cache: CacheSettings = Field(default_factory=CacheSettings)
    rate_limit: RateLimitSettings = Field(default_factory=RateLimitSettings)
    flags: FlagSettings = Field(default_factory=FlagSettings)
{%- endif %}
{%- if cookiecutter.use_celery %}
    celery: CelerySettings = Field(default_factory=CelerySettings)
{%- endif %}
{%- if cookiecutter.use_auth %}
    auth: AuthSettings = Field(default_factory=AuthSettings)
{%- endif %}
    logging: LoggingSettings = Field(default_factory=LoggingSettings)
    metrics: MetricsSettings = Field(default_factory=MetricsSettings)
    cors: CorsSettings = Field(default_factory=CorsSettings)
    security: SecuritySettings = Field(default_factory=SecuritySettings)

    @field_validator("database_url")
    @classmethod
    def _check_database_scheme(cls, value: str) -> str:
        if urlsplit(value).scheme.split("+")[0] not in DATABASE_SCHEMES:
            msg = "must be a {{ cookiecutter.database }}:// URL"
            raise ValueError(msg)
        return value

    @model_validator(mode="after")
    def _apply_environment_defaults(self) -> Self:
        """Defaults that depend on ENVIRONMENT, applied only where nothing was set."""
        if "log_format" not in self.model_fields_set:
            self.log_format = "text" if self.environment is Environment.DEVELOPMENT else "json"
        for section in self.sections():
            section.apply_environment_defaults(self.environment)
        return self
{%- if cookiecutter.database == "sqlite" %}

    @model_validator(mode="after")
    def _note_single_host(self) -> Self:
        # Allowed, because SQLite was chosen on purpose, but it only suits one process on one host.
        if self.environment.is_deployed:
            logger.warning("SQLite in %s: run a single process on a single host", self.environment.value)
        return self
{%- endif %}

    @property
    def log_as_json(self) -> bool:
        return self.log_format == "json"
{%- if cookiecutter.use_celery %}

    @property
    def broker_url(self) -> str:
        return self.celery.broker_url or self.redis_url

    @property
    def result_backend(self) -> str:
        return self.celery.result_backend or self.redis_url
{%- endif %}

    def sections(self) -> list[Section]:
        return [section for name in type(self).model_fields if isinstance(section := getattr(self, name), Section)]

    def problems(self) -> list[str]:
        """Unsafe settings, each naming the variable and the rule; never a secret's value."""
        found: list[str] = []
        secret = self.secret_key.get_secret_value()
        if secret == DEVELOPMENT_SECRET_KEY:
            found.append("SECRET_KEY is the development default; set a long random value")
        elif len(secret) < MIN_SECRET_KEY_LENGTH:
            found.append(f"SECRET_KEY is shorter than {MIN_SECRET_KEY_LENGTH} characters")
        if self.debug:
            found.append("DEBUG must be false outside development")
        if "*" in self.cors_origins and self.cors.allow_credentials:
            found.append("CORS_ORIGINS must not contain '*' while CORS__ALLOW_CREDENTIALS is true")
        for section in self.sections():
            found.extend(section.problems())
        if self.environment.is_deployed:
            unset = [name for name in SERVICE_URLS if name not in self.model_fields_set]
            found.extend(f"{name.upper()} must be set; the default points at localhost" for name in unset)
        return found

    def connection_info(self) -> dict[str, str]:
        """What this process connects to, with passwords masked; safe to log."""
        services = {name.removesuffix("_url"): mask_password(getattr(self, name)) for name in SERVICE_URLS}
{%- if cookiecutter.use_celery %}
        services["broker"] = mask_password(self.broker_url)
{%- endif %}
        return {"environment": self.environment.value, **services}


class SettingsError(Exception):
    """Settings that cannot be used; the message is safe to print."""


def mask_password(url: str) -> str:
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.rsplit("@", 1)[1]
    user = parts.username or ""
    return urlunsplit(parts._replace(netloc=f"{user}:***@{netloc}"))


def env_name(location: tuple[int | str, ...]) -> str:
    """The environment variable behind a field location, e.g. ("database", "pool_size")."""
    return "__".join(str(part) for part in location).upper()


def load_settings() -> Settings:
    """Build settings, refusing unsafe ones in staging and production.

    Raises SettingsError with one line per problem; development and test only warn.
    """
    try:
        settings = Settings()
    except ValidationError as exc:
        # Describe by variable and rule only: pydantic's own message echoes the input value.
        lines = [f"{env_name(error['loc'])}: {error['msg']}" for error in exc.errors()]
        raise SettingsError("\n".join(lines)) from None
    problems = settings.problems()
    if settings.environment.is_deployed and problems:
        env = settings.environment.value
        raise SettingsError("\n".join(f"{problem} (ENVIRONMENT={env})" for problem in problems))
    for problem in problems:
        logger.warning("unsafe setting: %s", problem)
    return settings


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return load_settings()
