"""The static scan: what a pack runs at import time is found, with file and line; clean packs pass."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from comfyd.platform.registry.scanning import Finding, Rule, format_findings, scan_pack, scan_source

# Every line the scan must report ends with `# finding: <rule>`; no other line may be reported.
IMPORT_TIME_SIDE_EFFECTS = """
    import os
    import socket
    import subprocess as sp
    import sys
    import urllib.request
    from os import system

    import requests

    sp.run(["git", "pull"])  # finding: shell-command
    requests.get("https://example.com/payload")  # finding: network
    exec("print('hi')")  # finding: dynamic-code
    value = eval("1 + 1")  # finding: dynamic-code
    code = compile("x = 1", "<string>", "exec")  # finding: dynamic-code
    urllib.request.urlopen("https://example.com")  # finding: network
    socket.socket().connect(("example.com", 80))  # finding: network

    if os.name == "nt":
        system("del *")  # finding: shell-command

    try:
        import missing_dependency
    except ImportError:
        sp.check_call([sys.executable, "-m", "pip", "install", "missing_dependency"])  # finding: pip-install


    def install():
        os.system("pip install torch")  # finding: pip-install


    install()


    def never_called():
        sp.run(["rm", "-rf", "/"])


    class Node:
        USER = __import__("subprocess").getoutput("id")  # finding: shell-command

        def run(self):
            return eval("2")


    callback = lambda: sp.run(["echo"])

    if __name__ == "__main__":
        sp.run(["pytest"])
"""

CLEAN_NODES = """
    import json
    import os
    import re
    import subprocess

    PATTERN = re.compile(r"[0-9]+")
    HERE = os.path.dirname(__file__)


    class Echo:
        @classmethod
        def INPUT_TYPES(cls):
            return {"required": {"text": ("STRING", {"default": ""})}}

        RETURN_TYPES = ("STRING",)
        FUNCTION = "run"

        def run(self, text):
            subprocess.run(["echo", text], check=True)
            return (json.dumps(PATTERN.findall(text)),)


    NODE_CLASS_MAPPINGS = {"Echo": Echo}
"""


def write_pack(root: Path, files: dict[str, str]) -> Path:
    for name, source in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(source))
    return root


def marked_lines(source: str) -> list[tuple[int, Rule]]:
    lines = textwrap.dedent(source).splitlines()
    return [
        (number, Rule(line.split("# finding: ")[1].strip()))
        for number, line in enumerate(lines, start=1)
        if "# finding: " in line
    ]


def test_scan_reports_each_side_effect_run_at_import_time_with_file_and_line(tmp_path: Path) -> None:
    pack = write_pack(tmp_path, {"__init__.py": "", "nodes.py": IMPORT_TIME_SIDE_EFFECTS})

    findings = scan_pack(pack)

    assert {finding.path for finding in findings} == {"nodes.py"}
    assert [(finding.line, finding.rule) for finding in findings] == marked_lines(IMPORT_TIME_SIDE_EFFECTS)


def test_findings_read_as_status_reason_lines(tmp_path: Path) -> None:
    pack = write_pack(tmp_path, {"nodes.py": IMPORT_TIME_SIDE_EFFECTS})

    lines = [str(finding) for finding in scan_pack(pack)]

    assert lines[0] == "nodes.py:11: subprocess.run() called at import time: runs a command"
    assert "nodes.py:16: urllib.request.urlopen() called at import time: network access" in lines
    assert (
        "nodes.py:29: os.system() called at import time, through install(): installs packages with pip"
        in lines
    )
    assert "nodes.py:40: subprocess.getoutput() called at import time: runs a command" in lines


def test_clean_pack_has_no_findings(tmp_path: Path) -> None:
    pack = write_pack(
        tmp_path, {"__init__.py": "from .nodes import NODE_CLASS_MAPPINGS\n", "nodes.py": CLEAN_NODES}
    )

    assert scan_pack(pack) == []


def test_code_in_functions_nobody_calls_at_import_time_is_not_reported() -> None:
    source = """
        import subprocess

        def update():
            subprocess.run(["git", "pull"])

        def helper():
            return update
    """

    assert scan_source(textwrap.dedent(source), "nodes.py") == []


def test_decorators_and_default_arguments_run_at_import_time() -> None:
    source = textwrap.dedent("""
        import os

        def register(fn):
            return fn

        @register(os.system("id"))
        def node(value=os.popen("id").read()):
            pass
    """)

    assert [(finding.line, finding.rule) for finding in scan_source(source, "nodes.py")] == [
        (7, Rule.SHELL_COMMAND),
        (8, Rule.SHELL_COMMAND),
    ]


def test_base64_decoded_code_fed_to_exec_is_reported_as_obfuscation_wherever_it_runs() -> None:
    source = textwrap.dedent("""
        import base64
        from base64 import b64decode

        payload = base64.b64decode("cHJpbnQoMSk=")
        exec(payload)

        def later():
            eval(b64decode("MQ==").decode())
    """)

    findings = scan_source(source, "nodes.py")

    assert [str(finding) for finding in findings] == [
        "nodes.py:6: exec() runs data decoded by base64.b64decode(): obfuscated code",
        "nodes.py:9: eval() runs data decoded by base64.b64decode(): obfuscated code",
    ]
    assert {finding.rule for finding in findings} == {Rule.OBFUSCATED_CODE}


@pytest.mark.parametrize(
    ("source", "message"),
    [
        pytest.param("def broken(:\n    pass\n", "cannot be parsed (invalid syntax)", id="syntax-error"),
        pytest.param(b"x = '\xff\xfe'\n", "cannot be parsed", id="not-utf8"),
        pytest.param(b"x = 1\x00\n", "cannot be parsed", id="null-byte"),
    ],
)
def test_unparsable_files_are_findings_not_crashes(tmp_path: Path, source: str | bytes, message: str) -> None:
    (tmp_path / "broken.py").write_bytes(source if isinstance(source, bytes) else source.encode())
    write_pack(tmp_path, {"nodes.py": "import os\nos.system('id')\n"})

    findings = scan_pack(tmp_path)

    assert [(finding.path, finding.rule) for finding in findings] == [
        ("broken.py", Rule.UNREADABLE),
        ("nodes.py", Rule.SHELL_COMMAND),
    ]
    assert message in findings[0].message


def test_scan_names_files_in_subfolders_relative_to_the_pack_root(tmp_path: Path) -> None:
    pack = write_pack(tmp_path, {"__init__.py": "", "lib/net.py": "import httpx\nhttpx.get('https://x')\n"})

    assert [str(finding) for finding in scan_pack(pack)] == [
        "lib/net.py:2: httpx.get() called at import time: network access"
    ]


def test_scan_skips_pycache_and_non_python_files(tmp_path: Path) -> None:
    write_pack(
        tmp_path, {"__pycache__/nodes.py": "import os\nos.system('id')\n", "notes.txt": "os.system('id')\n"}
    )

    assert scan_pack(tmp_path) == []


def test_files_over_the_size_limit_are_reported_instead_of_parsed(tmp_path: Path) -> None:
    write_pack(tmp_path, {"generated.py": "x = 1\n" * 100})

    assert scan_pack(tmp_path, max_file_bytes=100) == [
        Finding("generated.py", 1, Rule.UNREADABLE, "is 600 bytes, too large to scan")
    ]


def test_format_findings_writes_one_line_each() -> None:
    findings = [
        Finding("nodes.py", 3, Rule.SHELL_COMMAND, "subprocess.run() called at import time: runs a command"),
        Finding("util.py", 9, Rule.NETWORK, "requests.get() called at import time: network access"),
    ]

    assert format_findings(findings) == (
        "nodes.py:3: subprocess.run() called at import time: runs a command\n"
        "util.py:9: requests.get() called at import time: network access"
    )


def test_format_findings_summarises_past_the_limit() -> None:
    findings = [
        Finding("nodes.py", line, Rule.DYNAMIC_CODE, "eval() called at import time") for line in range(1, 6)
    ]

    assert format_findings(findings, limit=2).splitlines() == [
        "nodes.py:1: eval() called at import time",
        "nodes.py:2: eval() called at import time",
        "... and 3 more.",
    ]


def test_a_call_chain_too_deep_to_follow_is_a_finding_not_a_crash() -> None:
    source = "\n".join(f"def f{i}():\n    f{i + 1}()" for i in range(3000)) + "\nf0()\n"

    assert scan_source(source, "chain.py") == [
        Finding("chain.py", 1, Rule.UNREADABLE, "nests too deeply to scan")
    ]
