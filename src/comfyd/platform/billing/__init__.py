"""Billing for one owner (a customer or a workspace): the credits ledger, payments providers, usage
charges, and comfyd's own billing page."""
