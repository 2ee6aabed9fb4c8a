#!/usr/bin/env python3
"""The round trip of one MCP call to `sop mcp`, as an agent makes it: send, wait for the answer.

    Benchmarks/mcp-latency.py [--sop BIN] [--calls N]

Starts a run of the retail SOP (Benchmarks/tau2/sops) in a throwaway store and times N `get_run`
calls from the MCP Python SDK, one after the other; prints the mean time per call.
"""
import argparse
import asyncio
import json
import os
import subprocess
import tempfile
import time
from pathlib import Path

from mcp import ClientSession, StdioServerParameters
from mcp.client.stdio import stdio_client

REPO = Path(__file__).resolve().parent.parent


async def measure(sop, store, secret, calls):
    params = StdioServerParameters(command=sop, args=["mcp", "--sops", str(REPO / "Benchmarks/tau2/sops"),
                                                      "--ticket-schema", str(REPO / "Benchmarks/tau2/ticket.schema.json"),
                                                      "--store", store], env={**os.environ, "SOP_TOKEN": secret})
    async with stdio_client(params) as (read, write):
        async with ClientSession(read, write) as session:
            await session.initialize()
            await session.call_tool("start_run", {"sop": "retail", "ticket": {"id": "x"}, "run": "x"})
            started = time.monotonic()
            for _ in range(calls):
                await session.call_tool("get_run", {"run": "x"})
            return (time.monotonic() - started) / calls


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sop", default=str(REPO / ".build/release/sop"))
    ap.add_argument("--calls", type=int, default=300)
    a = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        store = str(Path(tmp) / "runs.sqlite")
        made = subprocess.run([a.sop, "token", "create", "--actor", "bench", "--roles", "agent", "--store", store,
                               "--format", "json"], capture_output=True, text=True, check=True)
        per_call = asyncio.run(measure(a.sop, store, json.loads(made.stdout)["token"], a.calls))
    print(f"{per_call * 1000:.2f} ms per get_run ({a.calls} calls)")


if __name__ == "__main__":
    main()
