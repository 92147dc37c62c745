#!/usr/bin/env python3
"""Self-check of the EVM rig: starts the servers, talks to them over HTTP with urllib.

    .build/evm-venv/bin/python Tests/EVM/check.py [--quick]

--quick skips the fault servers. Exits 0 when every check passes; prints one line per
check and a closing 'N passed, N failed' line.
"""

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
sys.path.insert(0, str(HERE))

from eth_abi import decode, encode  # noqa: E402

import evmrig  # noqa: E402

PASSED, FAILED = [], []


def check(name, cond, detail=""):
    (PASSED if cond else FAILED).append(name)
    print(("ok   " if cond else "FAIL ") + name + ("" if cond else f"  -- {detail}"), flush=True)
    return cond


# ------------------------------------------------------------------ server processes

class Server:
    def __init__(self, script, *args, ready_timeout=60):
        self.proc = subprocess.Popen(
            [sys.executable, str(HERE / script), "--port", "0", "--lifetime", "300", *args],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        self.args = args
        box = {}
        t = threading.Thread(target=lambda: box.update(line=self.proc.stdout.readline()), daemon=True)
        t.start()
        t.join(ready_timeout)
        line = box.get("line", b"")
        if not line:
            self.proc.kill()
            raise RuntimeError(f"{script} {args}: no ready line; stderr: {self.proc.stderr.read().decode()}")
        self.info = json.loads(line)
        self.url = f"http://127.0.0.1:{self.info['port']}"

    def stop(self, how="term", timeout=10):
        if how == "term":
            self.proc.send_signal(signal.SIGTERM)
        else:  # close stdin: the server watches it when it is a pipe
            self.proc.stdin.close()
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            return None


def post(url, payload, timeout=10, raw=False):
    """Returns (http status, headers, body: parsed JSON or bytes)."""
    data = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    req = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            status, headers, body = r.status, dict(r.headers), r.read()
    except urllib.error.HTTPError as e:
        status, headers, body = e.code, dict(e.headers), e.read()
    if not raw:
        body = json.loads(body) if body else None
    return status, headers, body


_ids = iter(range(1, 10**9))


def req(method, *params):
    return {"jsonrpc": "2.0", "id": next(_ids), "method": method, "params": list(params)}


def rpc(url, method, *params, **kw):
    _, _, body = post(url, req(method, *params), **kw)
    return body


def call_obj(to, sig, *args):
    return {"to": to, "data": "0x" + evmrig.encode_call(sig, *args).hex()}


def uint(hexdata):
    return int(hexdata, 16)


VIEWS = [("getDepositedAmount(uint256)", "deposited"), ("getWithdrawnAmount(uint256)", "withdrawn"),
         ("statusOf(uint256)", "state"), ("getRecipient(uint256)", "recipient")]


def null_error(n):
    return "0x171cfce0" + encode(["uint256"], [n]).hex()


# ------------------------------------------------------------------ the normal server

def check_rpc_server():
    s = Server("rpc_server.py")
    info, url = s.info, s.url
    try:
        for k in ("port", "url", "escrow", "pinnedBlock", "latestBlock", "moved", "streams", "chainId"):
            check(f"ready line has {k}", k in info, info)
        pinned, latest, escrow = info["pinnedBlock"], info["latestBlock"], info["escrow"]
        check("pinned = latest - 2", pinned == latest - 2, info)
        check("moved block is after the pinned block", pinned < info["moved"]["block"] <= latest, info)
        check("eth_chainId", rpc(url, "eth_chainId")["result"] == hex(info["chainId"]))
        check("net_version", rpc(url, "net_version")["result"] == str(info["chainId"]))
        check("eth_blockNumber = latestBlock", uint(rpc(url, "eth_blockNumber")["result"]) == latest)
        code = rpc(url, "eth_getCode", escrow, "latest")["result"]
        check("escrow has code", len(code) > 100, code[:20])
        mc = rpc(url, "eth_getCode", evmrig.MULTICALL3_ADDRESS, "latest")["result"]
        check("Multicall3 has code at the canonical address", len(mc) > 100, mc[:20])
        check("no escrow code before its deploy block",
              rpc(url, "eth_getCode", escrow, "0x0")["result"] == "0x")

        nxt = rpc(url, "eth_call", call_obj(escrow, "nextStreamId()"), hex(pinned))["result"]
        check("nextStreamId() = 10", uint(nxt) == 10, nxt)

        # One batch: every view of every id 1..9 at the pinned block, compared with the fixture.
        fixture = {evmrig.stream_number(r["id"]): r
                   for r in json.loads((REPO / "Fixtures" / "demo-chain.json").read_text())["records"]}
        batch, want = [], {}
        for n in range(1, 10):
            for sig, field in VIEWS:
                r = req("eth_call", call_obj(escrow, sig, n), hex(pinned))
                batch.append(r)
                want[r["id"]] = (n, sig, field)
        status, _, answers = post(url, batch)
        check("batch: HTTP 200 and one answer per call", status == 200 and len(answers) == len(batch))
        by_id = {a["id"]: a for a in answers}
        check("batch: every id answered", set(by_id) == set(want))
        bad = []
        for rid, (n, sig, field) in want.items():
            a = by_id[rid]
            if n not in fixture:
                if not (a.get("error", {}).get("code") == 3 and a["error"].get("data") == null_error(n)):
                    bad.append((n, sig, a))
                continue
            if "result" not in a:
                bad.append((n, sig, a))
                continue
            raw = bytes.fromhex(a["result"][2:])
            got = decode(["address" if field == "recipient" else "uint256"], raw)[0]
            exp = fixture[n][field]
            ok = got.lower() == exp.lower() if field == "recipient" else got == int(exp)
            if not ok:
                bad.append((n, sig, got, exp))
        check("batch at the pinned block reproduces Fixtures/demo-chain.json", not bad, bad)

        e = rpc(url, "eth_call", call_obj(escrow, "getDepositedAmount(uint256)", 4), hex(pinned)).get("error")
        check("unknown id 4 reverts: code 3, data 0x171cfce0 + abi(4)",
              e is not None and e["code"] == 3 and e["data"] == null_error(4), e)
        e = rpc(url, "eth_call", call_obj(escrow, "statusOf(uint256)", 10), "latest").get("error")
        check("id 10 (= nextStreamId) reverts with SablierV2Lockup_Null(10)",
              e is not None and e["code"] == 3 and e["data"] == null_error(10), e)
        isx = rpc(url, "eth_call", call_obj(escrow, "isStream(uint256)", 4), hex(pinned))["result"]
        check("isStream(4) is false without reverting", uint(isx) == 0, isx)

        mv = info["moved"]
        c = call_obj(escrow, mv["view"], mv["streamId"])
        at_pinned = uint(rpc(url, "eth_call", c, hex(pinned))["result"])
        at_latest = uint(rpc(url, "eth_call", c, "latest")["result"])
        at_hex_latest = uint(rpc(url, "eth_call", c, hex(latest))["result"])
        at_1898 = uint(rpc(url, "eth_call", c, {"blockNumber": hex(pinned)})["result"])
        check(f"{mv['stream']} withdrawn at pinned {at_pinned} != at latest {at_latest}",
              at_pinned == int(mv["atPinned"]) == 250000 and at_latest == at_hex_latest == int(mv["atLatest"]) == 300000)
        check("EIP-1898 {blockNumber} reads like the hex number", at_1898 == at_pinned)
        blk = rpc(url, "eth_getBlockByNumber", hex(pinned), False)["result"]
        h = rpc(url, "eth_call", c, {"blockHash": blk["hash"], "requireCanonical": True})["result"]
        check("EIP-1898 {blockHash} reads the pinned block", uint(h) == at_pinned)

        # Multicall3 aggregate3 at the pinned block, allowFailure true, with getBlockNumber.
        calls = [(evmrig.MULTICALL3_ADDRESS, False, evmrig.encode_call("getBlockNumber()"))]
        for n in range(1, 10):
            calls.append((escrow, True, evmrig.encode_call("getWithdrawnAmount(uint256)", n)))
        data = evmrig.encode_call("aggregate3((address,bool,bytes)[])", calls)
        r = rpc(url, "eth_call", {"to": evmrig.MULTICALL3_ADDRESS, "data": "0x" + data.hex()}, hex(pinned))
        results = decode(["(bool,bytes)[]"], bytes.fromhex(r["result"][2:]))[0]
        check("aggregate3: one result per call", len(results) == 10, results)
        check("aggregate3: getBlockNumber() = pinned block",
              results[0][0] and decode(["uint256"], results[0][1])[0] == pinned, results[0])
        okay = all(
            (results[n][0] is False and "0x" + results[n][1].hex() == null_error(n)) if n not in fixture
            else (results[n][0] and decode(["uint256"], results[n][1])[0] == int(fixture[n]["withdrawn"]))
            for n in range(1, 10))
        check("aggregate3: withdrawn amounts at the pinned block, id 4 failed with its revert data", okay, results)
        calls[4] = (escrow, False, calls[4][2])  # id 4 with allowFailure = false
        data = evmrig.encode_call("aggregate3((address,bool,bytes)[])", calls)
        e = rpc(url, "eth_call", {"to": evmrig.MULTICALL3_ADDRESS, "data": "0x" + data.hex()}, hex(pinned)).get("error")
        check("aggregate3: allowFailure=false on id 4 reverts 'Multicall3: call failed'",
              e is not None and e["code"] == 3 and e["message"] == "execution reverted: Multicall3: call failed"
              and e["data"].startswith("0x08c379a0"), e)
        big = [(escrow, True, evmrig.encode_call("getDepositedAmount(uint256)", 1 + i % 9)) for i in range(512)]
        t0 = time.monotonic()
        r = rpc(url, "eth_call", {"to": evmrig.MULTICALL3_ADDRESS,
                                  "data": "0x" + evmrig.encode_call("aggregate3((address,bool,bytes)[])", big).hex()},
                hex(pinned), timeout=60)
        check(f"aggregate3: 512 calls in one eth_call ({time.monotonic() - t0:.2f}s)",
              "result" in r and len(decode(["(bool,bytes)[]"], bytes.fromhex(r["result"][2:]))[0]) == 512,
              str(r)[:200])
        r = rpc(url, "eth_call", {"to": evmrig.MULTICALL3_ADDRESS,
                                  "data": "0x" + evmrig.encode_call("aggregate3((address,bool,bytes)[])", big + big[:1]).hex()},
                hex(pinned), timeout=60)
        check("aggregate3: 513 calls revert (chunk at 512)", r.get("error", {}).get("code") == 3, str(r)[:200])

        # Errors.
        check("unknown method: -32601", rpc(url, "eth_foo")["error"]["code"] == -32601)
        _, _, b = post(url, b"{not json")
        check("parse error: -32700", b["error"]["code"] == -32700, b)
        e = rpc(url, "eth_call", call_obj(escrow, "nextStreamId()"), hex(latest + 5))["error"]
        check("block after latest: -32000 header not found", e["code"] == -32000, e)
        e = rpc(url, "eth_call", {"to": "0x12"}, "latest")["error"]
        check("bad params: -32602", e["code"] == -32602, e)
        _, _, b = post(url, [])
        check("empty batch: -32600", isinstance(b, dict) and b["error"]["code"] == -32600, b)

        # Stats.
        rpc(url, "rig_resetStats")
        rpc(url, "eth_blockNumber")
        post(url, [req("eth_chainId"), req("eth_call", call_obj(escrow, "nextStreamId()"), hex(pinned)),
                   req("eth_blockNumber")])
        st = rpc(url, "rig_stats")["result"]
        check("rig_stats: 2 HTTP requests, 4 calls, 1 batch of 3, eth_call block recorded",
              st["httpRequests"] == 2 and st["rpcCalls"] == 4 and st["batches"] == 1
              and st["maxBatchSize"] == 3 and st["byMethod"].get("eth_blockNumber") == 2
              and st["ethCallBlocks"] == {hex(pinned): 1}, st)

        # Concurrency: 8 parallel clients.
        errs = []

        def worker():
            try:
                for _ in range(5):
                    if uint(rpc(url, "eth_call", c, hex(pinned))["result"]) != at_pinned:
                        errs.append("wrong")
            except Exception as ex:  # noqa: BLE001
                errs.append(repr(ex))
        ts = [threading.Thread(target=worker) for _ in range(8)]
        [t.start() for t in ts]
        [t.join() for t in ts]
        check("8 concurrent clients x 5 eth_calls", not errs, errs[:3])

        n = uint(rpc(url, "evm_mine", "0x2")["result"])
        check("evm_mine 2 advances latest by 2", n == latest + 2 == uint(rpc(url, "eth_blockNumber")["result"]))
    finally:
        rc = s.stop("term")
        check("SIGTERM stops rpc_server.py with exit 0", rc == 0, rc)


def check_no_multicall_and_delay():
    s = Server("rpc_server.py", "--no-multicall3", "--delay-ms", "150")
    try:
        check("--no-multicall3: ready line multicall3 is null", s.info["multicall3"] is None, s.info)
        mc = rpc(s.url, "eth_getCode", evmrig.MULTICALL3_ADDRESS, "latest")["result"]
        check("--no-multicall3: no code at 0xcA11…", mc == "0x", mc[:20])
        data = evmrig.encode_call("aggregate3((address,bool,bytes)[])", [])
        r = rpc(s.url, "eth_call", {"to": evmrig.MULTICALL3_ADDRESS, "data": "0x" + data.hex()}, "latest")
        check("--no-multicall3: aggregate3 returns 0x (a call to an account without code)",
              r.get("result") == "0x", r)
        t0 = time.monotonic()
        rpc(s.url, "eth_blockNumber")
        dt = time.monotonic() - t0
        check(f"--delay-ms 150 delays the answer ({dt:.3f}s)", dt >= 0.15, dt)
    finally:
        rc = s.stop("stdin")
        check("closing stdin stops the server with exit 0", rc == 0, rc)


# ------------------------------------------------------------------ fault servers

def expect_timeout(url, payload, timeout):
    try:
        post(url, payload, timeout=timeout)
        return False
    except (socket.timeout, TimeoutError):
        return True
    except urllib.error.URLError as e:
        return isinstance(e.reason, (socket.timeout, TimeoutError))


def check_faults():
    modes = {
        "timeout": ["--count", "1", "--sleep-s", "3"],
        "429": [], "500": [], "malformed": ["--count", "1"],
        "out_of_order": [], "missing_ids": [], "block_backwards": [],
        "silent": ["--count", "1"],
    }
    servers = {}
    try:
        started = {}  # the 8 servers start together: their chains build in parallel
        errors = []

        def start(mode):
            try:
                started[mode] = Server("fault_server.py", "--mode", mode, *modes[mode], ready_timeout=120)
            except Exception as ex:  # noqa: BLE001
                errors.append((mode, repr(ex)))
        ts = [threading.Thread(target=start, args=(m,)) for m in modes]
        [t.start() for t in ts]
        [t.join() for t in ts]
        servers = started
        check("all 8 fault servers started", not errors and len(servers) == 8, errors)

        def demo_call(s, n=2, field="getDepositedAmount(uint256)"):
            return req("eth_call", call_obj(s.info["escrow"], field, n), hex(s.info["pinnedBlock"]))

        s = servers["timeout"]
        check("timeout: first request times out (client timeout 1s, server sleeps 3s)",
              expect_timeout(s.url, demo_call(s), 1))
        _, _, b = post(s.url, demo_call(s), timeout=10)
        check("timeout: next request answers correctly", uint(b["result"]) == 1000, b)

        s = servers["429"]
        st1, h1, _ = post(s.url, demo_call(s), raw=True)
        st2, h2, _ = post(s.url, demo_call(s), raw=True)
        st3, _, b3 = post(s.url, demo_call(s))
        check("429: two 429s with Retry-After: 1, then the right answer",
              st1 == st2 == 429 and h1.get("Retry-After") == "1" and h2.get("Retry-After") == "1"
              and st3 == 200 and uint(b3["result"]) == 1000, (st1, h1, st2, st3, b3))

        s = servers["500"]
        st1, _, _ = post(s.url, demo_call(s), raw=True)
        st2, _, _ = post(s.url, demo_call(s), raw=True)
        st3, _, b3 = post(s.url, demo_call(s))
        check("500: two 500s, then the right answer",
              st1 == st2 == 500 and st3 == 200 and uint(b3["result"]) == 1000, (st1, st2, st3, b3))

        s = servers["malformed"]
        st, _, raw = post(s.url, demo_call(s), raw=True)
        try:
            json.loads(raw)
            parsed = True
        except ValueError:
            parsed = False
        check("malformed: HTTP 200 with a body that is not JSON", st == 200 and not parsed, raw)
        _, _, b = post(s.url, demo_call(s))
        check("malformed (--count 1): then the right answer", uint(b["result"]) == 1000, b)

        s = servers["out_of_order"]
        batch = [demo_call(s, n) for n in (1, 2, 3)]
        _, _, b = post(s.url, batch)
        check("out_of_order: batch answers reversed, each still right by id",
              [a["id"] for a in b] == [r["id"] for r in reversed(batch)]
              and {a["id"]: uint(a["result"]) for a in b}
              == {batch[0]["id"]: 1000000, batch[1]["id"]: 1000, batch[2]["id"]: 5000}, b)

        s = servers["missing_ids"]
        batch = [demo_call(s, n) for n in (1, 2, 3)]
        _, _, b = post(s.url, batch)
        check("missing_ids: a batch of 3 gets 2 answers, the middle id missing",
              [a["id"] for a in b] == [batch[0]["id"], batch[2]["id"]], b)

        s = servers["block_backwards"]
        nums = [uint(rpc(s.url, "eth_blockNumber")["result"]) for _ in range(3)]
        L = s.info["latestBlock"]
        check(f"block_backwards: eth_blockNumber {nums}", nums == [L, L - 1, L - 2], nums)

        s = servers["silent"]
        check("silent: connection accepted, never answered (client timeout 1s)",
              expect_timeout(s.url, demo_call(s), 1))
        _, _, b = post(s.url, demo_call(s), timeout=10)
        check("silent (--count 1): the next connection answers", uint(b["result"]) == 1000, b)

        st = rpc(servers["429"].url, "rig_stats")["result"]
        check("fault server rig_stats counts faulted requests", st["faults"] == 2 and st["httpRequests"] == 3, st)
    finally:
        for mode, s in servers.items():
            rc = s.stop("term")
            check(f"fault server {mode} stops on SIGTERM with exit 0", rc == 0, rc)


def main():
    t0 = time.monotonic()
    check_rpc_server()
    check_no_multicall_and_delay()
    if "--quick" not in sys.argv:
        check_faults()
    print(f"check.py: {time.monotonic() - t0:.1f}s")
    print(f"{len(PASSED)} passed, {len(FAILED)} failed")
    return 1 if FAILED else 0


if __name__ == "__main__":
    sys.exit(main())
