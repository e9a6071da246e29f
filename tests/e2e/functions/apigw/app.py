"""API Gateway test handler: the request path (after any stage prefix) selects what it does."""
import base64
import json
import time


def handler(event, context):
    v1 = "httpMethod" in event  # payload 1.0 (HTTP APIs) and REST APIs
    path = event["path"] if v1 else event["rawPath"]
    last = path.rstrip("/").rsplit("/", 1)[-1]
    if last == "error":
        raise RuntimeError("the function failed")
    if last == "malformed":
        return {"statusCode": "not a number", "body": 5}
    if last == "sleep":
        time.sleep(2)
    if last == "inferred":
        return {"hello": "world", "n": [1, 2]}
    if last == "string":
        return "just a string"
    if last == "binary":
        return {"statusCode": 201, "isBase64Encoded": True, "headers": {"content-type": "application/octet-stream"},
                "body": base64.b64encode(bytes(range(256))).decode()}
    if v1:
        return {"statusCode": 200, "headers": {"content-type": "application/json", "x-single": "one"},
                "multiValueHeaders": {"x-multi": ["a", "b"]}, "body": json.dumps(event)}
    return {"statusCode": 200, "headers": {"content-type": "application/json", "x-fn": "yes",
                                           "access-control-allow-origin": "https://evil.example"},
            "cookies": ["session=abc; Path=/", "theme=dark"], "body": json.dumps(event)}
