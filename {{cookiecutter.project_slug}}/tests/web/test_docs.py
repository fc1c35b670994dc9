"""OpenAPI documents the API in development and is hidden in production by default."""

import httpx

from {{ cookiecutter.project_slug }}.settings import Environment, Settings
from tests.web.types import ClientFactory

SECRET = "s" * 48


def test_openapi_lists_the_health_routes(client: httpx.Client, openapi_path: str) -> None:
    response = client.get(openapi_path)
    assert response.status_code == 200
    paths = response.json()["paths"]
    assert "/health/live" in paths
    assert "/health/ready" in paths


def test_openapi_is_off_in_production(settings: Settings, client_for: ClientFactory, openapi_path: str) -> None:
    production = Settings(
        _env_file=None,
        environment=Environment.PRODUCTION,
        secret_key=SECRET,
        database_url=settings.database_url,
{%- if cookiecutter.use_redis %}
        redis_url=settings.redis_url,
{%- endif %}
    )
    with client_for(production) as client:
        assert client.get(openapi_path).status_code == 404
{%- if cookiecutter.use_auth %}


def test_openapi_documents_the_bearer_scheme_where_the_caller_is_read(client: httpx.Client, openapi_path: str) -> None:
    document = client.get(openapi_path).json()
    scheme = document["components"]["securitySchemes"]["HTTPBearer"]
    assert (scheme["type"], scheme["scheme"]) == ("http", "bearer")
    paths = document["paths"]
    assert paths["/api/v1/users/me"]["get"]["security"] == [{"HTTPBearer": []}]
    assert paths["/api/v1/users/{user_id}"]["patch"]["security"] == [{"HTTPBearer": []}]
    assert "security" not in paths["/api/v1/auth/login"]["post"]
{%- endif %}
