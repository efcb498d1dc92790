"""Runs a command and prints {stage, max_rss_mb, seconds, exit_code} as one
JSON line: the peak resident set size of the command (its process tree's
largest process, from getrusage(RUSAGE_CHILDREN)).
Usage: max_rss.py STAGE -- CMD [ARGS...]"""
import json
import resource
import subprocess
import sys
import time


def main() -> None:
    stage, sep, *cmd = sys.argv[1:]
    assert sep == "--" and cmd, __doc__
    t = time.perf_counter()
    rc = subprocess.run(cmd, stdout=subprocess.DEVNULL).returncode
    seconds = time.perf_counter() - t
    rss_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024.0
    print(json.dumps({"stage": stage, "max_rss_mb": round(rss_mb, 1), "seconds": round(seconds, 3), "exit_code": rc}),
          flush=True)


if __name__ == "__main__":
    main()
