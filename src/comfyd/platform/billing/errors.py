"""Exceptions of the billing feature. Each carries the status the peer answers with (`status_code`);
`routes.install_error_handlers` turns them into `{"error", "message"}` in one place.

    BillingError
    ├── InvalidBillingRequest (400)   a body or form that is not what the route takes
    │   ├── InvalidAmount             an amount that is not a positive number of micros within the limit
    │   └── UnsupportedCurrency       a currency other than the server's (`usd`)
    ├── InsufficientCredits (402)     a charge larger than the balance, where overdraft is not allowed
    ├── BillingLinkInvalid (401)      a billing page link that is forged, expired or for another purpose
    └── TopUpNotAllowed (403)         the link lets its user see the balance but not add credit
"""

from __future__ import annotations

from http import HTTPStatus


class BillingError(Exception):
    """Base class of the billing feature's exceptions."""

    status_code = HTTPStatus.INTERNAL_SERVER_ERROR

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class InvalidBillingRequest(BillingError):
    status_code = HTTPStatus.BAD_REQUEST


class InvalidAmount(InvalidBillingRequest):
    def __init__(self, amount: int | str, maximum_micros: int) -> None:
        super().__init__(
            f"{amount!r} is not an amount that can be added: give more than 0 and at most "
            f"{maximum_micros} micros (${maximum_micros // 1_000_000:,}), in whole cents on the billing page."
        )
        self.amount = amount


class UnsupportedCurrency(InvalidBillingRequest):
    def __init__(self, currency: str, supported: str) -> None:
        super().__init__(f"Currency {currency!r} is not supported; this server keeps credits in {supported}.")
        self.currency = currency


class InsufficientCredits(BillingError):
    status_code = HTTPStatus.PAYMENT_REQUIRED

    def __init__(self, *, balance_micros: int, amount_micros: int) -> None:
        super().__init__(
            f"The balance ({balance_micros} micros) does not cover a charge of {amount_micros} micros."
        )
        self.balance_micros = balance_micros
        self.amount_micros = amount_micros


class BillingLinkInvalid(BillingError):
    status_code = HTTPStatus.UNAUTHORIZED

    def __init__(self, reason: str = "The billing link is not valid or has expired.") -> None:
        super().__init__(reason)


class TopUpNotAllowed(BillingError):
    status_code = HTTPStatus.FORBIDDEN

    def __init__(self, user_id: str) -> None:
        super().__init__(f"User {user_id} may see this balance but not add credit to it.")
        self.user_id = user_id
