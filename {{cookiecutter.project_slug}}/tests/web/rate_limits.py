from redis import Redis

from {{ cookiecutter.project_slug }}.settings import Settings


def limit_keys(settings: Settings) -> list[str]:
    """The rate-limit keys in this test's Redis namespace."""
    with Redis.from_url(settings.redis_url) as redis:
        return [key.decode() for key in redis.scan_iter(match=f"{settings.redis.key_prefix}:ratelimit:*")]


def counted_as(settings: Settings, who: str) -> bool:
    """Whether a request was counted under `who`, such as "default:ip:1.2.3.4"."""
    return any(f"/{who}/" in key for key in limit_keys(settings))
