"""Run the console script as ``python -m interpretkd``."""

from interpretkd.cli import main

if __name__ == "__main__":
    main(prog_name="interpretkd")
