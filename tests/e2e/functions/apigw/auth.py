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


def rest_token(event, context):
    """REST TOKEN authorizer: Allow for "allow", Deny for anything else."""
    effect = "Allow" if event["authorizationToken"] == "allow" else "Deny"
    return {"principalId": "tok-user",
            "policyDocument": {"Version": "2012-10-17",
                               "Statement": [{"Action": "execute-api:Invoke", "Effect": effect,
                                              "Resource": event["methodArn"]}]},
            "context": {"type": event["type"], "methodArn": event["methodArn"], "keys": ",".join(sorted(event))}}


def rest_request(event, context):
    """REST REQUEST authorizer: reads a header and a query parameter."""
    ok = event["headers"].get("x-key") == "k1" and (event.get("queryStringParameters") or {}).get("q") == "1"
    return {"principalId": "req-user",
            "policyDocument": {"Version": "2012-10-17",
                               "Statement": {"Action": "execute-api:*", "Effect": "Allow" if ok else "Deny",
                                             "Resource": "arn:aws:execute-api:*"}},
            "context": {"type": event["type"], "resource": event["resource"], "hasBody": "body" in event}}
