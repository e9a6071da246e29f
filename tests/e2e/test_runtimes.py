"""Every runtime family returns its result: python3.x, nodejs*.x, a shell `provided`
bootstrap, the C `provided` bootstrap, aws-lambda-ric from npm as a `provided`
bootstrap, and the AWS tutorial (CreateThumbnail) with both CLI generations."""

import json
import re

import pytest

from conftest import (DEBIAN_AWS, E2E, FUNCTIONS, cli_json, create, echo_zip, invoke, make_zip, run_cli,
                      unique, zip_dir)

PYTHON_RUNTIMES = ["python3.8", "python3.9", "python3.10", "python3.11", "python3.12", "python3.13"]
NODE_RUNTIMES = ["nodejs12.x", "nodejs14.x", "nodejs16.x", "nodejs18.x", "nodejs20.x", "nodejs22.x"]
PROVIDED_RUNTIMES = ["provided", "provided.al2", "provided.al2023"]
LOG_STREAM = re.compile(r"^\d{4}/\d\d/\d\d/\[\$LATEST\][0-9a-f]{32}$")


@pytest.mark.parametrize("runtime", PYTHON_RUNTIMES)
def test_python_runtime(lam, python_zip, runtime):
    name = unique("py")
    conf = create(lam, name, python_zip, runtime, "lambda_function.lambda_handler",
                  Environment={"Variables": {"MY_VAR": "my value"}})
    r, _, out = invoke(lam, name, {"hello": runtime})
    assert r["StatusCode"] == 200 and "FunctionError" not in r, out
    assert r["ExecutedVersion"] == "$LATEST"
    assert out["event"] == {"hello": runtime}
    assert out["function_name"] == name
    assert out["request_id"] == r["ResponseMetadata"]["RequestId"]
    assert out["invoked_function_arn"] == conf["FunctionArn"]
    assert out["memory_limit_in_mb"] == "128"
    assert out["function_version"] == "$LATEST"
    assert out["log_group_name"] == "/aws/lambda/" + name
    assert LOG_STREAM.match(out["log_stream_name"]), out["log_stream_name"]
    assert 0 < out["remaining_ms"] <= 3000
    env = out["env"]
    assert env["MY_VAR"] == "my value"
    assert env["AWS_LAMBDA_FUNCTION_NAME"] == name
    assert env["_HANDLER"] == "lambda_function.lambda_handler"
    assert env["LAMBDA_TASK_ROOT"] == "/var/task"
    assert env["AWS_EXECUTION_ENV"] == "AWS_Lambda_" + runtime
    assert env["AWS_REGION"] == "us-east-1"
    assert env["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"] == "128"
    assert env["AWS_LAMBDA_FUNCTION_VERSION"] == "$LATEST"
    assert env["AWS_LAMBDA_LOG_GROUP_NAME"] == "/aws/lambda/" + name
    assert LOG_STREAM.match(env["AWS_LAMBDA_LOG_STREAM_NAME"]), env["AWS_LAMBDA_LOG_STREAM_NAME"]
    assert re.match(r"^[0-9.]+:\d+$", env["AWS_LAMBDA_RUNTIME_API"]), env["AWS_LAMBDA_RUNTIME_API"]
    lam.delete_function(FunctionName=name)


@pytest.mark.parametrize("runtime", NODE_RUNTIMES)
def test_node_runtime(lam, node_zip, runtime):
    name = unique("node")
    conf = create(lam, name, node_zip, runtime, "index.handler", Environment={"Variables": {"MY_VAR": "v"}})
    r, _, out = invoke(lam, name, {"hello": runtime})
    assert r["StatusCode"] == 200 and "FunctionError" not in r, out
    assert out["runtime"] == "node"
    assert out["event"] == {"hello": runtime}
    assert out["functionName"] == name
    assert out["requestId"] == r["ResponseMetadata"]["RequestId"]
    assert out["invokedFunctionArn"] == conf["FunctionArn"]
    assert out["memoryLimitInMB"] == "128"
    assert 0 < out["remainingMs"] <= 3000
    assert out["env"] == {"AWS_LAMBDA_FUNCTION_NAME": name, "_HANDLER": "index.handler",
                          "LAMBDA_TASK_ROOT": "/var/task", "AWS_EXECUTION_ENV": "AWS_Lambda_" + runtime,
                          "MY_VAR": "v"}
    lam.delete_function(FunctionName=name)


def test_node_callback_handler(lam, node_zip):
    name = unique("nodecb")
    create(lam, name, node_zip, "nodejs18.x", "callback.handler")
    r, _, out = invoke(lam, name, {"k": "v"})
    assert "FunctionError" not in r, out
    assert out == {"style": "callback", "event": {"k": "v"}, "requestId": r["ResponseMetadata"]["RequestId"]}
    r, _, out = invoke(lam, name, {"fail": "boom"})
    assert r.get("FunctionError") == "Unhandled"
    assert out["errorType"] == "Error" and out["errorMessage"] == "callback failed: boom", out
    lam.delete_function(FunctionName=name)


@pytest.mark.parametrize("runtime", PROVIDED_RUNTIMES)
def test_c_bootstrap(lam, runtime):
    name = unique("c")
    create(lam, name, echo_zip(), runtime, "ignored.handler")
    event = {"hello": "from C", "n": [1, 2, 3]}
    r, body, out = invoke(lam, name, event)
    assert r["StatusCode"] == 200 and "FunctionError" not in r, body
    assert out == event
    r, body, out = invoke(lam, name, {"whoami": True})
    assert isinstance(out["pid"], int) and re.match(r"^[0-9a-f]{16}$", out["instance"]), body
    lam.delete_function(FunctionName=name)


def test_shell_bootstrap(lam):
    name = unique("sh")
    create(lam, name, zip_dir(FUNCTIONS / "shell"), "provided.al2", "function.handler")
    for i in range(2):
        r, body, out = invoke(lam, name, {"i": i})
        assert r["StatusCode"] == 200 and "FunctionError" not in r, body
        assert out == {"runtime": "shell", "request_id": r["ResponseMetadata"]["RequestId"],
                       "handler": "function.handler", "event": {"i": i}}
    lam.delete_function(FunctionName=name)


def test_python_stdlib_bootstrap(lam, pyruntime_zip):
    name = unique("pyrt")
    create(lam, name, pyruntime_zip, "provided.al2023", "x.y")
    r, body, out = invoke(lam, name, {"k": 1})
    assert "FunctionError" not in r, body
    assert out["event"] == {"k": 1}
    lam.delete_function(FunctionName=name)


# ---------------------------------------------------------------- aws-lambda-ric

RIC_DIR = E2E / "node_modules" / "aws-lambda-ric"


def ric_zip():
    files = {}
    for p in sorted(RIC_DIR.rglob("*")):
        rel = p.relative_to(RIC_DIR)
        if p.is_file() and rel.parts[0] in ("bin", "dist", "package.json"):
            files["node_modules/aws-lambda-ric/" + str(rel)] = (p.read_bytes(), p.stat().st_mode & 0o777)
    for p in (FUNCTIONS / "ric").iterdir():
        files[p.name] = (p.read_bytes(), p.stat().st_mode & 0o777)
    return make_zip(files)


def test_aws_lambda_ric_from_npm(lam):
    if not (RIC_DIR / "dist" / "rapid-client.node").exists():
        pytest.skip("aws-lambda-ric not installed: run `npm ci --prefix tests/e2e` "
                    "(needs autoconf automake libtool cmake g++ make)")
    name = unique("ric")
    create(lam, name, ric_zip(), "provided.al2", "index.handler", Timeout=10)
    r, body, out = invoke(lam, name, {"via": "ric"})
    assert r["StatusCode"] == 200 and "FunctionError" not in r, body
    assert out == {"runtime": "aws-lambda-ric", "event": {"via": "ric"},
                   "requestId": r["ResponseMetadata"]["RequestId"], "functionName": name}
    r, body, out = invoke(lam, name, {"throw": "ric says no"})
    assert r.get("FunctionError") == "Unhandled", body
    assert out["errorType"] == "RicError" and out["errorMessage"] == "ric says no", body
    r, body, out = invoke(lam, name, {"again": True})  # warm instance keeps working after an error
    assert out["event"] == {"again": True}, body
    lam.delete_function(FunctionName=name)


# ---------------------------------------------------------------- the tutorial (acceptance 1)

TUTORIAL_ROLE = "arn:aws:iam::205850140633:role/jb-lambda-S3-role"


def _tutorial(aws, daemon, tmp_path, v2):
    (tmp_path / "function.zip").write_bytes(zip_dir(FUNCTIONS / "thumbnail", extra={}))
    (tmp_path / "inputFile.txt").write_bytes((FUNCTIONS / "thumbnail" / "inputFile.txt").read_bytes())
    ep = daemon.endpoint
    conf = cli_json(aws, ep, "lambda", "create-function", "--function-name", "CreateThumbnail",
                    "--zip-file", "fileb://function.zip", "--handler", "index.handler", "--runtime", "nodejs12.x",
                    "--timeout", "10", "--memory-size", "1024", "--role", TUTORIAL_ROLE, cwd=tmp_path)
    try:
        assert conf["FunctionName"] == "CreateThumbnail"
        assert conf["Runtime"] == "nodejs12.x" and conf["Timeout"] == 10 and conf["MemorySize"] == 1024
        assert conf["Role"] == TUTORIAL_ROLE
        args = ["lambda", "invoke", "--function-name", "CreateThumbnail", "--payload", "file://inputFile.txt"]
        if v2:
            args += ["--cli-binary-format", "raw-in-base64-out"]
        meta = cli_json(aws, ep, *(args + ["outputfile.txt"]), cwd=tmp_path)
        assert meta["StatusCode"] == 200 and "FunctionError" not in meta, meta
        assert meta["ExecutedVersion"] == "$LATEST"
        out = json.loads((tmp_path / "outputfile.txt").read_text())
        assert out == {"status": "Successfully resized", "srcBucket": "sourcebucket", "srcKey": "HappyFace.jpg",
                       "dstBucket": "sourcebucket-resized", "dstKey": "resized-HappyFace.jpg", "imageType": "jpg"}
    finally:
        run_cli(aws, ep, "lambda", "delete-function", "--function-name", "CreateThumbnail")


def test_tutorial_create_thumbnail_cli_v2(daemon, tmp_path):
    _tutorial(DEBIAN_AWS, daemon, tmp_path, v2=True)


def test_tutorial_create_thumbnail_path_cli(daemon, tmp_path, new_aws):
    v2 = new_aws["version"].startswith("aws-cli/2")
    _tutorial(new_aws["path"], daemon, tmp_path, v2=v2)
