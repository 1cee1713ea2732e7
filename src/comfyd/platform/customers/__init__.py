"""Customers: the customer record of a user, the event log the credits panel reads, and the
`/customers*` routes other than the two billing ones (`billing/routes.py`)."""
