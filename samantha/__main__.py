"""`python -m samantha` is the same program as `samantha`."""

from samantha.cli import main

if __name__ == "__main__":  # the guard matters: model worker processes re-import this module
    raise SystemExit(main())
