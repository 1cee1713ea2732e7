"""`SourcePolicy`: which URLs the server may download from, checked by name and by address."""

from __future__ import annotations

import ipaddress

import httpx
import pytest

from comfyd.assets.errors import SourceNotAllowed
from comfyd.assets.sources import SourcePolicy, is_public

pytestmark = pytest.mark.anyio


@pytest.mark.parametrize(
    "address",
    [
        pytest.param("127.0.0.1", id="loopback"),
        pytest.param("10.1.2.3", id="private-10"),
        pytest.param("172.16.0.1", id="private-172"),
        pytest.param("192.168.1.20", id="private-192"),
        pytest.param("169.254.169.254", id="link-local-metadata"),
        pytest.param("224.0.0.251", id="multicast"),
        pytest.param("0.0.0.0", id="unspecified"),
        pytest.param("100.64.0.1", id="shared-cgnat"),
        pytest.param("240.0.0.1", id="reserved"),
        pytest.param("::1", id="ipv6-loopback"),
        pytest.param("fe80::1", id="ipv6-link-local"),
        pytest.param("fd00::1", id="ipv6-unique-local"),
        pytest.param("ff02::1", id="ipv6-multicast"),
        pytest.param("::ffff:127.0.0.1", id="ipv4-mapped-loopback"),
        pytest.param("::ffff:10.0.0.1", id="ipv4-mapped-private"),
    ],
)
def test_non_public_addresses_are_not_public(address):
    assert not is_public(ipaddress.ip_address(address))


@pytest.mark.parametrize("address", ["8.8.8.8", "151.101.1.69", "2606:4700:4700::1111", "::ffff:8.8.8.8"])
def test_public_addresses_are_public(address):
    assert is_public(ipaddress.ip_address(address))


@pytest.mark.parametrize(
    "url",
    [
        pytest.param("http://127.0.0.1:8188/model.safetensors", id="ipv4-loopback"),
        pytest.param("http://[::1]/model.safetensors", id="ipv6-loopback"),
        pytest.param("http://localhost/model.safetensors", id="name-resolving-to-loopback"),
        pytest.param("http://169.254.169.254/latest/meta-data/", id="cloud-metadata"),
        pytest.param("http://10.0.0.5/model.safetensors", id="private"),
    ],
)
async def test_the_default_policy_refuses_non_public_addresses(url):
    with pytest.raises(SourceNotAllowed, match="non-public address"):
        await SourcePolicy().resolve(httpx.URL(url))


async def test_allow_private_lets_loopback_through():
    addresses = await SourcePolicy(allow_private=True).resolve(httpx.URL("http://127.0.0.1:9/x"))

    assert addresses == [ipaddress.ip_address("127.0.0.1")]


async def test_a_host_that_does_not_resolve_is_refused():
    with pytest.raises(SourceNotAllowed, match="cannot be resolved"):
        await SourcePolicy().resolve(httpx.URL("https://no-such-host.invalid/model.safetensors"))


@pytest.mark.parametrize(
    ("url", "message"),
    [
        pytest.param("ftp://example.com/model.ckpt", "Only http and https", id="ftp"),
        pytest.param("file:///etc/passwd", "Only http and https", id="file"),
        pytest.param("https:///model.ckpt", "names no host", id="no-host"),
        pytest.param("https://user:secret@example.com/model.ckpt", "user name or password", id="credentials"),
        pytest.param("not a url at all", "Only http and https", id="no-scheme"),
    ],
)
def test_parse_refuses_urls_that_are_not_plain_http(url, message):
    with pytest.raises(SourceNotAllowed, match=message):
        SourcePolicy().parse(url)


@pytest.mark.parametrize(
    ("host", "allowed"),
    [
        pytest.param("huggingface.co", True, id="exact"),
        pytest.param("HuggingFace.co", True, id="any-case"),
        pytest.param("cdn-lfs.huggingface.co", False, id="subdomain-of-exact"),
        pytest.param("civitai.com", False, id="apex-of-wildcard"),
        pytest.param("files.civitai.com", True, id="wildcard"),
        pytest.param("evilcivitai.com", False, id="suffix-without-dot"),
        pytest.param("example.com", False, id="unlisted"),
    ],
)
def test_allow_hosts_matches_exact_names_and_wildcards(host, allowed):
    policy = SourcePolicy(allow_hosts=("huggingface.co", "*.civitai.com"))

    assert policy.is_host_allowed(host.lower()) is allowed
    if not allowed:
        with pytest.raises(SourceNotAllowed, match="not allowed on this server"):
            policy.parse(f"https://{host}/model.safetensors")
