"""The load generator (bench/_load.py) against a tiny HTTP server on the loopback: it counts
what it was sent and, asked ``by_path``, each path's latencies apart."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, ClassVar

import pytest

from bench._load import run_load


class _Answer(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    seen: ClassVar[set[tuple[str, str, str]]] = set()  # what was posted: path, content type, body

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length", 0))
        body = self.rfile.read(length).decode()
        _Answer.seen.add((self.path, self.headers.get("Content-Type", ""), body))
        self.do_GET()

    def do_GET(self) -> None:
        status = 404 if self.path == "/missing" else 200
        self.send_response(status)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, *_: Any) -> None:
        pass


@pytest.fixture
def server() -> Iterator[ThreadingHTTPServer]:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Answer)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield httpd
    httpd.shutdown()
    thread.join()


def _spec(server: ThreadingHTTPServer, paths: list[str], **more: Any) -> dict[str, Any]:
    host, port = server.server_address[:2]
    return {
        "host": host,
        "port": port,
        "connections": 4,
        "seconds": 1,
        "warmup_seconds": 0.2,
        "method": "GET",
        "paths": paths,
        **more,
    }


def test_paths_taken_in_turn_are_reported_apart_when_asked(server):
    measured = run_load(_spec(server, ["/one", "/two"], by_path=True))

    apart = measured["by_path"]
    assert set(apart) == {"/one", "/two"}
    assert sum(path["requests"] for path in apart.values()) == measured["requests"] > 10
    assert abs(apart["/one"]["requests"] - apart["/two"]["requests"]) <= 4  # one per client
    assert set(apart["/one"]["latency_ms"]) == {"p50", "p90", "p99", "mean", "max"}


def test_every_latency_is_returned_when_asked_so_that_runs_can_be_pooled(server):
    measured = run_load(_spec(server, ["/one", "/two"], by_path="samples"))

    for path in measured["by_path"].values():
        assert len(path["samples_ms"]) == path["requests"] > 0
        assert max(path["samples_ms"]) == pytest.approx(path["latency_ms"]["max"], abs=0.001)


def test_forms_are_posted_with_the_content_type_asked_for(server):
    _Answer.seen.clear()
    form = "q=%E5%BC%A0&csrf_token=t"
    spec = _spec(server, ["/form"], method="POST", bodies=[form])
    run_load({**spec, "content_type": "application/x-www-form-urlencoded"})

    assert _Answer.seen == {("/form", "application/x-www-form-urlencoded", form)}


def test_without_by_path_one_summary_and_unexpected_answers_fail_the_run(server):
    measured = run_load(_spec(server, ["/one"]))

    assert "by_path" not in measured and measured["statuses"] == {"200": measured["requests"]}
    with pytest.raises(RuntimeError, match="unexpected answers"):
        run_load(_spec(server, ["/missing"]))
