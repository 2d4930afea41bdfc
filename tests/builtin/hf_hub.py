"""A stand-in for the Hugging Face Hub on 127.0.0.1, for ``models pull hf:...``.

Hugging Face is not reachable from the test machines, so this serves the
two endpoints a download uses, shaped as the Hub documents them and as
``huggingface_hub`` reads them:

- ``GET /api/models/OWNER/REPO?blobs=true``: ``{"id", "sha", "siblings":
  [{"rfilename", "size", "blobId", "lfs": {"sha256", "size",
  "pointerSize"}}]}`` (``lfs`` only on LFS files; ``size`` only with
  ``blobs=true``); 404 ``{"error": "Repository not found"}`` for an unknown
  repository, 401 for a gated one asked without a token;
- ``GET /OWNER/REPO/resolve/main/FILE``: a 302 to the file on the "CDN"
  (another path here; on the Hub another host), which answers ``Range:
  bytes=N-`` with 206 and ``Content-Range``, as a CDN does.

A test can make the CDN drop the connection after some bytes (an
interrupted download), ignore ranges (a 200 with the whole file), or serve
bytes that do not match the listed sha256.
"""

from __future__ import annotations

import hashlib
import json
import re
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import unquote, urlsplit


@dataclass
class HubFile:
    content: bytes
    #: The sha256 the API lists (default: the content's own).
    listed_sha256: str | None = None
    lfs: bool = True

    @property
    def sha256(self) -> str:
        return self.listed_sha256 or hashlib.sha256(self.content).hexdigest()


@dataclass
class Hub:
    repos: dict[str, dict[str, HubFile]] = field(default_factory=dict)
    gated: set[str] = field(default_factory=set)
    #: Drop the connection after this many bytes of the next file response (then forget it).
    drop_after: int | None = None
    ignore_range: bool = False
    requests: list[tuple[str, dict[str, str]]] = field(default_factory=list)


class HubServer:
    def __init__(self) -> None:
        self.hub = Hub()
        hub = self.hub

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: object) -> None:
                pass

            def _json(self, status: int, body: object) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json; charset=utf-8")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self) -> None:  # noqa: N802 - http.server's name
                split = urlsplit(self.path)
                path = unquote(split.path)
                hub.requests.append((path, {k.lower(): v for k, v in self.headers.items()}))
                if match := re.fullmatch(r"/api/models/([^/]+/[^/]+)", path):
                    return self._model_info(match.group(1), "blobs=true" in split.query)
                if match := re.fullmatch(r"/([^/]+/[^/]+)/resolve/main/(.+)", path):
                    return self._resolve(match.group(1), match.group(2))
                if match := re.fullmatch(r"/cdn/([^/]+/[^/]+)/(.+)", path):
                    return self._cdn(match.group(1), match.group(2))
                self._json(404, {"error": "Not Found"})

            def _authorised(self, repo: str) -> bool:
                return repo not in hub.gated or self.headers.get("Authorization", "").startswith("Bearer ")

            def _model_info(self, repo: str, blobs: bool) -> None:
                if repo not in hub.repos:
                    return self._json(404, {"error": "Repository not found"})
                if not self._authorised(repo):
                    return self._json(401, {"error": "Access to model is restricted."})
                siblings = []
                for name, item in hub.repos[repo].items():
                    entry: dict[str, object] = {"rfilename": name}
                    if blobs:
                        entry["size"] = len(item.content)
                        entry["blobId"] = hashlib.sha1(item.content).hexdigest()
                        if item.lfs:
                            entry["lfs"] = {"sha256": item.sha256, "size": len(item.content), "pointerSize": 135}
                    siblings.append(entry)
                self._json(200, {"_id": "x", "id": repo, "modelId": repo, "sha": "0" * 40, "siblings": siblings})

            def _resolve(self, repo: str, name: str) -> None:
                if repo not in hub.repos or name not in hub.repos[repo]:
                    return self._json(404, {"error": "Entry not found"})
                if not self._authorised(repo):
                    return self._json(401, {"error": "Access to model is restricted."})
                self.send_response(302)
                self.send_header("Location", f"http://127.0.0.1:{self.server.server_address[1]}/cdn/{repo}/{name}")
                self.send_header("Content-Length", "0")
                self.end_headers()

            def _cdn(self, repo: str, name: str) -> None:
                content = hub.repos[repo][name].content
                start = 0
                wanted = self.headers.get("Range")
                if wanted and not hub.ignore_range:
                    match = re.fullmatch(r"bytes=(\d+)-", wanted.strip())
                    start = int(match.group(1)) if match else 0
                    if start >= len(content):
                        self.send_response(416)
                        self.send_header("Content-Range", f"bytes */{len(content)}")
                        self.send_header("Content-Length", "0")
                        self.end_headers()
                        return
                    self.send_response(206)
                    self.send_header("Content-Range", f"bytes {start}-{len(content) - 1}/{len(content)}")
                else:
                    self.send_response(200)
                body = content[start:]
                self.send_header("Content-Type", "application/octet-stream")
                self.send_header("Accept-Ranges", "bytes")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if hub.drop_after is not None:
                    cut, hub.drop_after = hub.drop_after, None
                    self.wfile.write(body[:cut])
                    self.wfile.flush()
                    self.close_connection = True
                    return
                self.wfile.write(body)

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> HubServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
