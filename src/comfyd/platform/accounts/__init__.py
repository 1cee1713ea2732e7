"""Accounts: users, their API keys, and the identity a request acts with."""
