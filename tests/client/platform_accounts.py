"""Users, API keys and customers on a running `comfyd serve`, made with `comfyd admin` against its
base directory (as an operator would), for the platform services' SDK tests.

    ada = new_account(server, customer=True)    # a user, an API key, and a customer
    comfyd_admin(server.base_dir, "credits", "add", "--email", ada.email, "--amount-usd", "5")
"""

from __future__ import annotations

import httpx

from admin_accounts import Account, admin_account


def new_account(server, *, customer: bool = False) -> Account:
    """A new user with an API key; with `customer`, also a customer (`POST /customers`), which
    writes their `account_created` event."""
    account = admin_account(server.base_dir)
    if customer:
        reply = httpx.post(
            f"{server.url}/customers", headers={"X-API-Key": account.key}, json={"signup_source": "localhost"}
        )
        assert reply.status_code == 201, reply.text
    return account
