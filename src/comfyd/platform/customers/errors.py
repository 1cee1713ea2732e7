"""Exceptions of the customers feature. Each carries the status the peer answers with
(`status_code`); `routes.install_error_handlers` turns them into `{"error", "message"}` in one place.

    CustomersError
    ├── CustomerNotFound (404)     the user has not become a customer yet (no `POST /customers`)
    └── InvalidInput (400)
        └── InvalidEventQuery      bad `page`, `limit`, `filter` or dates on `/customers/events`
"""

from __future__ import annotations

from http import HTTPStatus


class CustomersError(Exception):
    """Base class of the customers feature's exceptions."""

    status_code = HTTPStatus.INTERNAL_SERVER_ERROR

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class CustomerNotFound(CustomersError):
    status_code = HTTPStatus.NOT_FOUND

    def __init__(self, user_id: str) -> None:
        super().__init__(f"User {user_id} is not a customer yet; POST /customers first.")
        self.user_id = user_id


class InvalidInput(CustomersError):
    status_code = HTTPStatus.BAD_REQUEST


class InvalidEventQuery(InvalidInput):
    # The frontend shows its own text for a 400 here; this is the peer's, word for word.
    MESSAGE = "Invalid input, object invalid"

    def __init__(self, details: str = "") -> None:
        super().__init__(self.MESSAGE)
        self.details = details
