"""`comfyd models`: download a model file into a server's model folder, and list the models it has.

`download` asks the server to fetch the file (`POST /api/assets/download`) and follows its
`asset_download` messages on `/ws` with a progress bar; the server does the transfer, so the file
never passes through this machine. Results go to stdout, progress and errors to stderr.
"""

from __future__ import annotations

import json
import uuid
from typing import Annotated, Any

import httpx
import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TransferSpeedColumn
from websockets.exceptions import WebSocketException
from websockets.sync.client import ClientConnection, connect

DEFAULT_SERVER = "http://127.0.0.1:8188"
FINISHED = ("completed", "failed", "cancelled")
# Folder keys `/models` lists that hold node packs' code, not models.
NOT_MODEL_FOLDERS = ("custom_nodes",)
# How long the socket may stay quiet before the download's status is read over HTTP instead (a
# message can be missed, say across a reconnect; the status route always knows the outcome).
QUIET_SECONDS = 5.0

models = typer.Typer(help="Download and list model files on a server.", no_args_is_help=True)

Server = Annotated[str, typer.Option("--server", envvar="COMFYD_SERVER", help="The server's base URL.")]
ApiKey = Annotated[
    str | None,
    typer.Option("--api-key", envvar="COMFYD_API_KEY", help="An API key (an administrator's to download)."),
]


class ModelsError(Exception):
    """The server refused or could not be reached; the message says what to do."""


@models.command("download")
def download(
    url: Annotated[str, typer.Argument(help="An http(s) URL of the model file.")],
    folder: Annotated[str, typer.Option("--folder", help="The model folder: checkpoints, loras, vae, ...")],
    filename: Annotated[
        str | None, typer.Option("--filename", help="The name to save it as (default: the URL's last part).")
    ] = None,
    sha256: Annotated[
        str | None, typer.Option("--sha256", help="The file's expected SHA-256, checked.")
    ] = None,
    server: Server = DEFAULT_SERVER,
    api_key: ApiKey = None,
) -> None:
    """Have the server download a model into one of its model folders, showing the progress."""
    err = Console(stderr=True, soft_wrap=True)
    client_id = uuid.uuid4().hex
    body = {"url": url, "folder": folder, "filename": filename, "sha256": sha256, "client_id": client_id}
    started: dict[str, Any] | None = None
    try:
        with _http(server, api_key) as http, _events(server, client_id, api_key) as socket:
            started = _expect(http.post("/api/assets/download", json=body), 202)
            final = _follow(http, socket, started, err)
    except KeyboardInterrupt:
        _cancel(server, api_key, started, err)
        raise typer.Exit(130) from None
    except (ModelsError, httpx.HTTPError) as exc:
        _fail(err, str(exc))
    if final["status"] != "completed":
        _fail(err, final.get("error") or f"The download was {final['status']}.")
    typer.echo(f"{final['folder']}/{final['filename']}")


@models.command("list")
def list_models(
    folder: Annotated[str | None, typer.Option("--folder", help="Only this model folder.")] = None,
    server: Server = DEFAULT_SERVER,
    api_key: ApiKey = None,
) -> None:
    """Print the server's model files, one a line: `name` with --folder, else `folder/name`."""
    err = Console(stderr=True, soft_wrap=True)
    try:
        with _http(server, api_key) as http:
            if folder is not None:
                for name in _folder_files(http, folder):
                    typer.echo(name)
                return
            for key in _expect(http.get("/api/models"), 200):
                if key in NOT_MODEL_FOLDERS:
                    continue
                for name in _folder_files(http, key):
                    typer.echo(f"{key}/{name}")
    except (ModelsError, httpx.HTTPError) as exc:
        _fail(err, str(exc))


def _folder_files(http: httpx.Client, folder: str) -> list[str]:
    reply = http.get(f"/api/models/{folder}")
    if reply.status_code == 404:
        raise ModelsError(f"The server has no model folder {folder!r}.")
    return _expect(reply, 200)


# -- following a download ----------------------------------------------------------------------


class DownloadBar:
    """A rich progress bar fed with one download's `asset_download` messages."""

    def __init__(self, name: str, console: Console) -> None:
        self._bar = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            DownloadColumn(),
            TransferSpeedColumn(),
            console=console,
        )
        self._task = self._bar.add_task(escape(name), total=None)

    def __enter__(self) -> DownloadBar:
        self._bar.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._bar.stop()

    def update(self, message: dict[str, Any]) -> None:
        self._bar.update(
            self._task, completed=message.get("bytes_done") or 0, total=message.get("bytes_total")
        )


def _follow(
    http: httpx.Client, socket: ClientConnection, download: dict[str, Any], err: Console
) -> dict[str, Any]:
    """The download's last state, read from `/ws` messages (or its status route when they stop)."""
    with DownloadBar(f"{download['folder']}/{download['filename']}", err) as bar:
        while True:
            message = _next_message(socket, download["id"])
            if message is None:
                message = _expect(http.get(f"/api/assets/download/{download['id']}"), 200)
            bar.update(message)
            if message["status"] in FINISHED:
                return message


def _next_message(socket: ClientConnection, download_id: str) -> dict[str, Any] | None:
    """The next `asset_download` message about `download_id`, or None after a quiet spell."""
    while True:
        try:
            frame = socket.recv(timeout=QUIET_SECONDS)
        except TimeoutError:
            return None
        except WebSocketException as exc:
            raise ModelsError(f"The server's event stream closed: {exc}") from exc
        if isinstance(frame, bytes):
            continue  # previews and other binary frames
        message = json.loads(frame)
        data = message.get("data") or {}
        if message.get("type") == "asset_download" and data.get("download_id") == download_id:
            return data


def _cancel(server: str, api_key: str | None, download: dict[str, Any] | None, err: Console) -> None:
    """Ctrl-C: cancel the download on the server too, so it does not go on without anyone watching."""
    if download is None:
        return
    try:
        with _http(server, api_key) as http:
            http.post(f"/api/assets/download/{download['id']}/cancel")
    except httpx.HTTPError:
        pass
    err.print(f"Cancelled the download of {escape(download['folder'])}/{escape(download['filename'])}.")


# -- talking to the server ---------------------------------------------------------------------


def _headers(api_key: str | None) -> dict[str, str]:
    return {"X-API-Key": api_key} if api_key else {}


def _http(server: str, api_key: str | None) -> httpx.Client:
    return httpx.Client(base_url=server, headers=_headers(api_key), timeout=30)


def _events(server: str, client_id: str, api_key: str | None) -> ClientConnection:
    base = httpx.URL(server)
    scheme = "wss" if base.scheme == "https" else "ws"
    url = base.copy_with(scheme=scheme, path=base.path.rstrip("/") + "/ws", params={"clientId": client_id})
    try:
        return connect(str(url), additional_headers=_headers(api_key), open_timeout=30)
    except (OSError, WebSocketException) as exc:
        raise ModelsError(f"Cannot open {url}: {exc}") from exc


def _expect(reply: httpx.Response, status: int) -> Any:
    if reply.status_code != status:
        raise ModelsError(f"The server answered {reply.status_code}: {_error_text(reply)}")
    return reply.json()


def _error_text(reply: httpx.Response) -> str:
    """The sentence in an error body (`message`, else `error`), else the body itself."""
    try:
        body = reply.json()
    except ValueError:
        return reply.text or reply.reason_phrase
    if isinstance(body, dict):
        for key in ("message", "error", "details"):
            if isinstance(body.get(key), str):
                return body[key]
    return reply.text


def _fail(err: Console, message: str) -> None:
    err.print(f"[bold red]error:[/] {escape(message)}")
    raise typer.Exit(1)
