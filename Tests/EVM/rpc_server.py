#!/usr/bin/env python3
"""A minimal JSON-RPC 2.0 HTTP server over a real EVM (py-evm via eth-tester).

    .build/evm-venv/bin/python Tests/EVM/rpc_server.py [--port 0] [--scenario demo]
        [--no-multicall3] [--confirmations 2] [--delay-ms 5] [--lifetime 900]

When ready it prints ONE JSON line to stdout, e.g.
    {"port": 40123, "url": "http://127.0.0.1:40123", "escrow": "0x...", "pinnedBlock": 6,
     "latestBlock": 8, "moved": {"stream": "stream_1", "block": 7, ...}, ...}
then serves on 127.0.0.1 until SIGTERM/SIGINT, EOF on stdin (when stdin is a pipe), or
--lifetime seconds. Methods: eth_chainId, net_version, web3_clientVersion, eth_blockNumber,
eth_call, eth_getCode, eth_getBlockByNumber, eth_getBlockByHash, eth_getLogs, and the rig's
evm_mine, rig_send, rig_sendMany, rig_reorg, rig_scheduleReorg, rig_reorgs, rig_stats,
rig_resetStats, rig_info. Options --chain-id, --finalized-depth, --max-log-range, --max-logs.
See README.md.
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import evmrig  # noqa: E402


def main():
    ap = evmrig.common_args(__doc__.splitlines()[0])
    args = ap.parse_args()
    evmrig.serve(args)


if __name__ == "__main__":
    main()
