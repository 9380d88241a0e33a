"""`python -m capsule_tui.capsule.sandbox`: run the Capsule stand-in in the foreground."""

from __future__ import annotations

import argparse

from capsule_tui.capsule.sandbox.server import serve_forever


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m capsule_tui.capsule.sandbox",
                                     description="Run a local Capsule API stand-in with demo data.")
    parser.add_argument("--port", type=int, default=8765, help="port on 127.0.0.1 (default 8765)")
    parser.add_argument("--parties", type=int, default=500, help="how many parties (default 500)")
    parser.add_argument("--seed", type=int, default=1, help="data seed (default 1)")
    parser.add_argument("--token", default="demo-token", help="accepted bearer token")
    args = parser.parse_args(argv)
    serve_forever(port=args.port, parties=args.parties, seed=args.seed, token=args.token)


if __name__ == "__main__":
    main()
