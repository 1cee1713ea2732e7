"""`Registry`: a harness that talks to a real comfyd registry (`comfyd registry`, or the one
`comfyd serve` mounts at `/registry`) as publishers, comfy-cli and installers do, and makes users,
publishers, tokens and published versions on it.

    registry = Registry(process.url, process.database_url)
    ada = registry.user()
    publisher = registry.publisher(ada)
    token = registry.token(ada, publisher)
    registry.publish(token, publisher, "ada-nodes", "1.0.0", registry.node_pack("Shout"))
    registry.wait_checked("ada-nodes", "1.0.0")["status"]     # "NodeVersionStatusActive"

Users and API keys are made with `AccountService` on the server's own database, as `comfyd admin`
does (`admin_accounts`); every helper makes fresh ids, so tests can share a server.
"""

from __future__ import annotations

import io
import time
import uuid
import zipfile

import httpx

from admin_accounts import Account, create_account, new_email

CHECK_SECONDS = 120


class Registry:
    """Talks to one registry server (`base` is its root URL, the mount prefix included) the way
    publishers, comfy-cli and installers do."""

    def __init__(self, base: str, database_url: str) -> None:
        self.base = base.rstrip("/")
        self.database_url = database_url

    def client(self, account: Account | None = None, **kwargs) -> httpx.Client:
        headers = {"X-API-Key": account.key} if account is not None else {}
        return httpx.Client(base_url=self.base, headers=headers, timeout=60, **kwargs)

    def get(self, path: str, **kwargs) -> httpx.Response:
        with self.client() as http:
            return http.get(path, **kwargs)

    def user(self, *, admin: bool = False, name: str | None = None) -> Account:
        """A new user with an API key, made directly on the server's database."""
        email = new_email()
        name = name or email.split("@")[0]
        return create_account(self.database_url, email=email, name=name, admin=admin, key_name="tests")

    def publisher(self, owner: Account, publisher_id: str | None = None, **fields) -> str:
        publisher_id = publisher_id or f"pub-{uuid.uuid4().hex[:10]}"
        with self.client(owner) as http:
            reply = http.post("/publishers", json={"id": publisher_id, "name": publisher_id, **fields})
        assert reply.status_code == 201, reply.text
        return publisher_id

    def token(self, owner: Account, publisher_id: str) -> str:
        with self.client(owner) as http:
            reply = http.post(f"/publishers/{publisher_id}/tokens", json={"name": "cli"})
        assert reply.status_code == 201, reply.text
        return reply.json()["token"]

    def pack_id(self, stem: str = "nodes") -> str:
        return f"{stem}-{uuid.uuid4().hex[:10]}"

    def publish_request(
        self, token: str, publisher_id: str, pack_id: str, version: str, **node
    ) -> httpx.Response:
        """`POST .../versions` exactly as comfy-cli sends it (no Authorization header)."""
        body = {
            "personal_access_token": token,
            "node": {
                "id": pack_id,
                "name": node.pop("name", pack_id),
                "license": '{"file": "LICENSE"}',
                **node,
            },
            "node_version": {"version": version, "dependencies": [], "changelog": f"release {version}"},
        }
        with self.client() as http:
            return http.post(f"/publishers/{publisher_id}/nodes/{pack_id}/versions", json=body)

    def publish(
        self, token: str, publisher_id: str, pack_id: str, version: str, archive: bytes | None, **node
    ) -> dict:
        """Publish a version and upload its archive (None: leave it pending, never uploaded)."""
        reply = self.publish_request(token, publisher_id, pack_id, version, **node)
        assert reply.status_code == 201, reply.text
        if archive is not None:
            upload = httpx.put(
                reply.json()["signedUrl"],
                content=archive,
                headers={"Content-Type": "application/zip"},
                timeout=60,
            )
            assert upload.status_code == 200, upload.text
        return reply.json()["node_version"]

    def wait_checked(self, pack_id: str, version: str, timeout: float = CHECK_SECONDS) -> dict:
        """The version once comfyd's checks have moved it out of pending."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = self.get(f"/nodes/{pack_id}/versions/{version}").json()
            if found["status"] != "NodeVersionStatusPending":
                return found
            time.sleep(0.2)
        raise AssertionError(f"{pack_id} {version} was still pending after {timeout}s")

    @staticmethod
    def zip_of(files: dict[str, str]) -> bytes:
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            for name, text in files.items():
                archive.writestr(name, text)
        return buffer.getvalue()

    @classmethod
    def node_pack(cls, *class_names: str) -> bytes:
        """A pack whose `__init__.py` defines a small string node per class name."""
        classes = "\n".join(_NODE_CLASS.format(name=name) for name in class_names or ("Shout",))
        mapping = ", ".join(f'"{name}": {name}' for name in class_names or ("Shout",))
        source = f"{classes}\n\nNODE_CLASS_MAPPINGS = {{{mapping}}}\n"
        return cls.zip_of({"__init__.py": source, "pyproject.toml": '[project]\nname = "pack"\n'})

    @classmethod
    def pack_running_a_command(cls) -> bytes:
        """A pack that runs a shell command the moment it is imported."""
        source = 'import subprocess\n\nsubprocess.run(["echo", "installing"])\n\nNODE_CLASS_MAPPINGS = {}\n'
        return cls.zip_of({"__init__.py": source})


_NODE_CLASS = '''
class {name}:
    """Upper-cases its text."""

    CATEGORY = "text/tests"
    FUNCTION = "run"
    RETURN_TYPES = ("STRING",)
    RETURN_NAMES = ("loud",)

    @classmethod
    def INPUT_TYPES(cls):
        return {{"required": {{"text": ("STRING", {{"default": "hi"}})}}}}

    def run(self, text):
        return (text.upper(),)
'''
