"""What the pcaptool tests share: a failed assertion is one FAIL line and
exit 1, and the generator's captures in a temporary folder."""
import contextlib
import os
import shutil
import subprocess
import sys
import tempfile


def run_test(main):
    """Runs main(); an AssertionError prints as one FAIL line and exits 1."""
    try:
        main()
    except AssertionError as e:
        print(f"FAIL: {e}")
        sys.exit(1)


@contextlib.contextmanager
def generated(prefix, mode=0o700):
    """A temporary folder holding gen_captures' captures; removed afterwards."""
    tmp = tempfile.mkdtemp(prefix=prefix)
    try:
        os.chmod(tmp, mode)
        subprocess.run([os.environ["GEN_CAPTURES"], tmp], check=True)
        yield tmp
    finally:
        shutil.rmtree(tmp)
