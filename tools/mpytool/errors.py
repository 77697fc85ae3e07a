"""The one exception type the tool reports as a clean error line."""


class ToolError(Exception):
    """A problem with the input; the message names it in one line."""
