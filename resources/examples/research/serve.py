"""The research example's HTTP API: product ratings and support load as JSON, served on
127.0.0.1 with the standard library only (the workflow's `http_request` scope allows just
this host and port). Run: python serve.py [--port 8765]   (Ctrl+C stops it)"""

from __future__ import annotations

import argparse
import json
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

RATINGS = {
    "source": "review-service",
    "period": "2024-H1",
    "products": [
        {"product": "Beacon router", "rating": 3.6, "reviews": 812, "top_complaint": "drops Wi-Fi"},
        {"product": "Lookout camera", "rating": 4.4, "reviews": 1930, "top_complaint": "gaps"},
        {"product": "Ember thermostat", "rating": 4.7, "reviews": 402, "top_complaint": "setup"},
        {"product": "Chime doorbell", "rating": 4.1, "reviews": 655, "top_complaint": "battery"},
    ],
}
SUPPORT = {
    "source": "helpdesk",
    "period": "2024-H1",
    "tickets_per_1000_units": {
        "Beacon router": 41,
        "Lookout camera": 18,
        "Ember thermostat": 9,
        "Chime doorbell": 14,
    },
}
ROUTES: dict[str, Any] = {
    "/api/health": {"ok": True},
    "/api/ratings": RATINGS,
    "/api/support": SUPPORT,
}


class Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body = ROUTES.get(self.path.split("?", 1)[0])
        status = 200 if body is not None else 404
        data = json.dumps(body if body is not None else {"error": "not found"}).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: Any) -> None:
        pass


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=8765)
    args = parser.parse_args()
    server = ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    print(f"serving http://127.0.0.1:{server.server_address[1]}/api/ (Ctrl+C stops)", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
