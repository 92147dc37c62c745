# pragma version 0.4.3
"""
@title Multicall3 subset (streamrecon test rig)
@notice ABI-compatible with Multicall3's aggregate3 (0x82ad56cb) and getBlockNumber
        (0x42cbb15c). Vyper needs bounds: at most MAX_CALLS calls per aggregate3, each
        callData at most MAX_CALLDATA bytes; return data longer than MAX_RETURN bytes is
        cut to MAX_RETURN. More calls than MAX_CALLS make the call revert (ABI decoding
        fails), which stands in for a real node's out-of-gas on too large a batch:
        clients must chunk.
"""

MAX_CALLS: constant(uint256) = 512
MAX_CALLDATA: constant(uint256) = 512
MAX_RETURN: constant(uint256) = 512

struct Call3:
    target: address
    allowFailure: bool
    callData: Bytes[MAX_CALLDATA]

struct Result:
    success: bool
    returnData: Bytes[MAX_RETURN]


@external
@payable
def aggregate3(calls: DynArray[Call3, MAX_CALLS]) -> DynArray[Result, MAX_CALLS]:
    results: DynArray[Result, MAX_CALLS] = []
    for c: Call3 in calls:
        ok: bool = False
        data: Bytes[MAX_RETURN] = b""
        ok, data = raw_call(c.target, c.callData, max_outsize=MAX_RETURN, revert_on_failure=False)
        # Same revert as the real contract: Error("Multicall3: call failed")
        assert ok or c.allowFailure, "Multicall3: call failed"
        results.append(Result(success=ok, returnData=data))
    return results


@external
@view
def getBlockNumber() -> uint256:
    return block.number
