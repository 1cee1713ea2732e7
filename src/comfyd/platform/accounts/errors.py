"""Exceptions of the accounts feature.

    AccountsError
    ├── Unauthenticated        no usable credentials: none sent where one is needed, or a key that
    │                          is unknown, revoked or belongs to a banned user
    ├── UserNotFound           no user has that id or email
    ├── UserExists             another user already has that email
    └── ApiKeyNotFound         the user has no API key with that id
"""

from __future__ import annotations


class AccountsError(Exception):
    """Base class of the accounts feature's exceptions."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class Unauthenticated(AccountsError):
    def __init__(self, message: str = "This request needs a valid API key.") -> None:
        super().__init__(message)


class UserNotFound(AccountsError):
    def __init__(self, user: str) -> None:
        super().__init__(f"User {user} was not found.")
        self.user = user


class UserExists(AccountsError):
    def __init__(self, email: str) -> None:
        super().__init__(f"A user with email {email} already exists.")
        self.email = email


class ApiKeyNotFound(AccountsError):
    def __init__(self, key_id: str) -> None:
        super().__init__(f"API key {key_id} was not found.")
        self.key_id = key_id
