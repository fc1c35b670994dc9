"""HTTP rules the web layer applies: security headers and accepted request media types."""

from {{ cookiecutter.project_slug }}.settings import Settings


def security_headers(settings: Settings) -> dict[str, str]:
    headers = {
        "X-Content-Type-Options": "nosniff",
        "X-Frame-Options": "DENY",
        "Referrer-Policy": "no-referrer",
        "Content-Security-Policy": settings.security.content_security_policy,
    }
    if settings.environment.is_deployed and settings.security.hsts_seconds:
        headers["Strict-Transport-Security"] = f"max-age={settings.security.hsts_seconds}; includeSubDomains"
    return headers


def is_json(content_type: str) -> bool:
    """application/json or an application/*+json type, whatever the parameters."""
    media_type = content_type.split(";", 1)[0].strip().lower()
    return media_type == "application/json" or (media_type.startswith("application/") and media_type.endswith("+json"))
