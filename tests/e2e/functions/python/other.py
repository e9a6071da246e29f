"""Second handler module: UpdateFunctionConfiguration(Handler=...) switches to it."""


def handler(event, context):
    return {"handler": "other.handler", "event": event}
