"""Authentication beyond API keys: identity-provider JWTs, comfyd's own workspace tokens, the
current workspace of a request, the auth mode switch, and a self-signed certificate for https."""
