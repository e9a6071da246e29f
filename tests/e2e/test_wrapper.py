"""AWS_LAMBDA_EXEC_WRAPPER (issue 5, internal extensions): a wrapper script from a layer
starts the managed runtime, gets its command line as arguments, and can change its
environment."""

import json

from conftest import make_client, make_zip, unique

WRAPPER = b"""#!/bin/sh
export WRAPPED_BY="$0"
export WRAPPED_ARGC="$#"
exec "$@"
"""

CODE = b"""import os, sys
def handler(event, context):
    return {"by": os.environ.get("WRAPPED_BY"), "argc": os.environ.get("WRAPPED_ARGC"),
            "argv0": sys.argv[0]}
"""


def test_exec_wrapper_from_layer(daemon):
    lam = make_client(daemon.endpoint)
    layer = lam.publish_layer_version(LayerName=unique("wrap"),
                                      Content={"ZipFile": make_zip({"wrapper.sh": (WRAPPER, 0o755)})})
    name = unique("wrapped")
    lam.create_function(FunctionName=name, Runtime="python3.12", Handler="app.handler",
                        Role="arn:aws:iam::123456789012:role/r",
                        Code={"ZipFile": make_zip({"app.py": CODE})},
                        Layers=[layer["LayerVersionArn"]],
                        Environment={"Variables": {"AWS_LAMBDA_EXEC_WRAPPER": "/opt/wrapper.sh"}})
    out = json.loads(lam.invoke(FunctionName=name, Payload=b"{}")["Payload"].read())
    assert out["by"] == "/opt/wrapper.sh", out
    assert int(out["argc"]) >= 2, out  # the interpreter and the runtime bootstrap at least
    assert out["argv0"].endswith("bootstrap.py"), out
    # Without the variable the runtime starts directly.
    lam.update_function_configuration(FunctionName=name, Environment={"Variables": {}})
    out = json.loads(lam.invoke(FunctionName=name, Payload=b"{}")["Payload"].read())
    assert out["by"] is None, out
