"""A full disk under the function log writer (issue 10, item 8): log writes fail and are kept,
the backlog stays bounded (output pipes stop being read), new invocations get AWS's 500
ServiceException once the backlog is past its bound, and the daemon recovers by itself when space
returns: the kept lines are written and invocations succeed again.

The data directory is a small tmpfs (needs root, as the sandbox does), filled with a file.
"""

import os
import subprocess
import time

import pytest

from conftest import Daemon, close_clients, create, extend_timeout, make_client, make_zip, unique

FUNCTION_SRC = r'''
import sys


def lambda_handler(event, context):
    sys.stdout.write("big-line " + "x" * 60000 + "\n")
    sys.stdout.flush()
    return {"ok": True}
'''


def _metric(d, name):
    status, _, body = d.raw("GET", "/metrics")
    assert status == 200
    for line in body.decode().splitlines():
        if line.startswith(name + " "):
            return float(line.split()[1])
    raise AssertionError("no metric %s" % name)


@pytest.fixture
def small_disk(tmp_path):
    if os.geteuid() != 0:
        pytest.skip("needs root to mount a tmpfs")
    mnt = tmp_path / "disk"
    mnt.mkdir()
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=192m", "tmpfs", str(mnt)]).returncode != 0:
        pytest.skip("cannot mount a tmpfs here")
    yield mnt
    subprocess.run(["umount", "-l", str(mnt)])


def test_full_disk_gives_service_exception_then_recovers(small_disk):
    extend_timeout(180)
    d = Daemon(small_disk, ["--keepalive-ms", "600000"])  # its own log goes beside, not on it
    d.start()
    filler = small_disk / "filler"
    try:
        lam = make_client(d.endpoint)
        name = unique("diskfull")
        create(lam, name, make_zip({"lambda_function.py": FUNCTION_SRC}), "python3.11",
               "lambda_function.lambda_handler", MemorySize=1769, Timeout=5)
        r = lam.invoke(FunctionName=name, Payload=b"{}")
        assert r["StatusCode"] == 200 and "FunctionError" not in r
        time.sleep(0.3)

        # fill the disk, leaving nothing for SQLite's WAL
        fd = os.open(filler, os.O_WRONLY | os.O_CREAT, 0o600)
        try:
            for chunk in (1 << 20, 4096, 512):
                try:
                    while os.write(fd, b"\0" * chunk) == chunk:
                        pass
                except OSError:
                    pass
        finally:
            os.close(fd)

        path = "/2015-03-31/functions/%s/invocations" % name
        codes = []
        deadline = time.monotonic() + 90
        refused = None
        while time.monotonic() < deadline:
            status, headers, body = d.raw("POST", path, b"{}")
            codes.append(status)
            if status == 500:
                refused = (headers, body)
                break
            assert status == 200, (status, body)
        assert refused is not None, "no ServiceException after %d invocations on a full disk" % len(codes)
        headers, body = refused
        assert headers.get("x-amzn-errortype", "").split(":")[0] == "ServiceException", headers
        assert _metric(d, "lambdad_log_store_failing") == 1
        backlog = _metric(d, "lambdad_log_backlog_bytes")
        assert backlog < 72 * 1024 * 1024, backlog  # bounded: 8 MiB + 56 MiB reserve + pipes' worth
        assert d.alive()

        # space returns: the daemon recovers by itself
        filler.unlink()
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and _metric(d, "lambdad_log_store_failing") == 1:
            time.sleep(0.2)
        assert _metric(d, "lambdad_log_store_failing") == 0
        deadline = time.monotonic() + 30
        status = None
        while time.monotonic() < deadline:
            status, _, body = d.raw("POST", path, b"{}")
            if status == 200:
                break
            time.sleep(0.2)
        assert status == 200, body
        # nothing was dropped: every invocation that ran has its line and its REPORT
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and _metric(d, "lambdad_log_backlog_events") > 0:
            time.sleep(0.2)
        time.sleep(0.3)
        ran = codes.count(200) + 2  # the first invocation and the last one
        grp = "/aws/lambda/" + name
        lines = d.db_rows("SELECT COUNT(*) FROM log_events WHERE grp = ? AND msg LIKE 'big-line %'", (grp,))[0][0]
        reports = d.db_rows("SELECT COUNT(*) FROM log_events WHERE grp = ? AND msg LIKE 'REPORT %'", (grp,))[0][0]
        assert lines >= ran and reports >= ran, (lines, reports, ran)
        print("full disk: %d invocations answered 200 before the first ServiceException; backlog %.1f MiB"
              % (len(codes) - 1, backlog / 1048576))
    finally:
        close_clients()
        if filler.exists():
            filler.unlink()
        rc = d.stop()
    assert rc == 0, d.log_tail()
