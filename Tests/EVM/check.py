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
from eth_utils import keccak  # noqa: E402

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


TOPIC = {name: "0x" + keccak(text=sig).hex() for name, sig in evmrig.EVENTS.items()}
NAME = {t: name for name, t in TOPIC.items()}


def word(x):
    """A topic / data word: an int or an address, 32 bytes, 0x-hex."""
    return "0x" + (int(x, 16) if isinstance(x, str) else x).to_bytes(32, "big").hex()


def words(data):
    raw = bytes.fromhex(data[2:])
    return [int.from_bytes(raw[i:i + 32], "big") for i in range(0, len(raw), 32)]


def err(answer):
    e = answer.get("error") or {}
    return e.get("code"), e.get("message")


def expected_demo_logs():
    """(event, topics after topic0, data words) of block 2's logs, in order, from the fixtures
    (the order in which evmrig.build_demo sends the transactions)."""
    senders = evmrig.db_senders(REPO / "Fixtures" / "demo.sql")
    records = json.loads((REPO / "Fixtures" / "demo-chain.json").read_text())["records"]
    out = []
    for rec in sorted(records, key=lambda r: evmrig.stream_number(r["id"])):
        n, rcpt = evmrig.stream_number(rec["id"]), rec["recipient"]
        dep, wd, state = int(rec["deposited"]), int(rec["withdrawn"]), int(rec["state"])
        out.append(("Transfer", [word(0), word(rcpt), word(n)], []))
        if wd:
            out.append(("WithdrawFromLockupStream", [word(n), word(rcpt), word(evmrig.DEMO_ASSET)], [wd]))
        if state == 3:
            out.append(("CancelLockupStream", [word(senders[rec["id"]]), word(rcpt), word(evmrig.DEMO_ASSET)],
                        [n, dep - wd, 0]))
        elif state != 1:
            out.append(("StatusSet", [word(n)], [state]))
    return out


def shape(log):
    return NAME.get(log["topics"][0], log["topics"][0]), log["topics"][1:], words(log["data"])


LOG_KEYS = {"address", "topics", "data", "blockNumber", "blockHash", "transactionHash",
            "transactionIndex", "logIndex", "removed"}


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

        check_events_and_logs(url, info)

        n = uint(rpc(url, "evm_mine", "0x2")["result"])
        check("evm_mine 2 advances latest by 2", n == latest + 2 == uint(rpc(url, "eth_blockNumber")["result"]))
    finally:
        rc = s.stop("term")
        check("SIGTERM stops rpc_server.py with exit 0", rc == 0, rc)


def check_events_and_logs(url, info):
    """Sablier's events in the demo chain, eth_getLogs filters and errors, eth_getBlockByHash."""
    escrow, latest, mv = info["escrow"], info["latestBlock"], info["moved"]
    logs = rpc(url, "eth_getLogs", {"fromBlock": "earliest", "toBlock": "latest"})["result"]
    check("eth_getLogs earliest..latest: every log has the node's fields, removed false, lower-case address",
          logs and all(set(l) == LOG_KEYS and l["removed"] is False and l["address"] == escrow.lower()
                       for l in logs), logs[:1])
    order = [(uint(l["blockNumber"]), uint(l["logIndex"])) for l in logs]
    per_block = {}
    for b, i in order:
        per_block.setdefault(b, []).append(i)
    check("eth_getLogs: ordered by block then logIndex; logIndex counts from 0 in each block",
          order == sorted(order) and all(v == list(range(len(v))) for v in per_block.values()), order)
    block2 = [shape(l) for l in logs if uint(l["blockNumber"]) == info["streamsBlock"]]
    want = expected_demo_logs()
    check(f"demo block {info['streamsBlock']}: {len(want)} logs (Transfer mints, WithdrawFromLockupStream, "
          "CancelLockupStream, StatusSet) as the fixtures say", block2 == want, (block2, want))
    moved = [shape(l) for l in logs if uint(l["blockNumber"]) == mv["block"]]
    rcpt1 = json.loads((REPO / "Fixtures" / "demo-chain.json").read_text())["records"][0]["recipient"]
    check(f"moved block {mv['block']}: WithdrawFromLockupStream(1, recipient, asset) amount 50000",
          moved == [("WithdrawFromLockupStream", [word(1), word(rcpt1), word(evmrig.DEMO_ASSET)], [50000])], moved)
    check("Sablier topic0s: WithdrawFromLockupStream 0x40b88e5c…, CancelLockupStream 0x5edb27d6…, Transfer 0xddf252ad…",
          TOPIC["WithdrawFromLockupStream"].startswith("0x40b88e5c") and TOPIC["CancelLockupStream"].startswith("0x5edb27d6")
          and TOPIC["Transfer"].startswith("0xddf252ad"), TOPIC)
    blk = rpc(url, "eth_getBlockByNumber", hex(mv["block"]), False)["result"]
    tx_hashes = {l["transactionHash"] for l in logs if uint(l["blockNumber"]) == mv["block"]}
    check("a log's blockHash and transactionHash are its block's",
          all(l["blockHash"] == blk["hash"] for l in logs if uint(l["blockNumber"]) == mv["block"])
          and tx_hashes == set(blk["transactions"]), (blk, tx_hashes))

    def get(f):
        return rpc(url, "eth_getLogs", f)

    n_withdraw = sum(1 for l in logs if l["topics"][0] == TOPIC["WithdrawFromLockupStream"])
    r = get({"fromBlock": "0x0", "toBlock": hex(latest), "address": [escrow.upper().replace("0X", "0x"), "0x" + "11" * 20],
             "topics": [TOPIC["WithdrawFromLockupStream"]]})["result"]
    check("filter: address list in any case, topic0 = WithdrawFromLockupStream", len(r) == n_withdraw >= 7, len(r))
    r = get({"fromBlock": "0x0", "topics": [None, word(1)]})["result"]
    check("filter: null topic0, topic1 = stream 1 (default toBlock latest)",
          [NAME[l["topics"][0]] for l in r] == ["Transfer", "WithdrawFromLockupStream", "WithdrawFromLockupStream"]
          or [NAME[l["topics"][0]] for l in r] == ["WithdrawFromLockupStream", "WithdrawFromLockupStream"], r)
    r = get({"fromBlock": "0x0", "topics": [[TOPIC["CancelLockupStream"], TOPIC["StatusSet"]]]})["result"]
    check("filter: alternatives in topic0 (CancelLockupStream or StatusSet)",
          sorted(NAME[l["topics"][0]] for l in r) == ["CancelLockupStream", "StatusSet", "StatusSet"], r)
    r = get({"fromBlock": "0x0", "topics": [TOPIC["StatusSet"], None, None]})["result"]
    check("filter: more topic positions than a log has never matches (StatusSet has 2)", r == [], r)
    r = get({"fromBlock": "0x0", "address": "0x" + "11" * 20})["result"]
    check("filter: another address finds nothing", r == [], r)
    r = get({"blockHash": blk["hash"]})["result"]
    check("filter: EIP-234 blockHash gives that block's logs", [shape(l) for l in r] == moved, r)
    r = get({})["result"]
    check("filter: no range = latest only (an empty block here)", r == [], r)
    r = get({"fromBlock": hex(mv["block"]), "toBlock": hex(mv["block"])})["result"]
    check("filter: one block", len(r) == 1 and uint(r[0]["blockNumber"]) == mv["block"], r)
    check("eth_getLogs fromBlock > toBlock: -32602 invalid block range params (geth)",
          err(get({"fromBlock": "0x5", "toBlock": "0x4"})) == (-32602, "invalid block range params"))
    check("eth_getLogs toBlock after latest: -32602 block range extends beyond current head block (geth)",
          err(get({"fromBlock": "0x0", "toBlock": hex(latest + 1)}))
          == (-32602, "block range extends beyond current head block"))
    check("eth_getLogs fromBlock after latest: the same error",
          err(get({"fromBlock": hex(latest + 1)})) == (-32602, "block range extends beyond current head block"))
    e = err(get({"blockHash": blk["hash"], "fromBlock": "0x1"}))
    check("eth_getLogs blockHash with fromBlock: -32602", e[0] == -32602 and "cannot specify both" in e[1], e)
    check("eth_getLogs unknown blockHash: -32000 unknown block",
          err(get({"blockHash": "0x" + "ab" * 32})) == (-32000, "unknown block"))
    check("eth_getLogs pending: -32602", err(get({"fromBlock": "pending"}))[0] == -32602)
    check("eth_getLogs 5 topic positions: -32602 exceed max topics",
          err(get({"topics": [None] * 5})) == (-32602, "exceed max topics"))
    by_hash = rpc(url, "eth_getBlockByHash", blk["hash"], False)["result"]
    check("eth_getBlockByHash = eth_getBlockByNumber; unknown hash: null",
          by_hash == blk and rpc(url, "eth_getBlockByHash", "0x" + "ab" * 32, False)["result"] is None, by_hash)
    rpc(url, "rig_resetStats")
    get({"fromBlock": "0x2", "toBlock": "0x3"})
    get({"blockHash": blk["hash"]})
    st = rpc(url, "rig_stats")["result"]
    check("rig_stats.getLogsRanges records each eth_getLogs range",
          st["getLogsRanges"] == [[2, 3], [mv["block"], mv["block"]]] and st["byMethod"] == {"eth_getLogs": 2}, st)


def check_options_and_driving(s):
    """--chain-id, --finalized-depth, --max-log-range, --max-logs; rig_send(Many), reorgs."""
    info, url = s.info, s.url
    escrow, latest, pinned = info["escrow"], info["latestBlock"], info["pinnedBlock"]
    check("--chain-id 10: ready chainId 10, eth_chainId 0xa, net_version 10",
          info["chainId"] == 10 and rpc(url, "eth_chainId")["result"] == "0xa"
          and rpc(url, "net_version")["result"] == "10", info["chainId"])
    check("--finalized-depth 2: ready finalizedBlock = latest - 2 = pinned",
          info.get("finalizedDepth") == 2 and info.get("finalizedBlock") == latest - 2 == pinned, info)
    mv = info["moved"]
    c = call_obj(escrow, mv["view"], mv["streamId"])
    rpc(url, "rig_resetStats")
    fin = rpc(url, "eth_call", c, "finalized")["result"]
    safe = rpc(url, "eth_call", c, "safe")["result"]
    lat = rpc(url, "eth_call", c, "latest")["result"]
    st = rpc(url, "rig_stats")["result"]
    check("eth_call at finalized/safe reads latest - 2 (250000), at latest 300000; stats name the tags",
          uint(fin) == uint(safe) == 250000 and uint(lat) == 300000
          and st["ethCallBlocks"] == {f"finalized({hex(pinned)})": 1, f"safe({hex(pinned)})": 1,
                                      f"latest({hex(latest)})": 1}, (fin, safe, lat, st["ethCallBlocks"]))
    b = rpc(url, "eth_getBlockByNumber", "finalized", False)["result"]
    check("eth_getBlockByNumber finalized / safe: block latest - 2",
          uint(b["number"]) == pinned == uint(rpc(url, "eth_getBlockByNumber", "safe", False)["result"]["number"]))
    check("eth_getCode at finalized", rpc(url, "eth_getCode", escrow, "finalized")["result"]
          == rpc(url, "eth_getCode", escrow, hex(pinned))["result"] != "0x")
    r = rpc(url, "eth_getLogs", {"fromBlock": "finalized", "toBlock": "latest"})["result"]
    r2 = rpc(url, "eth_getLogs", {"fromBlock": hex(mv["block"]), "toBlock": "safe"})
    check("eth_getLogs finalized..latest holds the moved block's log; moved..safe is a reversed range",
          [uint(l["blockNumber"]) for l in r] == [mv["block"]] and err(r2)[0] == -32602, (r, r2))

    e = rpc(url, "eth_getLogs", {"fromBlock": "0x0", "toBlock": hex(latest)})
    check("--max-log-range 4: 8 blocks answer -32005 'block range too large: asked for 8 blocks, the limit is 4'",
          err(e) == (-32005, "block range too large: asked for 8 blocks, the limit is 4"), e)
    e = rpc(url, "eth_getLogs", {"fromBlock": "0x0", "toBlock": "0x3"})
    check("--max-logs 8: block 2's 18 logs answer -32005 'query returned more than 8 results'",
          err(e) == (-32005, "query returned more than 8 results"), e)
    r = rpc(url, "eth_getLogs", {"fromBlock": "0x0", "toBlock": "0x3", "topics": [TOPIC["StatusSet"]]})
    r2 = rpc(url, "eth_getLogs", {"fromBlock": "0x4", "toBlock": hex(latest)})
    check("within both limits: answered", len(r.get("result", [])) == 2 and len(r2.get("result", [])) == 1, (r, r2))

    # -- rig_send / rig_sendMany (uncounted)
    rpc(url, "rig_resetStats")
    wd = call_obj(escrow, "getWithdrawnAmount(uint256)", 2)
    a = rpc(url, "rig_send", "withdraw(uint256,uint128)", [2, 50])["result"]
    top = uint(rpc(url, "eth_blockNumber")["result"])
    check("rig_send withdraw(2, 50): its own new block, status 1 (chain id 10 signs)",
          a["block"] == latest + 1 == top and a["status"] == 1 and a["hash"].startswith("0x"), a)
    check("rig_send: the change is read at latest (450 -> 500)", uint(rpc(url, "eth_call", wd, "latest")["result"]) == 500)
    r = rpc(url, "eth_getLogs", {"blockHash": a["blockHash"]})["result"]
    check("rig_send: its block holds WithdrawFromLockupStream(2) amount 50 with the tx hash",
          len(r) == 1 and shape(r[0])[0] == "WithdrawFromLockupStream" and shape(r[0])[2] == [50]
          and r[0]["transactionHash"] == a["hash"], r)
    e = rpc(url, "rig_send", "withdraw(uint256,uint128)", [2, 10**6])
    check("rig_send a revert: code 3 'execution reverted: StreamEscrow: overdraw', no block mined",
          err(e) == (3, "execution reverted: StreamEscrow: overdraw")
          and uint(rpc(url, "eth_blockNumber")["result"]) == top, e)
    e = rpc(url, "rig_send", "withdraw(uint256,uint128)", [2])
    check("rig_send wrong arguments: -32602", err(e)[0] == -32602, e)
    new_rcpt = "0x" + "Ab" * 20
    many = rpc(url, "rig_sendMany",
               ["withdraw(uint256,uint128)", [2, "1"]], ["setStatus(uint256,uint8)", [5, 2]],
               ["setRecipient(uint256,address)", [5, new_rcpt]], ["renounce(uint256)", [3]],
               ["create(address,address,address,uint128)", [new_rcpt, new_rcpt, evmrig.DEMO_ASSET, str(10**24)]],
               ["cancel(uint256,uint128)", [7, "0x64"]])["result"]
    top2 = uint(rpc(url, "eth_blockNumber")["result"])
    check("rig_sendMany: 6 transactions in ONE block, all status 1; create's output is id 10",
          len(many) == 6 and {m["block"] for m in many} == {top + 1} == {top2} and all(m["status"] == 1 for m in many)
          and uint(many[4]["output"]) == 10, many)
    r = [shape(l) for l in rpc(url, "eth_getLogs", {"fromBlock": hex(top2), "toBlock": hex(top2)})["result"]]
    rc5 = json.loads((REPO / "Fixtures" / "demo-chain.json").read_text())["records"][3]["recipient"]
    sender7 = evmrig.db_senders(REPO / "Fixtures" / "demo.sql")["stream_7"]
    check("rig_sendMany block logs: Withdraw, StatusSet, Transfer(old, new, 5), Renounce(3), Transfer mint 10, "
          "CancelLockupStream(7, refund 100, recipient 1000)",
          r == [("WithdrawFromLockupStream", [word(2), word("0xde709f2102306220921060314715629080e2fb77"),
                                              word(evmrig.DEMO_ASSET)], [1]),
                ("StatusSet", [word(5)], [2]),
                ("Transfer", [word(rc5), word(new_rcpt), word(5)], []),
                ("RenounceLockupStream", [word(3)], []),
                ("Transfer", [word(0), word(new_rcpt), word(10)], []),
                ("CancelLockupStream", [word(sender7), word("0x1eff47bc3a10a45d4b230b5d10e37751fe6aa718"),
                                        word(evmrig.DEMO_ASSET)], [7, 100, 1000])], r)
    canc = uint(rpc(url, "eth_call", call_obj(escrow, "isCancelable(uint256)", 3), "latest")["result"])
    e = rpc(url, "rig_send", "cancel(uint256,uint128)", [3, 0])
    check("renounce(3): isCancelable(3) false, cancel(3) reverts 'not cancelable'",
          canc == 0 and err(e) == (3, "execution reverted: StreamEscrow: not cancelable"), (canc, e))
    e = rpc(url, "rig_sendMany", ["withdraw(uint256,uint128)", [2, 1]], ["withdraw(uint256,uint128)", [2, 10**6]])
    check("rig_sendMany with a revert: code 3 naming the call, nothing sent",
          err(e) == (3, "execution reverted: StreamEscrow: overdraw (call 1 of 2)")
          and uint(rpc(url, "eth_blockNumber")["result"]) == top2
          and uint(rpc(url, "eth_call", wd, "latest")["result"]) == 501, e)
    st = rpc(url, "rig_stats")["result"]
    check("rig_send / rig_sendMany are not counted in rig_stats",
          "rig_send" not in st["byMethod"] and "rig_sendMany" not in st["byMethod"] and st["rpcCalls"] == sum(st["byMethod"].values()), st)

    # -- rig_reorg
    L = top2
    before = {n: rpc(url, "eth_getBlockByNumber", hex(n), False)["result"] for n in range(L - 3, L + 1)}
    old_logs = rpc(url, "eth_getLogs", {"fromBlock": hex(L - 1), "toBlock": hex(L)})["result"]
    r = rpc(url, "rig_reorg", 2)["result"]
    after = {n: rpc(url, "eth_getBlockByNumber", hex(n), False)["result"] for n in range(L - 3, L + 1)}
    check("rig_reorg 2: eth_blockNumber unchanged; blocks L-1 and L get new hashes, L-2 and below keep theirs",
          uint(rpc(url, "eth_blockNumber")["result"]) == L
          and all(after[n]["hash"] != before[n]["hash"] for n in (L - 1, L))
          and all(after[n]["hash"] == before[n]["hash"] for n in (L - 3, L - 2))
          and after[L - 1]["parentHash"] == before[L - 2]["hash"] and after[L]["parentHash"] == after[L - 1]["hash"], r)
    check("rig_reorg: replacement blocks are mined by 0x…72656f7267<n>, hold no transactions",
          after[L]["miner"].lower() == evmrig.REORG_MINER_PREFIX + "00000001" and after[L]["transactions"] == [],
          after[L])
    check("rig_reorg answer: replaced hashes and the dropped transactions",
          [x["oldHash"] for x in r["replaced"]] == [before[L - 1]["hash"], before[L]["hash"]]
          and [x["newHash"] for x in r["replaced"]] == [after[L - 1]["hash"], after[L]["hash"]]
          and r["droppedTransactions"] == before[L - 1]["transactions"] + before[L]["transactions"], r)
    check("rig_reorg: the replaced blocks' logs are gone from eth_getLogs",
          len(old_logs) == 7 and rpc(url, "eth_getLogs", {"fromBlock": hex(L - 1), "toBlock": hex(L)})["result"] == [],
          old_logs)
    check("rig_reorg: dropped transactions' state is gone (withdrawn(2) back to 450)",
          uint(rpc(url, "eth_call", wd, "latest")["result"]) == 450)
    check("a replaced block is still served by hash (eth_getBlockByHash, eth_getLogs blockHash), as geth does",
          rpc(url, "eth_getBlockByHash", before[L]["hash"], False)["result"] == before[L]
          and len(rpc(url, "eth_getLogs", {"blockHash": before[L]["hash"]})["result"]) == 6)
    e = rpc(url, "eth_call", wd, {"blockHash": before[L]["hash"], "requireCanonical": True})
    old = rpc(url, "eth_call", wd, {"blockHash": before[L]["hash"]})
    check("eth_call at a replaced block's hash: requireCanonical -32000 'hash is not currently canonical', "
          "else its state", err(e) == (-32000, "hash is not currently canonical") and uint(old["result"]) == 501, (e, old))
    e = rpc(url, "rig_reorg", L + 1)
    check("rig_reorg deeper than the chain: -32602", err(e)[0] == -32602, e)

    a = rpc(url, "rig_send", "withdraw(uint256,uint128)", [2, 7])["result"]
    r = rpc(url, "rig_reorg", 1, {"replay": True})["result"]
    logs = rpc(url, "eth_getLogs", {"fromBlock": hex(a["block"]), "toBlock": hex(a["block"])})["result"]
    check("rig_reorg 1 {replay: true}: the transaction is back in the new block, its log with the new blockHash",
          r["replayedTransactions"] == [a["hash"]] and r["droppedTransactions"] == [] and len(logs) == 1
          and logs[0]["transactionHash"] == a["hash"] and logs[0]["blockHash"] == r["replaced"][0]["newHash"]
          != a["blockHash"] and uint(rpc(url, "eth_call", wd, "latest")["result"]) == 457, (r, logs))

    # -- rig_scheduleReorg: lands right after the N-th eth_call, even inside a batch
    top = uint(rpc(url, "eth_blockNumber")["result"])
    h0 = rpc(url, "eth_getBlockByNumber", hex(top), False)["result"]["hash"]
    sch = rpc(url, "rig_scheduleReorg", 3, 1)["result"]
    rpc(url, "eth_call", wd, "latest")
    rpc(url, "eth_call", wd, "latest")
    h1 = rpc(url, "eth_getBlockByNumber", hex(top), False)["result"]["hash"]
    _, _, ans = post(url, [req("eth_getBlockByNumber", hex(top), False), req("eth_call", wd, "latest"),
                           req("eth_getBlockByNumber", hex(top), False)])
    hs = [a["result"]["hash"] for a in ans if isinstance(a.get("result"), dict)]
    reorgs = rpc(url, "rig_reorgs")["result"]
    check("rig_scheduleReorg [3, 1]: no reorg after 2 eth_calls; the 3rd, mid-batch, is followed by it",
          sch == {"afterEthCalls": 3, "depth": 1, "replay": False} and h1 == h0 and hs[0] == h0 and hs[1] != h0
          and reorgs["scheduled"] is None and reorgs["reorgs"][-1]["trigger"] == "scheduled"
          and uint(rpc(url, "eth_blockNumber")["result"]) == top, (h0, h1, hs, reorgs))
    rpc(url, "rig_scheduleReorg", 1, 2)
    h2 = {n: rpc(url, "eth_getBlockByNumber", hex(n), False)["result"]["hash"] for n in (top - 1, top)}
    calls = [(escrow, True, evmrig.encode_call("getWithdrawnAmount(uint256)", n)) for n in range(1, 6)]
    agg = {"to": evmrig.MULTICALL3_ADDRESS, "data": "0x" + evmrig.encode_call("aggregate3((address,bool,bytes)[])", calls).hex()}
    r = rpc(url, "eth_call", agg, "latest")
    h3 = {n: rpc(url, "eth_getBlockByNumber", hex(n), False)["result"]["hash"] for n in (top - 1, top)}
    check("rig_scheduleReorg [1, 2]: one aggregate3 of 5 calls is one eth_call; both top blocks replaced",
          "result" in r and all(h3[n] != h2[n] for n in h2) and len(rpc(url, "rig_reorgs")["result"]["reorgs"]) == 4,
          (r, h2, h3))
    e = rpc(url, "rig_scheduleReorg", 0, 1)
    check("rig_scheduleReorg 0: -32602", err(e)[0] == -32602, e)


def check_no_multicall_and_delay(s):
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
        "logs_out_of_order": ["--count", "1"], "logs_duplicated": ["--count", "1"],
    }
    servers = {}
    try:
        started = {}  # the servers start together: their chains build in parallel
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
        check(f"all {len(modes)} fault servers started", not errors and len(servers) == len(modes), errors)

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

        def logs(s, f):
            return rpc(s.url, "eth_getLogs", f)["result"]
        s = servers["logs_out_of_order"]
        empty = logs(s, {})  # latest is an empty block: nothing to reverse, not counted
        first = logs(s, {"fromBlock": "0x0"})
        second = logs(s, {"fromBlock": "0x0"})
        st = rpc(s.url, "rig_stats")["result"]
        check("logs_out_of_order (--count 1): an empty answer is not counted; the next list reversed, then in order",
              empty == [] and len(first) > 2 and first == list(reversed(second))
              and [uint(l["logIndex"]) for l in second[:3]] == [0, 1, 2] and st["faults"] == 1, (first[:2], st))
        s = servers["logs_duplicated"]
        first = logs(s, {"fromBlock": "0x0"})
        second = logs(s, {"fromBlock": "0x0"})
        check("logs_duplicated (--count 1): each log twice, adjacent; then once",
              len(first) == 2 * len(second) and first[0::2] == second and first[1::2] == second, (len(first), len(second)))

        st = rpc(servers["429"].url, "rig_stats")["result"]
        check("fault server rig_stats counts faulted requests", st["faults"] == 2 and st["httpRequests"] == 3, st)
    finally:
        for mode, s in servers.items():
            rc = s.stop("term")
            check(f"fault server {mode} stops on SIGTERM with exit 0", rc == 0, rc)


def guarded(section, *args):
    """Runs a group of checks; an exception (a rig answer without the expected shape) is one
    failed check, so the closing line is still printed."""
    try:
        section(*args)
    except Exception as ex:  # noqa: BLE001
        import traceback
        check(f"{section.__name__} ran to its end", False, "".join(traceback.format_exception(ex))[-1500:])


class Background:
    """A server started on a thread of its own: it builds its chain while other checks run."""

    def __init__(self, *args):
        self.server, self.error = None, None
        self.thread = threading.Thread(target=self._start, args=args)
        self.thread.start()

    def _start(self, *args):
        try:
            self.server = Server("rpc_server.py", *args, ready_timeout=120)
        except Exception as ex:  # noqa: BLE001
            self.error = repr(ex)

    def get(self, name):
        self.thread.join()
        return self.server if check(f"{name} server started", self.server is not None, self.error) else None


def main():
    t0 = time.monotonic()
    options = Background("--chain-id", "10", "--finalized-depth", "2", "--max-log-range", "4", "--max-logs", "8")
    no_multicall = Background("--no-multicall3", "--delay-ms", "150")
    guarded(check_rpc_server)
    s = options.get("options")
    if s is not None:
        try:
            guarded(check_options_and_driving, s)
        finally:
            rc = s.stop("term")
            check("options server stops on SIGTERM with exit 0", rc == 0, rc)
    s = no_multicall.get("--no-multicall3")
    if s is not None:
        guarded(check_no_multicall_and_delay, s)
    if "--quick" not in sys.argv:
        guarded(check_faults)
    print(f"check.py: {time.monotonic() - t0:.1f}s")
    print(f"{len(PASSED)} passed, {len(FAILED)} failed")
    return 1 if FAILED else 0


if __name__ == "__main__":
    sys.exit(main())
