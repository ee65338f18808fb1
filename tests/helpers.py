"""Small helpers for HTTP tests: signing in through the real form, same-origin posts."""
from __future__ import annotations

import re

ORIGIN = {"Origin": "http://localhost"}


def csrf_from(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, "no CSRF token in the page"
    return match.group(1)


def sign_in(client, username: str, password: str, *, remember: bool = False, next_path: str = ""):
    """Sign in through GET /login and POST /login, as a browser would; returns the response."""
    token = csrf_from(client.get("/login").get_data(as_text=True))
    form = {"username": username, "password": password, "csrf_token": token, "next": next_path}
    if remember:
        form["remember"] = "1"
    response = client.post("/login", data=form, headers=ORIGIN)
    assert response.status_code in (302, 401, 429), response.status_code
    return response
