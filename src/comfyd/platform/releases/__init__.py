"""Release notes: the Help Center's `GET /releases`, the GitHub release webhook, and the admin CLI's store."""
