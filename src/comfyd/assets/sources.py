"""Which URLs a server may download from: `SourcePolicy`.

A download makes the server fetch a URL of the caller's choosing, so by default it only reaches
public addresses: a host name is resolved and every address it resolves to must be public (not
private, loopback, link-local, multicast, reserved or unspecified). An allow-list can narrow the
hosts further, and `allow_private` lifts the address rule (tests, or a mirror on the local network).
The transfer checks every hop again, redirects included, and connects to an address it checked.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from dataclasses import dataclass

import httpx

from comfyd.assets.errors import SourceNotAllowed

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

SCHEMES = ("http", "https")


@dataclass(frozen=True)
class SourcePolicy:
    """The hosts and addresses downloads may come from.

    `allow_hosts` holds host names in ASCII (punycode) form: `example.com` matches that host only,
    `*.example.com` any host below it. Empty means any host whose addresses pass.
    """

    allow_hosts: tuple[str, ...] = ()
    allow_private: bool = False

    def parse(self, url: str) -> httpx.URL:
        """The URL, when its form, scheme and host are acceptable; raises `SourceNotAllowed`."""
        try:
            parsed = httpx.URL(url)
        except (httpx.InvalidURL, TypeError) as exc:
            raise SourceNotAllowed(f"{url!r} is not a URL: {exc}", url=url) from exc
        if parsed.scheme not in SCHEMES:
            raise SourceNotAllowed(f"Only http and https URLs can be downloaded, not {url!r}.", url=url)
        if not parsed.raw_host:
            raise SourceNotAllowed(f"The URL {url!r} names no host.", url=url)
        if parsed.userinfo:
            # Credentials in a URL end up in logs and in the download list; refuse them outright.
            raise SourceNotAllowed("The URL must not carry a user name or password.", url=url)
        if not self.is_host_allowed(host_of(parsed)):
            raise SourceNotAllowed(
                f"Downloads from {host_of(parsed)} are not allowed on this server "
                f"(allowed hosts: {', '.join(self.allow_hosts)}).",
                url=url,
            )
        return parsed

    def is_host_allowed(self, host: str) -> bool:
        if not self.allow_hosts:
            return True
        return any(_host_matches(host, pattern.lower().rstrip(".")) for pattern in self.allow_hosts)

    async def resolve(self, url: httpx.URL) -> list[IPAddress]:
        """The addresses to connect to for `url`, all of them checked; raises `SourceNotAllowed`.

        Every address a name resolves to is checked, not just the first: a name that resolves to
        one public and one private address could otherwise be used to reach the private one.
        """
        self.parse(str(url))
        host = host_of(url)
        addresses = await _lookup(host, url.port or (443 if url.scheme == "https" else 80), str(url))
        if not self.allow_private:
            refused = [address for address in addresses if not is_public(address)]
            if refused:
                named = f"{host} resolves to {refused[0]}, " if host != str(refused[0]) else f"{host} is "
                raise SourceNotAllowed(
                    f"{named}a private, loopback, link-local or otherwise non-public address; "
                    "this server only downloads from public addresses (--asset-download-allow-private).",
                    url=str(url),
                )
        return addresses


def host_of(url: httpx.URL) -> str:
    """The URL's host in lower-case ASCII, without the brackets of an IPv6 literal."""
    return url.raw_host.decode("ascii").lower().rstrip(".")


def _host_matches(host: str, pattern: str) -> bool:
    if pattern.startswith("*."):
        return host.endswith(pattern[1:])
    return host == pattern


def is_public(address: IPAddress) -> bool:
    """Whether an address is one the public internet routes to anyone."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        # ::ffff:127.0.0.1 reaches 127.0.0.1; judge the IPv4 address it carries.
        address = address.ipv4_mapped
    return address.is_global and not (
        address.is_private
        or address.is_loopback
        or address.is_link_local
        or address.is_multicast
        or address.is_reserved
        or address.is_unspecified
    )


async def _lookup(host: str, port: int, url: str) -> list[IPAddress]:
    try:
        literal = ipaddress.ip_address(host)
    except ValueError:
        pass
    else:
        return [literal]
    loop = asyncio.get_running_loop()
    try:
        infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise SourceNotAllowed(f"The host {host} cannot be resolved: {exc}", url=url) from exc
    # getaddrinfo repeats an address once per protocol; keep the first of each, in its order.
    found = dict.fromkeys(ipaddress.ip_address(str(info[4][0]).split("%", 1)[0]) for info in infos)
    if not found:
        raise SourceNotAllowed(f"The host {host} resolves to no address.", url=url)
    return list(found)
