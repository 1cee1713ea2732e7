"""`ExecutionBlocker`: a value that stops the nodes downstream of it from running."""


class ExecutionBlocker:
    """Returned in place of an output to block every node that consumes it.

    With a message, the first node it blocks reports an `execution_error` ("Execution Blocked: ...")
    and the run goes on; with `None` the block is silent. Inside a list only the blocked element is
    affected.
    """

    __slots__ = ("message",)

    def __init__(self, message: str | None) -> None:
        self.message = message

    def __repr__(self) -> str:
        return f"ExecutionBlocker({self.message!r})"
