"""Durable jobs: the queue and history in the database, the worker that runs them, the event bus."""
