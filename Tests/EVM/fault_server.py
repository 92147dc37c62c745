#!/usr/bin/env python3
"""A fault-injecting JSON-RPC HTTP server over the same chain as rpc_server.py.

    .build/evm-venv/bin/python Tests/EVM/fault_server.py --mode MODE [--count N]
        [--retry-after 1] [--sleep-s 30] [any rpc_server.py option]

Modes (requests made only of rig_* calls are never faulted and never counted):
  timeout          the first N requests sleep --sleep-s seconds (default 30) before answering
  429              the first N requests get HTTP 429 with "Retry-After: --retry-after"
  500              the first N requests get HTTP 500
  malformed        the first N requests get HTTP 200 with a body that is not valid JSON
  out_of_order     the first N batch requests are answered in reverse order
  missing_ids      the first N batch requests lose one answer (the middle one)
  block_backwards  eth_blockNumber: the first call answers latest, each later one 1 less
                   (down to 0), for the first N calls after the first
  silent           the first N TCP connections are accepted and never read or answered
  logs_out_of_order  the first N non-empty eth_getLogs answers list their logs reversed
  logs_duplicated    the first N non-empty eth_getLogs answers list each log twice, adjacent
N is --count: by default 2 for 429 and 500 (transient: then normal answers), and every
request (-1) for the others (for logs_*: every non-empty eth_getLogs answer, each call of a
batch on its own). Everything not faulted is answered from the scenario's chain,
so a client that retries after a transient fault gets correct data.
Ready line: as rpc_server.py, plus "mode", "count", "retryAfter", "sleepS".
"""

import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import evmrig  # noqa: E402

MODES = ["timeout", "429", "500", "malformed", "out_of_order", "missing_ids",
         "block_backwards", "silent", "logs_out_of_order", "logs_duplicated"]


class Fault:
    def __init__(self, mode: str, count: int, retry_after: str, sleep_s: float):
        self.mode, self.count = mode, count
        self.retry_after, self.sleep_s = retry_after, sleep_s
        self.lock = threading.Lock()
        self.used = 0
        self.block_calls = 0

    def attach(self, dispatcher):
        self.stats = dispatcher.stats
        if self.mode == "block_backwards":
            dispatcher.block_number_hook = self.backwards
        if self.mode in ("logs_out_of_order", "logs_duplicated"):
            dispatcher.result_hook = self.logs

    def logs(self, method, result):
        """eth_getLogs answers: an empty list cannot show the fault, so it is not counted."""
        if method != "eth_getLogs" or not result or not self._take():
            return result
        with self.stats.lock:
            self.stats.faults += 1
        if self.mode == "logs_out_of_order":
            return list(reversed(result))
        return [log for log in result for _ in (0, 1)]

    def _take(self) -> bool:
        """Whether this eligible request gets the fault (counts it)."""
        with self.lock:
            if self.count >= 0 and self.used >= self.count:
                return False
            self.used += 1
            return True

    # -- called by the HTTP server

    def hold_connection(self) -> bool:
        return self.mode == "silent" and self._take()

    def before(self, handler, body: bytes) -> bool:
        """True when the request has been answered (or deliberately left unanswered)."""
        m = self.mode
        if m == "timeout" and self._take():
            time.sleep(self.sleep_s)
            return False  # answered normally, far too late for the client
        if m == "429" and self._take():
            handler.send_json(429, b'{"jsonrpc":"2.0","id":null,"error":{"code":-32005,"message":"rate limited"}}',
                              {"Retry-After": self.retry_after})
            return True
        if m == "500" and self._take():
            handler.send_plain(500, b"internal server error\n")
            return True
        if m == "malformed" and self._take():
            handler.send_json(200, b'{"jsonrpc":"2.0","id":1,"result":"0x00000000000000')
            return True
        return False

    def after(self, body: bytes, resp):
        if isinstance(resp, list) and self.mode in ("out_of_order", "missing_ids") and self._take():
            if self.mode == "out_of_order":
                return list(reversed(resp))
            resp = list(resp)
            del resp[len(resp) // 2]
            return resp
        return resp

    def backwards(self, latest: int) -> int:
        with self.lock:
            k = self.block_calls
            self.block_calls += 1
        if k == 0 or not self._take():
            return latest
        return max(0, latest - k)


def main():
    ap = evmrig.common_args(__doc__.splitlines()[0])
    ap.add_argument("--mode", choices=MODES, required=True)
    ap.add_argument("--count", type=int, default=None,
                    help="how many requests get the fault (-1: all; default 2 for 429/500, else all)")
    ap.add_argument("--retry-after", default="1", help="Retry-After value for 429 (default 1)")
    ap.add_argument("--sleep-s", type=float, default=30.0, help="timeout mode's sleep (default 30)")
    args = ap.parse_args()
    count = args.count if args.count is not None else (2 if args.mode in ("429", "500") else -1)
    fault = Fault(args.mode, count, args.retry_after, args.sleep_s)
    evmrig.serve(args, fault, {"mode": args.mode, "count": count,
                               "retryAfter": args.retry_after, "sleepS": args.sleep_s})


if __name__ == "__main__":
    main()
