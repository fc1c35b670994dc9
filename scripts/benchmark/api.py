"""Requests to a served project's API, checked as they go, and requests timed one at a time."""

from __future__ import annotations

import http.client
import json
import statistics
import time
from dataclasses import dataclass
from http import HTTPStatus
from typing import TYPE_CHECKING, Any

from .config import SKIP_REASON_CHARS, BenchmarkError

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping, Sequence

ITEMS_PATH = "/api/v1/items"
READY_PATH = "/health/ready"
REQUEST_TIMEOUT_S = 5.0
# Far more than a run sends in a minute: the limiter counts every request and refuses none.
UNREACHED_LIMIT = 1_000_000
RATE_LIMIT_HEADER = "RateLimit-Limit"


@dataclass(frozen=True)
class LatencySample:
    median_ms: float
    p99_ms: float
    requests: int
    new_connections: int


def send(
    connection: http.client.HTTPConnection,
    method: str,
    path: str,
    body: object = None,
    headers: Mapping[str, str] | None = None,
) -> tuple[http.client.HTTPResponse, bytes]:
    """One request with a JSON body, or none, and `headers`; return the response and its body, read in full."""
    sent = {**({} if body is None else {"Content-Type": "application/json"}), **(headers or {})}
    try:
        connection.request(method, path, None if body is None else json.dumps(body), sent)
        response = connection.getresponse()
        content = response.read()
    except (OSError, http.client.HTTPException) as exc:
        msg = f"{method} {path}: {type(exc).__name__}: {exc}"
        raise BenchmarkError(msg) from exc
    return response, content


def request(
    connection: http.client.HTTPConnection, method: str, path: str, body: object = None
) -> tuple[int, dict[str, Any]]:
    """One request with a JSON body, or none; return the status and the JSON object answered."""
    response, content = send(connection, method, path, body)
    return response.status, json_object(method, path, content)


def json_object(method: str, path: str, content: bytes) -> dict[str, Any]:
    """The JSON object of a response body; an empty body is an empty object."""
    try:
        answer = json.loads(content or b"{}")
    except ValueError as exc:
        msg = f"{method} {path}: {type(exc).__name__}: {exc}"
        raise BenchmarkError(msg) from exc
    if not isinstance(answer, dict):
        msg = f"{method} {path}: expected a JSON object, got {str(answer)[:SKIP_REASON_CHARS]}"
        raise BenchmarkError(msg)
    return answer


def expect(answer: tuple[int, dict[str, Any]], wanted: HTTPStatus, what: str) -> dict[str, Any]:
    """The body of an answer with the wanted status."""
    status, body = answer
    if status != wanted:
        msg = f"{what}: status {status}, expected {wanted.value}: {str(body)[:SKIP_REASON_CHARS]}"
        raise BenchmarkError(msg)
    return body


def get_ok(
    connection: http.client.HTTPConnection, path: str, headers: Mapping[str, str] | None = None
) -> http.client.HTTPResponse:
    """GET a path with `headers`, read in full; fail unless the status is 200."""
    response, content = send(connection, "GET", path, headers=headers)
    if response.status != HTTPStatus.OK:
        msg = f"GET {path}: status {response.status}: {content[:SKIP_REASON_CHARS]!r}"
        raise BenchmarkError(msg)
    return response


def create_items(connection: http.client.HTTPConnection, number: int, name: str = "item") -> list[int]:
    """Check the server is ready, then create `number` items named `name` NNN; return their ids."""
    expect(request(connection, "GET", READY_PATH), HTTPStatus.OK, f"GET {READY_PATH}")
    ids = []
    for n in range(number):
        item = {"name": f"{name} {n:03d}", "description": f"Benchmark item number {n}.", "quantity": n}
        created = expect(request(connection, "POST", ITEMS_PATH, item), HTTPStatus.CREATED, f"POST {ITEMS_PATH}")
        ids.append(int(created["id"]))
    return ids


def check_limiter(response: http.client.HTTPResponse, setup_name: str, *, rate_limited: bool) -> None:
    """Fail unless the answer's rate limit headers show the limiter on at the unreached limit, or off."""
    limit_headers = {name: value for name, value in response.getheaders() if "ratelimit-" in name.lower()}
    limit = response.getheader(RATE_LIMIT_HEADER)
    if rate_limited and limit != str(UNREACHED_LIMIT):
        msg = f"{setup_name}: {RATE_LIMIT_HEADER} is {limit}, expected {UNREACHED_LIMIT}: the limiter is not on as set"
        raise BenchmarkError(msg)
    if not rate_limited and limit_headers:
        msg = f"{setup_name}: the limiter should be off, but the answer has {limit_headers}"
        raise BenchmarkError(msg)


def timed_calls(
    connection: http.client.HTTPConnection, call: Callable[[], object], warmup: int, number: int
) -> LatencySample:
    """Call `warmup` times, then time `number` calls one after another, each a request over `connection`.

    A server that closes the connection after each response makes http.client reconnect before
    the next request: those reconnections are counted, and timed with the request.
    """
    times = []
    opened = 0
    for _ in range(warmup):
        call()
    for _ in range(number):
        opened += connection.sock is None  # http.client reconnects on its own
        started = time.perf_counter()
        call()
        times.append(time.perf_counter() - started)
    p99 = statistics.quantiles(times, n=100)[98]
    return LatencySample(statistics.median(times) * 1000, p99 * 1000, len(times), opened)


def reconnections(samples: Sequence[LatencySample]) -> str:
    """A note when the server closed connections, so timed requests also opened new ones."""
    opened = sum(sample.new_connections for sample in samples)
    if opened == 0:
        return ""
    if opened == sum(sample.requests for sample in samples):
        return " (a new connection per request)"
    return f" ({opened} reconnections)"
