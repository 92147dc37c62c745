import ReconChain
import Testing

/// Keccak-256 against the standard vectors; expected values from pycryptodome's `Crypto.Hash.keccak`.
struct Keccak256Tests {
    func digest(_ text: String) -> String { Keccak256.hex(text.utf8) }

    func digest(repeating byte: UInt8, count: Int) -> String { Keccak256.hex([UInt8](repeating: byte, count: count)) }

    @Test func emptyInput() {
        #expect(digest("") == "0xc5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470")
    }

    @Test func abc() {
        #expect(digest("abc") == "0x4e03657aea45a94fc7d47ba826c8d667c0d1e6e33a64a036ec44f58fa12d6c45")
        #expect(Keccak256.hash("abc".utf8) == Hex.bytes("4e03657aea45a94fc7d47ba826c8d667c0d1e6e33a64a036ec44f58fa12d6c45"))
    }

    @Test func isNotSHA3() {
        // SHA3-256("") with the 0x06 padding; Keccak-256 must differ from it.
        #expect(digest("") != "0xa7ffc6f8bf1ed76651c14756a061d662f580ff4de43b49fa82d80a4b80f8434a")
    }

    @Test func aroundTheRateBoundary() {
        #expect(digest(repeating: 0x61, count: 135) == "0x34367dc248bbd832f4e3e69dfaac2f92638bd0bbd18f2912ba4ef454919cf446")
        #expect(digest(repeating: 0x61, count: 136) == "0xa6c4d403279fe3e0af03729caada8374b5ca54d8065329a3ebcaeb4b60aa386e")
        #expect(digest(repeating: 0x61, count: 137) == "0xd869f639c7046b4929fc92a4d988a8b22c55fbadb802c0c66ebcd484f1915f39")
    }

    @Test func multipleBlocks() {
        #expect(digest(repeating: 0x61, count: 200) == "0x96ea54061def936c4be90b518992fdc6f12f535068a256229aca54267b4d084d")
        #expect(digest(repeating: 0x61, count: 272) == "0xcf7fcd4f705ee749930d19ca84561a9bf62516bd90a471545fa2f49fdc7e63c8")
        #expect(digest(repeating: 0x61, count: 1000) == "0xb6a4ac1f51884d71f30fa397a5e155de3099e11fc0edef5d08b646e621e19de9")
    }

    @Test func nonContiguousSequenceHashesLikeAnArray() {
        let bytes = (0..<200).lazy.map { _ in UInt8(0x61) }
        #expect(Keccak256.hex(bytes) == digest(repeating: 0x61, count: 200))
        #expect(Keccak256.hash(bytes[...].dropFirst(0)) == Keccak256.hash([UInt8](repeating: 0x61, count: 200)))
    }

    @Test(arguments: [
        ("getDepositedAmount(uint256)", "0xa80fc071"),
        ("getWithdrawnAmount(uint256)", "0xd511609f"),
        ("getRefundedAmount(uint256)", "0xd4dbd20b"),
        ("statusOf(uint256)", "0xad35efd4"),
        ("getSender(uint256)", "0xb971302a"),
        ("getRecipient(uint256)", "0x6d0cee75"),
        ("getAsset(uint256)", "0xeac8f5b8"),
        ("getUnderlyingToken(uint256)", "0xa4775772"),
        ("isStream(uint256)", "0xb8a3be66"),
        ("wasCanceled(uint256)", "0xf590c176"),
        ("isDepleted(uint256)", "0x425d30dd"),
        ("nextStreamId()", "0x1e99d569"),
        ("aggregate3((address,bool,bytes)[])", "0x82ad56cb"),
        ("getBlockNumber()", "0x42cbb15c"),
        ("SablierV2Lockup_Null(uint256)", "0x171cfce0"),
        ("SablierLockupState_Null(uint256)", "0xec74b600"),
        ("Error(string)", "0x08c379a0"),
        ("Panic(uint256)", "0x4e487b71"),
    ])
    func selectorsFromTheDomainNotes(signature: String, selector: String) {
        #expect(String(digest(signature).prefix(10)) == selector)
    }
}
