"""Whether the model API can be reached at all, asked without the CLI.

When a session fails because the API could not be reached (no network, DNS down, a proxy
refusing), the next session would fail the same way after the CLI's own start-up; the loop
asks here instead, a few times over a short while, and stops naming the cause when the answer
stays no. ``verify --live`` asks first too, so an offline machine gets its answer at once.

The endpoint is the one the CLI uses: ``ANTHROPIC_BASE_URL`` or the public API, reached through
``HTTPS_PROXY`` (``HTTP_PROXY`` for a plain-http endpoint) unless ``NO_PROXY`` names its host.
Only a TCP connection is opened: nothing is sent.
"""

from __future__ import annotations

import os
import re
import socket
from collections.abc import Mapping
from urllib.parse import urlsplit

DEFAULT_API = "https://api.anthropic.com"
CONNECT_TIMEOUT_SECONDS = 3.0

UNREACHABLE = re.compile(
    r"\b(ENOTFOUND|EAI_AGAIN|ECONNREFUSED|ECONNRESET|ETIMEDOUT|EHOSTUNREACH|ENETUNREACH|"
    r"ENETDOWN|EPIPE|UND_ERR_CONNECT_TIMEOUT|UND_ERR_SOCKET|CERT_HAS_EXPIRED)\b|"
    r"Can't reach the API|Connection error|Connection refused|Unable to connect",
    re.IGNORECASE,
)
"""How the CLI words a request that never reached the API (its result text)."""


def endpoint(environ: Mapping[str, str] | None = None) -> tuple[str, int, str]:
    """The host and port a connection to the API goes to first, and how to name it."""
    env = os.environ if environ is None else environ
    api = urlsplit(env.get("ANTHROPIC_BASE_URL") or DEFAULT_API)
    host = api.hostname or "api.anthropic.com"
    port = api.port or (80 if api.scheme == "http" else 443)
    proxy_names: tuple[str, ...] = ("HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy")
    if api.scheme == "http":
        proxy_names = ("HTTP_PROXY", "http_proxy", *proxy_names[2:])
    proxy = next((env[name] for name in proxy_names if env.get(name)), "")
    if proxy and not _bypassed(host, env.get("NO_PROXY") or env.get("no_proxy") or ""):
        through = urlsplit(proxy if "://" in proxy else "http://" + proxy)
        if through.hostname:
            name = f"the proxy {through.hostname}:{through.port or 80} (for {host})"
            return through.hostname, through.port or 80, name
    return host, port, f"{host}:{port}"


def _bypassed(host: str, no_proxy: str) -> bool:
    for entry in (e.strip().lstrip(".") for e in no_proxy.split(",")):
        if entry == "*" or (entry and (host == entry or host.endswith("." + entry))):
            return True
    return False


def unreachable(environ: Mapping[str, str] | None = None) -> str:
    """'' when a TCP connection to the API's endpoint opens; otherwise why it does not."""
    host, port, name = endpoint(environ)
    try:
        with socket.create_connection((host, port), timeout=CONNECT_TIMEOUT_SECONDS):
            return ""
    except socket.gaierror as exc:
        return f"cannot reach {name}: its name does not resolve ({exc.strerror or exc})"
    except TimeoutError:
        return f"cannot reach {name}: no answer within {CONNECT_TIMEOUT_SECONDS:g}s"
    except OSError as exc:
        return f"cannot reach {name}: {exc.strerror or exc}"
