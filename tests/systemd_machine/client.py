"""Run on the booted machine with the service's own Python: a client's round trip through the
web app and the worker, using only the standard library. Prints what it saw as JSON."""

import json
import secrets
import sys
import time
import urllib.error
import urllib.request
from email.message import Message
from typing import Any

BASE = "http://127.0.0.1:8000"
TIMEOUT_SECONDS = 60


def call(method: str, path: str, body: object = None, token: str | None = None) -> tuple[int, Any, Message]:
    """One request; `path` may also be a whole URL (a Location header)."""
    url = path if path.startswith("http://") else BASE + path
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, method=method, data=data)  # noqa: S310 - plain HTTP on localhost
    request.add_header("Content-Type", "application/json")
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:  # noqa: S310 - a fixed local URL
            return answer.status, json.loads(answer.read() or b"null"), answer.headers
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"null"), error.headers


def ready() -> int:
    """/health/ready's status once the server listens (a started unit may not listen yet)."""
    deadline = time.monotonic() + TIMEOUT_SECONDS
    while True:
        try:
            return call("GET", "/health/ready")[0]
        except urllib.error.URLError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.5)


def main() -> None:
    seen: dict[str, Any] = {"ready": ready()}
    email, password = f"user-{secrets.token_hex(4)}@example.com", "correct horse battery staple"
    seen["register"] = call("POST", "/api/v1/auth/register", {"email": email, "password": password})[0]
    _, tokens, _ = call("POST", "/api/v1/auth/login", {"email": email, "password": password})
    token = tokens["access_token"]
    name = f"item-{secrets.token_hex(4)}"
    status, _, headers = call("POST", "/api/v1/items/imports", {"items": [{"name": name, "quantity": 5}]}, token)
    seen["import"] = status
    deadline = time.monotonic() + TIMEOUT_SECONDS
    while (state := call("GET", headers["location"], token=token)[1]["state"]) not in {"SUCCESS", "FAILURE"}:
        if time.monotonic() > deadline:
            break
        time.sleep(0.2)
    seen["task"] = state
    _, listed, _ = call("GET", f"/api/v1/items?name={name}", token=token)
    seen["quantities"] = [item["quantity"] for item in listed["items"]]
    json.dump(seen, sys.stdout)


if __name__ == "__main__":
    main()
