"""Open Samantha's page in the browser once it answers (run by open_samantha.bat).

A browser opened before the server listens shows an error page, and the first start (loading
Gradio) can take a minute on a slow laptop: so this waits for the page itself. With --check it only
looks once, so a second double-click opens the running Samantha instead of starting another.

Usage: python open_when_ready.py [--check] [--wait SECONDS] [URL]
Exit status: 0 the page answered and the browser was asked to open it; 1 it did not answer.
"""

from __future__ import annotations

import argparse
import sys
import time
import urllib.error
import urllib.request
import webbrowser

URL = "http://127.0.0.1:7860/"


def answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=5) as reply:
            return 200 <= reply.status < 400
    except (urllib.error.URLError, OSError, ValueError):
        return False


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("url", nargs="?", default=URL)
    parser.add_argument("--check", action="store_true", help="look once instead of waiting")
    parser.add_argument("--wait", type=float, default=600.0, help="give up after this many seconds")
    args = parser.parse_args(argv)
    give_up = time.monotonic() + (0 if args.check else args.wait)
    while not answers(args.url):
        if time.monotonic() >= give_up:
            if not args.check:
                print(f"Samantha's page at {args.url} did not answer within {args.wait:g} seconds: "
                      "read the messages in the Samantha window.", file=sys.stderr)
            return 1
        time.sleep(0.5)
    webbrowser.open(args.url)
    return 0


if __name__ == "__main__":
    sys.exit(main())
