#!/usr/bin/env python3
"""The start-up benchmark of `agentlocks mcp` (README, Benchmarks; docs/mcp.md).

For each variant, ROUNDS times, interleaved so every variant meets the same load on a shared machine: start
`<command> mcp --root R --agent bench`, send `initialize` and time its answer (start-up); then time the first
`reserve` + `release` tool calls (the first calls, JIT included); then close stdin and time the exit.
Also times a cold `<command> --json --root R status` of each command, the CLI's own start-up, to show what the
MCP SDK costs the commands that do not use it.

Usage: docs/mcp-startup.py ROUNDS NAME=COMMAND [NAME=COMMAND ...]
  e.g. docs/mcp-startup.py 30 aot=/tmp/aot/AgentLocks.Cli jit="dotnet /tmp/jit/AgentLocks.Cli.dll"
A NAME ending in "-cli" times only the CLI's status (a build without `mcp`, such as the one before it).
"""
import json, os, shlex, statistics, subprocess, sys, tempfile, time

def call(proc, message):
    proc.stdin.write((json.dumps(message) + "\n").encode())
    proc.stdin.flush()
    while True:
        line = proc.stdout.readline()
        if not line:
            raise RuntimeError("the server closed stdout")
        answer = json.loads(line)
        if answer.get("id") == message["id"]:
            return answer

def mcp_round(command, root):
    started = time.perf_counter()
    proc = subprocess.Popen(command + ["mcp", "--root", root, "--agent", "bench"], stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    call(proc, {"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {"protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "bench", "version": "1"}}})
    initialized = time.perf_counter()
    proc.stdin.write(b'{"jsonrpc":"2.0","method":"notifications/initialized"}\n')
    for i, (tool, args) in enumerate([("reserve", {"paths": ["src/bench"], "bead": "bd-1"}), ("release", {"paths": ["src/bench"]})]):
        answer = call(proc, {"jsonrpc": "2.0", "id": 2 + i, "method": "tools/call", "params": {"name": tool, "arguments": args}})
        if answer["result"].get("isError"):
            raise RuntimeError(json.dumps(answer))
    called = time.perf_counter()
    proc.stdin.close()
    proc.wait()
    exited = time.perf_counter()
    return (initialized - started) * 1000, (called - initialized) * 1000, (exited - called) * 1000

def cli_round(command, root):
    started = time.perf_counter()
    subprocess.run(command + ["--json", "--root", root, "status"], check=True, stdout=subprocess.DEVNULL)
    return (time.perf_counter() - started) * 1000

def main():
    rounds = int(sys.argv[1])
    variants = [(v.split("=", 1)[0], shlex.split(v.split("=", 1)[1])) for v in sys.argv[2:]]
    root = tempfile.mkdtemp(prefix="agentlocks-mcp-startup-")
    env_clean = ["AGENTLOCKS_ROOT", "AGENTLOCKS_POSTGRES", "AGENTLOCKS_AGENT", "AGENTLOCKS_REPO"]
    for name in env_clean:
        os.environ.pop(name, None)
    results = {name: {"initialize": [], "first reserve+release": [], "exit": [], "cli status": []} for name, _ in variants}
    for r in range(rounds + 3):
        order = variants[r % len(variants):] + variants[:r % len(variants)]
        for name, command in order:
            init, calls, exit_ = mcp_round(command, root) if not name.endswith("-cli") else (None, None, None)
            cli = cli_round(command, root)
            if r >= 3:  # warm-up rounds fill the disk cache
                for key, value in zip(results[name], (init, calls, exit_, cli)):
                    if value is not None:
                        results[name][key].append(value)
    print(f"{rounds} rounds; load average {os.getloadavg()[0]:.1f} at the end")
    print(f"{'variant':<12} {'measure':<24} {'median':>9} {'p90':>9} {'min':>9}")
    for name, measures in results.items():
        for measure, values in measures.items():
            if not values:
                continue
            values.sort()
            p90 = values[min(len(values) - 1, int(len(values) * 0.9))]
            print(f"{name:<12} {measure:<24} {statistics.median(values):>7.1f}ms {p90:>7.1f}ms {values[0]:>7.1f}ms")

if __name__ == "__main__":
    main()
