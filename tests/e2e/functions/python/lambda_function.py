"""Test handler for the python3.x runtimes. The event selects what it does."""
import os
import sys
import time
import uuid

INSTANCE = uuid.uuid4().hex  # one per process: proves which instance served a call
COUNT = 0


class CustomError(Exception):
    pass


def _fs_probe():
    out = {"task_files": sorted(os.listdir(os.environ.get("LAMBDA_TASK_ROOT", "/var/task")))}
    try:
        with open("/var/task/written-by-function", "w") as f:
            f.write("x")
        out["task_write"] = "ok"
    except OSError as e:
        out["task_write"] = e.errno
    marker = "lambdad-e2e-" + INSTANCE
    with open("/tmp/" + marker, "w") as f:
        f.write("x")
    out["tmp_marker"] = marker
    out["tmp_listing"] = sorted(os.listdir("/tmp"))
    st = os.statvfs("/tmp")
    out["tmp_size_mb"] = st.f_blocks * st.f_frsize // (1024 * 1024)
    return out


def lambda_handler(event, context):
    global COUNT
    COUNT += 1
    start = time.time()
    ev = event if isinstance(event, dict) else {}
    if "print" in ev:
        print(ev["print"], flush=True)
    if "sleep" in ev:
        time.sleep(ev["sleep"])
    if "raise" in ev:
        raise CustomError(ev["raise"])
    if "exit" in ev:
        sys.stdout.flush()
        os._exit(ev["exit"])
    if "big" in ev:
        return "x" * ev["big"]
    out = {
        "runtime": "python",
        "event": event,
        "instance": INSTANCE,
        "pid": os.getpid(),
        "count": COUNT,
        "start": start,
        "end": time.time(),
        "request_id": context.aws_request_id,
        "function_name": context.function_name,
        "function_version": context.function_version,
        "invoked_function_arn": context.invoked_function_arn,
        "memory_limit_in_mb": str(context.memory_limit_in_mb),
        "log_group_name": context.log_group_name,
        "log_stream_name": context.log_stream_name,
        "remaining_ms": context.get_remaining_time_in_millis(),
        "env": dict(os.environ),
        "cwd": os.getcwd(),
        "python": sys.version,
    }
    if ev.get("fs"):
        out["fs"] = _fs_probe()
    return out
