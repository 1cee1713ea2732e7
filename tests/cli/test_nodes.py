"""`comfyd nodes install | list | uninstall` as subprocesses against a real `comfyd registry`, with
packs published to it the way comfy-cli publishes them and checked by the registry itself."""

from __future__ import annotations

import io
import json
import os
import stat
import subprocess
import sys
import zipfile
from dataclasses import dataclass
from pathlib import Path

import pytest

from comfyd_process import RegistryServer, free_port
from registry_harness import Registry


def comfyd(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "comfyd", *args],
        capture_output=True,
        text=True,
        timeout=180,
        env={**os.environ, **(env or {})},
    )


def zip_with(*members: tuple[zipfile.ZipInfo | str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for info, data in members:
            archive.writestr(info, data)
    return buffer.getvalue()


def symlink_member(name: str, target: str) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name)
    info.create_system = 3  # Unix, so the mode bits in external_attr are read
    info.external_attr = (stat.S_IFLNK | 0o777) << 16
    return info


@dataclass(frozen=True)
class Published:
    """Packs on the registry: `good` has 1.0.0 and 1.1.0 (both active); `flagged` runs a command
    at import; `hostile` maps each hostile archive's id to its pack; `deps` needs a wheel."""

    url: str
    good: str
    flagged: str
    hostile: dict[str, str]
    deps: str
    wheel_name: str


def tiny_wheel(folder: Path) -> Path:
    """A pure-Python wheel built by hand, so pip can install it with no index at all."""
    path = folder / "tinydep_nodes-1.0-py3-none-any.whl"
    with zipfile.ZipFile(path, "w") as wheel:
        wheel.writestr("tinydep_nodes/__init__.py", "VALUE = 42\n")
        wheel.writestr(
            "tinydep_nodes-1.0.dist-info/METADATA",
            "Metadata-Version: 2.1\nName: tinydep-nodes\nVersion: 1.0\n",
        )
        wheel.writestr(
            "tinydep_nodes-1.0.dist-info/WHEEL",
            "Wheel-Version: 1.0\nGenerator: tests\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
        )
        wheel.writestr(
            "tinydep_nodes-1.0.dist-info/RECORD",
            "tinydep_nodes/__init__.py,,\ntinydep_nodes-1.0.dist-info/METADATA,,\n"
            "tinydep_nodes-1.0.dist-info/WHEEL,,\ntinydep_nodes-1.0.dist-info/RECORD,,\n",
        )
    return path


@pytest.fixture(scope="module")
def published(tmp_path_factory) -> Published:
    process = RegistryServer(tmp_path_factory.mktemp("registry")).start()
    try:
        registry = Registry(process.url, process.database_url)
        owner = registry.user()
        publisher = registry.publisher(owner)
        token = registry.token(owner, publisher)
        wheel = tiny_wheel(tmp_path_factory.mktemp("wheels"))
        init = b"NODE_CLASS_MAPPINGS = {}\n"
        archives = {
            "zip-slip": zip_with(("__init__.py", init), ("../escaped.py", b"x = 1\n")),
            "absolute": zip_with(("__init__.py", init), ("/tmp/comfyd-absolute-member.py", b"x = 1\n")),
            "symlink": zip_with(("__init__.py", init), (symlink_member("link", "/etc"), b"/etc")),
            "zip-bomb": zip_with(("__init__.py", init), ("weights.bin", bytes(20 * 1024 * 1024))),
        }
        good, flagged, deps = registry.pack_id("good"), registry.pack_id("flagged"), registry.pack_id("deps")
        hostile = {kind: registry.pack_id(kind) for kind in archives}
        registry.publish(token, publisher, good, "1.0.0", registry.node_pack("GoodOne"))
        registry.publish(token, publisher, good, "1.1.0", registry.node_pack("GoodOne", "GoodTwo"))
        registry.publish(token, publisher, flagged, "1.0.0", registry.pack_running_a_command())
        for kind, archive in archives.items():
            registry.publish(token, publisher, hostile[kind], "1.0.0", archive)
        with_requirements = registry.zip_of(
            {"__init__.py": "NODE_CLASS_MAPPINGS = {}\n", "requirements.txt": f"{wheel}\n"}
        )
        registry.publish(token, publisher, deps, "1.0.0", with_requirements)
        for pack_id, version in [(good, "1.0.0"), (good, "1.1.0"), (flagged, "1.0.0"), (deps, "1.0.0")]:
            registry.wait_checked(pack_id, version)
        for pack_id in hostile.values():
            assert registry.wait_checked(pack_id, "1.0.0")["status"] == "NodeVersionStatusFlagged"
        yield Published(process.url, good, flagged, hostile, deps, "tinydep_nodes")
    finally:
        process.stop()


def install(published: Published, base: Path, *args: str, env: dict[str, str] | None = None):
    return comfyd(
        "nodes", "install", *args, "--registry", published.url, "--base-directory", str(base), env=env
    )


def leftovers(base: Path) -> list[str]:
    """Anything in custom_nodes besides pack folders: staging folders an install left behind."""
    folder = base / "custom_nodes"
    return (
        sorted(entry.name for entry in folder.iterdir() if entry.name.startswith("."))
        if folder.exists()
        else []
    )


def test_install_puts_the_latest_active_version_in_custom_nodes_with_its_markers(published, tmp_path):
    done = install(published, tmp_path, published.good)

    assert done.returncode == 0, done.stderr
    folder = tmp_path / "custom_nodes" / published.good
    assert f"Installed {published.good} 1.1.0" in done.stdout
    assert "GoodTwo" in (folder / "__init__.py").read_text()
    record = json.loads((folder / ".comfyd-pack.json").read_text())
    assert record["id"] == published.good
    assert record["version"] == "1.1.0"
    assert record["registry"] == published.url
    assert sorted((folder / ".tracking").read_text().splitlines()) == ["__init__.py", "pyproject.toml"]
    assert leftovers(tmp_path) == []


def test_install_at_a_version_replaces_the_installed_one_and_list_shows_it(published, tmp_path):
    assert install(published, tmp_path, published.good).returncode == 0

    done = install(published, tmp_path, f"{published.good}@1.0.0")
    listed = comfyd("nodes", "list", "--base-directory", str(tmp_path))

    assert done.returncode == 0, done.stderr
    assert "replacing 1.1.0" in done.stdout
    assert "GoodTwo" not in (tmp_path / "custom_nodes" / published.good / "__init__.py").read_text()
    assert listed.returncode == 0, listed.stderr
    row = next(line for line in listed.stdout.splitlines() if published.good in line)
    assert "1.0.0" in row and "comfyd" in row
    assert leftovers(tmp_path) == []


def test_installing_the_installed_version_again_changes_nothing(published, tmp_path):
    assert install(published, tmp_path, published.good).returncode == 0
    record = tmp_path / "custom_nodes" / published.good / ".comfyd-pack.json"
    before = record.read_text()

    again = install(published, tmp_path, f"{published.good}@1.1.0")

    assert again.returncode == 0, again.stderr
    assert "already installed" in again.stdout
    assert record.read_text() == before


def test_install_of_an_unknown_pack_fails_and_writes_nothing(published, tmp_path):
    done = install(published, tmp_path, "no-such-pack")

    assert done.returncode == 1
    assert "no-such-pack cannot be installed" in done.stderr
    assert not (tmp_path / "custom_nodes" / "no-such-pack").exists()


def test_install_of_an_unknown_version_fails(published, tmp_path):
    done = install(published, tmp_path, f"{published.good}@9.9.9")

    assert done.returncode == 1
    assert "9.9.9" in done.stderr
    assert not (tmp_path / "custom_nodes" / published.good).exists()


@pytest.mark.parametrize(
    "spec",
    [
        pytest.param("../escape", id="climbs-out"),
        pytest.param("a/b", id="slash"),
        pytest.param("pack@", id="no-version"),
    ],
)
def test_install_refuses_a_name_that_is_not_a_pack_id(published, tmp_path, spec):
    done = install(published, tmp_path, spec)

    assert done.returncode == 1
    assert "is not a pack id" in done.stderr
    assert not (tmp_path / "custom_nodes").exists()


def test_install_refuses_a_flagged_version_unless_allowed(published, tmp_path):
    refused = install(published, tmp_path, f"{published.flagged}@1.0.0")
    assert refused.returncode == 1
    assert "NodeVersionStatusFlagged" in refused.stderr
    assert "--allow-flagged" in refused.stderr
    assert not (tmp_path / "custom_nodes" / published.flagged).exists()

    allowed = install(published, tmp_path, f"{published.flagged}@1.0.0", "--allow-flagged")
    assert allowed.returncode == 0, allowed.stderr
    assert (tmp_path / "custom_nodes" / published.flagged / "__init__.py").is_file()


@pytest.mark.parametrize("kind", ["zip-slip", "absolute", "symlink", "zip-bomb"])
def test_install_refuses_a_hostile_archive_and_writes_nothing_outside_custom_nodes(published, tmp_path, kind):
    base = tmp_path / "base"
    pack_id = published.hostile[kind]

    done = install(published, base, f"{pack_id}@1.0.0", "--allow-flagged")

    assert done.returncode == 1
    assert "was refused" in done.stderr
    assert sorted(path.name for path in tmp_path.iterdir()) == ["base"]
    assert sorted(path.name for path in base.iterdir()) == ["custom_nodes"]
    assert list((base / "custom_nodes").iterdir()) == []


def test_install_reads_the_registry_from_the_environment(published, tmp_path):
    done = comfyd(
        "nodes",
        "install",
        published.good,
        "--base-directory",
        str(tmp_path),
        env={"COMFYD_REGISTRY_URL": published.url},
    )

    assert done.returncode == 0, done.stderr
    assert (tmp_path / "custom_nodes" / published.good).is_dir()


def test_install_reports_an_unreachable_registry(tmp_path):
    port = free_port()
    done = comfyd(
        "nodes",
        "install",
        "anything",
        "--registry",
        f"http://127.0.0.1:{port}",
        "--base-directory",
        str(tmp_path),
    )

    assert done.returncode == 1
    assert "is unavailable" in done.stderr


def test_dependencies_are_installed_only_with_deps(published, tmp_path):
    site = tmp_path / "site"
    pip_env = {"PIP_TARGET": str(site), "PIP_NO_INDEX": "1", "PIP_DISABLE_PIP_VERSION_CHECK": "1"}

    plain = install(published, tmp_path / "plain", published.deps, env=pip_env)
    assert plain.returncode == 0, plain.stderr
    assert "--with-deps" in plain.stderr
    assert not site.exists()

    with_deps = install(published, tmp_path / "deps", published.deps, "--with-deps", env=pip_env)
    assert with_deps.returncode == 0, with_deps.stderr
    assert (site / published.wheel_name / "__init__.py").read_text() == "VALUE = 42\n"


def test_install_replaces_a_folder_it_did_not_install_only_with_force(published, tmp_path):
    folder = tmp_path / "custom_nodes" / published.good
    folder.mkdir(parents=True)
    (folder / "mine.py").write_text("# hand-made\n")

    refused = install(published, tmp_path, published.good)
    assert refused.returncode == 1
    assert "--force" in refused.stderr
    assert (folder / "mine.py").is_file()

    forced = install(published, tmp_path, published.good, "--force")
    assert forced.returncode == 0, forced.stderr
    assert not (folder / "mine.py").exists()
    assert (folder / ".comfyd-pack.json").is_file()


def test_uninstall_removes_a_pack_comfyd_installed(published, tmp_path):
    assert install(published, tmp_path, published.good).returncode == 0

    done = comfyd("nodes", "uninstall", published.good, "--base-directory", str(tmp_path))

    assert done.returncode == 0, done.stderr
    assert list((tmp_path / "custom_nodes").iterdir()) == []


def test_uninstall_leaves_other_folders_unless_forced(tmp_path):
    folder = tmp_path / "custom_nodes" / "hand-made"
    folder.mkdir(parents=True)
    (folder / "__init__.py").write_text("NODE_CLASS_MAPPINGS = {}\n")

    refused = comfyd("nodes", "uninstall", "hand-made", "--base-directory", str(tmp_path))
    assert refused.returncode == 1
    assert "was not installed by comfyd" in refused.stderr
    assert folder.is_dir()

    forced = comfyd("nodes", "uninstall", "hand-made", "--force", "--base-directory", str(tmp_path))
    assert forced.returncode == 0, forced.stderr
    assert not folder.exists()


def test_uninstall_of_a_pack_that_is_not_there_fails(tmp_path):
    done = comfyd("nodes", "uninstall", "absent", "--base-directory", str(tmp_path))

    assert done.returncode == 1
    assert "absent is not installed" in done.stderr


def test_list_tells_comfyd_installs_from_manager_installs_and_others(tmp_path):
    custom_nodes = tmp_path / "custom_nodes"
    manager = custom_nodes / "from-manager"
    manager.mkdir(parents=True)
    (manager / "pyproject.toml").write_text('[project]\nname = "from-manager"\nversion = "2.3.4"\n')
    (manager / ".tracking").write_text("pyproject.toml\n")
    (custom_nodes / "cloned").mkdir()
    (custom_nodes / ".hidden").mkdir()

    done = comfyd("nodes", "list", "--base-directory", str(tmp_path))

    assert done.returncode == 0, done.stderr
    rows = {line.split()[1]: line for line in done.stdout.splitlines() if line.startswith("│")}
    assert "2.3.4" in rows["from-manager"] and "ComfyUI-Manager" in rows["from-manager"]
    assert "other" in rows["cloned"]
    assert ".hidden" not in done.stdout
