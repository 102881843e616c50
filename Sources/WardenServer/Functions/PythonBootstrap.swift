// The process Warden runs for python3.x functions: a Lambda Runtime API client that imports the handler and calls it
// for each invocation, the way Lambda's own Python runtime does.

enum PythonBootstrap {
    static let source = #"""
# Written by Warden. Runs a python3.x function's handler against the Lambda Runtime API in AWS_LAMBDA_RUNTIME_API.
import importlib
import json
import os
import sys
import time
import traceback
import urllib.request

BASE = "http://" + os.environ["AWS_LAMBDA_RUNTIME_API"] + "/2018-06-01/runtime"


def post(path, body, error_type=None):
    headers = {"Content-Type": "application/json"}
    if error_type:
        headers["Lambda-Runtime-Function-Error-Type"] = error_type
    req = urllib.request.Request(BASE + path, data=body, method="POST", headers=headers)
    with urllib.request.urlopen(req) as r:
        r.read()


def error_document(e, error_type=None):
    return {
        "errorMessage": str(e),
        "errorType": error_type or type(e).__name__,
        "requestId": "",
        "stackTrace": [line.rstrip("\n") for line in traceback.format_list(traceback.extract_tb(e.__traceback__))],
    }


class Context:
    def __init__(self, request_id, deadline_ms, arn):
        self.aws_request_id = request_id
        self.invoked_function_arn = arn
        self.function_name = os.environ["AWS_LAMBDA_FUNCTION_NAME"]
        self.function_version = os.environ.get("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
        self.memory_limit_in_mb = os.environ.get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128")
        self.log_group_name = os.environ.get("AWS_LAMBDA_LOG_GROUP_NAME")
        self.log_stream_name = os.environ.get("AWS_LAMBDA_LOG_STREAM_NAME")
        self.identity = None
        self.client_context = None
        self._deadline_ms = deadline_ms

    def get_remaining_time_in_millis(self):
        return max(0, self._deadline_ms - int(time.time() * 1000))


def load_handler():
    spec = os.environ.get("_HANDLER", "")
    try:
        module_name, function_name = spec.rsplit(".", 1)
    except ValueError:
        raise HandlerError("Runtime.MalformedHandlerName", "Bad handler '%s': not enough values to unpack (expected 2, got 1)" % spec)
    try:
        module = importlib.import_module(module_name.replace("/", "."))
    except ModuleNotFoundError as e:
        raise HandlerError("Runtime.ImportModuleError", "Unable to import module '%s': %s" % (module_name, e))
    except SyntaxError as e:
        raise HandlerError("Runtime.UserCodeSyntaxError", "Syntax error in module '%s': %s" % (module_name, e))
    except Exception as e:
        raise HandlerError("Runtime.ImportModuleError", "Unable to import module '%s': %s" % (module_name, e))
    handler = getattr(module, function_name, None)
    if handler is None:
        raise HandlerError("Runtime.HandlerNotFound", "Handler '%s' missing on module '%s'" % (function_name, module_name))
    return handler


class HandlerError(Exception):
    def __init__(self, error_type, message):
        super().__init__(message)
        self.error_type = error_type


def main():
    sys.path.insert(0, os.environ["LAMBDA_TASK_ROOT"])
    try:
        handler = load_handler()
    except HandlerError as e:
        print("[ERROR] %s: %s" % (e.error_type, e), flush=True)
        post("/init/error", json.dumps({"errorMessage": str(e), "errorType": e.error_type, "requestId": "", "stackTrace": []}).encode(),
             e.error_type)
        sys.exit(1)
    while True:
        with urllib.request.urlopen(BASE + "/invocation/next") as r:
            request_id = r.headers["Lambda-Runtime-Aws-Request-Id"]
            deadline = int(r.headers.get("Lambda-Runtime-Deadline-Ms", "0"))
            arn = r.headers.get("Lambda-Runtime-Invoked-Function-Arn", "")
            raw = r.read()
        os.environ["_X_AMZN_TRACE_ID"] = r.headers.get("Lambda-Runtime-Trace-Id", "")
        try:
            event = json.loads(raw) if raw else {}
            result = handler(event, Context(request_id, deadline, arn))
            body = json.dumps(result).encode()
        except Exception as e:
            doc = error_document(e)
            doc["requestId"] = request_id
            print("[ERROR] %s: %s\nTraceback (most recent call last):\n%s" % (doc["errorType"], doc["errorMessage"], "\n".join(doc["stackTrace"])),
                  flush=True)
            sys.stderr.flush()
            post("/invocation/%s/error" % request_id, json.dumps(doc).encode(), "Unhandled")
            continue
        sys.stdout.flush()
        sys.stderr.flush()
        post("/invocation/%s/response" % request_id, body)


if __name__ == "__main__":
    main()
"""#
}
