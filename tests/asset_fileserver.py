"""A real HTTP file server on loopback for the download tests.

It serves bytes from memory, honours `Range: bytes=N-` and `If-Range` (unless `ignore_range`), and
logs the headers of every request, so a test can prove that a resume asked for the bytes it
lacked. `pause_first_at` holds the first full request of a file after that many bytes until
`release()`: a download is then reliably "in the middle" while a test kills its server.

    with FileServer() as files:
        url = files.add("/model.safetensors", data)
        ...
        assert files.ranges("/model.safetensors") == [None, "bytes=3145728-"]
"""

from __future__ import annotations

import hashlib
import os
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

CHUNK = 64 * 1024


def model_bytes(size: int) -> bytes:
    """`size` bytes that do not repeat in any useful way (so a wrong offset changes the hash)."""
    return os.urandom(size)


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@dataclass(frozen=True)
class LoggedRequest:
    path: str
    range: str | None
    if_range: str | None


class FileServer:
    def __init__(self) -> None:
        self.files: dict[str, bytes] = {}
        self.redirects: dict[str, str] = {}
        self.requests: list[LoggedRequest] = []
        self.ignore_range = False
        self.pause_first_at: int | None = None
        self.delay_per_chunk = 0.0
        self._released = threading.Event()
        self._paused_once = False
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_port}"

    def add(self, path: str, data: bytes) -> str:
        self.files[path] = data
        return self.base_url + path

    def redirect(self, path: str, location: str) -> str:
        self.redirects[path] = location
        return self.base_url + path

    def ranges(self, path: str) -> list[str | None]:
        """The Range header of each request for `path`, in order (None: no Range)."""
        return [logged.range for logged in self.requests if logged.path == path]

    def release(self) -> None:
        self._released.set()

    def __enter__(self) -> FileServer:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.release()
        self._server.shutdown()
        self._server.server_close()

    def should_pause(self, has_range: bool) -> bool:
        with self._lock:
            if self.pause_first_at is None or has_range or self._paused_once:
                return False
            self._paused_once = True
            return True

    def wait_released(self) -> None:
        self._released.wait(120)


def _handler(files: FileServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:
            pass

        def do_GET(self) -> None:
            path = self.path.split("?", 1)[0]
            files.requests.append(
                LoggedRequest(path, self.headers.get("Range"), self.headers.get("If-Range"))
            )
            if path in files.redirects:
                self.send_response(302)
                self.send_header("Location", files.redirects[path])
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            data = files.files.get(path)
            if data is None:
                self.send_error(404)
                return
            try:
                self._send_file(data)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the downloader went away (a killed server): nothing to finish

        def _send_file(self, data: bytes) -> None:
            etag = f'"{sha256(data)[:16]}"'
            start = self._range_start(data, etag)
            if start is not None and start >= len(data):
                self.send_response(416)
                self.send_header("Content-Range", f"bytes */{len(data)}")
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            if start is None:
                self.send_response(200)
                start = 0
            else:
                self.send_response(206)
                self.send_header("Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}")
            self.send_header("Content-Length", str(len(data) - start))
            self.send_header("ETag", etag)
            self.send_header("Accept-Ranges", "bytes")
            self.end_headers()
            self._send_body(data, start)

        def _range_start(self, data: bytes, etag: str) -> int | None:
            header = self.headers.get("Range")
            if files.ignore_range or not header or not header.startswith("bytes="):
                return None
            if_range = self.headers.get("If-Range")
            if if_range is not None and if_range != etag:
                return None  # the file changed since the client's copy began: send all of it
            return int(header[len("bytes=") :].split("-", 1)[0])

        def _send_body(self, data: bytes, start: int) -> None:
            pause = files.should_pause(self.headers.get("Range") is not None)
            position = start
            while position < len(data):
                if pause and position >= (files.pause_first_at or 0):
                    files.wait_released()
                    return  # never finish this response: the client resumes elsewhere
                end = min(position + CHUNK, len(data))
                self.wfile.write(data[position:end])
                self.wfile.flush()
                position = end
                if files.delay_per_chunk:
                    threading.Event().wait(files.delay_per_chunk)

    return Handler
