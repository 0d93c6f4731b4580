"""The one exception type that means "the user asked for something that cannot be done"."""


class UserError(Exception):
    """A mistake or missing prerequisite on the user's side.

    The CLI prints the message and exits with status 2; it never shows a traceback for these.
    """
