"""Lambda authorizers for the API Gateway tests."""


def simple(event, context):
    """Payload 2.0 simple response: allowed when the Authorization header says so."""
    allowed = event["headers"].get("authorization") == "let-me-in"
    return {"isAuthorized": allowed,
            "context": {"user": "alice", "type": event["type"], "routeArn": event["routeArn"],
                        "identitySource": event["identitySource"], "hasBody": "body" in event,
                        "routeKey": event["routeKey"]}}


def policy(event, context):
    """Payload 1.0 IAM policy: Allow for token "allow", Deny otherwise."""
    effect = "Allow" if event["authorizationToken"] == "allow" else "Deny"
    return {"principalId": "user-42",
            "policyDocument": {"Version": "2012-10-17",
                               "Statement": [{"Action": "execute-api:Invoke", "Effect": effect,
                                              "Resource": event["methodArn"].rsplit("/", 2)[0] + "/*"}]},
            "context": {"k": "v", "num": 5, "methodArn": event["methodArn"], "type": event["type"]}}


def broken(event, context):
    return {"isAuthorized": "maybe"}


CALLS = 0


def counting(event, context):
    """Counts its invocations (one warm instance), so that a test can see cached decisions."""
    global CALLS
    CALLS += 1
    return {"isAuthorized": event["identitySource"] != ["deny"], "context": {"calls": CALLS}}
