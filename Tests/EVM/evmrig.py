"""Shared core of the streamrecon EVM test rig.

A real EVM (py-evm through eth-tester) holding StreamEscrow.vy (and, optionally,
Multicall3.vy at its canonical address), a JSON-RPC 2.0 dispatcher over it, and an HTTP
server with the ready-line protocol used by rpc_server.py and fault_server.py.
Run with the rig's venv (see bootstrap.sh); stdlib plus vyper, eth-tester, py-evm, eth-abi.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import signal
import sqlite3
import stat
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent

MULTICALL3_ADDRESS = "0xcA11bde05977b3631167028862bE2a173976CA11"
ZERO_ADDRESS = "0x" + "00" * 20
# The escrow records an asset but moves no tokens: one placeholder token for every stream.
DEMO_ASSET = "0x000000000000000000000000000000000000a55e"
SABLIER_NULL_SELECTOR = "0x171cfce0"  # SablierV2Lockup_Null(uint256)
# The escrow's events (Sablier V2 Lockup signatures, plus the rig's StatusSet).
EVENTS = {
    "WithdrawFromLockupStream": "WithdrawFromLockupStream(uint256,address,address,uint128)",
    "CancelLockupStream": "CancelLockupStream(uint256,address,address,address,uint128,uint128)",
    "RenounceLockupStream": "RenounceLockupStream(uint256)",
    "Transfer": "Transfer(address,address,uint256)",
    "StatusSet": "StatusSet(uint256,uint8)",
}
# Replacement blocks of the n-th reorg are mined by 0x…72656f7267<n as 8 hex digits>
# ("reorg"), so their hashes differ from the blocks they replace and from earlier reorgs'.
REORG_MINER_PREFIX = "0x" + b"reorg".hex().rjust(32, "0")
STATUS_NAMES = {0: "PENDING", 1: "STREAMING", 2: "SETTLED", 3: "CANCELED", 4: "DEPLETED"}


# ------------------------------------------------------------------ JSON-RPC errors

class RPCError(Exception):
    def __init__(self, code: int, message: str, data=None):
        super().__init__(message)
        self.code, self.message, self.data = code, message, data

    def to_json(self):
        err = {"code": self.code, "message": self.message}
        if self.data is not None:
            err["data"] = self.data
        return err


def invalid_params(msg):
    return RPCError(-32602, "invalid argument: " + msg)


def hexint(n: int) -> str:
    return hex(n)


def revert_error(out: bytes, suffix: str = "") -> RPCError:
    """geth's answer to a revert: code 3, the revert bytes as data, an Error(string) reason
    appended to the message."""
    message = "execution reverted"
    if out[:4] == bytes.fromhex("08c379a0"):  # Error(string): geth appends the reason
        try:
            from eth_abi import decode
            message += ": " + decode(["string"], out[4:])[0]
        except Exception:
            pass
    return RPCError(3, message + suffix, "0x" + out.hex())


def log_matches(address: str, topics: list, addresses, filter_topics) -> bool:
    """geth's filter rule: an address in the list (none: any); per topic position, null or []
    matches anything, else one of the alternatives; a log with fewer topics than the filter
    has positions never matches."""
    if addresses and address.lower() not in addresses:
        return False
    if filter_topics:
        if len(filter_topics) > len(topics):
            return False
        for want, got in zip(filter_topics, topics):
            if want and got not in want:
                return False
    return True


def parse_quantity(value, what="quantity") -> int:
    if isinstance(value, str) and re.fullmatch(r"0x[0-9a-fA-F]+", value):
        if len(value) > 3 and value[2] == "0":
            raise invalid_params(f"{what} has leading zeros: {value}")
        return int(value, 16)
    raise invalid_params(f"bad {what}: {value!r}")


def parse_data(value, what="data") -> bytes:
    if isinstance(value, str) and re.fullmatch(r"0x([0-9a-fA-F]{2})*", value):
        return bytes.fromhex(value[2:])
    raise invalid_params(f"bad {what}: {value!r}")


def parse_address(value, what="address") -> str:
    if isinstance(value, str) and re.fullmatch(r"0x[0-9a-fA-F]{40}", value):
        return value
    raise invalid_params(f"bad {what}: {value!r}")


def parse_hash(value, what="hash") -> bytes:
    h = parse_data(value, what)
    if len(h) != 32:
        raise invalid_params(f"{what} must be 32 bytes: {value!r}")
    return h


def abi_args(signature: str, args) -> list:
    """JSON values to eth_abi values for `signature`'s parameter types: integers as numbers,
    decimal or 0x-hex strings; addresses as hex strings (any case); bytes as 0x-hex."""
    if not isinstance(signature, str) or not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*\(.*\)", signature):
        raise invalid_params(f"bad function signature: {signature!r}")
    inner = signature[signature.index("(") + 1: -1]
    types = _split_types(inner) if inner else []
    if not isinstance(args, list) or len(args) != len(types):
        raise invalid_params(f"{signature} takes {len(types)} argument(s), got {args!r}")
    out = []
    for t, v in zip(types, args):
        if re.fullmatch(r"u?int[0-9]*", t):
            if isinstance(v, bool):
                raise invalid_params(f"bad {t}: {v!r}")
            if isinstance(v, str):
                try:
                    v = int(v, 16) if v.startswith(("0x", "0X")) else int(v, 10)
                except ValueError:
                    raise invalid_params(f"bad {t}: {v!r}")
            if not isinstance(v, int):
                raise invalid_params(f"bad {t}: {v!r}")
        elif t == "address":
            v = parse_address(v, "address argument").lower()
        elif t == "bool":
            if not isinstance(v, bool):
                raise invalid_params(f"bad bool: {v!r}")
        elif re.fullmatch(r"bytes[0-9]*", t):
            v = parse_data(v, t)
        out.append(v)
    return out


# ------------------------------------------------------------------ compiling

def compile_vyper(name: str) -> dict:
    """Compiles Tests/EVM/<name>, or reads the result from the venv's cache (keyed by the
    source and the compiler version), which saves each server start ~1.3 s of compiling."""
    import hashlib

    import vyper

    src = (HERE / name).read_text()
    key = hashlib.sha256(f"{vyper.__version__}\0{src}".encode()).hexdigest()
    cache = Path(sys.prefix) / "evmrig-cache" / f"{Path(name).stem}-{key[:32]}.json"
    try:
        return json.loads(cache.read_text())
    except (OSError, ValueError):
        pass
    out = vyper.compile_code(src, output_formats=["abi", "bytecode", "bytecode_runtime"])
    result = {"abi": out["abi"], "bytecode": out["bytecode"], "runtime": out["bytecode_runtime"]}
    try:  # written whole, then renamed: parallel servers never read half a file
        cache.parent.mkdir(exist_ok=True)
        tmp = cache.with_name(f"{cache.name}.{os.getpid()}.tmp")
        tmp.write_text(json.dumps(result))
        os.replace(tmp, cache)
    except OSError:
        pass
    return result


def selector(signature: str) -> bytes:
    from eth_utils import function_signature_to_4byte_selector

    return function_signature_to_4byte_selector(signature)


def encode_call(signature: str, *args) -> bytes:
    from eth_abi import encode

    types = signature[signature.index("(") + 1: -1]
    types = [t for t in _split_types(types)] if types else []
    return selector(signature) + (encode(types, list(args)) if types else b"")


def _split_types(s: str):
    depth, cur, out = 0, "", []
    for ch in s:
        if ch == "," and depth == 0:
            out.append(cur)
            cur = ""
            continue
        depth += ch == "("
        depth -= ch == ")"
        cur += ch
    out.append(cur)
    return out


# ------------------------------------------------------------------ the chain

class Chain:
    """py-evm through eth-tester; every access holds one lock (py-evm is not thread-safe)."""

    def __init__(self, multicall3: bool, chain_id: int | None = None,
                 finalized_depth: int | None = None):
        from eth_tester import EthereumTester, PyEVMBackend
        from eth_utils import to_canonical_address

        self.lock = threading.RLock()
        genesis = PyEVMBackend.generate_genesis_state(num_accounts=10)
        self.multicall3 = None
        if multicall3:
            runtime = bytes.fromhex(compile_vyper("Multicall3.vy")["runtime"][2:])
            genesis[to_canonical_address(MULTICALL3_ADDRESS)] = {
                "balance": 0, "nonce": 1, "code": runtime, "storage": {},
            }
            self.multicall3 = MULTICALL3_ADDRESS
        backend = PyEVMBackend(genesis_state=genesis)
        if chain_id is not None:
            # The chain's own id: eth_chainId, the CHAINID opcode and transaction signing.
            # (py-evm builds each VM's ChainContext from chain.chain_id.)
            backend.chain.chain_id = chain_id
        self.tester = EthereumTester(backend)
        self.tester.disable_auto_mine_transactions()
        self.account = self.tester.get_accounts()[0]
        self.chain_id = self.tester.backend.chain.chain_id
        self.nonce = self.tester.get_nonce(self.account)  # tracked: several txs per block
        self.finalized_depth = finalized_depth  # None: safe/finalized = latest
        self.escrow = None                      # set by the scenario
        self.reorgs = []                        # what rig_reorg / a scheduled reorg did
        self.reorg_count = 0

    def _tx(self, tx: dict) -> str:
        # Straight to the backend, which applies it to the pending block: eth-tester's own
        # queue (auto-mine off) keeps only one transaction per sender and nonce per block.
        raw = self.tester.normalizer.normalize_inbound_transaction(dict(tx, nonce=self.nonce))
        h = self.tester.backend.send_transaction(raw)
        self.nonce += 1
        return "0x" + bytes(h).hex()

    # -- blocks

    def latest(self) -> int:
        with self.lock:
            return self.tester.get_block_by_number("latest")["number"]

    def mine(self, n: int = 1) -> int:
        with self.lock:
            self.tester.mine_blocks(n)
            return self.latest()

    def finalized(self, latest: int | None = None) -> int:
        """The block `safe` and `finalized` name: latest - finalized_depth (default: latest)."""
        latest = self.latest() if latest is None else latest
        return latest if self.finalized_depth is None else max(0, latest - self.finalized_depth)

    def resolve_block(self, tag) -> int:
        """A JSON-RPC block parameter (tag, hex number or EIP-1898 object) to a number."""
        return self.resolve_header(tag).block_number

    def resolve_header(self, tag):
        """A JSON-RPC block parameter to a py-evm header. An EIP-1898 blockHash may name a
        block a reorg replaced (geth still serves it) unless requireCanonical is true."""
        with self.lock:
            if isinstance(tag, dict) and "blockNumber" not in tag and "blockHash" in tag:
                header = self.header_by_hash(parse_hash(tag["blockHash"], "blockHash"))
                if header is None:
                    raise RPCError(-32000, f"header for hash {tag['blockHash'].lower()} not found")
                if tag.get("requireCanonical") and not self.is_canonical(header):
                    raise RPCError(-32000, "hash is not currently canonical")
                return header
            return self.canonical_header(self._resolve_number(tag))

    def _resolve_number(self, tag) -> int:
        latest = self.latest()
        if tag is None or tag in ("latest", "pending"):
            return latest
        if tag in ("safe", "finalized"):
            return self.finalized(latest)
        if tag == "earliest":
            return 0
        if isinstance(tag, dict):
            if "blockNumber" in tag:
                return self._resolve_number(tag["blockNumber"])
            raise invalid_params("block object needs blockNumber or blockHash")
        n = parse_quantity(tag, "block number")
        if n > latest:
            raise RPCError(-32000, "header not found")
        return n

    # -- headers, blocks and logs straight from py-evm's chain database

    def canonical_header(self, number: int):
        with self.lock:
            return self.tester.backend.chain.chaindb.get_canonical_block_header_by_number(number)

    def header_by_hash(self, h: bytes):
        """Any stored header, canonical or replaced by a reorg; None when unknown."""
        from eth.exceptions import HeaderNotFound

        with self.lock:
            try:
                return self.tester.backend.chain.chaindb.get_block_header_by_hash(h)
            except HeaderNotFound:
                return None

    def is_canonical(self, header) -> bool:
        with self.lock:
            n = header.block_number
            return n <= self.latest() and self.canonical_header(n).hash == header.hash

    def block_json(self, header) -> dict:
        from eth_utils import to_checksum_address

        with self.lock:
            blk = self.tester.backend.chain.get_block_by_header(header)
            return {
                "number": hexint(header.block_number), "hash": "0x" + header.hash.hex(),
                "parentHash": "0x" + header.parent_hash.hex(), "timestamp": hexint(header.timestamp),
                "gasLimit": hexint(header.gas_limit), "gasUsed": hexint(header.gas_used),
                "miner": to_checksum_address(header.coinbase),
                "transactions": ["0x" + tx.hash.hex() for tx in blk.transactions],
            }

    def block(self, number: int) -> dict:
        with self.lock:
            return self.tester.get_block_by_number(number, full_transactions=False)

    def block_logs(self, header, addresses=None, topics=None) -> list:
        """The logs of one block (canonical or not) matching the filter, as JSON-RPC log objects:
        logIndex counts every log of the block, as nodes do."""
        from eth.constants import BLANK_ROOT_HASH

        if header.transaction_root == BLANK_ROOT_HASH:
            return []
        with self.lock:
            chain = self.tester.backend.chain
            blk = chain.get_block_by_header(header)
            receipts = blk.get_receipts(chain.chaindb)
        out, log_index = [], 0
        block_hash = "0x" + header.hash.hex()
        for tx_index, (tx, receipt) in enumerate(zip(blk.transactions, receipts)):
            for log in receipt.logs:
                address = "0x" + log.address.hex()
                log_topics = ["0x" + t.to_bytes(32, "big").hex() for t in log.topics]
                if log_matches(address, log_topics, addresses, topics):
                    out.append({
                        "address": address, "topics": log_topics, "data": "0x" + log.data.hex(),
                        "blockNumber": hexint(header.block_number), "blockHash": block_hash,
                        "transactionHash": "0x" + tx.hash.hex(), "transactionIndex": hexint(tx_index),
                        "logIndex": hexint(log_index), "removed": False,
                    })
                log_index += 1
        return out

    def logs(self, lo: int, hi: int, addresses=None, topics=None) -> list:
        """Logs of canonical blocks lo..hi, by block then logIndex."""
        out = []
        with self.lock:
            for n in range(lo, hi + 1):
                out.extend(self.block_logs(self.canonical_header(n), addresses, topics))
        return out

    # -- transactions (the rig's own account)

    def deploy(self, compiled: dict) -> str:
        with self.lock:
            tx = self._tx({"from": self.account, "data": compiled["bytecode"], "gas": 5_000_000,
            })
            self.tester.mine_blocks(1)
            receipt = self.tester.get_transaction_receipt(tx)
            assert receipt["status"] == 1, receipt
            return receipt["contract_address"]

    def send(self, to: str, signature: str, *args) -> str:
        with self.lock:
            return self._tx({
                "from": self.account, "to": to, "gas": 500_000,
                "data": "0x" + encode_call(signature, *args).hex(),
            })

    def check_receipts(self, txs):
        with self.lock:
            for tx in txs:
                r = self.tester.get_transaction_receipt(tx)
                if r["status"] != 1:
                    raise RuntimeError(f"rig transaction failed: {r}")

    # -- reads

    def call(self, to: str, data: bytes, block, sender: str | None = None, gas: int | None = None):
        """Executes a read at `block` (a number or a py-evm header).
        Returns ("ok", output) | ("revert", data) | ("error", msg)."""
        with self.lock:
            header = self.canonical_header(block) if isinstance(block, int) else block
            state = self.tester.backend.chain.get_vm(at_header=header).state
            snap = state.snapshot()
            try:
                return self._apply(state, to, data, sender, gas)
            finally:
                state.revert(snap)

    def _apply(self, state, to: str, data: bytes, sender: str | None, gas: int | None):
        """Runs one call on `state` (left changed: the caller snapshots and reverts)."""
        from eth.exceptions import Revert
        from eth_tester.backends.pyevm.main import EVMSpoofTransaction

        t = self.tester
        raw = t.normalizer.normalize_inbound_transaction({
            "from": sender or ZERO_ADDRESS, "to": to, "data": "0x" + data.hex(),
            "value": 0, "gas": gas or 50_000_000,
        })
        backend = t.backend
        raw["gas"] = min(raw["gas"], backend._max_available_gas())
        raw["nonce"] = state.get_nonce(raw["from"])
        unsigned = backend._get_normalized_and_unsigned_evm_transaction(raw)
        # Like geth's eth_call, the caller need not afford the gas.
        state.set_balance(raw["from"], 10**30)
        comp = state.apply_transaction(EVMSpoofTransaction(unsigned, from_=raw["from"]))
        if not comp.is_error:
            return "ok", bytes(comp.output)
        err = comp._error
        if isinstance(err, Revert):
            return "revert", bytes(err.args[0]) if err.args else b""
        return "error", type(err).__name__ + (f": {err}" if str(err) else "")

    def read(self, to: str, signature: str, *args, block: int | None = None, returns: str = None):
        """Convenience read for the rig itself (decoded)."""
        from eth_abi import decode

        kind, out = self.call(to, encode_call(signature, *args), self.latest() if block is None else block)
        if kind != "ok":
            return kind, out
        return "ok", decode([returns], out)[0] if returns else out

    def get_code(self, address: str, block) -> bytes:
        from eth_utils import to_canonical_address

        with self.lock:
            header = self.canonical_header(block) if isinstance(block, int) else block
            state = self.tester.backend.chain.get_vm(at_header=header).state
            return bytes(state.get_code(to_canonical_address(address)))

    # -- driving the chain over RPC (rig_send, rig_sendMany)

    def transact(self, calls) -> list:
        """Sends [(to, data)] from the owner, all in ONE new block. Each is first run in order
        on the latest state; if one would revert or fail, nothing is sent and RPCError is
        raised (like geth's eth_sendTransaction, whose gas estimate fails)."""
        with self.lock:
            latest = self.latest()
            state = self.tester.backend.chain.get_vm(at_header=self.canonical_header(latest)).state
            snap = state.snapshot()
            outputs = []
            try:
                for i, (to, data) in enumerate(calls):
                    kind, out = self._apply(state, to, data, self.account, 1_000_000)
                    where = f" (call {i} of {len(calls)})" if len(calls) > 1 else ""
                    if kind == "revert":
                        raise revert_error(out, where)
                    if kind == "error":
                        raise RPCError(-32000, out + where)
                    outputs.append(out)
            finally:
                state.revert(snap)
            hashes = [self._tx({"from": self.account, "to": to, "gas": 1_000_000,
                                "data": "0x" + data.hex()}) for to, data in calls]
            self.tester.mine_blocks(1)
            header = self.canonical_header(self.latest())
            return [{"block": header.block_number, "blockHash": "0x" + header.hash.hex(), "hash": h,
                     "status": self.tester.get_transaction_receipt(h)["status"], "output": "0x" + out.hex()}
                    for h, out in zip(hashes, outputs)]

    # -- reorgs

    def reorg(self, depth: int, replay: bool = False, trigger: str = "rig_reorg") -> dict:
        """Replaces the top `depth` blocks with new blocks at the same heights (mined by
        REORG_MINER_PREFIX + n, so every hash changes). Their transactions are dropped, or with
        `replay` re-included, in their order, in the first replacement block."""
        with self.lock:
            latest = self.latest()
            if not 1 <= depth <= latest:
                raise invalid_params(f"reorg depth must be 1..{latest} (latest block), got {depth}")
            backend = self.tester.backend
            fork = latest - depth
            old = [backend.chain.get_canonical_block_by_number(n) for n in range(fork + 1, latest + 1)]
            txs = [tx for b in old for tx in b.transactions]
            backend.revert_to_snapshot(self.canonical_header(fork).hash)
            chain = backend.chain  # (a new object when the fork point is genesis)
            chain.chain_id = self.chain_id
            if replay:
                for tx in txs:
                    chain.apply_transaction(tx)
            self.reorg_count += 1
            number = self.reorg_count
            self.tester.mine_blocks(depth, coinbase=REORG_MINER_PREFIX + f"{number:08x}")
            self.nonce = self.tester.get_nonce(self.account)
            assert self.latest() == latest
            record = {
                "number": number, "trigger": trigger, "depth": depth, "forkBlock": fork,
                "latestBlock": latest,
                "replaced": [{"block": b.number, "oldHash": "0x" + b.hash.hex(),
                              "newHash": "0x" + self.canonical_header(b.number).hash.hex()} for b in old],
                "droppedTransactions": [] if replay else ["0x" + tx.hash.hex() for tx in txs],
                "replayedTransactions": ["0x" + tx.hash.hex() for tx in txs] if replay else [],
            }
            self.reorgs.append(record)
            return record


# ------------------------------------------------------------------ scenarios

def stream_number(key: str) -> int:
    m = re.fullmatch(r"stream_([1-9][0-9]*)", key)
    if not m:
        raise ValueError(f"demo-chain.json id {key!r} is not stream_<n>")
    return int(m.group(1))


def db_senders(sql_path: Path) -> dict:
    """id -> sender from the demo DB (same SQL the CLI builds its demo DB from)."""
    db = sqlite3.connect(":memory:")
    db.executescript(sql_path.read_text())
    return {row[0]: row[1] for row in db.execute("SELECT id, sender FROM streams")}


def build_demo(chain: Chain, chain_json: Path, db_sql: Path, confirmations: int,
               empty_blocks: int) -> dict:
    """Deploys the escrow and reproduces the demo snapshot's on-chain side.

    Stream `stream_<n>` gets escrow id n. Ids with no record (stream_4) are skipped with
    skipIds, so they revert like unknown ids. Block layout (confirmations = c):
      1           escrow deployed
      2           all demo streams created and brought to their demo state
      3 ..        `empty_blocks` empty blocks
      P = L - c   the block a client with `confirmations: c` pins: demo state
      P + 1       stream_1 withdraws 50000 more (250000 -> 300000): the "moved" stream
      .. L        empty blocks up to latest L
    """
    snap = json.loads(chain_json.read_text())
    senders = db_senders(db_sql)
    escrow_c = compile_vyper("StreamEscrow.vy")
    escrow = chain.deploy(escrow_c)
    deploy_block = chain.latest()

    records = sorted(snap["records"], key=lambda r: stream_number(r["id"]))
    next_id, txs, mapping = 1, [], {}
    for rec in records:
        n = stream_number(rec["id"])
        if n > next_id:
            txs.append(chain.send(escrow, "skipIds(uint256)", n - next_id))
        deposited, withdrawn = int(rec["deposited"]), int(rec["withdrawn"])
        state = int(rec["state"])
        sender = senders.get(rec["id"], chain.account)
        txs.append(chain.send(escrow, "create(address,address,address,uint128)",
                              sender, rec["recipient"], DEMO_ASSET, deposited))
        if withdrawn > deposited:
            txs.append(chain.send(escrow, "forceWithdrawn(uint256,uint128)", n, withdrawn))
        elif withdrawn:
            txs.append(chain.send(escrow, "withdraw(uint256,uint128)", n, withdrawn))
        if state == 3:
            txs.append(chain.send(escrow, "cancel(uint256,uint128)", n, deposited - withdrawn))
        elif state != 1:
            txs.append(chain.send(escrow, "setStatus(uint256,uint8)", n, state))
        mapping[rec["id"]] = n
        next_id = n + 1
    chain.mine(1)
    chain.check_receipts(txs)
    streams_block = chain.latest()
    chain.mine(empty_blocks)

    moved_key, moved_id, moved_amount = "stream_1", mapping["stream_1"], 50_000
    _, before = chain.read(escrow, "getWithdrawnAmount(uint256)", moved_id, returns="uint128")
    pinned = chain.latest()
    tx = chain.send(escrow, "withdraw(uint256,uint128)", moved_id, moved_amount)
    chain.mine(1)
    chain.check_receipts([tx])
    moved_block = chain.latest()
    if confirmations > 1:
        chain.mine(confirmations - 1)
    latest = chain.latest()
    assert latest - confirmations == pinned if confirmations >= 1 else True
    _, after = chain.read(escrow, "getWithdrawnAmount(uint256)", moved_id, returns="uint128")

    all_ids = set(range(1, next_id))
    return {
        "escrow": escrow,
        "deployBlock": deploy_block,
        "streamsBlock": streams_block,
        "pinnedBlock": pinned,
        "latestBlock": latest,
        "confirmations": confirmations,
        "nextStreamId": next_id,
        "streams": mapping,
        "unknownIds": sorted(all_ids - set(mapping.values())),
        "moved": {
            "stream": moved_key, "streamId": moved_id, "block": moved_block,
            "field": "withdrawn", "view": "getWithdrawnAmount(uint256)",
            "atPinned": str(before), "atLatest": str(after),
        },
    }


def build_scenario(args) -> tuple[Chain, dict]:
    chain = Chain(multicall3=args.multicall3, chain_id=args.chain_id,
                  finalized_depth=args.finalized_depth)
    info = {"scenario": args.scenario}
    if args.scenario == "demo":
        if args.confirmations < 1:
            raise SystemExit("--confirmations must be at least 1 for the demo scenario")
        info.update(build_demo(chain, Path(args.chain_fixture), Path(args.db_fixture),
                               args.confirmations, args.empty_blocks))
    else:  # "empty": only the escrow, no streams
        info["escrow"] = chain.deploy(compile_vyper("StreamEscrow.vy"))
        info["latestBlock"] = chain.latest()
    chain.escrow = info["escrow"]
    info["chainId"] = chain.chain_id
    info["multicall3"] = chain.multicall3
    if args.finalized_depth is not None:
        info["finalizedDepth"] = args.finalized_depth
        info["finalizedBlock"] = chain.finalized()
    if args.max_log_range is not None:
        info["maxLogRange"] = args.max_log_range
    if args.max_logs is not None:
        info["maxLogs"] = args.max_logs
    return chain, info


# ------------------------------------------------------------------ JSON-RPC dispatch

class Stats:
    def __init__(self):
        self.lock = threading.Lock()
        self.reset()

    def reset(self):
        with self.lock:
            self.http_requests = 0
            self.rpc_calls = 0
            self.batches = 0
            self.max_batch = 0
            self.by_method = {}
            self.eth_call_blocks = {}
            self.eth_call_targets = {}
            self.faults = 0
            self.in_flight = 0
            self.max_in_flight = 0
            self.get_logs_ranges = []

    def snapshot(self) -> dict:
        with self.lock:
            return {
                "httpRequests": self.http_requests, "rpcCalls": self.rpc_calls,
                "batches": self.batches, "maxBatchSize": self.max_batch,
                "byMethod": dict(self.by_method), "ethCallBlocks": dict(self.eth_call_blocks),
                "ethCallTargets": dict(self.eth_call_targets), "faults": self.faults,
                "maxConcurrentRequests": self.max_in_flight,
                "getLogsRanges": [list(r) for r in self.get_logs_ranges],
            }


class Dispatcher:
    """JSON-RPC 2.0 over one Chain. rig_* methods are not counted in the stats."""

    def __init__(self, chain: Chain, info: dict, stats: Stats, max_log_range: int | None = None,
                 max_logs: int | None = None):
        self.chain, self.info, self.stats = chain, info, stats
        self.max_log_range, self.max_logs = max_log_range, max_logs
        self.block_number_hook = None  # fault_server's block_backwards
        self.result_hook = None        # fault_server's logs_* modes: (method, result) -> result
        self.schedule_lock = threading.Lock()
        self.scheduled_reorg = None    # {"afterEthCalls": remaining, "depth", "replay"}

    # -- whole HTTP bodies

    def handle_body(self, body: bytes):
        """Returns the response object (dict, list or None for notifications only)."""
        try:
            msg = json.loads(body)
        except (ValueError, UnicodeDecodeError):
            return {"jsonrpc": "2.0", "id": None, "error": {"code": -32700, "message": "parse error"}}
        if isinstance(msg, list):
            if not msg:
                return {"jsonrpc": "2.0", "id": None,
                        "error": {"code": -32600, "message": "empty batch"}}
            counted = [m for m in msg if not is_rig_call(m)]
            with self.stats.lock:
                if counted:
                    self.stats.batches += 1
                    self.stats.max_batch = max(self.stats.max_batch, len(counted))
            out = [r for r in (self.handle_one(m) for m in msg) if r is not None]
            return out or None
        return self.handle_one(msg)

    def handle_one(self, msg):
        if not isinstance(msg, dict) or msg.get("jsonrpc") != "2.0" or not isinstance(msg.get("method"), str):
            return {"jsonrpc": "2.0", "id": msg.get("id") if isinstance(msg, dict) else None,
                    "error": {"code": -32600, "message": "invalid request"}}
        method, params = msg["method"], msg.get("params", [])
        if not method.startswith("rig_"):
            with self.stats.lock:
                self.stats.rpc_calls += 1
                self.stats.by_method[method] = self.stats.by_method.get(method, 0) + 1
        try:
            if not isinstance(params, list):
                raise invalid_params("params must be an array")
            fn = getattr(self, "m_" + method, None)
            if fn is None:
                raise RPCError(-32601, f"the method {method} does not exist/is not available")
            result = fn(params)
            if self.result_hook is not None:
                result = self.result_hook(method, result)
            resp = {"jsonrpc": "2.0", "id": msg.get("id"), "result": result}
        except RPCError as e:
            resp = {"jsonrpc": "2.0", "id": msg.get("id"), "error": e.to_json()}
        except Exception as e:  # a rig bug must still answer
            resp = {"jsonrpc": "2.0", "id": msg.get("id"),
                    "error": {"code": -32603, "message": f"internal error: {type(e).__name__}: {e}"}}
        if method == "eth_call":
            self.eth_call_answered()
        return resp if "id" in msg else None

    def eth_call_answered(self):
        """Counts down a scheduled reorg; it happens right after the answer that reaches 0
        (before the next call, even in the same batch)."""
        with self.schedule_lock:
            s = self.scheduled_reorg
            if s is None:
                return
            s["afterEthCalls"] -= 1
            if s["afterEthCalls"] > 0:
                return
            self.scheduled_reorg = None
        try:
            self.chain.reorg(s["depth"], s["replay"], trigger="scheduled")
        except RPCError as e:  # e.g. deeper than the chain: recorded, nothing else to do
            with self.chain.lock:
                self.chain.reorgs.append({"trigger": "scheduled", "depth": s["depth"], "error": e.message})

    # -- methods (each takes the params list)

    def m_eth_chainId(self, p):
        return hexint(self.chain.chain_id)

    def m_net_version(self, p):
        return str(self.chain.chain_id)

    def m_web3_clientVersion(self, p):
        return "streamrecon-evm-rig/1.0 (py-evm via eth-tester)"

    def m_eth_blockNumber(self, p):
        n = self.chain.latest()
        if self.block_number_hook:
            n = self.block_number_hook(n)
        return hexint(n)

    def m_eth_call(self, p):
        if not 1 <= len(p) <= 3:
            raise invalid_params("eth_call takes [call, block?]")
        call = p[0]
        if not isinstance(call, dict):
            raise invalid_params("call must be an object")
        to = parse_address(call.get("to"), "to")
        data = parse_data(call.get("input", call.get("data", "0x")), "data")
        sender = parse_address(call["from"], "from") if call.get("from") else None
        gas = parse_quantity(call["gas"], "gas") if call.get("gas") else None
        tag = p[1] if len(p) > 1 else "latest"
        header = self.chain.resolve_header(tag)
        block = header.block_number
        with self.stats.lock:
            key = hexint(block) if not isinstance(tag, str) or tag.startswith("0x") else f"{tag}({hexint(block)})"
            self.stats.eth_call_blocks[key] = self.stats.eth_call_blocks.get(key, 0) + 1
            self.stats.eth_call_targets[to.lower()] = self.stats.eth_call_targets.get(to.lower(), 0) + 1
        kind, out = self.chain.call(to, data, header, sender, gas)
        if kind == "ok":
            return "0x" + out.hex()
        if kind == "revert":
            raise revert_error(out)
        raise RPCError(-32000, out)

    def m_eth_getCode(self, p):
        if not 1 <= len(p) <= 2:
            raise invalid_params("eth_getCode takes [address, block?]")
        addr = parse_address(p[0])
        header = self.chain.resolve_header(p[1] if len(p) > 1 else "latest")
        return "0x" + self.chain.get_code(addr, header).hex()

    def m_eth_getBlockByNumber(self, p):
        if not 1 <= len(p) <= 2:
            raise invalid_params("eth_getBlockByNumber takes [block, fullTx?]")
        with self.chain.lock:
            try:
                header = self.chain.resolve_header(p[0])
            except RPCError as e:
                if e.code == -32000:
                    return None
                raise
            return self.chain.block_json(header)

    def m_eth_getBlockByHash(self, p):
        if not 1 <= len(p) <= 2:
            raise invalid_params("eth_getBlockByHash takes [hash, fullTx?]")
        header = self.chain.header_by_hash(parse_hash(p[0], "block hash"))
        return None if header is None else self.chain.block_json(header)

    def m_eth_getLogs(self, p):
        if len(p) != 1 or not isinstance(p[0], dict):
            raise invalid_params("eth_getLogs takes [filter object]")
        f = p[0]
        addresses = f.get("address")
        if addresses is not None:
            addresses = [addresses] if isinstance(addresses, str) else addresses
            if not isinstance(addresses, list):
                raise invalid_params("address must be an address or a list of addresses")
            addresses = {parse_address(a).lower() for a in addresses}
        topics = f.get("topics")
        if topics is not None:
            if not isinstance(topics, list):
                raise invalid_params("topics must be an array")
            if len(topics) > 4:
                raise RPCError(-32602, "exceed max topics")
            parsed = []
            for t in topics:
                alts = [] if t is None else [t] if isinstance(t, str) else t
                if not isinstance(alts, list):
                    raise invalid_params(f"bad topic: {t!r}")
                parsed.append({"0x" + parse_hash(a, "topic").hex() for a in alts if a is not None})
            topics = parsed
        with self.chain.lock:
            if f.get("blockHash") is not None:
                if f.get("fromBlock") is not None or f.get("toBlock") is not None:
                    raise RPCError(-32602, "invalid argument 0: cannot specify both BlockHash and "
                                          "FromBlock/ToBlock, choose one or the other")
                header = self.chain.header_by_hash(parse_hash(f["blockHash"], "blockHash"))
                if header is None:
                    raise RPCError(-32000, "unknown block")
                lo = hi = header.block_number
                self._count_logs_range(lo, hi)
                return self._limit_logs(self.chain.block_logs(header, addresses, topics))
            latest = self.chain.latest()
            lo = self._log_bound(f.get("fromBlock"), latest)
            hi = self._log_bound(f.get("toBlock"), latest)
            if lo > latest or hi > latest:
                raise RPCError(-32602, "block range extends beyond current head block")
            if lo > hi:
                raise RPCError(-32602, "invalid block range params")
            self._count_logs_range(lo, hi)
            if self.max_log_range is not None and hi - lo + 1 > self.max_log_range:
                raise RPCError(-32005, f"block range too large: asked for {hi - lo + 1} blocks, "
                                       f"the limit is {self.max_log_range}")
            return self._limit_logs(self.chain.logs(lo, hi, addresses, topics))

    def _log_bound(self, tag, latest: int) -> int:
        if tag is None or tag == "latest":
            return latest
        if tag == "pending":
            raise RPCError(-32602, "pending logs are not supported")
        if tag in ("safe", "finalized"):
            return self.chain.finalized(latest)
        if tag == "earliest":
            return 0
        return parse_quantity(tag, "block number")

    def _count_logs_range(self, lo, hi):
        with self.stats.lock:
            if len(self.stats.get_logs_ranges) < 10_000:
                self.stats.get_logs_ranges.append((lo, hi))

    def _limit_logs(self, logs):
        if self.max_logs is not None and len(logs) > self.max_logs:
            raise RPCError(-32005, f"query returned more than {self.max_logs} results")
        return logs

    # -- non-standard

    def m_evm_mine(self, p):
        n = parse_quantity(p[0], "count") if p else 1
        if n > 1000:
            raise invalid_params("at most 1000 blocks per evm_mine")
        return hexint(self.chain.mine(n))

    def m_rig_stats(self, p):
        return self.stats.snapshot()

    def m_rig_resetStats(self, p):
        self.stats.reset()
        return True

    def m_rig_info(self, p):
        return self.info

    def _send_pair(self, pair):
        if not isinstance(pair, list) or not 1 <= len(pair) <= 2 or not isinstance(pair[0], str):
            raise invalid_params(f"expected [signature, [args...]], got {pair!r}")
        signature, args = pair[0], pair[1] if len(pair) > 1 else []
        return self.chain.escrow, encode_call(signature, *abi_args(signature, args))

    def m_rig_send(self, p):
        return self.chain.transact([self._send_pair(p)])[0]

    def m_rig_sendMany(self, p):
        pairs = p[0] if len(p) == 1 and isinstance(p[0], list) and p[0] and isinstance(p[0][0], list) else p
        if not pairs:
            raise invalid_params("rig_sendMany takes at least one [signature, [args...]]")
        return self.chain.transact([self._send_pair(pair) for pair in pairs])

    def _reorg_params(self, p, first: int):
        depth = p[first] if len(p) > first else 1
        opts = p[first + 1] if len(p) > first + 1 else {}
        if isinstance(depth, str):
            depth = parse_quantity(depth, "depth")
        if not isinstance(depth, int) or isinstance(depth, bool) or depth < 1:
            raise invalid_params(f"depth must be a positive integer, got {depth!r}")
        if not isinstance(opts, dict) or set(opts) - {"replay"} or not isinstance(opts.get("replay", False), bool):
            raise invalid_params(f'options must be {{"replay": bool}}, got {opts!r}')
        return depth, opts.get("replay", False)

    def m_rig_reorg(self, p):
        depth, replay = self._reorg_params(p, 0)
        return self.chain.reorg(depth, replay)

    def m_rig_scheduleReorg(self, p):
        if not p:
            raise invalid_params("rig_scheduleReorg takes [afterEthCalls, depth?, options?]")
        after = p[0]
        if not isinstance(after, int) or isinstance(after, bool) or after < 1:
            raise invalid_params(f"afterEthCalls must be a positive integer, got {after!r}")
        depth, replay = self._reorg_params(p, 1)
        latest = self.chain.latest()
        if depth > latest:
            raise invalid_params(f"reorg depth must be 1..{latest} (latest block), got {depth}")
        with self.schedule_lock:
            self.scheduled_reorg = {"afterEthCalls": after, "depth": depth, "replay": replay}
            return dict(self.scheduled_reorg)

    def m_rig_reorgs(self, p):
        with self.schedule_lock:
            scheduled = None if self.scheduled_reorg is None else dict(self.scheduled_reorg)
        with self.chain.lock:
            return {"reorgs": list(self.chain.reorgs), "scheduled": scheduled}


def is_rig_call(m) -> bool:
    return isinstance(m, dict) and isinstance(m.get("method"), str) and m["method"].startswith("rig_")


def only_rig_calls(body: bytes) -> bool:
    try:
        msg = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return False
    msgs = msg if isinstance(msg, list) else [msg]
    return bool(msgs) and all(is_rig_call(m) for m in msgs)


# ------------------------------------------------------------------ HTTP

class RigHTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    allow_reuse_address = True
    request_queue_size = 64

    def __init__(self, addr, handler, dispatcher: Dispatcher, delay_ms: int, fault=None):
        super().__init__(addr, handler)
        self.dispatcher = dispatcher
        self.stats = dispatcher.stats
        self.delay_ms = delay_ms
        self.fault = fault  # fault_server's Fault, or None
        self.held = []      # sockets of "silent" connections

    def process_request(self, request, client_address):
        if self.fault is not None and self.fault.hold_connection():
            with self.stats.lock:
                self.stats.http_requests += 1
                self.stats.faults += 1
            self.held.append(request)  # accepted, never read, never answered
            return
        super().process_request(request, client_address)

    def close_held(self):
        for s in self.held:
            try:
                s.close()
            except OSError:
                pass


class RigHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "streamrecon-evm-rig"

    def log_message(self, fmt, *args):  # keep stdout for the ready line, stderr quiet
        if os.environ.get("EVMRIG_LOG"):
            sys.stderr.write("rig: " + fmt % args + "\n")

    def do_GET(self):
        self.send_plain(405, b"JSON-RPC over POST only\n", {"Allow": "POST"})

    def do_POST(self):
        server: RigHTTPServer = self.server
        stats = server.stats
        length = self.headers.get("Content-Length")
        if length is None or not length.isdigit():
            self.send_plain(411, b"Content-Length required\n")
            return
        body = self.rfile.read(int(length))
        rig_only = only_rig_calls(body)
        if not rig_only:
            with stats.lock:
                stats.http_requests += 1
                stats.in_flight += 1
                stats.max_in_flight = max(stats.max_in_flight, stats.in_flight)
        try:
            if server.delay_ms and not rig_only:
                time.sleep(server.delay_ms / 1000)
            if server.fault is not None and not rig_only:
                if server.fault.before(self, body):
                    with stats.lock:
                        stats.faults += 1
                    return
            resp = server.dispatcher.handle_body(body)
            if server.fault is not None and not rig_only:
                resp = server.fault.after(body, resp)
            payload = b"" if resp is None else json.dumps(resp).encode()
            self.send_json(200, payload)
        finally:
            if not rig_only:
                with stats.lock:
                    stats.in_flight -= 1

    def send_json(self, status, payload: bytes, headers=None):
        self.send_bytes(status, payload, "application/json", headers)

    def send_plain(self, status, payload: bytes, headers=None):
        self.send_bytes(status, payload, "text/plain; charset=utf-8", headers)

    def send_bytes(self, status, payload, ctype, headers=None):
        try:
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(payload)))
            for k, v in (headers or {}).items():
                self.send_header(k, v)
            self.end_headers()
            self.wfile.write(payload)
            self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True


def positive(text: str) -> int:
    n = int(text)
    if n < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1: {text}")
    return n


def non_negative(text: str) -> int:
    n = int(text)
    if n < 0:
        raise argparse.ArgumentTypeError(f"must be at least 0: {text}")
    return n


def common_args(description: str) -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(description=description)
    ap.add_argument("--port", type=int, default=0, help="TCP port on 127.0.0.1 (0: any free port)")
    ap.add_argument("--scenario", choices=["demo", "empty"], default="demo")
    mc = ap.add_mutually_exclusive_group()
    mc.add_argument("--multicall3", dest="multicall3", action="store_true", default=True,
                    help="put Multicall3 at 0xcA11bde05977b3631167028862bE2a173976CA11 (default)")
    mc.add_argument("--no-multicall3", dest="multicall3", action="store_false",
                    help="no code at the Multicall3 address")
    ap.add_argument("--confirmations", type=int, default=2,
                    help="the demo's pinned block is latest - this (default 2)")
    ap.add_argument("--empty-blocks", type=int, default=3,
                    help="empty blocks mined after the demo streams (default 3)")
    ap.add_argument("--delay-ms", type=int, default=0, help="answer each HTTP request after this delay")
    ap.add_argument("--lifetime", type=float, default=900,
                    help="stop by itself after this many seconds (default 900; 0: never)")
    ap.add_argument("--stdin", choices=["auto", "watch", "ignore"], default="auto",
                    help="stop when stdin reaches EOF: watch, ignore, or auto (watch only if stdin is a pipe)")
    ap.add_argument("--chain-id", type=positive, default=None,
                    help="eth_chainId / net_version / the EVM's CHAINID (default: eth-tester's 131277322940537)")
    ap.add_argument("--finalized-depth", type=non_negative, default=None,
                    help="the safe and finalized tags name latest - this (default: they name latest)")
    ap.add_argument("--max-log-range", type=positive, default=None,
                    help="eth_getLogs over more blocks than this answers -32005 (default: no limit)")
    ap.add_argument("--max-logs", type=non_negative, default=None,
                    help="eth_getLogs with more logs than this answers -32005 (default: no limit)")
    ap.add_argument("--chain-fixture", default=str(REPO / "Fixtures" / "demo-chain.json"))
    ap.add_argument("--db-fixture", default=str(REPO / "Fixtures" / "demo.sql"))
    return ap


def serve(args, fault=None, extra_info=None):
    """Builds the scenario, binds, prints the ready line, serves until told to stop."""
    try:
        chain, info = build_scenario(args)
    except Exception as e:
        print(f"rig: scenario failed: {type(e).__name__}: {e}", file=sys.stderr, flush=True)
        raise SystemExit(1)
    stats = Stats()
    dispatcher = Dispatcher(chain, info, stats, args.max_log_range, args.max_logs)
    if fault is not None:
        fault.attach(dispatcher)
    try:
        server = RigHTTPServer(("127.0.0.1", args.port), RigHandler, dispatcher, args.delay_ms, fault)
    except OSError as e:
        print(f"rig: cannot listen on 127.0.0.1:{args.port}: {e}", file=sys.stderr, flush=True)
        raise SystemExit(1)
    port = server.server_address[1]
    info.update({"port": port, "url": f"http://127.0.0.1:{port}", "pid": os.getpid(),
                 "delayMs": args.delay_ms})
    info.update(extra_info or {})
    ready = {"port": port}
    ready.update(info)

    stop = threading.Event()

    def request_stop(*_):
        if not stop.is_set():
            stop.set()
            threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, request_stop)
    signal.signal(signal.SIGINT, request_stop)
    watch = args.stdin == "watch" or (
        args.stdin == "auto" and stat.S_ISFIFO(os.fstat(sys.stdin.fileno()).st_mode))
    if watch:
        def wait_eof():
            try:
                # os.read, not sys.stdin: a daemon thread blocked in a buffered read
                # aborts the interpreter at exit.
                while os.read(0, 4096):
                    pass
            except (OSError, ValueError):
                pass
            request_stop()
        threading.Thread(target=wait_eof, daemon=True).start()
    if args.lifetime > 0:
        timer = threading.Timer(args.lifetime, request_stop)
        timer.daemon = True
        timer.start()

    sys.stdout.write(json.dumps(ready) + "\n")
    sys.stdout.flush()
    try:
        server.serve_forever(poll_interval=0.2)
    finally:
        server.close_held()
        server.server_close()
