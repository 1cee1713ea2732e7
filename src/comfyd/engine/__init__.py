"""The execution engine: ComfyUI's prompt semantics as a library, with no HTTP and no database.

It takes a prompt dict and a node registry, validates and executes the prompt, and reports what
happens through an event callback. Everything the ComfyUI node interface promises lives here.
"""
