# checks.py - what pfslog's test scripts share: one check line per
# assertion, the failures counted, the exit status from them.
#
# SPDX-License-Identifier: GPL-2.0-or-later

FAILED = []


def check(cond, msg):
    """Prints ok: or FAIL: and the message; a failure is remembered."""
    print(("ok: " if cond else "FAIL: ") + msg)
    if not cond:
        FAILED.append(msg)


def finish():
    """The exit status: 1 when any check failed."""
    if FAILED:
        print(f"{len(FAILED)} check(s) failed")
        return 1
    return 0
