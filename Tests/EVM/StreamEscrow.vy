# pragma version 0.4.3
"""
@title StreamEscrow (streamrecon test rig)
@notice A deliberately small stream escrow exposing Sablier-V2-Lockup-like scalar views,
        written only so that streamrecon's JSON-RPC chain source can be tested against a
        real EVM. It holds no tokens: `asset` is recorded, nothing is transferred.
@dev    Differences from Sablier, on purpose:
        - statuses are STORED, never derived from block.timestamp, so reads are
          deterministic; `create` starts a stream as STREAMING and only `settle`,
          `cancel` and the rig knob `setStatus` change it;
        - the owner (the rig's account) drives every state change;
        - `forceWithdrawn` and `setStatus` break invariants on purpose (the demo's
          stream_6 has 1200 withdrawn of 1000 deposited);
        - `skipIds` leaves holes in the id sequence: those ids revert like unknown ids.
        Events: Sablier V2 Lockup's own signatures (WithdrawFromLockupStream,
        CancelLockupStream, RenounceLockupStream, and ERC-721 Transfer for the stream NFT:
        a mint on create, old -> new recipient on setRecipient), plus StatusSet, which
        Sablier does not have (settle and setStatus change a stream without a Sablier event).
        Unknown ids revert with Sablier's custom error SablierV2Lockup_Null(uint256),
        selector 0x171cfce0, followed by the abi-encoded id.
"""

PENDING: constant(uint8) = 0
STREAMING: constant(uint8) = 1
SETTLED: constant(uint8) = 2
CANCELED: constant(uint8) = 3
DEPLETED: constant(uint8) = 4

struct Stream:
    sender: address
    recipient: address
    asset: address
    deposited: uint128
    withdrawn: uint128
    refunded: uint128
    status: uint8
    canceled: bool
    cancelable: bool
    exists: bool

# Sablier V2 Lockup's events, same signatures (IERC20 is `address` in the ABI). Vyper
# names cannot be `from`/`to` keywords everywhere, but names are not part of topic0.
event WithdrawFromLockupStream:
    streamId: indexed(uint256)
    to: indexed(address)
    asset: indexed(address)
    amount: uint128

event CancelLockupStream:
    streamId: uint256
    sender: indexed(address)
    recipient: indexed(address)
    asset: indexed(address)
    senderAmount: uint128
    recipientAmount: uint128

event RenounceLockupStream:
    streamId: indexed(uint256)

# ERC-721 Transfer of the stream NFT (tokenId = stream id).
event Transfer:
    sender: indexed(address)
    receiver: indexed(address)
    tokenId: indexed(uint256)

# Not a Sablier event: settle and setStatus changes, which Sablier's rules do not declare.
event StatusSet:
    streamId: indexed(uint256)
    status: uint8

owner: public(address)
nextStreamId: public(uint256)
streams: HashMap[uint256, Stream]


@deploy
def __init__():
    self.owner = msg.sender
    self.nextStreamId = 1


@internal
@view
def _get(streamId: uint256) -> Stream:
    s: Stream = self.streams[streamId]
    if not s.exists:
        # SablierV2Lockup_Null(uint256): 0x171cfce0 ++ abi.encode(streamId)
        raw_revert(concat(method_id("SablierV2Lockup_Null(uint256)"), convert(streamId, bytes32)))
    return s


@internal
@view
def _only_owner():
    assert msg.sender == self.owner, "StreamEscrow: not owner"


# ---------------------------------------------------------------- views (Sablier-like)

@external
@view
def getDepositedAmount(streamId: uint256) -> uint128:
    return self._get(streamId).deposited


@external
@view
def getWithdrawnAmount(streamId: uint256) -> uint128:
    return self._get(streamId).withdrawn


@external
@view
def getRefundedAmount(streamId: uint256) -> uint128:
    return self._get(streamId).refunded


@external
@view
def statusOf(streamId: uint256) -> uint8:
    return self._get(streamId).status


@external
@view
def getSender(streamId: uint256) -> address:
    return self._get(streamId).sender


@external
@view
def getRecipient(streamId: uint256) -> address:
    return self._get(streamId).recipient


@external
@view
def getAsset(streamId: uint256) -> address:
    return self._get(streamId).asset


@external
@view
def isStream(streamId: uint256) -> bool:
    # Like Sablier: does not revert on unknown ids.
    return self.streams[streamId].exists


@external
@view
def wasCanceled(streamId: uint256) -> bool:
    return self._get(streamId).canceled


@external
@view
def isDepleted(streamId: uint256) -> bool:
    return self._get(streamId).status == DEPLETED


@external
@view
def isCancelable(streamId: uint256) -> bool:
    # False once canceled or renounced (Sablier also says false for settled streams; the
    # rig keeps it to the flag).
    return self._get(streamId).cancelable


# ---------------------------------------------------------------- state changes (rig)

@external
def create(sender: address, recipient: address, asset: address, deposit: uint128) -> uint256:
    self._only_owner()
    streamId: uint256 = self.nextStreamId
    self.streams[streamId] = Stream(
        sender=sender,
        recipient=recipient,
        asset=asset,
        deposited=deposit,
        withdrawn=0,
        refunded=0,
        status=STREAMING,
        canceled=False,
        cancelable=True,
        exists=True,
    )
    self.nextStreamId = streamId + 1
    log Transfer(sender=empty(address), receiver=recipient, tokenId=streamId)
    return streamId


@external
def withdraw(streamId: uint256, amount: uint128):
    self._only_owner()
    s: Stream = self._get(streamId)
    assert s.status == STREAMING or s.status == SETTLED or s.status == CANCELED, "StreamEscrow: not withdrawable"
    assert s.withdrawn + amount + s.refunded <= s.deposited, "StreamEscrow: overdraw"
    self.streams[streamId].withdrawn = s.withdrawn + amount
    log WithdrawFromLockupStream(streamId=streamId, to=s.recipient, asset=s.asset, amount=amount)


@external
def cancel(streamId: uint256, refund: uint128):
    self._only_owner()
    s: Stream = self._get(streamId)
    assert s.status == PENDING or s.status == STREAMING, "StreamEscrow: not cancelable"
    assert s.cancelable, "StreamEscrow: not cancelable"
    assert s.withdrawn + refund <= s.deposited, "StreamEscrow: refund too large"
    self.streams[streamId].refunded = refund
    self.streams[streamId].canceled = True
    self.streams[streamId].cancelable = False
    self.streams[streamId].status = CANCELED
    log CancelLockupStream(streamId=streamId, sender=s.sender, recipient=s.recipient, asset=s.asset,
                           senderAmount=refund, recipientAmount=s.deposited - s.withdrawn - refund)


@external
def renounce(streamId: uint256):
    # Like Sablier: the sender gives up the right to cancel; nothing else changes.
    self._only_owner()
    s: Stream = self._get(streamId)
    assert s.cancelable, "StreamEscrow: not cancelable"
    self.streams[streamId].cancelable = False
    log RenounceLockupStream(streamId=streamId)


@external
def settle(streamId: uint256):
    self._only_owner()
    s: Stream = self._get(streamId)
    assert s.status == PENDING or s.status == STREAMING, "StreamEscrow: not settleable"
    self.streams[streamId].status = SETTLED
    log StatusSet(streamId=streamId, status=SETTLED)


@external
def setStatus(streamId: uint256, status: uint8):
    # Rig knob: any status, no checks (PENDING, DEPLETED, or an inconsistent one).
    self._only_owner()
    s: Stream = self._get(streamId)
    assert status <= DEPLETED, "StreamEscrow: bad status"
    self.streams[streamId].status = status
    log StatusSet(streamId=streamId, status=status)


@external
def forceWithdrawn(streamId: uint256, withdrawn: uint128):
    # Rig knob: sets the withdrawn total with no checks (invariant violations on purpose).
    # The event's amount is the increase (0 when the total goes down: amounts are unsigned).
    self._only_owner()
    s: Stream = self._get(streamId)
    self.streams[streamId].withdrawn = withdrawn
    amount: uint128 = 0
    if withdrawn > s.withdrawn:
        amount = withdrawn - s.withdrawn
    log WithdrawFromLockupStream(streamId=streamId, to=s.recipient, asset=s.asset, amount=amount)


@external
def setRecipient(streamId: uint256, recipient: address):
    # Like an NFT transfer of a transferable Sablier stream.
    self._only_owner()
    s: Stream = self._get(streamId)
    self.streams[streamId].recipient = recipient
    log Transfer(sender=s.recipient, receiver=recipient, tokenId=streamId)


@external
def skipIds(count: uint256):
    # Rig knob: leaves `count` ids unused; reading them reverts like any unknown id.
    self._only_owner()
    self.nextStreamId += count
