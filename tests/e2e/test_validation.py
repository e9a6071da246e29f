"""Every validation error of CreateFunction / UpdateFunction* / Invoke, with the
exception code as botocore parses it (acceptance 3)."""

import base64
import io
import json
import zipfile

import pytest

from conftest import (DEBIAN_AWS, ROLE, assert_aws_error, cli_error_code, create, echo_zip,
                      expect_code, invoke, make_zip, run_cli, run_new_python, unique)

PY = "lambda_function.lambda_handler"


@pytest.fixture(scope="module")
def small_zip(python_zip):
    return python_zip


@pytest.fixture(scope="module")
def existing(lam, small_zip):
    name = unique("exists")
    conf = create(lam, name, small_zip, "python3.11", PY)
    return conf


def _create_kwargs(small_zip, **over):
    kw = dict(FunctionName=unique("v"), Runtime="python3.11", Role=ROLE, Handler=PY,
              Code={"ZipFile": small_zip})
    kw.update(over)
    return kw


CREATE_CASES = [
    ("name-with-space", {"FunctionName": "bad name!"}, "ValidationException"),
    ("name-65-chars", {"FunctionName": "a" * 65}, "ValidationException"),
    ("timeout-901", {"Timeout": 901}, "ValidationException"),
    ("memory-10241", {"MemorySize": 10241}, "ValidationException"),
    ("ephemeral-10241", {"EphemeralStorage": {"Size": 10241}}, "ValidationException"),
    ("runtime-unknown", {"Runtime": "python9.9"}, "ValidationException"),
    ("runtime-java11", {"Runtime": "java11"}, "InvalidParameterValueException"),
    ("description-257", {"Description": "d" * 257}, "ValidationException"),
    ("role-not-arn", {"Role": "not-a-role"}, "ValidationException"),
    ("reserved-env-aws-region", {"Environment": {"Variables": {"AWS_REGION": "eu-west-1"}}},
     "InvalidParameterValueException"),
    ("reserved-env-handler", {"Environment": {"Variables": {"_HANDLER": "x.y"}}}, "InvalidParameterValueException"),
    ("env-over-4kb", {"Environment": {"Variables": {"BIG": "x" * 4097}}}, "InvalidParameterValueException"),
    ("env-over-4kb-many", {"Environment": {"Variables": {"K%03d" % i: "v" * 40 for i in range(100)}}},
     "InvalidParameterValueException"),
    ("env-key-one-char", {"Environment": {"Variables": {"A": "1"}}}, "ValidationException"),
    ("env-key-digit-first", {"Environment": {"Variables": {"1ABC": "1"}}}, "ValidationException"),
    ("layers", {"Layers": ["arn:aws:lambda:us-east-1:123456789012:layer:my-layer:1"]},
     "InvalidParameterValueException"),
    ("not-a-zip", {"Code": {"ZipFile": b"this is not a zip file"}}, "InvalidParameterValueException"),
]


@pytest.mark.parametrize("over,code", [c[1:] for c in CREATE_CASES], ids=[c[0] for c in CREATE_CASES])
def test_create_rejected(lam, small_zip, over, code):
    kw = _create_kwargs(small_zip, **over)
    e = expect_code(code, lam.create_function, http_status=400, **kw)
    assert e.response["Error"]["Message"], e.response
    if kw["FunctionName"].startswith("v-"):  # nothing was created
        expect_code("ResourceNotFoundException", lam.get_function, FunctionName=kw["FunctionName"])


def test_not_a_zip_message(lam):
    e = expect_code("InvalidParameterValueException", lam.create_function,
                    **_create_kwargs(b"", Code={"ZipFile": b"PK\x03\x04 but truncated"}))
    assert e.response["Error"]["Message"].startswith("Could not unzip uploaded file"), e.response


def test_env_within_4kb_accepted(lam, small_zip):
    name = unique("env4k")
    conf = create(lam, name, small_zip, "python3.11", PY,
                  Environment={"Variables": {"BIG": "x" * 3000, "OTHER": "y"}})
    assert conf["Environment"]["Variables"]["OTHER"] == "y"
    lam.delete_function(FunctionName=name)


@pytest.mark.parametrize("field,value", [("MemorySize", 0), ("MemorySize", 127), ("Timeout", 0),
                                         ("EphemeralStorage", {"Size": 511})])
def test_create_below_min_raw_http(daemon, small_zip, field, value):
    """botocore rejects these itself (model min), so send them raw."""
    body = {"FunctionName": unique("raw"), "Runtime": "python3.11", "Role": ROLE, "Handler": PY,
            "Code": {"ZipFile": base64.b64encode(small_zip).decode()}, field: value}
    status, headers, data = daemon.raw("POST", "/2015-03-31/functions", json.dumps(body),
                                       {"Content-Type": "application/json"})
    assert_aws_error(status, headers, data, "ValidationException", 400)


def test_boundaries_accepted(lam, small_zip):
    name = unique("bounds")
    conf = create(lam, name, small_zip, "python3.11", PY, Timeout=900, MemorySize=10240,
                  EphemeralStorage={"Size": 10240}, Description="d" * 256)
    assert (conf["Timeout"], conf["MemorySize"], conf["EphemeralStorage"]["Size"]) == (900, 10240, 10240)
    conf = lam.update_function_configuration(FunctionName=name, Timeout=1, MemorySize=128,
                                             EphemeralStorage={"Size": 512})
    assert (conf["Timeout"], conf["MemorySize"], conf["EphemeralStorage"]["Size"]) == (1, 128, 512)
    lam.delete_function(FunctionName=name)
    name64 = "n" * 64
    create(lam, name64, small_zip, "python3.11", PY)
    lam.delete_function(FunctionName=name64)


@pytest.fixture(scope="session")
def huge_unzipped_zip():
    """One 300 MB zero-filled entry: about 300 KB zipped."""
    buf = io.BytesIO()
    chunk = bytes(1 << 20)
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        with z.open("zeros.bin", "w") as f:
            for _ in range(300):
                f.write(chunk)
        info = zipfile.ZipInfo("lambda_function.py", date_time=(2024, 1, 1, 0, 0, 0))
        z.writestr(info, "def lambda_handler(e, c):\n    return 1\n")
    return buf.getvalue()


def test_unzipped_size_limit(lam, huge_unzipped_zip):
    assert len(huge_unzipped_zip) < 2 * 1024 * 1024
    kw = _create_kwargs(b"", Code={"ZipFile": huge_unzipped_zip})
    e = expect_code("InvalidParameterValueException", lam.create_function, http_status=400, **kw)
    assert "Unzipped size must be smaller than 262144000 bytes" in e.response["Error"]["Message"], e.response
    expect_code("ResourceNotFoundException", lam.get_function, FunctionName=kw["FunctionName"])


def test_unzipped_size_limit_on_update(lam, existing, huge_unzipped_zip):
    e = expect_code("InvalidParameterValueException", lam.update_function_code,
                    FunctionName=existing["FunctionName"], ZipFile=huge_unzipped_zip)
    assert "Unzipped size must be smaller than 262144000 bytes" in e.response["Error"]["Message"], e.response
    assert lam.get_function(FunctionName=existing["FunctionName"])["Configuration"]["CodeSha256"] == \
        existing["CodeSha256"]


def test_create_body_too_large(lam, daemon):
    # 52.5 MB of zip bytes is > 69905067 bytes once base64-encoded into the JSON body.
    blob = bytes(52_500_000)
    e = expect_code("RequestEntityTooLargeException", lam.create_function, http_status=413,
                    **_create_kwargs(b"", Code={"ZipFile": blob}))
    assert e.response["Error"]["Message"], e.response
    assert daemon.health()["status"] == "ok"


def test_duplicate_create(lam, existing, small_zip):
    e = expect_code("ResourceConflictException", lam.create_function, http_status=409,
                    **_create_kwargs(small_zip, FunctionName=existing["FunctionName"]))
    assert existing["FunctionName"] in e.response["Error"]["Message"]


MISSING = "does-not-exist-" + "x" * 8


@pytest.mark.parametrize("op", ["get_function", "get_function_configuration", "update_function_code",
                                "update_function_configuration", "delete_function", "invoke"])
def test_missing_function(lam, op, small_zip):
    kwargs = {"update_function_code": {"ZipFile": small_zip},
              "update_function_configuration": {"Timeout": 5},
              "invoke": {"Payload": b"{}"}}.get(op, {})
    e = expect_code("ResourceNotFoundException", getattr(lam, op), http_status=404, FunctionName=MISSING, **kwargs)
    assert e.response["Error"]["Message"], e.response


def test_missing_function_cli(daemon):
    p = run_cli(DEBIAN_AWS, daemon.endpoint, "lambda", "get-function", "--function-name", MISSING)
    assert p.returncode != 0 and cli_error_code(p.stderr) == "ResourceNotFoundException", p.stderr


UPDATE_CASES = [
    ("timeout-901", {"Timeout": 901}, "ValidationException"),
    ("memory-10241", {"MemorySize": 10241}, "ValidationException"),
    ("ephemeral-10241", {"EphemeralStorage": {"Size": 10241}}, "ValidationException"),
    ("runtime-unknown", {"Runtime": "python9.9"}, "ValidationException"),
    ("runtime-java11", {"Runtime": "java11"}, "InvalidParameterValueException"),
    ("reserved-env", {"Environment": {"Variables": {"AWS_REGION": "x"}}}, "InvalidParameterValueException"),
    ("env-over-4kb", {"Environment": {"Variables": {"BIG": "x" * 5000}}}, "InvalidParameterValueException"),
    ("layers", {"Layers": ["arn:aws:lambda:us-east-1:123456789012:layer:l:1"]}, "InvalidParameterValueException"),
    ("revision-mismatch", {"RevisionId": "00000000-0000-0000-0000-000000000000", "Timeout": 5},
     "PreconditionFailedException"),
]


@pytest.mark.parametrize("over,code", [c[1:] for c in UPDATE_CASES], ids=[c[0] for c in UPDATE_CASES])
def test_update_configuration_rejected(lam, existing, over, code):
    name = existing["FunctionName"]
    before = lam.get_function_configuration(FunctionName=name)
    expect_code(code, lam.update_function_configuration, FunctionName=name, **over)
    after = lam.get_function_configuration(FunctionName=name)
    assert after["RevisionId"] == before["RevisionId"] and after["Timeout"] == before["Timeout"]


def test_update_code_rejected(lam, existing):
    name = existing["FunctionName"]
    expect_code("InvalidParameterValueException", lam.update_function_code, FunctionName=name,
                ZipFile=b"not a zip")
    e = expect_code("PreconditionFailedException", lam.update_function_code, http_status=412, FunctionName=name,
                    ZipFile=make_zip({"lambda_function.py": "def lambda_handler(e, c): return 2\n"}),
                    RevisionId="00000000-0000-0000-0000-000000000000")
    assert e.response["Error"]["Message"]


def test_revision_id_match_accepted(lam, existing):
    name = existing["FunctionName"]
    rev = lam.get_function_configuration(FunctionName=name)["RevisionId"]
    conf = lam.update_function_configuration(FunctionName=name, Description="rev ok", RevisionId=rev)
    assert conf["RevisionId"] != rev
    expect_code("PreconditionFailedException", lam.update_function_configuration, FunctionName=name,
                Description="stale", RevisionId=rev)


# ---------------------------------------------------------------- Invoke


@pytest.fixture(scope="module")
def echo_fn(lam):
    name = unique("vecho")
    create(lam, name, echo_zip(), "provided.al2", "x")
    return name


def test_invoke_payload_too_large(lam, echo_fn, daemon):
    payload = b'"' + b"x" * (6291456 - 1) + b'"'  # 6291457 bytes of valid JSON
    e = expect_code("RequestEntityTooLargeException", lam.invoke, http_status=413, FunctionName=echo_fn,
                    Payload=payload)
    assert e.response["Error"]["Message"]
    # exactly at the limit is fine
    payload = b'"' + b"x" * (6291456 - 2) + b'"'
    r, body, _ = invoke(lam, echo_fn, raw=payload)
    assert r["StatusCode"] == 200 and body == payload


def test_invoke_payload_not_json(lam, echo_fn):
    e = expect_code("InvalidRequestContentException", lam.invoke, http_status=400, FunctionName=echo_fn,
                    Payload=b"{this is not json")
    assert e.response["Error"]["Message"]


def test_invoke_event_limits(lam, echo_fn):
    """Event invocations are queued (tests/e2e/test_async.py); here only their limits: 1 MB of
    payload (413) and a JSON body."""
    r = lam.invoke(FunctionName=echo_fn, InvocationType="Event", Payload=b"{}")
    assert r["StatusCode"] == 202
    expect_code("RequestEntityTooLargeException", lam.invoke, http_status=413, FunctionName=echo_fn,
                InvocationType="Event", Payload=b'"' + b"x" * 1048576 + b'"')
    expect_code("InvalidRequestContentException", lam.invoke, http_status=400,
                FunctionName=echo_fn, InvocationType="Event", Payload=b"{nope")


def test_invoke_dry_run(lam, echo_fn):
    r = lam.invoke(FunctionName=echo_fn, InvocationType="DryRun", Payload=b"{}")
    assert r["StatusCode"] == 204
    assert r["Payload"].read() == b""
    expect_code("ResourceNotFoundException", lam.invoke, FunctionName=MISSING, InvocationType="DryRun")


def test_invoke_bad_invocation_type_raw(daemon, echo_fn):
    status, headers, body = daemon.raw("POST", "/2015-03-31/functions/%s/invocations" % echo_fn, b"{}",
                                       {"X-Amz-Invocation-Type": "Sometimes"})
    assert_aws_error(status, headers, body, "ValidationException", 400)


def test_invoke_errors_cli(daemon, echo_fn, tmp_path, small_zip):
    (tmp_path / "f.zip").write_bytes(small_zip)
    p = run_cli(DEBIAN_AWS, daemon.endpoint, "lambda", "invoke", "--function-name", echo_fn,
                "--cli-binary-format", "raw-in-base64-out", "--payload", "{nope", str(tmp_path / "o"))
    assert p.returncode != 0 and cli_error_code(p.stderr) == "InvalidRequestContentException", p.stderr
    p = run_cli(DEBIAN_AWS, daemon.endpoint, "lambda", "create-function", "--function-name", "bad name!",
                "--runtime", "python3.11", "--handler", PY, "--role", ROLE, "--zip-file", "fileb://%s" % (tmp_path / "f.zip"))
    assert p.returncode != 0 and cli_error_code(p.stderr) == "ValidationException", p.stderr


NEW_BOTO_VALIDATION = r'''
import json, os, sys, boto3
from botocore.config import Config
from botocore.exceptions import ClientError
lam = boto3.client("lambda", endpoint_url=os.environ["ENDPOINT"], config=Config(retries={"total_max_attempts": 1}))
zip_bytes = open(sys.argv[1], "rb").read()
role = "arn:aws:iam::123456789012:role/lambda-role"
def code(fn, **kw):
    try:
        fn(**kw)
        return "OK"
    except ClientError as e:
        return [e.response["Error"]["Code"], e.response["ResponseMetadata"]["HTTPStatusCode"]]
base = dict(Runtime="python3.11", Role=role, Handler="lambda_function.lambda_handler", Code={"ZipFile": zip_bytes})
out = {
  "bad_name": code(lam.create_function, FunctionName="bad name!", **base),
  "timeout": code(lam.create_function, FunctionName="new-v-timeout", Timeout=901, **base),
  "memory": code(lam.create_function, FunctionName="new-v-memory", MemorySize=10241, **base),
  "java": code(lam.create_function, FunctionName="new-v-java", **dict(base, Runtime="java11")),
  "reserved": code(lam.create_function, FunctionName="new-v-res", Environment={"Variables": {"AWS_REGION": "x"}}, **base),
  "missing": code(lam.get_function, FunctionName="new-v-missing"),
  "missing_invoke": code(lam.invoke, FunctionName="new-v-missing", Payload=b"{}"),
  "not_json": code(lam.invoke, FunctionName=sys.argv[2], Payload=b"{nope"),
}
print(json.dumps(out))
'''


def test_validation_with_newer_boto3(daemon, echo_fn, new_python, tmp_path, small_zip):
    (tmp_path / "f.zip").write_bytes(small_zip)
    out = run_new_python(new_python, daemon.endpoint, NEW_BOTO_VALIDATION, str(tmp_path / "f.zip"), echo_fn)
    assert out == {
        "bad_name": ["ValidationException", 400],
        "timeout": ["ValidationException", 400],
        "memory": ["ValidationException", 400],
        "java": ["InvalidParameterValueException", 400],
        "reserved": ["InvalidParameterValueException", 400],
        "missing": ["ResourceNotFoundException", 404],
        "missing_invoke": ["ResourceNotFoundException", 404],
        "not_json": ["InvalidRequestContentException", 400],
    }
