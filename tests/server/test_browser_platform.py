"""The official frontend (PyPI comfyui-frontend-package) against `comfyd serve --tls-self-signed`:
a user signs in with a comfyd API key, sees their credits and activity, and finds a release note
in the Help Center.

The frontend talks to its platform services only at https bases, which comfyd's `/api/features`
points at itself when it is served over https. Chromium is told to trust exactly the certificate
comfyd made (by its public key's hash), not to ignore certificate errors in general. Every request
the page makes to another host is refused here and recorded, so nothing reaches Sentry or Google
whatever the page's Content-Security-Policy says; the test prints what the page tried to reach.

Everything the panels show is made by real actions first: `comfyd admin create-user` and
`create-api-key`, `POST /customers` with the key, a top-up through the billing page's signed
checkout link, another with `comfyd admin credits add`, and `comfyd admin release add`.
"""

from __future__ import annotations

import base64
import hashlib
import re
import ssl
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from chromium import CHROMIUM, CHROMIUM_FLAGS, needs_chromium
from cryptography import x509
from cryptography.hazmat.primitives import serialization

from admin_accounts import admin_account, comfyd_admin
from comfyd.platform.auth.tls import CERTIFICATE_NAME
from comfyd_process import ComfydServer

sync_api = pytest.importorskip(
    "playwright.sync_api", reason="playwright is a test dependency (pip install -e '.[test]')"
)
expect = sync_api.expect

LOCAL_HOSTS = ("127.0.0.1", "localhost")
# The platform routes the panels call; each must answer them, none with an error.
PLATFORM_PATHS = re.compile(r"^/(customers|releases|api/(workspaces?|billing|auth|invites))(/|$|\?)")
UI_TIMEOUT_MS = 60_000
# The frontend's rate (base/credits/comfyCredits.ts): 211 credits to the dollar.
CREDITS_PER_USD = 211
MICROS_PER_CENT = 10_000
EMAIL = "ada@example.com"
NOTE_CONTENT = "## Self-hosted notes\n\nPublished with `comfyd admin release add`."


class HttpsServer(ComfydServer):
    """`comfyd serve --tls-self-signed`, trusted by the test through the certificate it made."""

    def __init__(self, base_dir: Path) -> None:
        flags = ("--listen", "127.0.0.1", "--tls-self-signed")
        super().__init__(base_dir, *flags, scheme="https", verify=False)

    @property
    def certificate(self) -> Path:
        return self.base_dir / "user" / "tls" / CERTIFICATE_NAME

    def start(self) -> HttpsServer:
        super().start()
        # The certificate exists once the server answers; from here on, clients trust it alone.
        self.verify = ssl.create_default_context(cafile=str(self.certificate))
        return self

    def spki_hash(self) -> str:
        """The base64 SHA-256 of the certificate's SubjectPublicKeyInfo, as Chromium pins keys."""
        certificate = x509.load_pem_x509_certificate(self.certificate.read_bytes())
        public_key = certificate.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        return base64.b64encode(hashlib.sha256(public_key).digest()).decode()


@dataclass
class Traffic:
    """What the page asked for: platform answers from comfyd, and the other hosts it tried."""

    platform: list[tuple[int, str, str]] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)

    def watch(self, context, server: HttpsServer) -> None:
        """Watch every page of a browser context, popups included."""
        context.route("**/*", self._route)
        context.on("response", lambda response: self._record(response, server))
        # The page's Content-Security-Policy stops some calls before they reach the network.
        context.on("console", lambda message: self._record_blocked(message.text))

    def _route(self, route) -> None:
        if urlsplit(route.request.url).hostname in LOCAL_HOSTS:
            route.continue_()
        else:
            self.refused.append(route.request.url)
            route.abort()

    def _record(self, response, server: HttpsServer) -> None:
        if not response.url.startswith(server.url):
            return
        path = response.url[len(server.url) :]
        if PLATFORM_PATHS.match(path):
            self.platform.append((response.status, response.request.method, path))

    def _record_blocked(self, text: str) -> None:
        if "Content Security Policy" in text and "Connecting to '" in text:
            self.refused.append(text.split("Connecting to '", 1)[1].split("'", 1)[0])

    def failures(self) -> list[tuple[int, str, str]]:
        return [answer for answer in self.platform if answer[0] >= 400]

    def hosts_tried(self) -> list[str]:
        return sorted({urlsplit(url).hostname or url for url in self.refused})


@dataclass(frozen=True)
class Account:
    key: str
    balance_micros: int
    release_version: str


@pytest.fixture(scope="module")
def server(tmp_path_factory) -> Iterator[HttpsServer]:
    base = tmp_path_factory.mktemp("comfyd")
    process = HttpsServer(base).start()
    yield process
    process.stop()


@pytest.fixture(scope="module")
def account(server: HttpsServer) -> Account:
    """Ada, a customer with two top-ups behind her, and a release newer than the server's ComfyUI."""
    key = admin_account(server.base_dir, email=EMAIL, name="Ada", key_name="browser").key
    with server.client(key=key) as http:
        assert http.post("/customers", json={"signup_source": "localhost"}).status_code == 201
        checkout = http.post("/customers/credit", json={"amount_micros": 5_000_000, "currency": "usd"})
    assert checkout.status_code == 201, checkout.text
    _pay_on_billing_page(server, checkout.json()["checkout_url"], "5.00")
    added = comfyd_admin(server.base_dir, "credits", "add", "--email", EMAIL, "--amount-usd", "7.25")
    balance_micros = int(added.splitlines()[0])  # the ledger's new balance
    version = _newer_than(_comfyui_version(server))
    published = (datetime.now(UTC) - timedelta(days=3, hours=1)).isoformat()
    note = ("--version", version, "--content", NOTE_CONTENT, "--published-at", published)
    comfyd_admin(server.base_dir, "release", "add", *note)
    # First-run dialogs (the template browser) would cover the page.
    with server.client() as http:
        http.post("/api/settings", json={"Comfy.TutorialCompleted": True}).raise_for_status()
    return Account(key, balance_micros, version)


def _pay_on_billing_page(server: HttpsServer, checkout_url: str, dollars: str) -> None:
    """Submit the checkout page's form, as the user's browser would, with no API key."""
    token = parse_qs(urlsplit(checkout_url).query)["token"][0]
    with server.client() as browser:
        paid = browser.post("/billing/credit", data={"token": token, "amount": dollars})
    assert paid.status_code == 303, paid.text


def _comfyui_version(server: HttpsServer) -> str:
    with server.client() as http:
        return http.get("/api/system_stats").json()["system"]["comfyui_version"]


def _newer_than(version: str) -> str:
    major, minor, patch = (int(part) for part in version.split("."))
    return f"{major}.{minor}.{patch + 1}"


def credits_shown(balance_micros: int) -> str:
    """A balance as the frontend shows it: whole credits at 211 a dollar, grouped as in en-US.

    The frontend takes the balance in cents (Comfy's billing API sends cents in its `*_micros`
    fields) and rounds credits half up (`Math.round`).
    """
    cents = (balance_micros + MICROS_PER_CENT // 2) // MICROS_PER_CENT
    return f"{(cents * CREDITS_PER_USD + 50) // 100:,}"


@pytest.fixture
def traffic() -> Iterator[Traffic]:
    traffic = Traffic()
    yield traffic
    print("The page tried to reach, and was refused:", ", ".join(traffic.hosts_tried()) or "nothing")


@pytest.fixture
def page(server: HttpsServer, traffic: Traffic) -> Iterator:
    """A page in Chromium that trusts the server's certificate, and only that one."""
    flags = [*CHROMIUM_FLAGS, f"--ignore-certificate-errors-spki-list={server.spki_hash()}"]
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=flags)
        try:
            # No service worker: requests it made would pass the context's routes unseen.
            context = browser.new_context(viewport={"width": 1400, "height": 900}, service_workers="block")
            traffic.watch(context, server)
            yield context.new_page()
        finally:
            browser.close()


def sign_in_with_api_key(page, key: str) -> None:
    """The sign-in dialog's API-key form, as a user fills it in."""
    page.get_by_test_id("login-button").click()
    page.get_by_role("button", name="Comfy API Key").click()
    page.locator("#comfy-org-api-key").fill(key)
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_test_id("current-user-button")).to_be_visible(timeout=UI_TIMEOUT_MS)


def is_release_list(response) -> bool:
    return urlsplit(response.url).path == "/releases"


def open_page(page, server: HttpsServer) -> None:
    page.goto(server.url + "/")
    page.wait_for_function("() => window.app && window.app.graph", timeout=UI_TIMEOUT_MS)


@needs_chromium
def test_the_credits_panel_shows_comfyds_balance_and_events_after_api_key_sign_in(
    server, account, page, traffic
):
    open_page(page, server)
    sign_in_with_api_key(page, account.key)

    shown = credits_shown(account.balance_micros)
    page.get_by_test_id("current-user-button").click()
    popover = page.get_by_test_id("current-user-popover")
    expect(popover).to_contain_text(EMAIL, timeout=UI_TIMEOUT_MS)
    expect(popover).to_contain_text(re.compile(rf"(^|\D){re.escape(shown)}(\D|$)"), timeout=UI_TIMEOUT_MS)
    page.get_by_test_id("workspace-settings-menu-item").click()
    total = page.get_by_text("Total credits", exact=True).locator("xpath=..")
    expect(total).to_have_text(
        re.compile(rf"Total credits\s*{re.escape(shown)}\s*remaining"), timeout=UI_TIMEOUT_MS
    )

    page.get_by_role("button", name="Activity", exact=True).click()
    rows = page.get_by_role("dialog").locator("tbody tr")
    expect(rows).to_have_count(3, timeout=UI_TIMEOUT_MS)
    expect(rows.nth(0)).to_contain_text("Credits Added")
    expect(rows.nth(0)).to_contain_text("Added $7.25")
    expect(rows.nth(1)).to_contain_text("Credits Added")
    expect(rows.nth(1)).to_contain_text("Added $5.00")
    expect(rows.nth(2)).to_contain_text("Account Created")
    expect(rows.nth(2)).to_contain_text("Account initialized")
    assert traffic.failures() == []


@needs_chromium
def test_the_help_center_lists_a_release_note_added_with_the_admin_command(server, account, page, traffic):
    with page.expect_response(is_release_list, timeout=UI_TIMEOUT_MS) as fetched:
        open_page(page, server)
    assert [note["content"] for note in fetched.value.json()] == [NOTE_CONTENT]

    page.get_by_test_id("help-center-button").click()
    item = page.get_by_test_id(f"help-release-item-{account.release_version}")
    expect(item).to_contain_text(f"Comfy {account.release_version} Release", timeout=UI_TIMEOUT_MS)
    expect(item).to_contain_text("3d ago")
    assert traffic.failures() == []
