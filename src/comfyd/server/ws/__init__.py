"""The `/ws` event stream: message encoding and the socket hub."""
