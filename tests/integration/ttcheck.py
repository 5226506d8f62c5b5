"""What the Python checks of the integration scenarios (browser.py,
http_robust.py) report, as lib.sh's tt_eq does: "ok: ..." or "FAIL: ...",
one a line; FAILED lists the failures, for the exit status.
"""

FAILED = []


def ok(what):
    print("ok: " + what, flush=True)


def fail(what):
    print("FAIL: " + what, flush=True)
    FAILED.append(what)
